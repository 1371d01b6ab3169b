package batchlist

import (
	"errors"
	"testing"

	"markd/mark"
)

// Third spec audit (docs/notes/spec-audit.md): BATCH-LIST.md statements
// the other tables did not yet pin. The column rules are the spec's for
// the value, whichever form (CSV or JSON) carries it.
func TestSpecAuditValues(t *testing.T) {
	tr := specTracking(77)
	spaced := tr[:6] + " " + tr[6:13] + " " + tr[13:] // office, item, check digit
	for _, tc := range []struct {
		name  string
		data  string
		field string // "" = read
		want  Item   // Line is not compared
	}{
		// tracking: "14 digits; spaces inside are ignored", in JSON too
		{"JSON tracking with spaces inside", `{"items": [{"tracking": "` + spaced + `", "mail_class": 2, "weight_g": 20, "tariff_kop": 10500}]}`,
			"", Item{N: 1, Tracking: tr, MailClass: 2, WeightG: 20, TariffKop: 10500}},
		// mail_class: "1–4, or the Russian name", in JSON too
		{"JSON mail_class by its Russian name", `{"items": [{"tracking": "` + tr + `", "mail_class": "заказная бандероль", "weight_g": 250, "tariff_kop": 21500}]}`,
			"", Item{N: 1, Tracking: tr, MailClass: 3, WeightG: 250, TariffKop: 21500}},
		{"JSON mail_class 5", `{"items": [{"tracking": "` + tr + `", "mail_class": 5, "weight_g": 20, "tariff_kop": 10500}]}`, "mail_class", Item{}},
		// notice: "1/0, да/нет"
		{"JSON notice да", `{"items": [{"tracking": "` + tr + `", "mail_class": 2, "weight_g": 20, "tariff_kop": 21500, "notice": "да"}]}`,
			"", Item{N: 1, Tracking: tr, MailClass: 2, WeightG: 20, TariffKop: 21500, Notice: ptr(true)}},
		{"JSON notice 0", `{"items": [{"tracking": "` + tr + `", "mail_class": 2, "weight_g": 20, "tariff_kop": 10500, "notice": 0}]}`,
			"", Item{N: 1, Tracking: tr, MailClass: 2, WeightG: 20, TariffKop: 10500, Notice: ptr(false)}},
		// tariff_rub: "roubles with a decimal comma or point (105,00)"
		{"JSON tariff_rub with a point", `{"items": [{"mail_class": 1, "weight_g": 20, "tariff_rub": "50.00"}]}`,
			"", Item{N: 1, MailClass: 1, WeightG: 20, TariffKop: 5000}},
		// "Column names are matched case-insensitively, English or Russian,
		// in any order; unknown columns are ignored."
		{"CSV names in mixed case, Russian and English mixed", "мАССА, Г;Mail_Class;шпи;TARIFF_RUB;Серия ЗНАКА;№\n20;2;" + tr + ";105,00;7100000077;3\n",
			"", Item{N: 3, Tracking: tr, MailClass: 2, WeightG: 20, TariffKop: 10500, Serial: 7100000077}},
		{"CSV quoted names, ';' from the header", "\"tracking\";\"mail_class\";\"weight_g\";\"tariff_kop\"\n" + tr + ";2;20;10500\n",
			"", Item{N: 1, Tracking: tr, MailClass: 2, WeightG: 20, TariffKop: 10500}},
		{"CSV empty and unknown columns ignored", "tracking;;comment;mail_class;weight_g;tariff_kop;\n" + tr + ";;x;2;20;10500;\n",
			"", Item{N: 1, Tracking: tr, MailClass: 2, WeightG: 20, TariffKop: 10500}},
		// "Separator ; or , taken from the header row": a ',' header makes
		// an unquoted "105,00" two values, and the row is refused whole.
		{"CSV ',' header, unquoted roubles with a comma", "tracking,mail_class,weight_g,tariff_rub\n" + tr + ",2,20,105,00\n", "-", Item{}},
		// weight_g: "whole grams"
		{"CSV weight 0", "mail_class;weight_g;tariff_kop\n1;0;5000\n", "weight_g", Item{}},
		{"CSV weight with a decimal comma", "mail_class;weight_g;tariff_kop\n1;20,0;5000\n", "weight_g", Item{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse([]byte(tc.data))
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(l.Items) != 1 {
					t.Fatalf("items %+v", l.Items)
				}
				got := l.Items[0]
				got.Line = 0
				if got.Notice != nil && tc.want.Notice != nil && *got.Notice == *tc.want.Notice {
					got.Notice = tc.want.Notice
				}
				if got != tc.want {
					t.Fatalf("item %+v\nwant %+v", got, tc.want)
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, mark.ErrInvalid) || pe.Line < 1 {
				t.Fatalf("accepted or not a ParseError naming a line: %v (%+v)", err, l.Items)
			}
			if tc.field != "-" && pe.Field != tc.field {
				t.Errorf("refused naming field %q, want %q: %v", pe.Field, tc.field, err)
			}
			if len(l.Items) != 0 {
				t.Errorf("half-imported: %d items", len(l.Items))
			}
		})
	}
}
