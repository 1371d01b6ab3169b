package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"markd/mark"
)

// Questioned rejections: the collector takes no terminal's word for an
// ACCEPT (Checker.Judge, disputes), and a REJECT it can check it judges
// too. A counter with a wrong clock or time zone, or one judging under
// lists other than it names, turns customers with valid marks away; a
// REJECT whose signed mark the collector would have accepted is stored
// "questioned" (Record.Questioned), listed per office and terminal on the
// regional pages for a supervisor to review, counted on /healthz and in
// /metrics. The upload is stored as sent and never refused for it.

// notJudged are the reasons of a REJECT the collector cannot judge: they
// come from the counter's own state (the serial's earlier acceptance
// there, its open batch), so a REJECT naming one is never questioned.
var notJudged = []mark.Reason{mark.ReasonReused, mark.ReasonOtherContract}

// questionRecord judges a verified REJECT (r.Mark set, its signature
// verified by Check) as Judge judges an ACCEPT: the dates in the office's
// zone (or every zone: then only a date reason that fails in each one is
// wrong), the office, and the published lists the record names, checked
// in full (steps 3 and 4 of MARK-FORMAT §7, the signature under the
// named keyring's key again). When the collector would have accepted it
// (no reason holds, so none of the counter's), it sets r.Questioned to
// the counter's reasons and r.Why to why each fails, and reports true.
// Lists the collector never published, and a reason only the counter can
// judge (notJudged), leave the REJECT as it is.
func questionRecord(r *Record, lists judgeLists, by JudgeBy) bool {
	if len(r.Reasons) == 0 || slices.ContainsFunc(r.Reasons, func(x mark.Reason) bool { return slices.Contains(notJudged, x) }) {
		return false
	}
	named := lists.byVersions[r.Versions]
	if named == nil {
		return false // the lists the counter judged under are not the collector's to know
	}
	issued, err1 := mark.ParseDay(r.Mark.Issued)
	until, err2 := mark.ParseDay(r.Mark.ValidUntil)
	if err1 != nil || err2 != nil {
		return false
	}
	if r.Mark.Office != 0 && r.Mark.Office != r.Office {
		return false // WRONG_OFFICE holds
	}
	// The days the scan may fall on: the office's, or any zone's.
	at := r.At.UTC()
	loc := judgeZone(r, by.Zones.Of(r.Office)) // checkZone ran (Judge)
	first, last := mark.DayOf(at.Add(earliestZone)), mark.DayOf(at.Add(latestZone))
	where := fmt.Sprintf("in every time zone (office %06d's is not known)", r.Office)
	if loc != nil {
		local := r.At.In(loc)
		first = mark.DayOf(local)
		last = first
		where = fmt.Sprintf("%s in the office's time zone %s", local.Format("2006-01-02 15:04:05 -07:00"), loc)
	}
	if first < issued || last > until {
		return false // a date reason holds, or may hold in some zone
	}
	var deferred func() bool
	res := named.Verify(r.Text, mark.Context{Office: r.Office, Date: issued, MeasuredWeightG: r.MeasuredWeightG,
		DeferSignature: &deferred})
	if len(res.Reasons) > 0 || deferred == nil || !deferred() {
		return false // a reason of the lists holds, or the named key does not verify the text
	}
	vs := named.Versions()
	var why []string
	for _, x := range r.Reasons {
		switch x {
		case mark.ReasonNotYetValid, mark.ReasonExpired:
			why = append(why, fmt.Sprintf("%s: scanned %s, %s, within the mark's days %s to %s", x,
				at.Format(time.RFC3339), where, issued, until))
		case mark.ReasonWrongOffice:
			if r.Mark.Office == 0 {
				why = append(why, fmt.Sprintf("%s: the mark is for any office (0)", x))
			} else {
				why = append(why, fmt.Sprintf("%s: the mark is for office %06d, the record's", x, r.Office))
			}
		default:
			why = append(why, fmt.Sprintf("%s does not hold under the lists the record names (keyring %s, tariffs %s, revocations %s)",
				x, vs.Keyring, vs.Tariffs, vs.Revocations))
		}
	}
	r.Questioned = slices.Clone(r.Reasons)
	r.Why = "the collector would have accepted this mark: " + strings.Join(why, "; ")
	return true
}

// QuestionedColumn is the stored form of r.Questioned, as both backends
// keep it: a JSON array of the counter's reason codes, nil (NULL) when
// not questioned.
func QuestionedColumn(r *Record) *string {
	if len(r.Questioned) == 0 {
		return nil
	}
	s := reasonsJSON(r.Questioned)
	return &s
}

// DecodeQuestioned fills r.Questioned from its stored column ("" = NULL).
func DecodeQuestioned(r *Record, col string) error {
	if col == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(col), &r.Questioned); err != nil {
		return fmt.Errorf("record %s: column questioned: %w: %v", r.ID, mark.ErrInvalid, err)
	}
	return nil
}

// QuestionedCount is how many questioned rejections an office's terminal
// has: not reviewed yet, and reviewed.
type QuestionedCount struct {
	Office   uint32
	Terminal string
	Open     int64
	Reviewed int64
}

// Questions is what the regional pages read of the questioned
// rejections; both backends implement it. A questioned rejection is
// reviewed with Regional.SetDisputeState, as a disputed acceptance is
// (the same columns and audit: a record is one or the other).
type Questions interface {
	// Questioned lists the questioned rejections, at most limit: in state
	// DisputeOpen newest scan first, DisputeReviewed the last reviewed
	// first, DisputeAny every one newest scan first.
	Questioned(ctx context.Context, state DisputeState, limit int) ([]StoredRecord, error)
	// QuestionedCounts counts the questioned rejections per office and
	// terminal, most open first (then office, terminal), at most limit rows.
	QuestionedCounts(ctx context.Context, limit int) ([]QuestionedCount, error)
}

// QuestionedOpenCap bounds the count of open questioned rejections the
// health query makes, as DisputedOpenCap does for disputes.
const QuestionedOpenCap = DisputedOpenCap
