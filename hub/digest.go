package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// digest identifies the content of a record apart from its review state,
// which a counter may resend changed after a supervisor's decision: the
// SHA-256 of its JSON as encoding/json writes it. Stored digests are
// compared with those of repeats, so the bytes hashed must never change;
// the common record is written by appendRecordJSON (the same bytes
// without reflection, ~4 µs a record less on the collector's upload
// path; TestRecordJSONSameAsMarshal), any other through encoding/json.
func digest(r *Record) string {
	c := *r
	c.Review = ""
	c.AtOffset, c.AtZone, c.AtZoneData = nil, "", "" // sent by newer counters only: a repeat without them is the same record
	b, ok := appendRecordJSON(make([]byte, 0, 768), &c)
	if !ok {
		b, _ = json.Marshal(&c)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// appendRecordJSON appends r as json.Marshal(r) writes it, or reports
// false when r holds what it leaves to encoding/json: a string JSON would
// escape (plainJSON), a time that is not a plain RFC 3339 one.
func appendRecordJSON(b []byte, r *Record) ([]byte, bool) {
	for _, s := range [...]string{r.ID, r.AtZone, r.AtZoneData, r.Counter, r.Operator, r.Source, r.Text, string(r.Verdict),
		r.Versions.Keyring, r.Versions.Tariffs, r.Versions.Revocations, string(r.Review), r.Message} {
		if !plainJSON(s) {
			return b, false
		}
	}
	for _, s := range r.Reasons {
		if !plainJSON(string(s)) {
			return b, false
		}
	}
	if !plainTime(r.At) {
		return b, false
	}
	if a := r.FirstAccepted; a != nil && (!plainTime(a.At) || !plainJSON(a.RecordID) || !plainJSON(a.Counter)) {
		return b, false
	}
	b = appendField(b, `{"id":`, r.ID)
	b = append(b, `,"at":"`...)
	b = append(r.At.AppendFormat(b, time.RFC3339Nano), '"')
	if r.AtOffset != nil {
		b = append(b, `,"at_offset":`...)
		b = strconv.AppendInt(b, int64(*r.AtOffset), 10)
	}
	if r.AtZone != "" {
		b = appendField(b, `,"at_zone":`, r.AtZone)
	}
	if r.AtZoneData != "" {
		b = appendField(b, `,"at_zone_data":`, r.AtZoneData)
	}
	b = append(b, `,"office":`...)
	b = strconv.AppendUint(b, uint64(r.Office), 10)
	b = appendField(b, `,"counter":`, r.Counter)
	if r.Operator != "" {
		b = appendField(b, `,"operator":`, r.Operator)
	}
	b = appendField(b, `,"source":`, r.Source)
	b = appendField(b, `,"text":`, r.Text)
	b = appendField(b, `,"verdict":`, string(r.Verdict))
	b = append(b, `,"reasons":`...)
	if r.Reasons == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range r.Reasons {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(append(append(b, '"'), s...), '"')
		}
		b = append(b, ']')
	}
	if r.Mark != nil {
		b = r.Mark.AppendJSON(append(b, `,"mark":`...))
	}
	if r.MeasuredWeightG != 0 {
		b = append(b, `,"measured_weight_g":`...)
		b = strconv.AppendInt(b, int64(r.MeasuredWeightG), 10)
	}
	if a := r.FirstAccepted; a != nil {
		b = appendField(b, `,"first_accepted":{"record_id":`, a.RecordID)
		b = append(b, `,"at":"`...)
		b = append(a.At.AppendFormat(b, time.RFC3339Nano), '"')
		b = append(b, `,"office":`...)
		b = strconv.AppendUint(b, uint64(a.Office), 10)
		b = appendField(b, `,"counter":`, a.Counter)
		b = append(b, '}')
	}
	b = appendField(b, `,"versions":{"keyring":`, r.Versions.Keyring)
	b = appendField(b, `,"tariffs":`, r.Versions.Tariffs)
	b = appendField(b, `,"revocations":`, r.Versions.Revocations)
	b = append(b, '}')
	if r.Review != "" {
		b = appendField(b, `,"review_state":`, string(r.Review))
	}
	if r.Message != "" {
		b = appendField(b, `,"message":`, r.Message)
	}
	return append(b, '}'), true
}

// plainJSON reports whether encoding/json writes s as is between quotes:
// no byte below 0x20, no quote, backslash or <, >, & (escaped for HTML),
// valid UTF-8 without U+2028 and U+2029 (escaped too). Operators' names
// and notes in Cyrillic are written as they are.
func plainJSON(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += n
	}
	return true
}

// appendField appends the key prefix and s, quoted; s is plainJSON.
func appendField(b []byte, key, s string) []byte {
	return append(append(append(append(b, key...), '"'), s...), '"')
}

// plainTime reports whether time.Time's MarshalJSON writes t as its
// RFC 3339 format with nanoseconds (a year of four digits, an offset of
// whole minutes); it fails on others or writes them otherwise.
func plainTime(t time.Time) bool {
	_, off := t.Zone()
	return t.Year() >= 0 && t.Year() <= 9999 && off%60 == 0
}
