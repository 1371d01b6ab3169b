package batchlist

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"markd/issuer"
	"markd/mark"
)

// Tests that hold Parse and Reconcile to BATCH-LIST.md statement by
// statement, with lists made here from the spec (not the shared samples):
// other offices' tracking numbers, other serials, other orders.

// specTracking is a valid tracking number of office 101000 as the list
// writes it.
func specTracking(item uint64) string { return fmt.Sprintf("%014d", issuer.Tracking(101000, item)) }

func cp1251(t *testing.T, s string) string {
	t.Helper()
	out, err := charmap.Windows1251.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSpecCSV: every CSV statement of BATCH-LIST.md, each with a list that
// must be read to the same items.
func TestSpecCSV(t *testing.T) {
	t1, t2, t3 := specTracking(1), specTracking(2), specTracking(3)
	yes, no := ptr(true), ptr(false)
	want := []Item{
		{N: 1, Tracking: t1, MailClass: 2, WeightG: 20, TariffKop: 10500, Notice: no, Serial: 9100000001},
		{N: 2, MailClass: 1, WeightG: 40, TariffKop: 7000, Notice: no, Serial: 9100000002},
		{N: 3, Tracking: t2, MailClass: 3, WeightG: 250, TariffKop: 21500, Notice: yes, Serial: 9100000003},
		{N: 4, Tracking: t3, MailClass: 4, WeightG: 20, TariffKop: 20000, Notice: yes, Serial: 9100000004},
	}
	spaced := func(tr string) string { return tr[:6] + " " + tr[6:8] + " " + tr[8:13] + " " + tr[13:] }
	en := "n;tracking;mail_class;weight_g;tariff_kop;notice;serial\n" +
		"1;" + t1 + ";2;20;10500;0;9100000001\n" +
		"2;;1;40;7000;0;9100000002\n" +
		"3;" + t2 + ";3;250;21500;1;9100000003\n" +
		"4;" + t3 + ";4;20;20000;1;9100000004\n"
	ruUpper := "СЕРИЯ ЗНАКА;УВЕДОМЛЕНИЕ;ПЛАТА, РУБ;МАССА, Г;ВИД;ШПИ;№\n" +
		"9100000001;НЕТ;105,00;20;ЗАКАЗНОЕ ПИСЬМО;" + spaced(t1) + ";1\n" +
		"9100000002;Нет;70.00;40;Простое письмо;;2\n" +
		"9100000003;ДА;215,00;250;заказная бандероль;" + t2 + ";3\n" +
		"9100000004;да;200.00;20;Заказная карточка;" + spaced(t3) + ";4\n"
	ruComma := "\"№\",\"шпи\",\"вид\",\"масса, г\",\"плата, коп\",\"уведомление\",\"серия знака\",\"Получатель\"\n" +
		"1," + t1 + ",заказное письмо,20,10500,нет,9100000001,\"Иванов, И. И.\"\n" +
		"2,,простое письмо,40,7000,нет,9100000002,Петров\n" +
		"3,\"" + spaced(t2) + "\",заказная бандероль,250,21500,да,9100000003,\n" +
		"4," + t3 + ",заказная карточка,20,20000,да,9100000004,x\n"
	for _, tc := range []struct {
		name, data string
	}{
		{"header first, separator ';' from it, English names", en},
		{"separator ',' from the header", strings.ReplaceAll(en, ";", ",")},
		{"UTF-8 with a BOM", "\uFEFF" + en},
		{"CRLF line ends", strings.ReplaceAll(en, "\n", "\r\n")},
		{"English names in any case and order, unknown column ignored",
			"SERIAL;Notice;Comment;WEIGHT_G;Tariff_Kop;Mail_Class;TRACKING;N\n" +
				"9100000001;0;a;20;10500;2;" + t1 + ";1\n" +
				"9100000002;0;;40;7000;1;;2\n" +
				"9100000003;1;b;250;21500;3;" + t2 + ";3\n" +
				"9100000004;1;c;20;20000;4;" + t3 + ";4\n"},
		{"Russian names upper case, reordered, roubles with comma and point, spaces in tracking", ruUpper},
		{"Russian names lower case, ',' with quoted names, class names, unknown column", ruComma},
		{"Windows-1251, Russian", cp1251(t, ruUpper)},
		{"Windows-1251, Russian, ','", cp1251(t, ruComma)},
		{"UTF-8 BOM, Russian", "\uFEFF" + ruUpper},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse([]byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if got := withoutLines(l.Items); !reflect.DeepEqual(got, want) {
				t.Errorf("items differ:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestSpecCSVColumns: the required column and value rules of the table,
// on both sides of each.
func TestSpecCSVColumns(t *testing.T) {
	tr := specTracking(42)
	ok := func(header, row string) string { return header + "\n" + row + "\n" }
	for _, tc := range []struct {
		name   string
		data   string
		field  string // "" = accepted
		expect func(Item) bool
	}{
		// tracking: required except for simple letters (class 1)
		{"class 1 without tracking", ok("mail_class;weight_g;tariff_kop", "1;20;5000"), "", func(it Item) bool { return it.Tracking == "" }},
		{"class 1 with tracking (kept)", ok("tracking;mail_class;weight_g;tariff_kop", tr+";1;20;5000"), "", func(it Item) bool { return it.Tracking == tr }},
		{"class 2 without tracking", ok("tracking;mail_class;weight_g;tariff_kop", ";2;20;10500"), "tracking", nil},
		{"class 3 without tracking column", ok("mail_class;weight_g;tariff_kop", "3;100;17000"), "tracking", nil},
		{"class 4 without tracking", ok("ШПИ;Вид;Масса, г;Плата, коп", ";заказная карточка;20;9000"), "tracking", nil},
		// tracking: 14 digits, spaces inside ignored
		{"tracking 14 digits with spaces", ok("tracking;mail_class;weight_g;tariff_kop", tr[:3]+" "+tr[3:]+";2;20;10500"), "", func(it Item) bool { return it.Tracking == tr }},
		{"tracking 13 digits", ok("tracking;mail_class;weight_g;tariff_kop", tr[:13]+";2;20;10500"), "tracking", nil},
		{"tracking 15 digits", ok("tracking;mail_class;weight_g;tariff_kop", tr+"0;2;20;10500"), "tracking", nil},
		// mail_class: required, 1–4 or the Russian name
		{"class 1", ok("mail_class;weight_g;tariff_kop", "1;20;5000"), "", func(it Item) bool { return it.MailClass == 1 }},
		{"class 4", ok("tracking;mail_class;weight_g;tariff_kop", tr+";4;20;9000"), "", func(it Item) bool { return it.MailClass == 4 }},
		{"class 0", ok("tracking;mail_class;weight_g;tariff_kop", tr+";0;20;9000"), "mail_class", nil},
		{"class 5", ok("tracking;mail_class;weight_g;tariff_kop", tr+";5;20;9000"), "mail_class", nil},
		{"no class column", ok("tracking;weight_g;tariff_kop", tr+";20;9000"), "mail_class", nil},
		{"простое письмо", ok("Вид;Масса, г;Плата, коп", "простое письмо;20;5000"), "", func(it Item) bool { return it.MailClass == 1 }},
		{"заказное письмо", ok("ШПИ;Вид;Масса, г;Плата, коп", tr+";заказное письмо;20;10500"), "", func(it Item) bool { return it.MailClass == 2 }},
		{"заказная бандероль", ok("ШПИ;Вид;Масса, г;Плата, коп", tr+";заказная бандероль;100;17000"), "", func(it Item) bool { return it.MailClass == 3 }},
		{"заказная карточка", ok("ШПИ;Вид;Масса, г;Плата, коп", tr+";заказная карточка;20;9000"), "", func(it Item) bool { return it.MailClass == 4 }},
		// weight_g: required, whole grams
		{"weight 1", ok("mail_class;weight_g;tariff_kop", "1;1;5000"), "", func(it Item) bool { return it.WeightG == 1 }},
		{"weight 65535", ok("mail_class;weight_g;tariff_kop", "1;65535;5000"), "", func(it Item) bool { return it.WeightG == 65535 }},
		{"weight not whole", ok("mail_class;weight_g;tariff_kop", "1;20.5;5000"), "weight_g", nil},
		{"no weight column", ok("mail_class;tariff_kop", "1;5000"), "weight_g", nil},
		// tariff: one of tariff_kop, tariff_rub
		{"tariff_kop only", ok("mail_class;weight_g;tariff_kop", "1;20;5000"), "", func(it Item) bool { return it.TariffKop == 5000 }},
		{"tariff_rub only, comma", ok("mail_class;weight_g;tariff_rub", "1;20;50,00"), "", func(it Item) bool { return it.TariffKop == 5000 }},
		{"tariff_rub only, point", ok("mail_class;weight_g;tariff_rub", "1;20;50.01"), "", func(it Item) bool { return it.TariffKop == 5001 }},
		{"Плата, руб in a ',' list, quoted", ok("Вид,\"Масса, г\",\"Плата, руб\"", "1,20,\"105,00\""), "", func(it Item) bool { return it.TariffKop == 10500 }},
		{"neither tariff column", ok("mail_class;weight_g", "1;20"), "tariff_kop", nil},
		{"kopecks not whole", ok("mail_class;weight_g;tariff_kop", "1;20;50,5"), "tariff_kop", nil},
		// notice: optional, 1/0, да/нет
		{"notice absent", ok("mail_class;weight_g;tariff_kop", "1;20;5000"), "", func(it Item) bool { return it.Notice == nil }},
		{"notice 1", ok("tracking;mail_class;weight_g;tariff_kop;notice", tr+";2;20;21500;1"), "", func(it Item) bool { return it.Notice != nil && *it.Notice }},
		{"notice да", ok("tracking;mail_class;weight_g;tariff_kop;Уведомление", tr+";2;20;21500;да"), "", func(it Item) bool { return it.Notice != nil && *it.Notice }},
		{"notice 0", ok("tracking;mail_class;weight_g;tariff_kop;notice", tr+";2;20;10500;0"), "", func(it Item) bool { return it.Notice != nil && !*it.Notice }},
		{"notice нет", ok("tracking;mail_class;weight_g;tariff_kop;Уведомление", tr+";2;20;10500;нет"), "", func(it Item) bool { return it.Notice != nil && !*it.Notice }},
		{"notice 2", ok("tracking;mail_class;weight_g;tariff_kop;notice", tr+";2;20;10500;2"), "notice", nil},
		// n and serial: optional
		{"n given", ok("№;mail_class;weight_g;tariff_kop", "17;1;20;5000"), "", func(it Item) bool { return it.N == 17 }},
		{"n absent: position", ok("mail_class;weight_g;tariff_kop", "1;20;5000"), "", func(it Item) bool { return it.N == 1 }},
		{"serial given", ok("Серия знака;mail_class;weight_g;tariff_kop", "18446744073709551615;1;20;5000"), "", func(it Item) bool { return it.Serial == 1<<64-1 }},
		{"serial absent", ok("mail_class;weight_g;tariff_kop", "1;20;5000"), "", func(it Item) bool { return it.Serial == 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse([]byte(tc.data))
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(l.Items) != 1 || !tc.expect(l.Items[0]) {
					t.Fatalf("items %+v", l.Items)
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("accepted or not a ParseError: %v (%+v)", err, l.Items)
			}
			if pe.Field != tc.field || pe.Line < 1 {
				t.Errorf("refused at line %d column %d field %q, want field %q: %v", pe.Line, pe.Column, pe.Field, tc.field, err)
			}
			if len(l.Items) != 0 {
				t.Errorf("half-imported: %d items", len(l.Items))
			}
		})
	}
}

// TestSpecRefusedWhole: a list that cannot be read is refused whole,
// naming line and column, however far into it the fault is.
func TestSpecRefusedWhole(t *testing.T) {
	var b strings.Builder
	b.WriteString("Вид;ШПИ;Масса, г;Плата, коп\n")
	for i := uint64(1); i <= 500; i++ {
		fmt.Fprintf(&b, "2;%s;20;10500\n", specTracking(i))
	}
	b.WriteString("2;" + specTracking(501) + ";двадцать;10500\n")
	for _, data := range []string{b.String(), cp1251(t, b.String())} {
		l, err := Parse([]byte(data))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 502 || pe.Column != 3 || pe.Field != "weight_g" {
			t.Fatalf("got %v", err)
		}
		if len(l.Items) != 0 {
			t.Fatalf("half-imported: %d items", len(l.Items))
		}
	}
}

// TestSpecJSON: the spec's JSON example as written, and the same keys
// with another list's values.
func TestSpecJSON(t *testing.T) {
	example := `{"contract": 1004417,
 "items": [{"n": 1, "tracking": "42600000000015", "mail_class": 2, "weight_g": 20,
            "tariff_kop": 10500, "notice": false, "serial": 7100000001}]}`
	l, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	want := List{Contract: 1004417, Items: []Item{{Line: 2, N: 1, Tracking: "42600000000015", MailClass: 2, WeightG: 20, TariffKop: 10500, Notice: ptr(false), Serial: 7100000001}}}
	if !reflect.DeepEqual(l, want) {
		t.Fatalf("got %+v\nwant %+v", l, want)
	}

	other := fmt.Sprintf(`{"contract": 4294967295, "items": [
  {"n": 7, "tracking": "%s", "mail_class": 3, "weight_g": 2000, "tariff_rub": "550,00", "notice": true, "serial": 18446744073709551615},
  {"n": 8, "mail_class": 1, "weight_g": 1, "tariff_kop": 5000}
]}`, specTracking(9))
	l, err = Parse([]byte(other))
	if err != nil {
		t.Fatal(err)
	}
	want = List{Contract: 4294967295, Items: []Item{
		{Line: 2, N: 7, Tracking: specTracking(9), MailClass: 3, WeightG: 2000, TariffKop: 55000, Notice: ptr(true), Serial: 1<<64 - 1},
		{Line: 3, N: 8, MailClass: 1, WeightG: 1, TariffKop: 5000},
	}}
	if !reflect.DeepEqual(l, want) {
		t.Fatalf("got %+v\nwant %+v", l, want)
	}
}

// TestSpecReconcile: matching by serial when the list gives one, else by
// tracking, and each kind of difference on its own.
func TestSpecReconcile(t *testing.T) {
	t1, t2 := specTracking(1), specTracking(2)
	item := func(n int, serial uint64, tracking string) Item {
		return Item{N: n, Serial: serial, Tracking: tracking, MailClass: 2, WeightG: 20, TariffKop: 10500, Notice: ptr(false)}
	}
	scan := func(id string, serial uint64, tracking string) Scanned {
		return Scanned{RecordID: id, Serial: serial, Tracking: tracking, MailClass: 2, WeightG: 20, TariffKop: 10500}
	}
	for _, tc := range []struct {
		name   string
		items  []Item
		scans  []Scanned
		expect []string
	}{
		{"by serial", []Item{item(1, 91, t1)}, []Scanned{scan("a", 91, t1)}, nil},
		{"by serial, the tracking number not compared", []Item{item(1, 91, t1)}, []Scanned{scan("a", 91, t2)}, nil},
		{"the serial given: no match by tracking", []Item{item(1, 91, t1)}, []Scanned{scan("a", 92, t1)}, []string{"MISSING #1", "EXTRA a"}},
		{"no serial: by tracking", []Item{item(1, 0, t1)}, []Scanned{scan("a", 93, t1)}, nil},
		{"no serial: other tracking", []Item{item(1, 0, t1)}, []Scanned{scan("a", 93, t2)}, []string{"MISSING #1", "EXTRA a"}},
		{"serial beats tracking of another scan", []Item{item(1, 91, t1)}, []Scanned{scan("a", 92, t1), scan("b", 91, t2)}, []string{"EXTRA a"}},
		{"not scanned", []Item{item(1, 91, t1), item(2, 0, t2)}, nil, []string{"MISSING #1", "MISSING #2"}},
		{"class", []Item{item(1, 91, t1)}, []Scanned{func() Scanned { s := scan("a", 91, t1); s.MailClass = 3; return s }()}, []string{"CLASS #1 a 2→3"}},
		{"weight", []Item{item(1, 91, t1)}, []Scanned{func() Scanned { s := scan("a", 91, t1); s.WeightG = 21; return s }()}, []string{"WEIGHT #1 a 20→21"}},
		{"tariff", []Item{item(1, 91, t1)}, []Scanned{func() Scanned { s := scan("a", 91, t1); s.TariffKop = 10499; return s }()}, []string{"TARIFF #1 a 10500→10499"}},
		{"notice", []Item{item(1, 91, t1)}, []Scanned{func() Scanned { s := scan("a", 91, t1); s.Notice = true; return s }()}, []string{"NOTICE #1 a 0→1"}},
		{"all four", []Item{item(1, 0, t1)}, []Scanned{{RecordID: "a", Serial: 5, Tracking: t1, MailClass: 3, WeightG: 100, TariffKop: 30000, Notice: true}},
			[]string{"CLASS #1 a 2→3", "WEIGHT #1 a 20→100", "TARIFF #1 a 10500→30000", "NOTICE #1 a 0→1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := kinds(Reconcile(List{Items: tc.items}, tc.scans))
			if strings.Join(got, "|") != strings.Join(tc.expect, "|") {
				t.Errorf("got %q, want %q", got, tc.expect)
			}
		})
	}
}
