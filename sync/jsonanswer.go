package sync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"markd/hub"
	"markd/internal/jsonkey"
	"markd/mark"
)

// decodeAnswer reads the JSON value of a 2xx answer on endpoint (what
// names the answer in errors) into v, at most hub.MaxBody bytes, and
// refuses data after it other than JSON whitespace: markhub writes one
// value, so a second one or the rest of something else (a proxy's page
// after it, two answers run together) is not its answer, and whatever the
// first value says is not taken. A key that is one of v's in another
// letter case is refused too (caseKey). Every error is an outage
// (mark.ErrUnavailable): the request is tried again later, as for an
// answer that does not decode.
func decodeAnswer(body io.Reader, what, endpoint string, v any) error {
	raw, rerr := io.ReadAll(io.LimitReader(body, hub.MaxBody))
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		if rerr != nil { // the body broke off: say why rather than the JSON's end
			err = rerr
		}
		return fmt.Errorf("%s (%s): %w: %w", what, endpoint, mark.ErrUnavailable, err)
	}
	if rerr != nil {
		return fmt.Errorf("%s (%s): %w: reading after the JSON value: %w", what, endpoint, mark.ErrUnavailable, rerr)
	}
	off := dec.InputOffset()
	rest := raw[off:]
	if i := bytes.IndexFunc(rest, func(c rune) bool { return c != ' ' && c != '\t' && c != '\n' && c != '\r' }); i >= 0 {
		return fmt.Errorf("%s (%s): %w: data after the JSON value at byte %d (%q): not markhub's answer (a proxy in between?)",
			what, endpoint, mark.ErrUnavailable, off+int64(i), rest[i:min(len(rest), i+40)])
	}
	return caseKey(raw, what, endpoint, v)
}

// caseKey refuses an answer with a key that is one of v's field names in
// another letter case ("Items" for items): encoding/json reads it as that
// field, but markhub writes its keys as spelt, so it is not markhub's
// answer (a gateway that rewrote it, something else answering), and what
// it says is not taken. Keys the counter does not know at all are left
// alone (jsonkey.CaseOnly): a newer markhub may add some. An outage
// naming the endpoint and the key, as for an answer that does not decode.
func caseKey(raw []byte, what, endpoint string, v any) error {
	ke := jsonkey.Exact(raw, v, jsonkey.CaseOnly)
	if ke == nil {
		return nil
	}
	in := "at the top"
	if ke.Path != "" {
		in = "in " + ke.Path
	}
	return fmt.Errorf("%s (%s): %w: key %q %s is %q in another letter case: not markhub's answer (a proxy in between?)",
		what, endpoint, mark.ErrUnavailable, ke.Key, in, ke.Known)
}
