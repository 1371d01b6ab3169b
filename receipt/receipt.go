// Package receipt makes the customer's acceptance receipt of a closed
// partition-mail batch: an A4 PDF (WritePDF) and a printable HTML page
// (WriteHTML) with the same content, in Russian. The office, counter,
// operator, date and time in office time, contract, the accepted items
// with totals, with a customer's list the reconciliation with it, the
// rejected items with their reasons in words, the marks presented again
// after their acceptance in the batch, and the batch id as text and as a
// QR code.
//
// The package only lays out what it is given; it reads no store and no
// clock. FromRecords builds a Receipt from a batch and its records.
package receipt

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"markd/mark"
)

// Receipt is the content of one receipt.
type Receipt struct {
	BatchID    string
	Office     uint32 // postal index of the office
	OfficeName string // optional, printed after the index
	Counter    string
	Operator   string
	Contract   uint32
	Opened     time.Time
	Closed     time.Time      // the receipt's date; zero: Opened
	Location   *time.Location // office time for every date; nil: UTC
	Accepted   []Item
	Rejected   []Rejected
	// Again are the marks accepted in this batch and presented again in
	// it after that, each refused as REUSED: one accepted item each (in
	// Accepted), not envelopes handed back.
	Again []Again
	// HasList: the customer's list was imported into the batch; ListItems
	// items were on it and Diffs is what differs from the accepted scans
	// (batchlist.Reconcile), printed as the reconciliation section.
	HasList   bool
	ListItems int
	Diffs     []Diff
}

// Diff is one difference between the customer's list and the batch.
type Diff struct {
	Kind     string // MISSING, EXTRA, CLASS, WEIGHT, TARIFF, NOTICE (batchlist.DiffKind)
	N        int    // the item's number on the list; 0: none (EXTRA)
	Tracking string // 14 digits, "" for none
	Serial   uint64
	// Want and Got are the list's and the mark's value as batchlist gives
	// them: class number, grams, kopecks, "1"/"0".
	Want, Got string
}

// Item is one accepted item.
type Item struct {
	Serial    uint64
	Tracking  uint64 // 0: none (a simple letter)
	MailClass uint8
	WeightG   int
	TariffKop int64
	Notice    bool
	// DecidedBy, when set, is the supervisor who accepted the item after
	// it was rejected at the scan (an override while the batch was open),
	// at DecidedAt: the receipt says so on a line of its own.
	DecidedBy string
	DecidedAt time.Time
}

// Rejected is one item handed back to the customer, with why.
type Rejected struct {
	At       time.Time
	Serial   uint64 // 0 when the mark could not be read
	Tracking uint64
	Reasons  []mark.Reason
}

// Again is a mark accepted in the batch that was presented again after
// its acceptance: the same envelope scanned again after the re-scan window,
// or a copy of the mark on another envelope (the receipt cannot tell
// which). Every later presentation was refused (MARK-FORMAT §7 step 5).
type Again struct {
	Serial   uint64
	Tracking uint64
	Accepted time.Time   // the acceptance in this batch
	Refused  []time.Time // each refused presentation, in scan order
}

// ClassTotal is the count and the sum of one mail class.
type ClassTotal struct {
	Class  uint8
	Count  int
	SumKop int64
}

// Totals are the sums printed on the receipt.
type Totals struct {
	Count    int
	SumKop   int64
	ByClass  []ClassTotal // classes present, in class order
	Rejected int          // envelopes handed back (each mark once)
	// Again: marks accepted here and presented again; RefusedAgain: how
	// often they were refused in all.
	Again, RefusedAgain int
}

// Totals adds up the accepted items.
func (r *Receipt) Totals() Totals {
	t := Totals{Count: len(r.Accepted), Rejected: len(r.Rejected), Again: len(r.Again)}
	for _, a := range r.Again {
		t.RefusedAgain += len(a.Refused)
	}
	by := map[uint8]*ClassTotal{}
	for _, it := range r.Accepted {
		t.SumKop += it.TariffKop
		c := by[it.MailClass]
		if c == nil {
			c = &ClassTotal{Class: it.MailClass}
			by[it.MailClass] = c
		}
		c.Count++
		c.SumKop += it.TariffKop
	}
	for _, c := range by {
		t.ByClass = append(t.ByClass, *c)
	}
	slices.SortFunc(t.ByClass, func(a, b ClassTotal) int { return int(a.Class) - int(b.Class) })
	return t
}

