package hub

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
)

// counterBody is an upload as a counter sends it (json.Marshal of the
// request): records of every kind, with and without a mark, reasons, a
// first acceptance, a message, events, acknowledgements and a batch.
func counterBody(t testing.TB) []byte {
	t.Helper()
	ok := okRecord()
	rej := okRecord()
	rej.ID, rej.Verdict, rej.Reasons, rej.Review = "r2", mark.Reject, []mark.Reason{mark.ReasonUnderpaid, mark.ReasonExpired}, mark.ReviewPending
	rej.Message, rej.Operator, rej.MeasuredWeightG = "Недоплата: 50 коп. <проверить> & \"взвесить\"\n", "Иванова", 35
	rej.At = time.Date(2026, 11, 24, 9, 0, 0, 123456789, time.FixedZone("MSK", 3*3600))
	msk := int32(3 * 3600)
	rej.AtOffset, rej.AtZone, rej.AtZoneData = &msk, "Europe/Moscow", "embedded 2025c"
	dup := okRecord()
	dup.ID, dup.Verdict = "r3", mark.DuplicateScan
	dup.FirstAccepted = &mark.Acceptance{RecordID: "r1", At: ok.At, Office: 426000, Counter: "1"}
	dup.Mark.Tracking, dup.Mark.Serial = 42600000000015, math.MaxUint64
	none := Record{ID: "r4", At: ok.At, Office: 426000, Counter: "1", Source: "serial", Text: "\x00\u2028 not a mark \xff",
		Verdict: mark.NotAMark, Reasons: []mark.Reason{}, Versions: mark.Versions{Keyring: "k", Tariffs: "t", Revocations: "r"}}
	q := UploadRequest{Records: []Record{ok, rej, dup, none}, Events: []Event{{ID: 1, RecordID: "r2", Action: ActionConfirm,
		Actor: "boss", At: testdata.Now(), Note: "ok"}}, AckAlerts: []int64{3, 4},
		Batches: []Batch{{ID: "b1", Office: 426000, Counter: "1", Contract: 7, State: mark.BatchClosed, Opened: ok.At,
			Closed: ok.At.Add(time.Hour), Accepted: 1, PaidKop: 5000}}}
	b, err := json.Marshal(&q)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameAsJSON decodes body both ways and fails unless DecodeUpload gives
// what encoding/json gives: the same request, or an error with the same text.
func sameAsJSON(t *testing.T, body []byte) (fast bool) {
	t.Helper()
	var got, want UploadRequest
	fast = decodeFast(body, &got)
	if !fast {
		got = UploadRequest{}
	}
	gotErr := DecodeUpload(body, &got)
	wantErr := decodeStd(body, &want)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("error %v, encoding/json %v (fast path %v)\n%q", gotErr, wantErr, fast, body)
	}
	if fast && wantErr != nil {
		t.Fatalf("fast path took what encoding/json refuses (%v)\n%q", wantErr, body)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v\nencoding/json %+v\n(fast path %v) %q", got, want, fast, body)
	}
	return fast
}

func TestDecodeUploadCounterForm(t *testing.T) {
	body := counterBody(t)
	if !sameAsJSON(t, body) {
		t.Fatalf("a counter's body did not take the fast path: %s", body)
	}
	var q UploadRequest
	if err := DecodeUpload(body, &q); err != nil || len(q.Records) != 4 || q.Records[1].Message == "" || q.Records[2].FirstAccepted == nil {
		t.Fatalf("%+v %v", q, err)
	}
}

