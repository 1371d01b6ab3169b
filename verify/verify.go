// Package verify judges EPM v1 marks by the checks of MARK-FORMAT §7: the
// issuer keyring (Ed25519 and ECDSA P-256, validity and revocation dates),
// the tariff table by issue date, the revocation list of serials, the office
// and the acceptance date. Reuse (§7 step 5) needs state and lives in the
// store; this package is pure and safe for concurrent use.
package verify

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"math/big"

	"markd/decode"
	"markd/mark"
)

// Verifier holds one consistent set of keyring, tariffs and revocations.
// It is immutable: to change a list, build a new Verifier and swap it in
// a Holder.
type Verifier struct {
	keys    *Keyring
	tariffs *Tariffs
	revoked *Revocations
}

// New builds a verifier from parsed lists; k and t must not be nil, r may
// be nil (no revocations).
func New(k *Keyring, t *Tariffs, r *Revocations) *Verifier {
	if r == nil {
		r = &Revocations{Version: "none"}
	}
	return &Verifier{keys: k, tariffs: t, revoked: r}
}

// LoadFiles loads the three lists and builds a verifier, all or nothing.
// An empty revokedPath means no revocation list.
func LoadFiles(keyringPath, tariffsPath, revokedPath string) (*Verifier, error) {
	k, err := LoadKeyring(keyringPath)
	if err != nil {
		return nil, err
	}
	t, err := LoadTariffs(tariffsPath)
	if err != nil {
		return nil, err
	}
	var r *Revocations
	if revokedPath != "" {
		if r, err = LoadRevocations(revokedPath); err != nil {
			return nil, err
		}
	}
	return New(k, t, r), nil
}

// Keyring, Tariffs and Revocations return the lists in use.
func (v *Verifier) Keyring() *Keyring         { return v.keys }
func (v *Verifier) Tariffs() *Tariffs         { return v.tariffs }
func (v *Verifier) Revocations() *Revocations { return v.revoked }

// Newest is the newest date the lists name: a key's valid_from,
// valid_until or revoked_from, a tariff version's effective day (the
// revocation list has none). No mark of these keys is issued after it
// (KEY_NOT_VALID), so a clock years past it is more likely wrong than
// the lists (the daemon's upper bound on its clock). Not for the scan
// path: it walks the lists.
func (v *Verifier) Newest() mark.Day {
	var newest mark.Day
	for _, k := range v.keys.keys {
		newest = max(newest, k.ValidFrom, k.ValidUntil)
		if k.Revoked {
			newest = max(newest, k.RevokedFrom)
		}
	}
	for _, tv := range v.tariffs.versions {
		newest = max(newest, tv.Effective)
	}
	return newest
}

// Versions names the lists the verifier judges under.
func (v *Verifier) Versions() mark.Versions {
	return mark.Versions{Keyring: v.keys.Version, Tariffs: v.tariffs.Version, Revocations: v.revoked.Version}
}

func reject(r mark.Reason) mark.Result {
	return mark.Result{Verdict: mark.Reject, Reasons: []mark.Reason{r}}
}

// Verify runs steps 1–4 of §7 on one scanned text. Result.Mark is set only
// when the signature verified. Reasons is never nil. With
// c.DeferSignature set the signature check is not run but stored there,
// and the result is the one a good signature gives (mark.Context).
func (v *Verifier) Verify(text string, c mark.Context) mark.Result {
	res, sc, done := v.decode(text)
	if done {
		return res
	}
	if c.DeferSignature != nil {
		key, body, sig := sc.key, sc.body, sc.sig
		*c.DeferSignature = func() bool { return key.verify(body, sig) }
		return v.judge(&sc, true, c)
	}
	return v.judge(&sc, sc.key.verify(sc.body, sc.sig), c)
}

// decode runs steps 1–3 of §7 up to the signature: it returns the result
// and done when the text stops there, else what the signature check needs.
func (v *Verifier) decode(text string) (mark.Result, sigCheck, bool) {
	body, sig, err := decode.Text(text)
	if err != nil {
		if errors.Is(err, decode.ErrNotAMark) {
			return mark.Result{Verdict: mark.NotAMark, Reasons: []mark.Reason{}}, sigCheck{}, true
		}
		return reject(mark.ReasonMalformed), sigCheck{}, true
	}
	if body[0] != 1 {
		return reject(mark.ReasonUnsupportedVersion), sigCheck{}, true
	}
	m, err := decode.Body(body[:])
	if err != nil {
		return reject(mark.ReasonMalformed), sigCheck{}, true
	}
	key, ok := v.keys.Key(m.KeyID)
	if !ok {
		return reject(mark.ReasonUnknownKey), sigCheck{}, true
	}
	if key.Alg != m.Alg {
		return reject(mark.ReasonBadSignature), sigCheck{}, true
	}
	return mark.Result{}, sigCheck{key: key, body: body, sig: sig, mark: m}, false
}

