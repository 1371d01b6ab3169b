package hubweb

import (
	"encoding/csv"
	"net/http"
)

// csvOut is a CSV download being sent: the rows the writer took are
// counted, as it stops at a failed send.
type csvOut struct {
	cw      *csv.Writer
	written int
}

// startCSV sets the headers of a CSV download named filename, not to be
// kept by caches, and writes its head row (a failed write is kept by the
// csv.Writer for end).
func startCSV(w http.ResponseWriter, filename string, head []string) *csvOut {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	o := &csvOut{cw: csv.NewWriter(w)}
	o.cw.Write(head) //nolint:errcheck // kept for Flush
	return o
}

// row writes one row, counted when the writer takes it.
func (o *csvOut) row(rec []string) {
	if o.cw.Write(rec) == nil {
		o.written++
	}
}

// endCSV sends what is left of the download named export. The status is
// sent: a failed send breaks the transfer off (logged with the rows
// written), so the download fails instead of ending short without a word.
func (s *Server) endCSV(o *csvOut, export string) {
	o.cw.Flush()
	if err := o.cw.Error(); err != nil {
		s.opt.Log.Error("CSV export broken off: the download ends incomplete", "export", export,
			"what", "sending the rows", "rows_written", o.written, "err", err)
		panic(http.ErrAbortHandler)
	}
}
