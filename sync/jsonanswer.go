package sync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"markd/hub"
	"markd/mark"
)

// decodeAnswer reads the JSON value of a 2xx answer on endpoint (what
// names the answer in errors) into v, at most hub.MaxBody bytes, and
// refuses data after it other than JSON whitespace: markhub writes one
// value, so a second one or the rest of something else (a proxy's page
// after it, two answers run together) is not its answer, and whatever the
// first value says is not taken. Every error is an outage
// (mark.ErrUnavailable): the request is tried again later, as for an
// answer that does not decode.
func decodeAnswer(body io.Reader, what, endpoint string, v any) error {
	lr := io.LimitReader(body, hub.MaxBody)
	dec := json.NewDecoder(lr)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s (%s): %w: %w", what, endpoint, mark.ErrUnavailable, err)
	}
	rest, err := io.ReadAll(io.MultiReader(dec.Buffered(), lr))
	if err != nil {
		return fmt.Errorf("%s (%s): %w: reading after the JSON value: %w", what, endpoint, mark.ErrUnavailable, err)
	}
	if i := bytes.IndexFunc(rest, func(c rune) bool { return c != ' ' && c != '\t' && c != '\n' && c != '\r' }); i >= 0 {
		return fmt.Errorf("%s (%s): %w: data after the JSON value at byte %d (%q): not markhub's answer (a proxy in between?)",
			what, endpoint, mark.ErrUnavailable, dec.InputOffset()+int64(i), rest[i:min(len(rest), i+40)])
	}
	return nil
}