// FromRecords builds the receipt of batch b from its records: ACCEPT
// records are the accepted items in scan order; REJECT records are the
// rejected ones, each mark once however often it was scanned (with its
// last scan's time and reasons), except a mark accepted in the batch: its
// rejections before the acceptance (the customer paid the difference and
// it was scanned again) do not appear, and those after it (REUSED: the
// same envelope after the re-scan window, or a copy) are in Again, in the
// order of their first refusal. Duplicate scans, codes that are not marks
// and errors do not appear.
func FromRecords(b mark.Batch, recs []mark.Record, loc *time.Location) Receipt {
	r := Receipt{
		BatchID: b.ID, Office: b.Office, Counter: b.Counter, Operator: b.Operator,
		Contract: b.Contract, Opened: b.Opened, Closed: b.Closed, Location: loc,
	}
	accepted := map[uint64]time.Time{}
	for _, rec := range recs {
		if rec.Verdict == mark.Accept && rec.Mark != nil {
			accepted[rec.Mark.Serial] = rec.At
			m := rec.Mark
			r.Accepted = append(r.Accepted, Item{Serial: m.Serial, Tracking: m.Tracking, MailClass: m.MailClass,
				WeightG: int(m.WeightG), TariffKop: int64(m.TariffKop), Notice: m.NoticeOfDelivery()})
		}
	}
	// An envelope scanned again after a rejection is one item to hand
	// back, not two: its place is its first scan, its time and reasons
	// those of the last.
	seen := map[string]int{}  // "s" serial, or "t" text of an unread mark → index in r.Rejected
	again := map[uint64]int{} // serial → index in r.Again
	for _, rec := range recs {
		if rec.Verdict != mark.Reject {
			continue
		}
		x := Rejected{At: rec.At, Reasons: rec.Reasons}
		key := ""
		if rec.Mark != nil {
			if at, ok := accepted[rec.Mark.Serial]; ok {
				// The store gives every rejection of a mark accepted
				// before REUSED: without it, this one came first.
				if !slices.Contains(rec.Reasons, mark.ReasonReused) {
					continue
				}
				i, ok := again[rec.Mark.Serial]
				if !ok {
					i = len(r.Again)
					again[rec.Mark.Serial] = i
					r.Again = append(r.Again, Again{Serial: rec.Mark.Serial, Tracking: rec.Mark.Tracking, Accepted: at})
				}
				r.Again[i].Refused = append(r.Again[i].Refused, rec.At)
				continue
			}
			x.Serial, x.Tracking = rec.Mark.Serial, rec.Mark.Tracking
			key = "s" + strconv.FormatUint(rec.Mark.Serial, 10)
		} else if rec.Text != "" {
			key = "t" + rec.Text
		}
		if i, ok := seen[key]; ok && key != "" {
			r.Rejected[i] = x
			continue
		}
		seen[key] = len(r.Rejected)
		r.Rejected = append(r.Rejected, x)
	}
	return r
}

// view is the receipt as the texts both forms print.
type view struct {
	Title   string
	Head    [][2]string // label, value
	BatchID string
	Items   [][]string // No., tracking, serial, class, weight, tariff
	// Decisions are the lines under the items accepted by a supervisor's
	// decision, one each: "№ 2 (серия знака 7): принято по решению …".
	Decisions []string
	Totals    Totals
	Summary   string   // "Итого принято: …"
	ByClass   []string // one line per class
	// RejectedNote counts the rejected items under the totals; "" for none.
	RejectedNote string
	Rejected     [][]string
	// RejectedDated: some rejection is dated (another day than the
	// opening in office time); its time column is wider.
	RejectedDated bool
	// AgainNote counts the marks presented again under the totals; ""
	// for none. Again are their rows.
	AgainNote string
	Again     [][]string
	// ListNote sums up the reconciliation with the customer's list; ""
	// when no list was imported. Diffs are its lines.
	ListNote string
	Diffs    [][]string
	Printed  string
	Signs    [2]string // the signature captions: customer, operator
}

// Column headings of the tables.
var (
	itemCols     = []string{"№", "ШПИ", "Серия знака", "Вид отправления", "Масса, г", "Плата, руб."}
	rejectedCols = []string{"№", "Время", "Серия знака", "ШПИ", "Причина отказа"}
	diffCols     = []string{"№", "Расхождение", "№ по списку", "ШПИ", "Серия знака", "По списку", "Фактически"}
	againCols    = []string{"№", "Серия знака", "ШПИ", "Предъявления"}
)

