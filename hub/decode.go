package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"markd/internal/jsonkey"
	"markd/mark"
)

// DecodeUpload decodes the body of POST /v1/upload into q as a strict
// encoding/json Decoder would (unknown fields refused, nothing but
// whitespace after the object), and refuses a key not spelt as its field
// (jsonkey.Exact: encoding/json reads "ID" as id): the records of an
// upload, most of the collector's decoding CPU, go through a parser
// without reflection that takes the form counters send (exact field
// names, each once, no null, integers as integers) and yields exactly what
// encoding/json yields (FuzzDecodeUploadSameAsJSON). Anything else, and
// every error, is decoded again by encoding/json, so errors and odd forms
// are answered as before.
func DecodeUpload(body []byte, q *UploadRequest) error {
	if decodeFast(body, q) { // bounded: it gives up past the limits
		return nil
	}
	*q = UploadRequest{}
	// encoding/json allocates every element before Validate counts them.
	if err := checkArrays(body); err != nil {
		return err
	}
	return decodeStd(body, q)
}

// decodeStd is encoding/json's decoding of an upload, with its errors.
func decodeStd(body []byte, q *UploadRequest) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(q); err != nil {
		return locate(body, jsonErr(err))
	}
	if dec.More() {
		return fmt.Errorf("body: trailing data after the JSON object: %w", mark.ErrInvalid)
	}
	return keyCase(body, q)
}

// keyCase refuses a key not spelt as its field ("ID" for id, "Serial" in
// a mark): encoding/json reads it as the field, and DisallowUnknownFields
// lets it by. It names the record, event or batch (the counter sets that
// one aside) and the field meant.
func keyCase(body []byte, v any) error {
	ke := jsonkey.Exact(body, v, jsonkey.Strict)
	if ke == nil {
		return nil
	}
	if ke.Path == "" {
		return fmt.Errorf("body: %s: %w", ke.Why(), mark.ErrInvalid)
	}
	return &FieldError{Field: ke.Path, Why: ke.Why()}
}

// locate names the record, event or batch that a decoding error is about
// (encoding/json's errors give a path without indexes, or none: "records.id",
// "unknown field", a bad time), so the answer says where and the counter
// can set that one aside; err as it is when no single element fails.
func locate(body []byte, err error) error {
	var parts map[string]json.RawMessage
	if json.Unmarshal(body, &parts) != nil {
		return err
	}
	lists := []struct {
		name string
		elem func() any
	}{{"records", func() any { return new(Record) }}, {"events", func() any { return new(Event) }},
		{"batches", func() any { return new(Batch) }}}
	for _, l := range lists {
		var elems []json.RawMessage
		if json.Unmarshal(parts[l.name], &elems) != nil {
			continue
		}
		for i, e := range elems {
			dec := json.NewDecoder(bytes.NewReader(e))
			dec.DisallowUnknownFields()
			err := dec.Decode(l.elem())
			if err == nil {
				continue
			}
			field := fmt.Sprintf("%s[%d]", l.name, i)
			if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) {
				if te.Field != "" {
					field += "." + te.Field
				}
				return &FieldError{Field: field, Why: fmt.Sprintf("wrong type: %s where %s was expected", te.Value, te.Type)}
			}
			if key := badTime(e); key != "" {
				field += "." + key
			}
			return &FieldError{Field: field, Why: strings.TrimPrefix(err.Error(), "json: ")}
		}
	}
	return err
}

// timeKeys are the keys of an upload's elements that hold a time.
var timeKeys = []string{"at", "opened_at", "closed_at"}

// badTime names the time of elem that is no RFC 3339 time string ("at",
// "first_accepted.at"), "" when none is: encoding/json's error for a bad
// time (time.Time's own) names no field, so the answer said only
// "records[0]" (red-team pass).
func badTime(elem json.RawMessage) string {
	var keys map[string]json.RawMessage
	if json.Unmarshal(elem, &keys) != nil {
		return ""
	}
	for _, k := range timeKeys {
		var t time.Time
		if v, ok := keys[k]; ok && t.UnmarshalJSON(v) != nil {
			return k
		}
	}
	if first, ok := keys["first_accepted"]; ok {
		if k := badTime(first); k != "" {
			return "first_accepted." + k
		}
	}
	return ""
}

// scanner is the fast path's cursor over the body. Strings are cut from
// src, one string copy of the whole body, so they cost no allocation
// each. Every method reports false for anything it does not take; the
// caller then gives up (encoding/json decides).
type scanner struct {
	b     []byte
	src   string
	i     int
	marks []mark.Fields // the records' marks, allocated at once
}

