package sqlrow

import (
	"database/sql"
	"encoding/json"

	"markd/hub"
	"markd/mark"
)

// StatsQuery counts what hub.Stats holds, in Stats's order.
const StatsQuery = `SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM events),
	(SELECT count(*) FROM used_serials), (SELECT count(*) FROM alerts),
	(SELECT count(*) FROM records WHERE verification = 'unverified'),
	(SELECT count(*) FROM records WHERE disputed IS NOT NULL AND dispute_reviewed_at IS NULL),
	(SELECT count(*) FROM records WHERE disputed IS NOT NULL AND dispute_reviewed_at IS NOT NULL),
	(SELECT count(*) FROM records WHERE questioned IS NOT NULL AND dispute_reviewed_at IS NULL),
	(SELECT count(*) FROM records WHERE questioned IS NOT NULL AND dispute_reviewed_at IS NOT NULL)`

// Stats reads the row of StatsQuery.
func Stats(row Scanner) (hub.Stats, error) {
	var s hub.Stats
	err := row.Scan(&s.Records, &s.Events, &s.UsedSerials, &s.Alerts, &s.Unverified,
		&s.DisputedOpen, &s.DisputedReviewed, &s.QuestionedOpen, &s.QuestionedReviewed)
	return s, err
}

// OfficeDayGroup reads a group of an office's records of a day: day,
// verdict, review_state, reasons, unverified, contract, count, tariff
// sum. The reasons are the store's own JSON, read leniently.
func OfficeDayGroup(row Scanner) (hub.OfficeDayGroup, error) {
	var g hub.OfficeDayGroup
	var verdict, review, reasons string
	if err := row.Scan(&g.Day, &verdict, &review, &reasons, &g.Unverified, &g.Contract, &g.Count, &g.TariffKop); err != nil {
		return g, err
	}
	g.Verdict, g.Review = mark.Verdict(verdict), mark.ReviewState(review)
	_ = json.Unmarshal([]byte(reasons), &g.Reasons) // written by the store itself (EncodeJSONColumns)
	return g, nil
}

// OfficeRejects reads an office of the reject ranking: office,
// accepted, rejected, overridden, other.
func OfficeRejects(row Scanner) (hub.OfficeRejects, error) {
	var o hub.OfficeRejects
	err := row.Scan(&o.Office, &o.Accepted, &o.Rejected, &o.Overridden, &o.Other)
	return o, err
}

// AddReasons reads the reason counts of the ranked offices (rows of
// office, reason, n) into out, each office's cut to its top
// (hub.TopReasons). A failed row or result is hub.Unavailable("reject
// reasons", …).
func AddReasons(rows Rows, out []hub.OfficeRejects, top int) error {
	at := map[uint32]int{}
	for i, o := range out {
		at[o.Office] = i
	}
	type reason struct {
		office uint32
		hub.ReasonCount
	}
	err := Each(rows, "reject reasons", func(row Scanner) (reason, error) {
		var r reason
		var why string
		err := row.Scan(&r.office, &why, &r.Count)
		r.Reason = mark.Reason(why)
		return r, err
	}, func(r reason) error {
		i := at[r.office]
		out[i].Reasons = append(out[i].Reasons, r.ReasonCount)
		return nil
	})
	if err != nil {
		return err
	}
	for i := range out {
		out[i].Reasons = hub.TopReasons(out[i].Reasons, top)
	}
	return nil
}

// StoreCheck reads the row of a backend's health query: the newest
// bundle's version and created_at (NULL when none is published), the
// open disputed acceptances, the open questioned rejections, and the
// terminals whose zone differs and whose zone data differ.
func StoreCheck(row Scanner) (hub.StoreCheck, error) {
	var c hub.StoreCheck
	var v sql.NullInt64
	var created Time
	if err := row.Scan(&v, &created, &c.DisputedOpen, &c.QuestionedOpen, &c.ZoneDiffers, &c.ZoneDataDiffer); err != nil {
		return hub.StoreCheck{}, err
	}
	if v.Valid && created.Valid {
		c.BundleVersion, c.BundleCreated = uint64(v.Int64), created.Time
	}
	return c, nil
}
