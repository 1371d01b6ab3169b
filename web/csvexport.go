package web

import (
	"encoding/csv"
	"log/slog"
	"net/http"
)

// csvExport is a CSV download under way: the rows written so far, and
// what to do when it cannot end whole.
type csvExport struct {
	cw   *csv.Writer
	name string // which export, for the log
	rows int    // data rows handed to the writer, the header not counted
	log  *slog.Logger
}

func newCSVExport(w http.ResponseWriter, log *slog.Logger, name string, header []string) *csvExport {
	// A BOM, so spreadsheet programs read the Russian texts as UTF-8.
	_, _ = w.Write([]byte("\ufeff")) // an error shows again in the writer's next write
	x := &csvExport{cw: csv.NewWriter(w), name: name, log: log}
	_ = x.cw.Write(header) // csv.Writer keeps the error: Flush and Error report it
	return x
}

// row writes one data row.
func (x *csvExport) row(rec []string) error {
	if err := x.cw.Write(rec); err != nil {
		return err
	}
	x.rows++
	return nil
}

// flush sends what the writer holds and says whether it all went out.
func (x *csvExport) flush() error {
	x.cw.Flush()
	return x.cw.Error()
}

// abort ends a download that cannot end whole (the store failed while
// reading, or the client's connection did): the status is sent and cannot
// change, so the transfer is broken off instead (no last chunk, or the
// connection closed) and the client sees an incomplete download, not a
// clean end of a shortened file. It does not return.
func (x *csvExport) abort(what string, err error) {
	x.log.Error("CSV export broken off: the download ends incomplete", "export", x.name, "what", what,
		"rows_written", x.rows, "err", err)
	panic(http.ErrAbortHandler)
}
