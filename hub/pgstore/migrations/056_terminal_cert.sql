-- markhub terminal readmit NAME --cert FILE: a certificate terminal
-- taken back by revoke is admitted again with this one certificate only
-- (hex SHA-256 of its DER): the old certificate, whose common name is the
-- same, stays refused (markhub checks no CRL). NULL = any certificate
-- the client CA signed for the name.
ALTER TABLE terminals ADD COLUMN IF NOT EXISTS cert_sha256 TEXT;
