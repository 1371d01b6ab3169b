package hub

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"markd/mark"
)

// TestMarshalUploadSameAsJSON: requests as counters build them, and odd
// ones, encode to json.Marshal's bytes.
func TestMarshalUploadSameAsJSON(t *testing.T) {
	var full UploadRequest
	if err := json.Unmarshal(counterBody(t), &full); err != nil {
		t.Fatal(err)
	}
	odd := digestRecord()
	odd.Message = "<&> \u2028 \xff"
	far := digestRecord()
	far.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		q       UploadRequest
		failing bool
	}{
		{"counter's", full, false},
		{"empty lists", UploadRequest{Records: []Record{}, Events: []Event{}, AckAlerts: []int64{}}, false},
		{"nil lists", UploadRequest{}, false},
		{"records only", UploadRequest{Records: []Record{digestRecord(), digestRecord()}}, false},
		{"escaped record", UploadRequest{Records: []Record{digestRecord(), odd}, Batches: []Batch{}}, false},
		{"year out of range", UploadRequest{Records: []Record{far}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MarshalUpload(&tt.q)
			want, wantErr := json.Marshal(&tt.q)
			if (err != nil) != tt.failing || (wantErr != nil) != tt.failing {
				t.Fatalf("err %v, json.Marshal's %v", err, wantErr)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("\n got %s\nwant %s", got, want)
			}
		})
	}
}

// FuzzMarshalUploadSameAsJSON: whatever a decodable request holds, it
// encodes to json.Marshal's bytes.
func FuzzMarshalUploadSameAsJSON(f *testing.F) {
	f.Add(counterBody(f))
	f.Add([]byte(`{"records":[{"id":"a<","at":"2026-11-24T09:00:00.5+03:00","mark":{"serial":1}}],"events":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var q UploadRequest
		if json.Unmarshal(body, &q) != nil {
			return
		}
		got, err := MarshalUpload(&q)
		want, wantErr := json.Marshal(&q)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("\n got %s (%v)\nwant %s (%v)", got, err, want, wantErr)
		}
	})
}

func BenchmarkMarshalUpload2000(b *testing.B) {
	r := digestRecord()
	q := UploadRequest{Records: make([]Record, 2000), Events: []Event{}, AckAlerts: []int64{}}
	for i := range q.Records {
		q.Records[i] = r
	}
	q.Records[0].Verdict, q.Records[0].Reasons = mark.Reject, []mark.Reason{mark.ReasonUnderpaid}
	for _, c := range []struct {
		name string
		enc  func(*UploadRequest) ([]byte, error)
	}{{"fast", MarshalUpload}, {"encoding-json", func(q *UploadRequest) ([]byte, error) { return json.Marshal(q) }}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.enc(&q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2000/1000, "µs/record")
		})
	}
}

// FuzzEncodeJSONColumnsSameAsMarshal: the stored JSON columns are
// json.Marshal's bytes, whatever the reasons and the mark.
func FuzzEncodeJSONColumnsSameAsMarshal(f *testing.F) {
	f.Add("UNDERPAID", "EXPIRED", true, uint64(7), "2026-11-20", 0)
	f.Add("<&>", "\u2028", false, uint64(0), "\xff", 1)
	f.Add("", "", true, uint64(1<<63), "", 2)
	f.Fuzz(func(t *testing.T, r1, r2 string, withMark bool, serial uint64, day string, nReasons int) {
		r := digestRecord()
		r.Reasons = [][]mark.Reason{nil, {}, {mark.Reason(r1)}, {mark.Reason(r1), mark.Reason(r2)}}[uint(nReasons)%4]
		r.Mark.Serial, r.Mark.Issued = serial, day
		if !withMark {
			r.Mark = nil
		}
		reasons, _, fields, _ := EncodeJSONColumns(&r)
		want, _ := json.Marshal(r.Reasons)
		if reasons != string(want) {
			t.Fatalf("reasons %s, json.Marshal %s", reasons, want)
		}
		if withMark {
			want, _ := json.Marshal(r.Mark)
			if fields == nil || *fields != string(want) {
				t.Fatalf("mark_fields %v, json.Marshal %s", fields, want)
			}
		} else if fields != nil {
			t.Fatalf("mark_fields %s without a mark", *fields)
		}
	})
}