// TestDecodeUploadOddForms: forms a counter does not send decode as
// encoding/json decodes them (most by encoding/json itself), errors alike.
func TestDecodeUploadOddForms(t *testing.T) {
	body := string(counterBody(t))
	tests := []struct {
		name, body string
		fast       bool
	}{
		{"empty object", `{}`, true},
		{"empty lists", ` { "records" : [ ] , "events" : [ ], "ack_alerts": [] } `, true},
		{"nulls for lists", `{"records":null,"events":null,"ack_alerts":null,"batches":null}`, false},
		{"null mark", `{"records":[{"id":"a","mark":null}]}`, false},
		{"null string", `{"records":[{"id":null}]}`, false},
		{"key twice", `{"records":[{"id":"a","id":"b"}]}`, false},
		{"mark twice merges", `{"records":[{"mark":{"serial":1,"contract":2},"mark":{"serial":3}}]}`, false},
		{"records twice", `{"records":[{"id":"a"}],"records":[]}`, false},
		{"key in other case", `{"Records":[{"ID":"a"}]}`, false},
		{"escaped key", `{"records":[{"i\u0064":"a"}]}`, false},
		{"unknown field", `{"records":[{"id":"a","colour":"red"}]}`, false},
		{"unknown top field", `{"recs":[]}`, false},
		{"escapes", `{"records":[{"id":"a\"b\\c\u00e9\ud83d\ude00\/","message":"\n\t"}]}`, true},
		{"bad escape", `{"records":[{"id":"a\qb"}]}`, false},
		{"lone surrogate", `{"records":[{"id":"\ud800"}]}`, true},
		{"invalid utf-8", "{\"records\":[{\"id\":\"a\xffb\"}]}", true},
		{"control char", "{\"records\":[{\"id\":\"a\nb\"}]}", false},
		{"float office", `{"records":[{"office":426000.0}]}`, false},
		{"exponent", `{"records":[{"office":4e5}]}`, false},
		{"negative office", `{"records":[{"office":-1}]}`, false},
		{"office overflow", `{"records":[{"office":4294967296}]}`, false},
		{"negative weight", `{"records":[{"measured_weight_g":-5}]}`, true},
		{"minus zero", `{"records":[{"measured_weight_g":-0,"office":0}]}`, true},
		{"leading zero", `{"records":[{"office":0426000}]}`, false},
		{"serial max", `{"records":[{"mark":{"serial":18446744073709551615}}]}`, true},
		{"serial overflow", `{"records":[{"mark":{"serial":18446744073709551616}}]}`, false},
		{"version overflow", `{"records":[{"mark":{"version":256}}]}`, false},
		// each unsigned width at its top and one past it (uintTo)
		{"flags max", `{"records":[{"mark":{"flags":255,"mail_class":255,"alg":255}}]}`, true},
		{"flags overflow", `{"records":[{"mark":{"flags":256}}]}`, false},
		{"key_id max", `{"records":[{"mark":{"key_id":65535,"weight_g":65535}}]}`, true},
		{"key_id overflow", `{"records":[{"mark":{"key_id":65536}}]}`, false},
		{"weight_g overflow", `{"records":[{"mark":{"weight_g":65536}}]}`, false},
		{"contract max", `{"records":[{"mark":{"contract":4294967295,"tariff_kop":4294967295,"office":4294967295}}]}`, true},
		{"tariff_kop overflow", `{"records":[{"mark":{"tariff_kop":4294967296}}]}`, false},
		{"mark office overflow", `{"records":[{"mark":{"office":4294967296}}]}`, false},
		{"tracking max", `{"records":[{"mark":{"tracking":18446744073709551615}}]}`, true},
		{"tracking overflow", `{"records":[{"mark":{"tracking":18446744073709551616}}]}`, false},
		{"string for number", `{"records":[{"office":"426000"}]}`, false},
		{"number for string", `{"records":[{"id":5}]}`, false},
		{"bad time", `{"records":[{"at":"2026-11-24 09:00:00"}]}`, false},
		{"time number", `{"records":[{"at":5}]}`, false},
		{"time with escape", `{"records":[{"at":"2026-11-24T09:00:00\u005a"}]}`, false},
		{"trailing data", body + ` {}`, false},
		{"trailing brace", body + `}`, false},
		{"trailing whitespace", body + " \n\t\r", true},
		{"cut short", body[:len(body)/2], false},
		{"not an object", `[]`, false},
		{"null body", `null`, false},
		{"empty body", ``, false},
		{"trailing comma", `{"records":[{"id":"a"},]}`, false},
		{"missing colon", `{"records" []}`, false},
		{"reasons null", `{"records":[{"reasons":null}]}`, false},
		{"bad event", `{"events":[{"id":"x"}],"records":[]}`, false},
		{"event unknown field", `{"events":[{"colour":1}]}`, false},
		{"event key in other case", `{"events":[{"Record_ID":"r"}]}`, false},
		{"batch key in other case", `{"records":[],"batches":[{"ID":"b"}]}`, false},
		{"first_accepted", `{"records":[{"first_accepted":{"record_id":"x","at":"2026-11-24T09:00:00Z","office":1,"counter":"1"}}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fast := sameAsJSON(t, []byte(tt.body)); fast != tt.fast {
				t.Errorf("fast path %v, want %v", fast, tt.fast)
			}
		})
	}
}

// TestDecodeUploadErrorsNameFields: a decoding error names the field and
// the index of the record, event or batch it is in, so the counter can set
// that one aside; errors not in one element name what they can.
func TestDecodeUploadErrorsNameFields(t *testing.T) {
	tests := []struct {
		name, body, field, why string
	}{
		{"wrong type", `{"records":[{"id":"a"},{"office":"x"}]}`, "records[1].office", "wrong type"},
		{"wrong type in the mark", `{"records":[{"mark":{"serial":"abc"}}]}`, "records[0].mark.serial", "wrong type"},
		{"number for string", `{"records":[{"id":5}]}`, "records[0].id", "wrong type"},
		{"unknown field", `{"records":[{"id":"x"},{"id":"y","bogus":1}]}`, "records[1]", `unknown field "bogus"`},
		{"bad time", `{"records":[{"id":"x"},{"at":"yesterday"}]}`, "records[1].at", `"yesterday"`},
		{"bad batch time", `{"batches":[{"opened_at":"2026-11-24T09:00:00+99:00"}]}`, "batches[0].opened_at", "out of range"},
		{"bad first acceptance time", `{"records":[{"first_accepted":{"at":5}}]}`, "records[0].first_accepted.at", "not a JSON string"},
		{"bad event", `{"events":[{"id":1},{"id":"x"}],"records":[]}`, "events[1].id", "wrong type"},
		{"bad batch", `{"batches":[{"accepted":"many"}]}`, "batches[0].accepted", "wrong type"},
		// encoding/json reads a key in another case as the field (and
		// DisallowUnknownFields lets it by): refused, naming the row
		{"record key in another case", `{"records":[{"id":"x"},{"ID":"y"}]}`, "records[1]", `unknown key "ID" (did you mean "id"?)`},
		{"mark key in another case", `{"records":[{"mark":{"Serial":1}}]}`, "records[0].mark", `unknown key "Serial" (did you mean "serial"?)`},
		{"a long s", `{"records":[{"ſource":"serial"}]}`, "records[0]", `unknown key "ſource" (did you mean "source"?)`},
		{"event key in another case", `{"events":[{"id":1,"Record_ID":"r"}]}`, "events[0]", `unknown key "Record_ID" (did you mean "record_id"?)`},
		{"first acceptance key in another case", `{"records":[{"id":"x","first_accepted":{"Record_ID":"r"}}]}`, "records[0].first_accepted", `(did you mean "record_id"?)`},
		{"batch key in another case", `{"batches":[{"id":"b","Accepted":1}]}`, "batches[0]", `unknown key "Accepted" (did you mean "accepted"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q UploadRequest
			err := DecodeUpload([]byte(tt.body), &q)
			var fe *FieldError
			if !errors.Is(err, mark.ErrInvalid) || !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Why, tt.why) {
				t.Fatalf("err = %v, want ErrInvalid on field %q saying %q", err, tt.field, tt.why)
			}
		})
	}
	var q UploadRequest
	// At the top: the body is at fault, no row.
	if err := DecodeUpload([]byte(`{"Records":[]}`), &q); !errors.Is(err, mark.ErrInvalid) || errors.As(err, new(*FieldError)) ||
		err.Error() != `body: unknown key "Records" (did you mean "records"?): invalid` {
		t.Fatalf("Records: %v", err)
	}
	if err := DecodeUpload([]byte(`{} x`), &q); !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), "trailing") {
		t.Fatalf("trailing data: %v", err)
	}
	// Not an object: the body is at fault, not a field (the answer said
	// ": wrong type: array where hub.UploadRequest was expected").
	for _, body := range []string{`[]`, `"x"`, `5`} {
		err := DecodeUpload([]byte(body), &q)
		var fe *FieldError
		if !errors.Is(err, mark.ErrInvalid) || errors.As(err, &fe) ||
			!strings.HasPrefix(err.Error(), "body is not a valid upload request") || !strings.Contains(err.Error(), "where an object was expected") {
			t.Fatalf("%s: %v", body, err)
		}
	}
}

