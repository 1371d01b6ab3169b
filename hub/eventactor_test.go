package hub

import (
	"errors"
	"strings"
	"testing"

	"markd/mark"
)

// TestEventActorChars: an upload's events[i].actor (a person's name on a
// review event) is held to the note's character rule without line breaks
// and tabs (webtext.BadNameChar): decoded as the collector decodes a body,
// a name with NUL (which was stored as U+FFFD), a control, bidirectional
// or zero width character, a line break, a tab or a byte that is not
// UTF-8 is refused on events[0].actor naming the position and the
// character. The counter's account names (letters, digits, '.', '_', '-',
// and api:<token name>) pass.
func TestEventActorChars(t *testing.T) {
	for _, c := range []struct {
		actor string // as in the JSON body
		want  string // in the error; "" when accepted
	}{
		{actor: `petrova`},
		{actor: `Петрова-2.ivan_x`},
		{actor: `api:kassa`},
		{actor: `boss\u0000`, want: "character 5 is U+0000 NUL"},
		{actor: `bo\u202Ess`, want: "character 3 is U+202E RIGHT-TO-LEFT OVERRIDE"},
		{actor: `\u200Bboss`, want: "character 1 is U+200B ZERO WIDTH SPACE"},
		{actor: `\u001B[31mboss`, want: "character 1 is U+001B"},
		{actor: `boss\nother`, want: "character 5 is U+000A LINE FEED"},
		{actor: `boss\r\nother`, want: "character 5 is U+000D CARRIAGE RETURN"},
		{actor: `bo\tss`, want: "character 3 is U+0009 CHARACTER TABULATION"},
		{actor: "b\xffoss", want: "character 2 is U+FFFD"}, // a byte not UTF-8 decodes to U+FFFD
		{actor: `boss\u2028`, want: "character 5 is U+2028 LINE SEPARATOR"},
	} {
		body := `{"records":[],"events":[{"id":1,"record_id":"r1","action":"override_accept","actor":"` + c.actor +
			`","at":"2026-11-24T09:00:00Z","note":"ok"}]}`
		var q UploadRequest
		if err := DecodeUpload([]byte(body), &q); err != nil {
			t.Fatalf("actor %q: decode: %v", c.actor, err)
		}
		err := q.Validate()
		if c.want == "" {
			if err != nil {
				t.Errorf("actor %q refused: %v", c.actor, err)
			}
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "events[0].actor" || !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("actor %q: %v, want invalid on events[0].actor saying %q", c.actor, err, c.want)
		}
	}
}
