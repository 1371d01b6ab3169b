package web

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"markd/mark"
	"markd/store"
	"markd/store/storetest"
)

// TestCSVExportBrokenOff: a CSV export whose store read fails after the
// status went out breaks the transfer off, so the client's download
// fails instead of ending cleanly with rows missing; the log names the
// export and the rows written. The fault is a real one: a row of the
// SQLite file damaged behind the store's back.
func TestCSVExportBrokenOff(t *testing.T) {
	for _, tc := range []struct {
		name, path, export string // export: as the log gives it
		damage             string // SQL run on the file before the export
	}{
		{"rejected marks", "/review/export.csv", `"rejected marks"`,
			`UPDATE scans SET reasons = 'not json' WHERE id = 'r-030'`},
		{"set-aside", "/review/setaside/export.csv", "set-aside",
			`UPDATE set_aside SET refused_at = 'no time' WHERE ref = 'r-030'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "markd.db")
			var logs bytes.Buffer
			e := newEnv(t, func(o *Options) {
				o.Store = storetest.OpenAt(t, path, store.Options{Now: o.Now})
				o.Log = slog.New(slog.NewTextHandler(&logs, nil))
			})
			e.db = e.srv.opt.Store
			for _, u := range []struct {
				n, p string
				r    store.Role
			}{{supName, supPass, store.RoleSupervisor}} {
				if err := e.db.AddUser(context.Background(), u.n, u.r, u.p); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 60 { // rows enough to fill the writers' buffers: some go out before the fault
				id := e.rejected(fmt.Sprintf("r-%03d", i), uint64(100+i), mark.ReasonUnderpaid)
				if err := e.db.RefuseUpload(context.Background(), id, store.Refusal{Status: 400, Field: "records[0].text",
					Reason: "mark text not understood " + strings.Repeat("x", 60)}); err != nil {
					t.Fatal(err)
				}
			}
			raw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(tc.damage); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			sup := e.client()
			sup.login(supName, supPass)
			res, err := sup.hc.Get(e.ts.URL + tc.path)
			if err == nil && tc.path == "/review/export.csv" && (res.StatusCode != 200 || len(res.TransferEncoding) == 0) {
				t.Errorf("status %d, transfer encoding %q: want 200 chunked, rows out before the fault", res.StatusCode, res.TransferEncoding)
			}
			if err == nil {
				var body []byte
				body, err = io.ReadAll(res.Body)
				res.Body.Close()
				if err == nil {
					t.Fatalf("status %d, %d bytes read to a clean end: the client takes a shortened file for the whole",
						res.StatusCode, len(body))
				}
			}
			t.Logf("client: %v", err)
			if l := logs.String(); !strings.Contains(l, "CSV export broken off") || !strings.Contains(l, "export="+tc.export) ||
				!strings.Contains(l, "rows_written=") {
				t.Errorf("log does not name the broken export and its rows:\n%s", l)
			}
		})
	}
}
