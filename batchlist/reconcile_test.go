package batchlist

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"markd/issuer"
	"markd/verify"
)

// scansOf makes the scans a batch that matches l exactly would have.
func scansOf(l List) []Scanned {
	out := make([]Scanned, len(l.Items))
	for i, it := range l.Items {
		out[i] = Scanned{RecordID: fmt.Sprintf("r%d", i+1), Serial: it.Serial, Tracking: it.Tracking,
			MailClass: it.MailClass, WeightG: it.WeightG, TariffKop: it.TariffKop, Notice: it.Notice != nil && *it.Notice}
	}
	return out
}

// kinds is a compact view of diffs: kind, list number (or record id for
// EXTRA), want→got.
func kinds(ds []Diff) []string {
	var out []string
	for _, d := range ds {
		switch {
		case d.Item == nil:
			out = append(out, fmt.Sprintf("%s %s", d.Kind, d.Scan.RecordID))
		case d.Scan == nil:
			out = append(out, fmt.Sprintf("%s #%d", d.Kind, d.Item.N))
		default:
			out = append(out, fmt.Sprintf("%s #%d %s %s→%s", d.Kind, d.Item.N, d.Scan.RecordID, d.Want, d.Got))
		}
	}
	return out
}

func TestReconcile(t *testing.T) {
	l, err := Parse(readSample(t, "list.json"))
	if err != nil {
		t.Fatal(err)
	}
	extra := func(id string, serial uint64) Scanned {
		return Scanned{RecordID: id, Serial: serial, Tracking: "42600000000275", MailClass: 2, WeightG: 20, TariffKop: 10500}
	}
	for _, tc := range []struct {
		name   string
		list   func(*List)
		scans  func([]Scanned) []Scanned
		expect []string
	}{
		{"exact", nil, nil, nil},
		{"scan-order-does-not-matter", nil, func(s []Scanned) []Scanned {
			for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
				s[i], s[j] = s[j], s[i]
			}
			return s
		}, nil},
		{"issue-example: 3 missing, 2 extra, 1 wrong weight", nil, func(s []Scanned) []Scanned {
			s[8].WeightG = 60
			s = append(s[:1], s[4:]...) // items 2, 3, 4 not scanned
			return append(s, extra("x1", 7100000090), extra("x2", 7100000091))
		}, []string{"MISSING #2", "MISSING #3", "MISSING #4", "WEIGHT #9 r9 40→60", "EXTRA x1", "EXTRA x2"}},
		{"class, tariff, notice", nil, func(s []Scanned) []Scanned {
			s[0].MailClass = 4
			s[1].TariffKop = 10000
			s[5].Notice = false
			s[6].Notice = true
			return s
		}, []string{"CLASS #1 r1 2→4", "TARIFF #2 r2 10500→10000", "NOTICE #6 r6 1→0", "NOTICE #7 r7 0→1"}},
		{"notice not given is not compared", func(l *List) {
			l.Items[5].Notice = nil
		}, func(s []Scanned) []Scanned { s[5].Notice = false; return s }, nil},
		{"by tracking when no serial", func(l *List) {
			for i := range l.Items {
				if l.Items[i].Tracking != "" {
					l.Items[i].Serial = 0
				}
			}
		}, func(s []Scanned) []Scanned {
			s[0].Serial = 999                   // another mark on the same item: still item 1
			s[1].Tracking = "426000 00 00002 2" // spaces from the caller are ignored
			return s
		}, nil},
		{"serial wins over tracking", nil, func(s []Scanned) []Scanned {
			s[0].Serial = 999 // the listed mark 7100000001 was not scanned
			return s
		}, []string{"MISSING #1", "EXTRA r1"}},
		{"unpadded tracking from the caller", func(l *List) {
			l.Items[0].Serial = 0
		}, func(s []Scanned) []Scanned { s[0].Serial = 5; s[0].Tracking = "42600000000015"; return s }, nil},
		{"simple letters without keys match by class, weight, tariff", func(l *List) {
			l.Items[3].Serial = 0
			l.Items = append(l.Items, Item{N: 13, MailClass: 1, WeightG: 20, TariffKop: 5000}, Item{N: 14, MailClass: 1, WeightG: 40, TariffKop: 7000})
		}, func(s []Scanned) []Scanned {
			s[3].Serial = 500
			return append(s, Scanned{RecordID: "r13", Serial: 501, MailClass: 1, WeightG: 20, TariffKop: 5000})
		}, []string{"MISSING #14"}},
		{"a simple letter's mark with a tracking number the list left out", func(l *List) {
			l.Items[3].Serial = 0
		}, func(s []Scanned) []Scanned {
			s[3].Serial = 500
			s[3].Tracking = "42600000000992" // not on the list
			return s
		}, nil},
		{"anonymous items prefer scans without tracking", func(l *List) {
			l.Items = []Item{{N: 1, MailClass: 1, WeightG: 20, TariffKop: 5000}}
		}, func([]Scanned) []Scanned {
			return []Scanned{{RecordID: "with", Serial: 1, Tracking: "42600000000015", MailClass: 1, WeightG: 20, TariffKop: 5000},
				{RecordID: "without", Serial: 2, MailClass: 1, WeightG: 20, TariffKop: 5000}}
		}, []string{"EXTRA with"}},
		{"a scan matches once", nil, func(s []Scanned) []Scanned {
			dup := s[0]
			dup.RecordID = "again"
			return append(s, dup)
		}, []string{"EXTRA again"}},
		{"nothing scanned", nil, func([]Scanned) []Scanned { return nil },
			[]string{"MISSING #1", "MISSING #2", "MISSING #3", "MISSING #4", "MISSING #5", "MISSING #6", "MISSING #7", "MISSING #8", "MISSING #9", "MISSING #10", "MISSING #11", "MISSING #12"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ll := List{Contract: l.Contract, Items: append([]Item(nil), l.Items...)}
			scans := scansOf(ll)
			if tc.list != nil {
				tc.list(&ll)
			}
			if tc.scans != nil {
				scans = tc.scans(scans)
			}
			got := kinds(Reconcile(ll, scans))
			if !reflect.DeepEqual(got, tc.expect) {
				t.Errorf("diffs\n got %q\nwant %q", got, tc.expect)
			}
		})
	}
}

