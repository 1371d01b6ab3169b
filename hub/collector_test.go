package hub

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

func TestParseWaiting(t *testing.T) {
	for _, tt := range []struct {
		values []string
		want   int64 // -1: absent; -2: refused
	}{
		{nil, -1}, {[]string{"0"}, 0}, {[]string{"42"}, 42}, {[]string{" 7 "}, 7}, {[]string{"1099511627776"}, MaxWaiting},
		{[]string{"1099511627777"}, -2}, {[]string{"-1"}, -2}, {[]string{"x"}, -2}, {[]string{""}, -2}, {[]string{"1", "1"}, -2},
		{[]string{"0x10"}, -2}, {[]string{"1e3"}, -2},
	} {
		h := http.Header{}
		for _, v := range tt.values {
			h.Add(HeaderWaiting, v)
		}
		n, err := parseWaiting(h)
		var fe *FieldError
		switch {
		case tt.want == -2:
			if !errors.As(err, &fe) || fe.Field != HeaderWaiting || !errors.Is(err, mark.ErrInvalid) {
				t.Errorf("%q: %v %v, want a field error on %s", tt.values, n, err, HeaderWaiting)
			}
		case tt.want == -1:
			if n != nil || err != nil {
				t.Errorf("absent: %v %v", n, err)
			}
		case err != nil || n == nil || *n != tt.want:
			t.Errorf("%q: %v %v, want %d", tt.values, n, err, tt.want)
		}
	}
}

func TestWaitingToStore(t *testing.T) {
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	n := func(v int64) *int64 { return &v }
	for _, tt := range []struct {
		name  string
		t     Terminal
		v     *int64
		write bool
	}{
		{"not reported", Terminal{}, nil, false},
		{"first report", Terminal{}, n(0), true},
		{"unchanged, fresh", Terminal{Waiting: 5, WaitingAt: now.Add(-30 * time.Second)}, n(5), false},
		{"changed", Terminal{Waiting: 5, WaitingAt: now.Add(-30 * time.Second)}, n(6), true},
		{"unchanged, a minute old", Terminal{Waiting: 5, WaitingAt: now.Add(-time.Minute)}, n(5), true},
		{"stored in the future", Terminal{Waiting: 5, WaitingAt: now.Add(time.Hour)}, n(5), true},
	} {
		if got := waitingToStore(tt.t, tt.v, now); (got != nil) != tt.write {
			t.Errorf("%s: %v, want write %v", tt.name, got, tt.write)
		}
	}
}

func FuzzParseWaiting(f *testing.F) {
	for _, s := range []string{"0", "17", " 3 ", "-1", "x", "99999999999999999999", "1099511627776"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseWaiting(http.Header{HeaderWaiting: {s}})
		if err != nil {
			return
		}
		if n == nil || *n < 0 || *n > MaxWaiting {
			t.Fatalf("%q accepted as %v", s, n)
		}
	})
}

// FuzzRefusal: whatever field a refusal names, describing it never fails
// and names a record only when the field is records[i] of the request.
func FuzzRefusal(f *testing.F) {
	for _, s := range []string{"records[0].office", "records[1]", "records[", "records[]", "records[-1].at", "batches[0].id", "", "records[99999999999999999999]"} {
		f.Add(s, 400)
	}
	q := &UploadRequest{Records: []Record{okRecord(), okRecord()}}
	q.Records[1].ID = "r2"
	f.Fuzz(func(t *testing.T, field string, status int) {
		var err error = &FieldError{Field: field, Why: strings.Repeat("é", 600)}
		if status == 403 {
			err = &FieldError{Field: field, Why: "x", Err: mark.ErrForbidden}
		}
		r, ok := refusal("t", q, err, time.Unix(0, 0))
		if !ok {
			t.Fatalf("%q: a 400 not kept", field)
		}
		if len(r.Why) > maxRefusedWhy+len("…") || !utf8Valid(r.Why) {
			t.Fatalf("why of %d bytes, valid %v", len(r.Why), utf8Valid(r.Why))
		}
		if r.RecordID != "" && !strings.HasPrefix(field, "records[") {
			t.Fatalf("%q names record %q", field, r.RecordID)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestRefusalKinds(t *testing.T) {
	q := &UploadRequest{Records: []Record{okRecord()}}
	for _, tt := range []struct {
		err  error
		keep bool
		rec  string
	}{
		{&FieldError{Field: "records[0].office", Why: "other office"}, true, "r1"},
		{&FieldError{Field: "records[3].office", Why: "no such row"}, true, ""},
		{SameRecordError(0, "r1"), true, "r1"},
		{mark.WithHint(noOffice, "set it"), true, ""},
		{Unavailable("commit", errors.New("down")), false, ""},
		{errors.New("internal"), false, ""},
	} {
		r, ok := refusal("t", q, tt.err, time.Unix(0, 0))
		if ok != tt.keep || (ok && r.RecordID != tt.rec) {
			t.Errorf("%v: kept %v record %q, want %v %q", tt.err, ok, r.RecordID, tt.keep, tt.rec)
		}
	}
}

// noOffice is a 403 like checkOffices' for a terminal without office.
var noOffice = &FieldError{Field: "", Why: "terminal has no office set", Err: mark.ErrForbidden}
