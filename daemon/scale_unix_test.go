//go:build unix

package daemon

import (
	"context"
	"slices"
	"testing"
	"time"

	"markd/config"
	"markd/internal/testdata"
	"markd/mark"
)

// chanSource emits the texts sent on its channel.
type chanSource chan string

func (c chanSource) Name() string { return "test" }
func (c chanSource) Health() mark.SourceHealth {
	return mark.SourceHealth{Name: "test", Kind: "test", Up: true}
}

func (c chanSource) Serve(ctx context.Context, emit func(mark.Scan)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-c:
			emit(mark.Scan{Text: s})
		}
	}
}

// TestScaleWeighsScans: with scale.port set, the daemon reads the scale
// on a socat pseudo-terminal and attaches its last stable weight to the
// next scan: a letter heavier than its mark is OVERWEIGHT.
func TestScaleWeighsScans(t *testing.T) {
	dev, peer := testdata.SocatPair(t, testdata.SocatDir(t, "markd-scale-"), "scale", "wire", "the scale")

	c := testConfig(t)
	c.Scale = config.ScaleConfig{Port: dev, Baud: 9600, Pattern: config.DefaultScalePattern, MaxAge: 30 * time.Second}
	src := make(chanSource)
	r := start(t, Options{Config: c, Sources: []mark.Source{src}})
	testdata.Wait(t, 15*time.Second, "scale health up", func() bool {
		i := slices.IndexFunc(r.health(), func(h mark.SourceHealth) bool { return h.Kind == "scale" })
		return i >= 0 && r.health()[i].Up
	})

	weigh := func(line string, grams int) {
		t.Helper()
		if _, err := peer.WriteString(line); err != nil {
			t.Fatal(err)
		}
		testdata.Wait(t, 15*time.Second, "scale reading", func() bool { return r.Scale.Weight() == grams })
	}
	weigh("US,GS,   0.031kg\r\nST,GS,   0.050kg\r\n", 50)
	src <- signed(t, 1) // the mark pays for 20 g
	if rec := r.next(t); rec.Verdict != mark.Reject || !slices.Contains(rec.Reasons, mark.ReasonOverweight) || rec.MeasuredWeightG != 50 {
		t.Fatalf("50 g letter with a 20 g mark: %s %v, measured %d", rec.Verdict, rec.Reasons, rec.MeasuredWeightG)
	}
	weigh("ST,GS,   0.015kg\r\n", 15)
	src <- signed(t, 2)
	if rec := r.next(t); rec.Verdict != mark.Accept || rec.MeasuredWeightG != 15 {
		t.Fatalf("15 g letter with a 20 g mark: %s %v, measured %d", rec.Verdict, rec.Reasons, rec.MeasuredWeightG)
	}
}