// judge finishes Verify once the signature was checked.
func (v *Verifier) judge(sc *sigCheck, sigOK bool, c mark.Context) mark.Result {
	if !sigOK {
		return reject(mark.ReasonBadSignature)
	}
	m := sc.mark
	reasons := v.check(&m, sc.key, c)
	res := mark.Result{Verdict: mark.Accept, Reasons: reasons, Mark: &m}
	if len(reasons) > 0 {
		res.Verdict = mark.Reject
	}
	return res
}

// verify checks the signature of body with the key (§3).
func (k *Key) verify(body [mark.BodySize]byte, sig [mark.SigSize]byte) bool {
	msg := decode.Message(body)
	switch k.Alg {
	case mark.AlgEd25519:
		return k.single.verify(msg[:], sig[:])
	case mark.AlgECDSAP256:
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		n := k.ecd.Curve.Params().N
		if r.Sign() == 0 || s.Sign() == 0 || r.Cmp(n) >= 0 || s.Cmp(n) >= 0 {
			return false
		}
		h := sha256.Sum256(msg[:])
		return ecdsa.Verify(k.ecd, h[:], r, s)
	}
	return false
}

// check runs step 4 of §7 on a mark whose signature verified and returns
// every reason that applies, in the order of §7.
func (v *Verifier) check(m *mark.Mark, k *Key, c mark.Context) []mark.Reason {
	rs := make([]mark.Reason, 0, 4)
	add := func(cond bool, r mark.Reason) {
		if cond {
			rs = append(rs, r)
		}
	}
	add(m.Issued < k.ValidFrom || m.Issued > k.ValidUntil, mark.ReasonKeyNotValid)
	add(k.Revoked && m.Issued >= k.RevokedFrom, mark.ReasonKeyRevoked)
	add(c.Date < m.Issued, mark.ReasonNotYetValid)
	add(c.Date > m.ValidUntil, mark.ReasonExpired)
	add(m.Office != 0 && m.Office != c.Office, mark.ReasonWrongOffice)

	registered, known := mark.Registered(m.MailClass)
	add(!known, mark.ReasonUnknownClass)
	overweight := c.MeasuredWeightG > int(m.WeightG)
	underpaid := false
	if known {
		req, st := v.tariffs.required(m.Issued, m.MailClass, m.WeightG, m.NoticeOfDelivery())
		switch st {
		case statusPriced:
			underpaid = uint64(m.TariffKop) < req
		case statusOverweight:
			overweight = true // no price: no UNDERPAID (§4)
		case statusNoTariff:
			underpaid = true // nothing proves the amount was enough: fail closed
		}
	}
	add(overweight, mark.ReasonOverweight)
	add(underpaid, mark.ReasonUnderpaid)
	if known {
		add(registered && m.Tracking == 0, mark.ReasonMissingTracking)
		add(m.Tracking != 0 && !ValidTracking(m.Tracking), mark.ReasonBadTracking)
	}
	add(m.Flags&^mark.FlagNoticeOfDelivery != 0 ||
		m.Contract == 0 ||
		m.WeightG == 0 ||
		m.ValidUntil < m.Issued ||
		(known && !registered && m.NoticeOfDelivery()),
		mark.ReasonMalformed)
	add(v.revoked.Has(m.Serial), mark.ReasonRevoked)
	return rs
}

// ValidTracking reports whether n is a 14-digit domestic tracking number
// (leading zeros allowed) with a correct check digit (§5).
func ValidTracking(n uint64) bool {
	if n >= 100_000_000_000_000 {
		return false
	}
	check := n % 10
	n /= 10
	var s uint64
	for i := 13; i >= 1; i-- {
		d := n % 10
		n /= 10
		if i%2 == 1 {
			s += 3 * d
		} else {
			s += d
		}
	}
	return (10-s%10)%10 == check
}