// FuzzDecodeUploadSameAsJSON: whatever the body, the fast path yields what
// encoding/json yields, or leaves it to encoding/json.
func FuzzDecodeUploadSameAsJSON(f *testing.F) {
	f.Add(counterBody(f))
	f.Add([]byte(`{"records":[{"id":"a","mark":{"serial":1,"issued":"2026-11-24"},"reasons":["UNDERPAID"]}]}`))
	f.Add([]byte(`{"records":[{"id":"a\u00e9","at":"2026-11-24T09:00:00.5+03:00","measured_weight_g":-3}],"ack_alerts":[1]}`))
	f.Add([]byte(`{"records":[{"mark":{"serial":1},"mark":{"contract":2}}]}`))
	f.Add([]byte(`{"records":[{"id":"a","at_offset":-16200,"at_zone":"America/Caracas"},{"at_offset":null},{"at_offset":1.5}]}`))
	f.Add([]byte(`{"records":[{"ID":"a"}],"events":[{"Record_ID":"r"}],"batches":[{"Id":"b"}]}`))
	f.Add([]byte(`{"records":[{"first_accepted":{"AT":"2026-11-24T09:00:00Z"}}],"ack_alerts":[1]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		sameAsJSON(t, body)
	})
}

func BenchmarkDecodeUpload2000(b *testing.B) {
	r := okRecord()
	r.Text = "EPM1:" + strings.Repeat("ABCDEFGH", 20)
	r.Versions = mark.Versions{Keyring: "0e40db3c650e", Tariffs: "d9b98c0a670b", Revocations: "none"}
	q := UploadRequest{Records: make([]Record, 2000), Events: []Event{}, AckAlerts: []int64{}}
	for i := range q.Records {
		q.Records[i] = r
		q.Records[i].ID = strings.Repeat("0", 30) + string(rune('a'+i%26))
	}
	body, _ := json.Marshal(&q)
	for _, c := range []struct {
		name   string
		decode func([]byte, *UploadRequest) error
	}{{"fast", DecodeUpload}, {"encoding-json", decodeStd}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var q UploadRequest
				if err := c.decode(body, &q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2000/1000, "µs/record")
		})
	}
}
