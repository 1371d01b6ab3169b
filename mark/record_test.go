package mark

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestSourceHealthSinceOmittedWhenUnknown: a source that has not changed
// state yet (the reuse history before its first answer) has no "since" in
// /healthz, rather than "0001-01-01T00:00:00Z".
func TestSourceHealthSinceOmittedWhenUnknown(t *testing.T) {
	at := time.Date(2027, 3, 1, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    SourceHealth
		want string // "" = no since
	}{
		{SourceHealth{Name: "reuse history"}, ""},
		{SourceHealth{Name: "stdin", Up: true, Since: at}, `"since":"2027-03-01T09:30:00Z"`},
	} {
		b, err := json.Marshal(tc.h)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" && strings.Contains(string(b), "since") || tc.want != "" && !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %s, want since %q", tc.h.Name, b, tc.want)
		}
	}
}