// againTitle heads the section of the marks presented again.
const againTitle = "Предъявлены повторно: приняты один раз, повторно не приняты"

func (r *Receipt) view() view {
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	closed := r.Closed
	if closed.IsZero() {
		closed = r.Opened
	}
	office := strconv.FormatUint(uint64(r.Office), 10)
	if r.OfficeName != "" {
		office += " " + r.OfficeName
	}
	v := view{
		Title:   "Квитанция о приёме партионных почтовых отправлений",
		BatchID: r.BatchID,
		Totals:  r.Totals(),
	}
	contract := "—"
	if r.Contract != 0 {
		contract = strconv.FormatUint(uint64(r.Contract), 10)
	}
	v.Head = [][2]string{
		{"Отделение", office},
		{"Окно", orDash(r.Counter)},
		{"Оператор", orDash(r.Operator)},
		{"Договор №", contract},
		{"Партия", r.BatchID},
		{"Открыта", FormatTime(r.Opened, loc)},
		{"Закрыта", FormatTime(closed, loc)},
	}
	oy, om, od := r.Opened.In(loc).Date()
	// stamp is a time of the batch as printed: a batch past midnight
	// gives the day with the time of another day than the opening.
	stamp := func(t time.Time) (string, bool) {
		if t.IsZero() {
			return "", false
		}
		if y, m, d := t.In(loc).Date(); !r.Opened.IsZero() && (y != oy || m != om || d != od) {
			return t.In(loc).Format("02.01.2006 15:04:05"), true
		}
		return t.In(loc).Format("15:04:05"), false
	}
	for i, it := range r.Accepted {
		v.Items = append(v.Items, []string{strconv.Itoa(i + 1), FormatTracking(it.Tracking), serial(it.Serial),
			ClassName(it.MailClass, it.Notice), strconv.Itoa(it.WeightG), FormatRub(it.TariffKop)})
		if it.DecidedBy == "" {
			continue
		}
		line := fmt.Sprintf("№ %d (серия знака %s): принято по решению руководителя %s", i+1, serial(it.Serial), it.DecidedBy)
		if at, _ := stamp(it.DecidedAt); at != "" {
			line += ", " + at
		}
		v.Decisions = append(v.Decisions, line)
	}
	v.Summary = fmt.Sprintf("Итого принято: %d %s на сумму %s руб.", v.Totals.Count, plural(v.Totals.Count), FormatRub(v.Totals.SumKop))
	for _, c := range v.Totals.ByClass {
		v.ByClass = append(v.ByClass, fmt.Sprintf("%s: %d шт., %s руб.", ClassName(c.Class, false), c.Count, FormatRub(c.SumKop)))
	}
	for i, x := range r.Rejected {
		why := make([]string, 0, len(x.Reasons))
		for _, re := range x.Reasons {
			why = append(why, mark.Explain(re).RU)
		}
		if len(why) == 0 {
			why = append(why, "Марка не прошла проверку")
		}
		at, dated := stamp(x.At)
		v.RejectedDated = v.RejectedDated || dated
		ser := serial(x.Serial)
		if x.Serial == 0 {
			ser = "не прочитана"
		}
		v.Rejected = append(v.Rejected, []string{strconv.Itoa(i + 1), at, ser, FormatTracking(x.Tracking), strings.Join(why, "; ")})
	}
	for i, a := range r.Again {
		times := make([]string, len(a.Refused))
		for k, t := range a.Refused {
			times[k], _ = stamp(t)
		}
		acc, _ := stamp(a.Accepted)
		v.Again = append(v.Again, []string{strconv.Itoa(i + 1), serial(a.Serial), FormatTracking(a.Tracking),
			fmt.Sprintf("принята %s, не принята %d %s: %s", acc, len(a.Refused), pluralTimes(len(a.Refused)), strings.Join(times, ", "))})
	}
	if n := v.Totals.Again; n > 0 {
		v.AgainNote = fmt.Sprintf("Повторно предъявлено марок, уже принятых в этой партии: %d (отказано %d %s, см. ниже)",
			n, v.Totals.RefusedAgain, pluralTimes(v.Totals.RefusedAgain))
	}
	if r.HasList {
		v.ListNote, v.Diffs = listView(r.ListItems, r.Diffs)
	}
	v.Printed = FormatTime(closed, loc)
	v.Signs = [2]string{"Сдал (клиент), подпись", "Принял (оператор), подпись"}
	if op := strings.TrimSpace(r.Operator); op != "" {
		v.Signs[1] = "Принял (оператор " + op + "), подпись"
	}
	if n := len(r.Rejected); n > 0 {
		v.RejectedNote = fmt.Sprintf("Не принято: %d шт. (возвращены отправителю, см. ниже)", n)
	}
	return v
}

