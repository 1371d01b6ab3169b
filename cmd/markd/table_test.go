package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	in := `{"line":1,"verdict":"ACCEPT","reasons":[],"mark":{"serial":71,"mail_class":2,"weight_g":20,"tariff_kop":10500,"issued":"2026-11-20","valid_until":"2027-02-20"}}
{"line":2,"verdict":"REJECT","reasons":["EXPIRED","UNDERPAID"],"mark":{"serial":72,"mail_class":9,"weight_g":5,"tariff_kop":7,"issued":"2026-11-20","valid_until":"2027-02-20"}}
{"line":3,"verdict":"REJECT","reasons":["REUSED"],"first_accepted":{"at":"2026-11-25T10:00:00Z","counter":"A"}}
{"line":4,"verdict":"NOT_A_MARK","reasons":[]}
`
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--lang", "en", "--tz", "UTC"}, []string{"VERDICT", "ACCEPT", "registered letter", "105.00 RUB", "The mark has expired; Less than the tariff was paid",
			"class 9", "0.07 RUB", "first accepted 2026-11-25 10:00 at counter A", "Not a postage mark"}},
		// the office's zone by default, as on the pages; every column in Russian
		{[]string{"--lang", "ru"}, []string{"ВЕРДИКТ", "ПРИЧИНА", "ПРИНЯТЬ", "заказное письмо", "105,00 руб.", "20 г", "вид 9",
			"Срок действия марки истёк", "Марка уже использована; впервые принята 2026-11-25 13:00 на окне A", "Это не марка"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"table"}, tt.args...), strings.NewReader(in), &out, &errb)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if got := strings.Count(out.String(), "\n"); got != 5 {
				t.Fatalf("want header + 4 rows, got %d lines:\n%s", got, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestTableBadInput(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"table"}, strings.NewReader("{\"line\":1}\nnot json\n"), &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "line 2") {
		t.Fatalf("exit %d, stderr %q: want usage error naming line 2", code, errb.String())
	}
}
