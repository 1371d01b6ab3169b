package hub

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"markd/mark"
)

func digestRecord() Record {
	f := mark.Fields{Version: 1, Alg: 1, KeyID: 1, Serial: 7100000001, Contract: 1004417, MailClass: 2, WeightG: 20,
		TariffKop: 10500, Office: 426000, Issued: "2026-11-20", ValidUntil: "2027-02-20", Tracking: 42600000000015}
	return Record{ID: "0192f0a0-1234-7abc-8def-000000000001", At: time.Date(2026, 11, 25, 7, 0, 0, 123456789, time.UTC),
		Office: 426000, Counter: "1", Operator: "ivan", Source: "stdin", Text: "EPM1:AEAQAAIAAAAADJZRM4AQAD2TQ",
		Verdict: mark.Accept, Reasons: []mark.Reason{}, Mark: &f, MeasuredWeightG: 19,
		Versions: mark.Versions{Keyring: "k1", Tariffs: "t1", Revocations: "none"}}
}

// TestRecordJSONSameAsMarshal: the digest's hand-written JSON is
// json.Marshal's, byte for byte, for the records it writes; the others
// fall back to encoding/json (the digests of stored records must not
// change).
func TestRecordJSONSameAsMarshal(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	tests := []struct {
		name string
		edit func(r *Record)
		fast bool
	}{
		{"accepted", func(r *Record) {}, true},
		{"rejected, reviewed, message", func(r *Record) {
			r.Verdict, r.Reasons, r.Review, r.Message = mark.Reject, []mark.Reason{mark.ReasonUnderpaid, mark.ReasonExpired}, mark.ReviewPending, "a note"
		}, true},
		{"not a mark, no operator, no weight", func(r *Record) {
			r.Verdict, r.Mark, r.Operator, r.MeasuredWeightG, r.Text = mark.NotAMark, nil, "", 0, "4600000000001"
		}, true},
		{"nil reasons", func(r *Record) { r.Reasons = nil }, true},
		{"first accepted", func(r *Record) {
			r.FirstAccepted = &mark.Acceptance{RecordID: "x-1", At: time.Date(2026, 1, 2, 3, 4, 5, 0, msk), Office: 101000, Counter: "2"}
		}, true},
		{"time in a zone, no nanoseconds", func(r *Record) { r.At = time.Date(2026, 11, 25, 10, 0, 0, 0, msk) }, true},
		{"negative weight", func(r *Record) { r.MeasuredWeightG = -5 }, true},
		{"the offset judged by", func(r *Record) { o := int32(5 * 3600); r.AtOffset, r.AtZone = &o, "Asia/Yekaterinburg" }, true},
		{"the offset and its zone data", func(r *Record) {
			o := int32(5 * 3600)
			r.AtOffset, r.AtZone, r.AtZoneData = &o, "Asia/Yekaterinburg", "system 2025b"
		}, true},
		{"zone data with a quote", func(r *Record) { o := int32(0); r.AtOffset, r.AtZoneData = &o, `"` }, false},
		{"a negative offset, no zone", func(r *Record) { o := int32(-16200); r.AtOffset = &o }, true},
		{"zone with a quote", func(r *Record) { o := int32(0); r.AtOffset, r.AtZone = &o, `"` }, false},
		{"text with < and &", func(r *Record) { r.Text = "a<b&c" }, false},
		{"text not ASCII", func(r *Record) { r.Message, r.Operator = "вес ✓ 😀", "Иванова" }, true},
		{"invalid UTF-8", func(r *Record) { r.Message = "a\xffb" }, false},
		{"line separator", func(r *Record) { r.Message = "a\u2028b" }, false},
		{"paragraph separator", func(r *Record) { r.Operator = "\u2029" }, false},
		{"DEL", func(r *Record) { r.Text = "a\x7f" }, true},
		{"control", func(r *Record) { r.Text = "a\tb" }, false},
		{"text with a quote", func(r *Record) { r.Counter = `"` }, false},
		{"year 10000", func(r *Record) { r.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, false},
		{"offset with seconds", func(r *Record) { r.At = time.Date(1900, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", 9017)) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := digestRecord()
			tt.edit(&r)
			sameAsMarshal(t, &r, tt.fast)
		})
	}
}

func sameAsMarshal(t *testing.T, r *Record, fast bool) {
	t.Helper()
	got, ok := appendRecordJSON(nil, r)
	if ok != fast {
		t.Fatalf("fast path %v, want %v", ok, fast)
	}
	want, err := json.Marshal(r)
	if ok && (err != nil || !bytes.Equal(got, want)) {
		t.Fatalf("\n got %s\nwant %s (%v)", got, want, err)
	}
	if d := digest(r); len(d) != 32 {
		t.Fatalf("digest %q", d)
	}
}

// FuzzRecordJSONSameAsMarshal: whatever the strings, numbers and times,
// the fast path writes json.Marshal's bytes or steps aside.
func FuzzRecordJSONSameAsMarshal(f *testing.F) {
	f.Add("id", "1", "op", "EPM1:X", "", "UNDERPAID", uint32(426000), 19, int64(1764054000123456789), 0, true, false)
	f.Add("a<b", "", "", "\x00", "м", "", uint32(0), -1, int64(-62135596800000000), 9017, false, true)
	f.Add("Иванова", "\u2028", "\xe2\x80", "✓\x7f", "\xff", "😀", uint32(1), 0, int64(0), 0, true, true)
	f.Fuzz(func(t *testing.T, id, counter, op, text, msg, reason string, office uint32, weight int, ns int64, off int,
		withMark, withFirst bool) {
		zone := time.FixedZone("z", off%(26*3600))
		r := Record{ID: id, At: time.Unix(0, ns).In(zone), Office: office, Counter: counter, Operator: op, Source: "s",
			Text: text, Verdict: mark.Reject, Reasons: []mark.Reason{mark.Reason(reason)}, MeasuredWeightG: weight,
			Message: msg, Versions: mark.Versions{Keyring: counter, Tariffs: op, Revocations: msg}}
		if withMark {
			m := digestRecord().Mark
			m.Serial = uint64(ns)
			r.Mark = m
		}
		if withFirst {
			r.FirstAccepted = &mark.Acceptance{RecordID: text, At: r.At.Add(-time.Hour), Office: office, Counter: op}
		}
		got, ok := appendRecordJSON(nil, &r)
		want, err := json.Marshal(&r)
		if ok && (err != nil || !bytes.Equal(got, want)) {
			t.Fatalf("\n got %s\nwant %s (%v)", got, want, err)
		}
	})
}
