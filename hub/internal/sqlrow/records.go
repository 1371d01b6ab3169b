package sqlrow

import (
	"database/sql"
	"encoding/json"

	"markd/hub"
	"markd/mark"
)

// RecordColumns are the columns of records Record reads, in its order.
const RecordColumns = `id, terminal, at, office, counter, operator, source, raw_text, verdict, reasons,
	mark_fields, measured_weight_g, first_accepted, keyring_version, tariffs_version, revocations_version,
	review_state, message, received_at, verification, why, digest, disputed, questioned,
	dispute_reviewed_at, dispute_by, dispute_note`

// Record reads a whole stored record (RecordColumns). A JSON column that
// does not decode is a BadRow naming it.
func Record(row Scanner) (hub.StoredRecord, error) {
	var r hub.StoredRecord
	var verdict, reasons, state, verification string
	var fields, first, disputed, questioned sql.NullString
	if err := row.Scan(&r.ID, &r.Terminal, At(&r.At), &r.Office,
		&r.Counter, &r.Operator, &r.Source, &r.Text, &verdict, &reasons, &fields, &r.MeasuredWeightG, &first,
		&r.Versions.Keyring, &r.Versions.Tariffs, &r.Versions.Revocations, &state, &r.Message, At(&r.ReceivedAt),
		&verification, &r.Why, &r.Digest, &disputed, &questioned, At(&r.DisputeReview.At),
		&r.DisputeReview.By, &r.DisputeReview.Note); err != nil {
		return r, err
	}
	r.Verdict, r.Review, r.Verification = mark.Verdict(verdict), mark.ReviewState(state), hub.Verification(verification)
	if err := hub.DecodeJSONColumns(&r.Record, reasons, fields.String, first.String); err != nil {
		return r, BadRow{err}
	}
	if err := hub.DecodeDisputed(&r.Record, disputed.String); err != nil {
		return r, BadRow{err}
	}
	if err := hub.DecodeQuestioned(&r.Record, questioned.String); err != nil {
		return r, BadRow{err}
	}
	return r, nil
}

// ListedColumns are the columns of records Listed reads, in its order.
const ListedColumns = `terminal, id, at, office, counter, verdict, reasons, verification, why,
	review_state, received_at, coalesce(serial, 0), coalesce(disputed, ''), coalesce(questioned, ''),
	dispute_reviewed_at, dispute_by, dispute_note`

// Listed reads a record of a list (ListedColumns): its verdict, review
// and dispute, the mark's serial only. JSON columns are read leniently,
// as the lists always have: one bad row does not hide the others.
func Listed(row Scanner) (hub.StoredRecord, error) {
	var r hub.StoredRecord
	var verdict, reasons, verification, state, disputed, questioned string
	var serial int64
	if err := row.Scan(&r.Terminal, &r.ID, At(&r.At), &r.Office, &r.Counter, &verdict, &reasons, &verification, &r.Why,
		&state, At(&r.ReceivedAt), &serial, &disputed, &questioned, At(&r.DisputeReview.At),
		&r.DisputeReview.By, &r.DisputeReview.Note); err != nil {
		return r, err
	}
	r.Verdict, r.Verification, r.Review = mark.Verdict(verdict), hub.Verification(verification), mark.ReviewState(state)
	_ = json.Unmarshal([]byte(reasons), &r.Reasons)
	_ = hub.DecodeDisputed(&r.Record, disputed)
	_ = hub.DecodeQuestioned(&r.Record, questioned)
	if serial != 0 {
		r.Mark = &mark.Fields{Serial: uint64(serial)}
	}
	return r, nil
}

// QuestionedItem reads a row of the questioned feed: seq, the record's
// id, questioned (” for NULL), why, dispute_reviewed_at, dispute_by,
// dispute_note. A questioned column that does not decode is a BadRow.
func QuestionedItem(row Scanner) (hub.QuestionedItem, error) {
	var seq int64
	var r hub.StoredRecord
	var questioned string
	if err := row.Scan(&seq, &r.ID, &questioned, &r.Why, At(&r.DisputeReview.At), &r.DisputeReview.By,
		&r.DisputeReview.Note); err != nil {
		return hub.QuestionedItem{}, err
	}
	if err := hub.DecodeQuestioned(&r.Record, questioned); err != nil {
		return hub.QuestionedItem{}, BadRow{err}
	}
	return hub.FeedItem(seq, &r), nil
}

// RegionalAlert reads a reuse alert of the regional list: id, serial,
// terminal, record_id, office, the pair's scan time (NULL: unknown),
// other_terminal, other_record_id, other_office, other_at, detected_at,
// state, note, state_by.
func RegionalAlert(row Scanner) (hub.RegionalAlert, error) {
	var a hub.RegionalAlert
	var serial int64
	var state string
	if err := row.Scan(&a.ID, &serial, &a.Terminal, &a.RecordID, &a.Office, At(&a.At), &a.OtherTerminal, &a.OtherRecord,
		&a.OtherOffice, At(&a.OtherAt), At(&a.Detected), &state, &a.Note, &a.By); err != nil {
		return a, err
	}
	a.Serial, a.State = uint64(serial), hub.AlertState(state)
	return a, nil
}

// ReuseAlert reads an alert sent to its terminal: id, record_id, serial,
// other_record_id, other_terminal, other_office, other_counter,
// other_at, detected_at.
func ReuseAlert(row Scanner) (mark.ReuseAlert, error) {
	var a mark.ReuseAlert
	var serial int64
	if err := row.Scan(&a.ID, &a.RecordID, &serial, &a.Other.RecordID, &a.OtherTerminal, &a.Other.Office,
		&a.Other.Counter, At(&a.Other.At), At(&a.Detected)); err != nil {
		return a, err
	}
	a.Serial = uint64(serial)
	return a, nil
}

// AlertChange reads a row of alert_audit: actor, state, note, at.
func AlertChange(row Scanner) (hub.AlertChange, error) {
	var c hub.AlertChange
	var state string
	err := row.Scan(&c.Actor, &state, &c.Note, At(&c.At))
	c.State = hub.AlertState(state)
	return c, err
}

// DisputeChange reads a row of dispute_audit: actor, state, note, at.
func DisputeChange(row Scanner) (hub.DisputeChange, error) {
	var c hub.DisputeChange
	var state string
	err := row.Scan(&c.Actor, &state, &c.Note, At(&c.At))
	c.State = hub.DisputeState(state)
	return c, err
}