// toJSON writes a list in the spec's JSON form.
func toJSON(l List) []byte {
	type item struct {
		N         int    `json:"n"`
		Tracking  string `json:"tracking"`
		MailClass uint8  `json:"mail_class"`
		WeightG   int    `json:"weight_g"`
		TariffKop int64  `json:"tariff_kop"`
		Notice    *bool  `json:"notice,omitempty"`
		Serial    uint64 `json:"serial,omitempty"`
	}
	doc := struct {
		Contract uint32 `json:"contract,omitempty"`
		Items    []item `json:"items"`
	}{Contract: l.Contract}
	for _, it := range l.Items {
		doc.Items = append(doc.Items, item{it.N, it.Tracking, it.MailClass, it.WeightG, it.TariffKop, it.Notice, it.Serial})
	}
	b, _ := json.MarshalIndent(doc, "", " ")
	return b
}

// FuzzParse: any input is either a list whose every item obeys the spec
// (and survives a round trip through the JSON form, and reconciles with
// its own scans without a difference) or a *ParseError that names a line.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"list-utf8.csv", "list-cp1251.csv", "list.json"} {
		f.Add(readSample(f, name))
	}
	f.Add([]byte(hdr + "1;42600000000015;2;20;10500;да;1\n"))
	f.Add([]byte("mail_class,weight_g,tariff_rub\n1,20,\"50,00\"\n"))
	f.Add([]byte(`[{"mail_class": "заказное письмо", "tracking": 42600000000015, "weight_g": 20, "tariff_rub": "105,5"}]`))
	f.Add([]byte(`{"Contract": 5, "items": [{"mail_class": 1, "weight_g": 20, "tariff_kop": 5000, "Notice": true, "ſerial": 1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("not a *ParseError: %T %v", err, err)
			}
			if pe.Line < 1 || pe.Column < 0 || pe.Msg == "" || !utf8.ValidString(err.Error()) {
				t.Fatalf("bad error %+v", pe)
			}
			return
		}
		if len(l.Items) == 0 || len(l.Items) > MaxItems {
			t.Fatalf("%d items", len(l.Items))
		}
		for _, it := range l.Items {
			registered := it.MailClass >= 2
			if it.Line < 1 || it.N < 1 || it.MailClass < 1 || it.MailClass > 4 || it.WeightG < 1 || it.WeightG > 65535 ||
				it.TariffKop < 0 || it.TariffKop > maxKop || (registered && it.Tracking == "") ||
				(it.Notice != nil && *it.Notice && !registered) {
				t.Fatalf("item breaks the spec: %+v", it)
			}
			if it.Tracking != "" {
				var n uint64
				if _, err := fmt.Sscan(it.Tracking, &n); err != nil || len(it.Tracking) != 14 || !verify.ValidTracking(n) {
					t.Fatalf("bad tracking %q", it.Tracking)
				}
			}
		}
		again, err := Parse(toJSON(l))
		if err != nil {
			t.Fatalf("round trip refused: %v", err)
		}
		if again.Contract != l.Contract || !reflect.DeepEqual(withoutLines(again.Items), withoutLines(l.Items)) {
			t.Fatalf("round trip differs:\n%+v\n%+v", l, again)
		}
		if d := Reconcile(l, scansOf(l)); len(d) != 0 {
			t.Fatalf("a list differs from its own scans: %q", kinds(d))
		}
	})
}

// bigList is a CSV list of n registered letters (Russian headers, roubles)
// and the JSON form of the same list.
func bigList(n int) (csv, js []byte) {
	var b strings.Builder
	b.WriteString("№;ШПИ;Вид;Масса, г;Плата, руб;Уведомление;Серия знака\n")
	l := List{Contract: 1004417}
	for i := 1; i <= n; i++ {
		tr := fmt.Sprintf("%014d", issuer.Tracking(426000, uint64(i)))
		fmt.Fprintf(&b, "%d;%s %s %s %s;заказное письмо;20;105,00;нет;%d\n", i, tr[:6], tr[6:8], tr[8:13], tr[13:], 7100000000+i)
		no := false
		l.Items = append(l.Items, Item{N: i, Tracking: tr, MailClass: 2, WeightG: 20, TariffKop: 10500, Notice: &no, Serial: uint64(7100000000 + i)})
	}
	return []byte(b.String()), toJSON(l)
}

func BenchmarkParse1000(b *testing.B) {
	csv, js := bigList(1000)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"csv", csv}, {"json", js}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.data)))
			for b.Loop() {
				if _, err := Parse(tc.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReconcile1000(b *testing.B) {
	csv, _ := bigList(1000)
	l, err := Parse(csv)
	if err != nil {
		b.Fatal(err)
	}
	scans := scansOf(l)
	scans[10].WeightG = 40
	scans = append(scans[:20], scans[23:]...)
	for b.Loop() {
		if d := Reconcile(l, scans); len(d) != 4 {
			b.Fatalf("%d diffs", len(d))
		}
	}
}
