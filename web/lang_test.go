package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

func TestParseDay(t *testing.T) {
	msk, _ := time.LoadLocation("Europe/Moscow")
	tests := []struct {
		in   string
		want string // yyyy-mm-dd, "" for an error
	}{
		{"25.11.2026", "2026-11-25"},
		{"2026-11-25", "2026-11-25"},
		{" 01.02.2026 ", "2026-02-01"},
		{"1.2.2026", "2026-02-01"},
		{"31.02.2026", ""},
		{"11/25/2026", ""},
		{"25.11.26", ""},
		{"", ""},
	}
	for _, tc := range tests {
		got, err := parseDay(tc.in, msk)
		if tc.want == "" {
			if err == nil || !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), "dd.mm.yyyy") {
				t.Errorf("parseDay(%q) = %v, %v; want an error naming dd.mm.yyyy", tc.in, got, err)
			}
			continue
		}
		if err != nil || got.Format(time.DateOnly) != tc.want || got.Location() != msk || got.Hour() != 0 {
			t.Errorf("parseDay(%q) = %v, %v; want %s 00:00 in the office zone", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParseDay: a day the parser accepts is shown as dd.mm.yyyy and reads
// back as the same day.
func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"25.11.2026", "2026-11-25", "1.2.2026", "31.02.2026", "0001-01-01", "99.99.9999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDay(s, time.UTC)
		if err != nil {
			return
		}
		shown := dayText(d.Format(time.DateOnly))
		back, err := parseDay(shown, time.UTC)
		if err != nil || !back.Equal(d) {
			t.Fatalf("%q → %v shown %q → %v %v", s, d, shown, back, err)
		}
	})
}

func TestAllowedActions(t *testing.T) {
	signed := testMark(1)
	tests := []struct {
		name              string
		rec               mark.Record
		confirm, override bool
		why               bool
	}{
		{"pending underpaid", mark.Record{Verdict: mark.Reject, Review: mark.ReviewPending, Mark: signed, Reasons: []mark.Reason{mark.ReasonUnderpaid}}, true, true, false},
		{"confirmed: may still be accepted", mark.Record{Verdict: mark.Reject, Review: mark.ReviewConfirmed, Mark: signed, Reasons: []mark.Reason{mark.ReasonExpired}}, false, true, false},
		{"overridden is final", mark.Record{Verdict: mark.Reject, Review: mark.ReviewOverridden, Mark: signed}, false, false, false},
		{"forged: no trusted serial", mark.Record{Verdict: mark.Reject, Review: mark.ReviewPending, Reasons: []mark.Reason{mark.ReasonBadSignature}}, true, false, true},
		{"reused: serial held", mark.Record{Verdict: mark.Reject, Review: mark.ReviewPending, Mark: signed, Reasons: []mark.Reason{mark.ReasonReused}}, true, false, true},
		{"accepted: nothing to review", mark.Record{Verdict: mark.Accept, Mark: signed}, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, o, why := allowedActions(tc.rec)
			if c != tc.confirm || o != tc.override || (why != nil) != tc.why {
				t.Fatalf("confirm %v override %v why %q; want %v %v why=%v", c, o, why, tc.confirm, tc.override, tc.why)
			}
		})
	}
}

func TestPageTexts(t *testing.T) {
	p := &page{Title: "Касса / Counter", Lang: "en"}
	if p.TitleRU() != "Касса" || p.TitleEN() != "Counter" || p.LocalTitle() != "Counter" {
		t.Errorf("title split: %q %q %q", p.TitleRU(), p.TitleEN(), p.LocalTitle())
	}
	if p := (&page{Title: "markd"}); p.TitleRU() != "markd" || p.TitleEN() != "markd" {
		t.Errorf("one-language title: %q %q", p.TitleRU(), p.TitleEN())
	}
	err := mark.WithHint(fmt.Errorf("override of r1: a note is required: %w", mark.ErrInvalid), "say why")
	msg, hint := pageError(err)
	if hint != "say why" || strings.Contains(msg, "say why") || !strings.Contains(msg, "a note is required") {
		t.Errorf("pageError: %q / %q: the hint must appear once, apart", msg, hint)
	}
	if got := statusTitle(http.StatusForbidden); got != "Нет доступа / Not allowed" {
		t.Errorf("statusTitle(403) = %q", got)
	}
}

// TestForbiddenPageInWords: an operator who opens a supervisor page gets
// a 403 page that says so in words, not the internal error.
func TestForbiddenPageInWords(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	c.login(opName, opPass)
	code, body := c.get("/review")
	if code != http.StatusForbidden {
		t.Fatalf("operator on /review: %d", code)
	}
	for _, want := range []string{`id="forbidden-role"`, "только для роли «супервизор»", "This page is for the supervisor role only",
		"Вы вошли как ivan (оператор)", `href="/" id="back"`} {
		if !strings.Contains(body, want) {
			t.Errorf("403 page lacks %q", want)
		}
	}
	if strings.Contains(body, "needs the supervisor role") {
		t.Error("403 page shows the internal error text")
	}
}

// TestNavCurrentPage: the nav marks the page you are on, filters or not.
func TestNavCurrentPage(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	c.login(supName, supPass)
	for path, link := range map[string]string{"/review?reason=UNDERPAID": `href="/review" aria-current="page"`,
		"/review/days": `href="/review/days" aria-current="page"`, "/": `href="/" aria-current="page"`} {
		if _, body := c.get(path); strings.Count(body, `aria-current="page"`) != 1 || !strings.Contains(body, link) {
			t.Errorf("%s: nav does not mark %s", path, link)
		}
	}
}
