package verify_test

import (
	"reflect"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
)

func TestVectors(t *testing.T) {
	v := testdata.Verifier(t)
	for _, vec := range testdata.Vectors(t) {
		t.Run(vec.Name, func(t *testing.T) {
			day, err := mark.ParseDay(vec.Context.Date)
			if err != nil {
				t.Fatal(err)
			}
			res := v.Verify(vec.Text, mark.Context{Office: vec.Context.Office, Date: day, MeasuredWeightG: vec.Context.MeasuredWeightG})
			if res.Verdict != vec.Verdict {
				t.Errorf("verdict %s, want %s", res.Verdict, vec.Verdict)
			}
			if res.Reasons == nil || !reflect.DeepEqual(res.Reasons, append([]mark.Reason{}, vec.Reasons...)) {
				t.Errorf("reasons %v, want %v", res.Reasons, vec.Reasons)
			}
			if vec.Fields != nil {
				if res.Mark == nil {
					t.Fatal("no decoded mark")
				}
				if got := res.Mark.Fields(); got != *vec.Fields {
					t.Errorf("fields\n got %+v\nwant %+v", got, *vec.Fields)
				}
			}
			if vec.Fields == nil && vec.Verdict != mark.Accept && res.Mark != nil {
				t.Errorf("mark reported for %v: nothing of an unverified mark may be reported", res.Reasons)
			}
			if vec.Verdict == mark.Accept && res.Mark == nil {
				t.Error("accepted without a decoded mark")
			}
		})
	}
}
