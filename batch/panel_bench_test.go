package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"markd/issuer"
)

// BenchmarkPanelRefresh is one refresh of the operator's batch panel
// (GET /api/batches/current: the status and its JSON) of an open batch
// with a list of 100 000 items and 1 000 scans. Run it alone, once:
//
//	go test -run '^$' -bench PanelRefresh -benchtime 20x -benchmem ./batch/
func BenchmarkPanelRefresh(b *testing.B) {
	ctx := context.Background()
	s, db := openService(b)
	bt, err := s.Open(ctx, 0, "ivanova")
	if err != nil {
		b.Fatal(err)
	}
	var list strings.Builder
	list.WriteString("n,serial,tracking,mail_class,weight_g,tariff_kop\n")
	for i := uint64(1); i <= 100_000; i++ {
		fmt.Fprintf(&list, "%d,%d,%014d,2,20,10500\n", i, i, issuer.Tracking(426000, i))
	}
	if _, err := s.Expect(ctx, bt.ID, []byte(list.String()), "ivanova"); err != nil {
		b.Fatal(err)
	}
	fill(b, db, 1, 1000)
	refresh := func() {
		st, err := s.StatusRows(ctx, bt.ID, PanelRows)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(st.JSON()); err != nil {
			b.Fatal(err)
		}
	}
	refresh() // the first read builds the reconciliation
	next := uint64(1001)
	b.Run("heartbeat", func(b *testing.B) {
		for range b.N {
			refresh()
		}
	})
	b.Run("scan", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			fill(b, db, next, 1)
			next++
			b.StartTimer()
			refresh()
		}
	})
}
