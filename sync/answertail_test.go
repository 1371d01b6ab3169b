package sync

import (
	"context"
	"errors"
	"strings"
	"testing"

	"markd/hub"
	"markd/mark"
)

// TestAnswersTrailingData: over real HTTP from a real markhub, a page of
// used serials or of questions followed by anything but whitespace (a
// second JSON value, a proxy's page run on after it) is refused as an
// outage naming the endpoint and where the extra data starts; trailing
// whitespace is markhub's own newline and taken.
func TestAnswersTrailingData(t *testing.T) {
	ctx := context.Background()
	c, _, _ := uploadedCollector(t)
	var tail string
	cl := rewritingFront(t, c, func(body []byte) []byte { return append(body, tail...) })
	ask := askPages(ctx, cl)
	for _, tc := range []struct {
		name, tail string
		bad        bool
	}{
		{"whitespace", " \r\n\t\n", false},
		{"a second value", `{"items":[],"next":0,"done":true}`, true},
		{"a proxy's page", "\n<html><body>502 Bad Gateway</body></html>", true},
		{"a stray bracket", "]", true},
		{"a NUL", "\x00", true},
	} {
		for endpoint, get := range ask {
			t.Run(tc.name+" "+endpoint, func(t *testing.T) {
				tail = tc.tail
				err := get()
				switch {
				case !tc.bad && err != nil:
					t.Fatalf("taken before: %v", err)
				case tc.bad && (!errors.Is(err, mark.ErrUnavailable) || !strings.Contains(err.Error(), endpoint) ||
					!strings.Contains(err.Error(), "data after the JSON value at byte")):
					t.Fatalf("%v: want an outage naming %s and the data after the JSON value", err, endpoint)
				}
			})
		}
	}
}

// TestSerialsOfPastNext: a page of used serials naming a serial past its
// own next is refused naming the serial and the bound, as a page of
// questions with an item past its next is.
func TestSerialsOfPastNext(t *testing.T) {
	for _, tc := range []struct {
		name   string
		page   hub.SerialsPage
		cursor uint64
		want   string // "" = taken
	}{
		{"within", hub.SerialsPage{Office: 426000, Serials: []hub.UsedSerial{{Serial: 5}, {Serial: 7}}, Next: 7}, 2, ""},
		{"past next", hub.SerialsPage{Office: 426000, Serials: []hub.UsedSerial{{Serial: 5}, {Serial: 9}}, Next: 7}, 2,
			"serials[1].serial 9 is outside (2, 7]"},
		{"past next on the last page", hub.SerialsPage{Office: 426000, Serials: []hub.UsedSerial{{Serial: 9}}, Next: 3, Done: true}, 2,
			"serials[0].serial 9 is outside (2, 3]"},
		{"not after the cursor", hub.SerialsPage{Office: 426000, Serials: []hub.UsedSerial{{Serial: 2}}, Next: 7}, 2,
			"serials[0].serial 2 is outside (2, 7]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, next, err := serialsOf(&tc.page, tc.cursor)
			if tc.want == "" {
				if err != nil || len(rows) != len(tc.page.Serials) || next != tc.page.Next {
					t.Fatalf("%d rows, next %d, %v", len(rows), next, err)
				}
				return
			}
			if !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), tc.want) || rows != nil || next != tc.cursor {
				t.Fatalf("%v (next %d): want mark.ErrInvalid naming %q", err, next, tc.want)
			}
		})
	}
}