func decodeFast(body []byte, q *UploadRequest) bool {
	s := &scanner{b: body, src: string(body)}
	// Room for the records at once (a hint: every record of a counter has
	// one verdict), instead of growing the slice of large structs.
	hint := min(bytes.Count(body, []byte(`"verdict"`)), MaxRecords+1)
	s.marks = make([]mark.Fields, 0, hint)
	ok := s.fields([]string{"records", "events", "ack_alerts", "batches"}, func(i int) bool {
		switch i {
		case 0:
			if s.null() {
				return false
			}
			q.Records = make([]Record, 0, hint)
			return s.array(func() bool {
				if len(q.Records) == MaxRecords {
					return false // too many: checkArrays or Validate says so
				}
				q.Records = append(q.Records, Record{})
				return s.record(&q.Records[len(q.Records)-1])
			})
		case 1:
			return s.list(&q.Events)
		case 2:
			return s.list(&q.AckAlerts)
		default:
			return s.list(&q.Batches)
		}
	})
	if !ok {
		return false
	}
	s.ws()
	return s.i == len(s.b)
}

// std decodes one value with a strict encoding/json Decoder (the parts of
// a request that are rare or small: events, acknowledgements, batches),
// its keys spelt as their fields (jsonkey.Exact, as decodeStd).
func (s *scanner) std(v any) bool {
	s.ws()
	dec := json.NewDecoder(bytes.NewReader(s.b[s.i:]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false
	}
	end := s.i + int(dec.InputOffset())
	if jsonkey.Exact(s.b[s.i:end], v, jsonkey.Strict) != nil {
		return false // a key in another case: decodeStd names it
	}
	s.i = end
	return true
}

// list decodes one of the request's smaller lists with std, once its
// arrays are counted (checkArrays over the rest of the body: a counter
// sends them after the records, so little is left to count).
func (s *scanner) list(v any) bool {
	return checkArrays(s.b[s.i:]) == nil && s.std(v)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips whitespace and takes c.
func (s *scanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) null() bool {
	s.ws()
	return bytes.HasPrefix(s.b[s.i:], []byte("null"))
}

// object walks {"key": value, ...}: field is called with each key (no
// escapes) with the cursor before its value and decodes it.
func (s *scanner) object(field func(key []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		key, ok := s.key()
		if !ok || !s.next(':') {
			return false
		}
		if !field(key) {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next('}')
	}
}

// fields walks an object whose keys are names[i] (at most 64): set
// decodes the value of names[i]. A key twice gives up (encoding/json
// would decode the second into what the first left, merging objects), and
// so does any other key: encoding/json matches keys without regard to
// case, or refuses them.
func (s *scanner) fields(names []string, set func(i int) bool) bool {
	var seen uint64
	last := -1
	return s.object(func(key []byte) bool {
		// Keys come in the struct's order: look from the last one on.
		for k := range names {
			i := (last + 1 + k) % len(names)
			if names[i] == string(key) {
				last = i
				if seen&(1<<i) != 0 {
					return false
				}
				seen |= 1 << i
				return set(i)
			}
		}
		return false
	})
}

func (s *scanner) array(elem func() bool) bool {
	if !s.next('[') {
		return false
	}
	if s.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next(']')
	}
}

// key is an object key without escapes, then the cursor after it.
func (s *scanner) key() ([]byte, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// token is the raw string token (quotes included) at the cursor and
// whether it holds an escape or a byte that is not ASCII; the cursor
// goes after it. A control character ends it with false.
func (s *scanner) token() (start, end int, plain, ok bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return 0, 0, false, false
	}
	start, plain = s.i, true
	for j := start + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return start, j + 1, plain, true
		case c == '\\':
			plain = false
			j++ // the escaped byte; encoding/json checks the escape
		case c < 0x20:
			return 0, 0, false, false
		case c >= 0x80:
			plain = false
		}
	}
	return 0, 0, false, false
}

// str decodes a JSON string: plain ones are cut from src; one with
// escapes or other than ASCII goes through encoding/json (which also
// replaces invalid UTF-8 as it always does).
func (s *scanner) str(out *string) bool {
	start, end, plain, ok := s.token()
	if !ok {
		return false
	}
	if plain {
		*out = s.src[start+1 : end-1]
		return true
	}
	if raw := s.b[start+1 : end-1]; bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		*out = s.src[start+1 : end-1]
		return true
	}
	return json.Unmarshal(s.b[start:end], out) == nil
}

// time decodes a string into t with time.Time's own UnmarshalJSON, as
// encoding/json does.
func (s *scanner) time(t *time.Time) bool {
	start, end, _, ok := s.token()
	return ok && t.UnmarshalJSON(s.b[start:end]) == nil
}

