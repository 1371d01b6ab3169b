package mark

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestHintAttr: a logged error with an operator hint carries hint=...; one
// without has no empty hint="" beside it.
func TestHintAttr(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string // "" = no hint in the line
	}{
		{fmt.Errorf("upload: %w", ErrUnavailable), ""},
		{WithHint(fmt.Errorf("upload: %w", ErrUnauthorized), "check sync.token"), `hint="check sync.token"`},
		{fmt.Errorf("poll: %w", WithHint(errors.New("refused"), "ask the region")), `hint="ask the region"`},
	} {
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Warn("upload failed", "err", tc.err, HintAttr(tc.err), "retry_in", "1s")
		line := buf.String()
		if tc.want == "" && strings.Contains(line, "hint") || tc.want != "" && !strings.Contains(line, tc.want) || !strings.Contains(line, "retry_in=1s") {
			t.Errorf("%v: %s want hint %q", tc.err, line, tc.want)
		}
	}
}