// diffNames are the kinds of difference in words, as the rows print them.
var diffNames = map[string]string{
	"MISSING": "Не предъявлено", // on the list, not scanned in the batch (BATCH-LIST.md)
	"EXTRA":   "Нет в списке",
	"CLASS":   "Вид отправления",
	"WEIGHT":  "Масса, г",
	"TARIFF":  "Плата, руб.",
	"NOTICE":  "Уведомление",
}

// listView is the reconciliation with the customer's list: the summary
// line (the counts the batch status gives) and one row per difference.
func listView(items int, diffs []Diff) (string, [][]string) {
	var missing, extra, data int
	rows := make([][]string, 0, len(diffs))
	for i, d := range diffs {
		switch d.Kind {
		case "MISSING":
			missing++
		case "EXTRA":
			extra++
		default:
			data++
		}
		name := diffNames[d.Kind]
		if name == "" {
			name = d.Kind
		}
		n := "—"
		if d.N != 0 {
			n = strconv.Itoa(d.N)
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), name, n, orDash(d.Tracking), serial(d.Serial),
			diffValue(d.Kind, d.Want), diffValue(d.Kind, d.Got)})
	}
	note := fmt.Sprintf("По списку клиента: %d шт.; из них не предъявлено: %d; принято сверх списка: %d; расхождения в данных: %d.",
		items, missing, extra, data)
	if len(diffs) == 0 {
		note = fmt.Sprintf("По списку клиента: %d шт.; расхождений нет.", items)
	}
	return note, rows
}

// diffValue writes a list's or a mark's value of a difference in words.
func diffValue(kind, s string) string {
	if s == "" {
		return "—"
	}
	switch kind {
	case "CLASS":
		if c, err := strconv.ParseUint(s, 10, 8); err == nil {
			return ClassName(uint8(c), false)
		}
	case "WEIGHT":
		return s + " г"
	case "TARIFF":
		if k, err := strconv.ParseInt(s, 10, 64); err == nil {
			return FormatRub(k)
		}
	case "NOTICE":
		switch s {
		case "1":
			return "да"
		case "0":
			return "нет"
		}
	}
	return s
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func serial(s uint64) string {
	if s == 0 {
		return "—"
	}
	return strconv.FormatUint(s, 10)
}

// FormatTime writes a time in office time with its zone, as printed:
// "25.11.2026 10:00 MSK".
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("02.01.2006 15:04 MST")
}

// FormatTracking writes a tracking number as its 14 digits, "—" for none.
func FormatTracking(t uint64) string {
	if t == 0 {
		return "—"
	}
	return fmt.Sprintf("%014d", t)
}

// FormatRub writes kopecks as roubles the Russian way, thousands grouped
// with a space and a decimal comma: 143200 → "1 432,00".
func FormatRub(kop int64) string {
	sign := ""
	if kop < 0 {
		sign, kop = "-", -kop
	}
	rub := strconv.FormatInt(kop/100, 10)
	var b strings.Builder
	for i, c := range rub {
		if i > 0 && (len(rub)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s%s,%02d", sign, b.String(), kop%100)
}

var classNames = map[uint8]string{
	mark.ClassSimpleLetter:     "простое письмо",
	mark.ClassRegisteredLetter: "заказное письмо",
	mark.ClassPrintedMatter:    "заказная бандероль",
	mark.ClassPostcard:         "заказная карточка",
}

// ClassName is the mail class in words, "с уведомлением" added for notice
// of delivery.
func ClassName(class uint8, notice bool) string {
	n, ok := classNames[class]
	if !ok {
		n = "вид " + strconv.Itoa(int(class))
	}
	if notice {
		n += " с уведомлением"
	}
	return n
}

// pluralTimes is the word "раз" agreeing with n: 1 раз, 2 раза, 5 раз.
func pluralTimes(n int) string {
	if n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14) {
		return "раза"
	}
	return "раз"
}

// plural is the word "отправление" agreeing with n.
func plural(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 14:
		return "отправлений"
	case n%10 == 1:
		return "отправление"
	case n%10 >= 2 && n%10 <= 4:
		return "отправления"
	}
	return "отправлений"
}