// number is an integer literal (-?(0|[1-9][0-9]*)) followed by a
// delimiter; fractions and exponents give up (encoding/json refuses them
// for integer fields, with its own error).
func (s *scanner) number() (string, bool) {
	s.ws()
	start := s.i
	j := start
	if j < len(s.b) && s.b[j] == '-' {
		j++
	}
	d := j
	for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
		j++
	}
	if j == d || (s.b[d] == '0' && j > d+1) {
		return "", false
	}
	if j < len(s.b) {
		switch s.b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
		default:
			return "", false
		}
	}
	s.i = j
	return s.src[start:j], true
}

func (s *scanner) uint(bits int) (uint64, bool) { return integer(s, bits, strconv.ParseUint) }

func (s *scanner) int(bits int) (int64, bool) { return integer(s, bits, strconv.ParseInt) }

// uintTo reads an unsigned integer that fits in *dst (as many bits as T
// has) into *dst; a number out of T's range leaves *dst as it was.
func uintTo[T uint8 | uint16 | uint32 | uint64](s *scanner, dst *T) bool {
	n, ok := s.uint(bits.Len64(uint64(^T(0))))
	if ok {
		*dst = T(n)
	}
	return ok
}

// integer reads a number literal and parses it as a base-10 integer of
// bits bits (strconv.ParseInt or ParseUint).
func integer[T int64 | uint64](s *scanner, bits int, parse func(string, int, int) (T, error)) (T, bool) {
	lit, ok := s.number()
	if !ok {
		return 0, false
	}
	n, err := parse(lit, 10, bits)
	return n, err == nil
}

var recordFields = []string{"id", "at", "office", "counter", "operator", "source", "text", "verdict", "reasons", "mark",
	"measured_weight_g", "first_accepted", "versions", "review_state", "message",
	"at_offset", "at_zone", "at_zone_data"}

func (s *scanner) record(r *Record) bool {
	return s.fields(recordFields, func(i int) bool {
		switch i {
		case 0:
			return s.str(&r.ID)
		case 1:
			return s.time(&r.At)
		case 2:
			return uintTo(s, &r.Office)
		case 3:
			return s.str(&r.Counter)
		case 4:
			return s.str(&r.Operator)
		case 5:
			return s.str(&r.Source)
		case 6:
			return s.str(&r.Text)
		case 7:
			return s.str((*string)(&r.Verdict))
		case 8:
			if s.null() {
				return false
			}
			r.Reasons = []mark.Reason{}
			return s.array(func() bool {
				if len(r.Reasons) == len(mark.AllReasons) {
					return false // more than there are: Validate says so
				}
				r.Reasons = append(r.Reasons, "")
				return s.str((*string)(&r.Reasons[len(r.Reasons)-1]))
			})
		case 9:
			if s.null() {
				return false
			}
			if len(s.marks) < cap(s.marks) {
				s.marks = s.marks[:len(s.marks)+1]
				r.Mark = &s.marks[len(s.marks)-1]
			} else {
				r.Mark = new(mark.Fields)
			}
			return s.markFields(r.Mark)
		case 10:
			n, ok := s.int(strconv.IntSize)
			r.MeasuredWeightG = int(n)
			return ok
		case 11:
			if s.null() {
				return false
			}
			return s.std(&r.FirstAccepted)
		case 12:
			return s.fields(versionFields, func(i int) bool {
				switch i {
				case 0:
					return s.str(&r.Versions.Keyring)
				case 1:
					return s.str(&r.Versions.Tariffs)
				default:
					return s.str(&r.Versions.Revocations)
				}
			})
		case 13:
			return s.str((*string)(&r.Review))
		case 14:
			return s.str(&r.Message)
		case 15:
			if s.null() {
				return false
			}
			n, ok := s.int(32)
			off := int32(n)
			r.AtOffset = &off
			return ok
		case 16:
			return s.str(&r.AtZone)
		default:
			return s.str(&r.AtZoneData)
		}
	})
}

var versionFields = []string{"keyring", "tariffs", "revocations"}

var markFields = []string{"version", "alg", "key_id", "serial", "contract", "mail_class", "flags", "weight_g",
	"tariff_kop", "office", "issued", "valid_until", "tracking"}

func (s *scanner) markFields(f *mark.Fields) bool {
	return s.fields(markFields, func(i int) bool {
		switch i {
		case 0:
			return uintTo(s, &f.Version)
		case 1:
			return uintTo(s, &f.Alg)
		case 2:
			return uintTo(s, &f.KeyID)
		case 3:
			return uintTo(s, &f.Serial)
		case 4:
			return uintTo(s, &f.Contract)
		case 5:
			return uintTo(s, &f.MailClass)
		case 6:
			return uintTo(s, &f.Flags)
		case 7:
			return uintTo(s, &f.WeightG)
		case 8:
			return uintTo(s, &f.TariffKop)
		case 9:
			return uintTo(s, &f.Office)
		case 10:
			return s.str(&f.Issued)
		case 11:
			return s.str(&f.ValidUntil)
		default:
			return uintTo(s, &f.Tracking)
		}
	})
}
