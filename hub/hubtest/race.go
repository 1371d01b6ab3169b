package hubtest

import (
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// testHolderByScanTime: two counters accept one serial; the one with the
// later scan reaches the collector first. The serial then belongs to the
// earlier scan: a third use is told about it, not about the first arrival.
func testHolderByScanTime(t *testing.T, s hub.Store) {
	late := Rec("b-late", 101000, "4", mark.Accept, 777)
	late.At = t0.Add(2 * time.Hour)
	early := Rec("a-early", 426000, "1", mark.Accept, 777)
	early.At = t0.Add(time.Hour)
	third := Rec("c-third", 190000, "2", mark.Accept, 777)
	third.At = t0.Add(3 * time.Hour)
	ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{late}})
	r := ingest(t, s, "office-a", hub.UploadRequest{Records: []hub.Record{early}})
	if len(r.Alerts) != 1 || r.Alerts[0].Other.RecordID != "b-late" {
		t.Fatalf("early scan, late arrival: alerts = %+v", r.Alerts)
	}
	r = ingest(t, s, "office-c", hub.UploadRequest{Records: []hub.Record{third}})
	if len(r.Alerts) != 1 || r.Alerts[0].Other.RecordID != "a-early" || !r.Alerts[0].Other.At.Equal(early.At) {
		t.Fatalf("third use: alerts = %+v, want one naming the earliest scan a-early", r.Alerts)
	}
	// Within one batch, too, the earlier scan holds it.
	x2 := Rec("a-x2", 426000, "1", mark.Accept, 778)
	x2.At = t0.Add(5 * time.Hour)
	x1 := Rec("a-x1", 426000, "2", mark.Accept, 778)
	x1.At = t0.Add(4 * time.Hour)
	ingest(t, s, "office-a", hub.UploadRequest{Records: []hub.Record{x2, x1}})
	x3 := Rec("c-x3", 190000, "2", mark.Accept, 778)
	x3.At = t0.Add(6 * time.Hour)
	r = ingest(t, s, "office-c", hub.UploadRequest{Records: []hub.Record{x3}})
	var others []string
	for _, a := range r.Alerts {
		if a.Serial == 778 {
			others = append(others, a.Other.RecordID)
		}
	}
	if len(others) != 1 || others[0] != "a-x1" {
		t.Fatalf("same batch: the third use was told about %v, want [a-x1]", others)
	}
	if st := stats(t, s); st.UsedSerials != 2 {
		t.Fatalf("stats = %+v", st)
	}
}
