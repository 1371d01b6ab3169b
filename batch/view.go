package batch

import (
	"fmt"
	"strings"
	"time"

	"markd/batchlist"
	"markd/mark"
)

// StatusJSON is a batch as the JSON API and the operator screen give it.
type StatusJSON struct {
	mark.Batch
	Totals      mark.BatchTotals `json:"totals"`
	Paid        string           `json:"paid"`       // the accepted marks' tariffs in roubles, "1 050,00 ₽"
	OpenedLocal string           `json:"opened"`     // opened_at in the office's time with its offset, "2026-11-25 10:00:00 +03:00", for people
	ListItems   int              `json:"list_items"` // items on the customer's list (0: no list)
	Differences []DiffJSON       `json:"differences"`
	// DiffsTotal is the number of differences in all: more than
	// len(Differences) when only the first were asked (?rows=).
	DiffsTotal int `json:"differences_total"`
	// Overrides are the supervisors' decisions to accept a rejected mark
	// of the batch, in the order taken.
	Overrides []OverrideJSON `json:"overrides"`
}

// OverrideJSON is one supervisor's decision to accept a rejected mark of
// the batch.
type OverrideJSON struct {
	RecordID string    `json:"record_id"`
	Serial   uint64    `json:"serial"`
	By       string    `json:"by"` // the supervisor, as the audit names them
	At       time.Time `json:"at"`
	// Later: decided after the batch ended; not in its totals, its
	// reconciliation or its receipt (accepted_later counts these).
	Later bool `json:"later"`
}

// DiffJSON is one difference between the customer's list and the scans.
type DiffJSON struct {
	Kind     batchlist.DiffKind `json:"kind"` // MISSING, EXTRA, CLASS, WEIGHT, TARIFF, NOTICE
	Line     int                `json:"line,omitempty"`
	N        int                `json:"n,omitempty"` // the item's number on the list
	Tracking string             `json:"tracking,omitempty"`
	Serial   uint64             `json:"serial,omitempty"`
	RecordID string             `json:"record_id,omitempty"` // the scan, for all but MISSING
	Want     string             `json:"want,omitempty"`      // the list's value
	Got      string             `json:"got,omitempty"`       // the mark's value
}

// JSON converts a status for the API.
func (st Status) JSON() StatusJSON {
	out := StatusJSON{Batch: st.Batch, Totals: st.Totals, Paid: Roubles(st.Totals.PaidKop), ListItems: st.Items,
		DiffsTotal: st.NDiffs, Differences: make([]DiffJSON, 0, len(st.Diffs))}
	// opened_at and closed_at in UTC like every time of the API; opened
	// for people in the office's time, its offset stated.
	out.Opened, out.Closed = st.Batch.Opened.UTC(), st.Batch.Closed.UTC()
	if loc := st.Location; loc != nil && !st.Batch.Opened.IsZero() {
		out.OpenedLocal = st.Batch.Opened.In(loc).Format("2006-01-02 15:04:05 -07:00")
	}
	if out.Totals.PerClass == nil {
		out.Totals.PerClass = map[uint8]int{}
	}
	out.Overrides = make([]OverrideJSON, 0, len(st.Overrides))
	for _, o := range st.Overrides {
		out.Overrides = append(out.Overrides, OverrideJSON{RecordID: o.RecordID, Serial: o.Serial, By: o.Actor,
			At: o.At.UTC(), Later: !o.InBatch})
	}
	for _, d := range st.Diffs {
		j := DiffJSON{Kind: d.Kind, Want: d.Want, Got: d.Got}
		if it := d.Item; it != nil {
			j.Line, j.N, j.Tracking, j.Serial = it.Line, it.N, it.Tracking, it.Serial
		}
		if sc := d.Scan; sc != nil {
			j.RecordID = sc.RecordID
			if j.Tracking == "" {
				j.Tracking = sc.Tracking
			}
			if j.Serial == 0 {
				j.Serial = sc.Serial
			}
		}
		out.Differences = append(out.Differences, j)
	}
	return out
}

// Roubles formats kopecks the Russian way: 105000 → "1 050,00 ₽" (with a
// no-break space between thousands).
func Roubles(kop int64) string {
	sign := ""
	if kop < 0 {
		sign, kop = "-", -kop
	}
	r := fmt.Sprintf("%d", kop/100)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && (len(r)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s%s,%02d ₽", sign, b.String(), kop%100)
}

// ClassText names a mail class in Russian and English.
func ClassText(c uint8) mark.Text {
	switch c {
	case mark.ClassSimpleLetter:
		return mark.Text{RU: "простое письмо", EN: "simple letter"}
	case mark.ClassRegisteredLetter:
		return mark.Text{RU: "заказное письмо", EN: "registered letter"}
	case mark.ClassPrintedMatter:
		return mark.Text{RU: "заказная бандероль", EN: "registered printed matter"}
	case mark.ClassPostcard:
		return mark.Text{RU: "заказная карточка", EN: "registered postcard"}
	}
	return mark.Text{RU: fmt.Sprintf("вид %d", c), EN: fmt.Sprintf("class %d", c)}
}
