package hub

import (
	"errors"
	"strings"
	"testing"

	"markd/mark"
)

// TestCheckArrays: arrays of the limit pass, one more is refused naming
// the list (or the record's field), strings with brackets, commas and
// escaped quotes are skipped, and what is not JSON is left to
// encoding/json (no panic, no refusal).
func TestCheckArrays(t *testing.T) {
	n := func(elem string, k int) string { return strings.TrimSuffix(strings.Repeat(elem+",", k), ",") }
	for _, tt := range []struct {
		name, body, field string
	}{
		{"records at the limit", `{"records":[` + n("{}", maxArray) + `]}`, ""},
		{"records past it", `{"records":[` + n("{}", maxArray+1) + `]}`, "records"},
		{"ack_alerts past it", `{"records":[],"ack_alerts":[` + n("1", maxArray+1) + `]}`, "ack_alerts"},
		{"reasons past it", `{"records":[{},{"id":"x","reasons":[` + n(`""`, maxArray+1) + `]}]}`, "records[1].reasons"},
		{"commas in strings", `{"records":[{"text":"` + strings.Repeat(`,[{\",`, maxArray+1) + `"}]}`, ""},
		{"escaped backslash before a quote", `{"records":[{"text":"a\\\\"},` + n("{}", maxArray) + `]}`, "records"},
		{"a list's rest", `[` + n("{}", maxArray+1) + `],"batches":[]}`, "body"},
		{"not JSON: closers first", `]]]]}}[[[` + n("1", 20), ""},
		{"not JSON: cut in a string", `{"records":["abc`, ""},
		{"deeper than counted", strings.Repeat("[", 40) + n("1", maxArray+1), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := checkArrays([]byte(tt.body))
			var fe *FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, mark.ErrInvalid)):
				t.Fatalf("err = %v, want a field error on %s", err, tt.field)
			}
		})
	}
}

// FuzzCheckArrays: any body, no panic; a body it refuses has more than
// maxArray commas.
func FuzzCheckArrays(f *testing.F) {
	for _, s := range []string{`{"records":[{}]}`, `]]}[[`, `{"a":"\\"}`, `[[[[,,,]]]]`, `{"records":[{"reasons":["",""]}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := checkArrays(b); err != nil && strings.Count(string(b), ",") < maxArray {
			t.Fatalf("refused with %d commas: %v", strings.Count(string(b), ","), err)
		}
	})
}
