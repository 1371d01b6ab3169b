package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"markd/mark"
)

// The store's file overwritten in place while markd runs: `cp backup.db
// markd.db` or a restore tool writing into the same file (Linux), a copy
// over the open file on Windows (SQLite opens it sharing writes). The
// file is the same one, so CheckFile's identity check sees nothing, and
// SQLite keeps its WAL and page cache and reads a mix of the old and the
// new pages: a scan after the overwrite was ACCEPTed into a store that
// had lost every serial accepted since the backup, and the next start
// found it malformed.
//
// So CheckFile also reads the first 100 bytes of the file (SQLite's
// database header, fileformat2.html §1.3) through a descriptor kept open
// from the open to the close, and compares them with what markd knows:
//
//   - the header is an SQLite one, and the fields a store keeps for its
//     whole life (page size, reserved bytes, payload fractions, text
//     encoding, auto-vacuum, application id) are those it had at open;
//   - the database size in pages and the schema cookie never go back:
//     markd never shrinks a store in place (no VACUUM, no auto-vacuum),
//     and a checkpoint, markd's or another process's, only copies newer
//     committed pages into the file, page 1 with them (the file change
//     counter is no use: in WAL mode it does not move, 2 before and
//     after 350 scans and their checkpoints);
//   - markd run (Options.Exclusive, one at a time) writes a random mark
//     of its own into the header's user version at open and checkpoints
//     it into the file; once the file has shown it, a file without it is
//     another store or a copy made before this start (a backup). Nothing
//     else in markd may write the user version (TestNoMigrationSetsUserVersion).
//
// A check that finds something wrong reads the header again after
// confirmPause and concludes only when the second read is wrong too, so
// a read that met a checkpoint's write of page 1 halfway never trips it.
// The cost is one 100-byte read a check (the daemon checks every second).
// Not caught: a copy of the file made in this run since the last
// checkpoint that changed page 1 (it holds the same header; the store
// grows a page every few scans, so such a copy lacks a few scans at
// most).

// ErrOverwritten: the store's file was overwritten in place while markd
// ran. It wraps ErrReplaced (and so mark.ErrUnavailable): the same
// fail-closed state, every write refused until markd restarts.
var ErrOverwritten error = overwrittenError{}

type overwrittenError struct{}

func (overwrittenError) Error() string {
	return "store file overwritten in place while markd ran: " + mark.ErrUnavailable.Error()
}

func (overwrittenError) Unwrap() error { return ErrReplaced }

// The database header's fields the check reads (offsets in bytes).
const (
	headerLen       = 100
	offChange       = 24 // file change counter
	offPages        = 28 // database size in pages
	offSchemaCookie = 40
	offAutoVacuum   = 52 // largest root b-tree page: nonzero with auto-vacuum
	offUserVersion  = 60 // markd run's mark
	offValidFor     = 92 // version-valid-for: the size is valid when it equals the change counter
)

// fixedSpans are the header's bytes a store keeps for its whole life:
// page size; reserved bytes and payload fractions; auto-vacuum and text
// encoding; incremental vacuum and application id. (Bytes 18-19 say WAL
// or rollback journal: a backup made by VACUUM INTO is in the latter, and
// is told by its size.)
var fixedSpans = [][2]int{{16, 18}, {20, 24}, {52, 60}, {64, 72}}

// confirmPause is how long a check that found the header wrong waits
// before it reads it again.
var confirmPause = 50 * time.Millisecond

// header is the first headerLen bytes of a store file (n of them read).
type header struct {
	b [headerLen]byte
	n int
}

func (h *header) u32(off int) uint32 { return binary.BigEndian.Uint32(h.b[off:]) }

func (h *header) sqlite() bool {
	return h.n == headerLen && bytes.Equal(h.b[:len(sqliteHeader)], sqliteHeader)
}

// pages is the database size the header gives, when SQLite would trust it.
func (h *header) pages() (uint32, bool) {
	p := h.u32(offPages)
	return p, p != 0 && h.u32(offChange) == h.u32(offValidFor)
}

// contentWatch is what CheckFile knows of the file's content.
type contentWatch struct {
	mu    sync.Mutex
	f     *os.File // open from OpenWith's end to Close's: never closed while SQLite holds locks on the file
	open  header   // at open
	pages uint32   // the most pages the file has shown (with a valid size)
	// cookie is the highest schema cookie the file has shown
	cookie uint32
	// mark is markd run's mark in the user version (0: none written);
	// marked, that the file has shown it
	mark   uint32
	marked bool
}

// newRunMark is a random nonzero user version for markd run's open.
func newRunMark() uint32 {
	var b [4]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand does not fail
	return binary.BigEndian.Uint32(b[:])&0x7fffffff | 1
}

// writeRunMark writes markd run's mark into the store's header and
// checkpoints it into the file (Options.Exclusive).
func (d *DB) writeRunMark(ctx context.Context) error {
	m := newRunMark()
	if _, err := d.db.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, m)); err != nil {
		return d.storeErr("write the run's mark", err)
	}
	var busy, frames, moved int
	if err := d.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &moved); err != nil {
		return d.storeErr("checkpoint the run's mark", err)
	}
	d.file.content.mark = m
	return nil
}

// watchContent opens the store's file for CheckFile's reads and takes
// the header as it is now; without it (the file cannot be opened) only
// the file's identity is checked.
func (d *DB) watchContent() {
	w := &d.file.content
	f, err := os.Open(d.path)
	if err != nil {
		d.log.Warn("the store's file cannot be read beside SQLite: a copy written over it while markd runs will not be noticed", "err", err)
		return
	}
	// kept open even when its header is no use: closing it would drop
	// SQLite's locks (closeContent)
	w.f = f
	if h := readHeader(f); h.sqlite() {
		w.open = h
		w.note(&h)
	}
}

// closeContent closes the descriptor of watchContent once SQLite has
// closed the file (closing any descriptor of a file drops the process's
// fcntl locks on it).
func (d *DB) closeContent() {
	w := &d.file.content
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

func readHeader(f *os.File) header {
	var h header
	n, err := f.ReadAt(h.b[:], 0)
	if err != nil && err != io.EOF {
		n = -1 // not readable: no conclusion
	}
	h.n = n
	return h
}

// note takes a header that passed the checks as the file's latest.
func (w *contentWatch) note(h *header) {
	if p, ok := h.pages(); ok && p > w.pages {
		w.pages = p
	}
	if c := h.u32(offSchemaCookie); c > w.cookie {
		w.cookie = c
	}
	if w.mark != 0 && h.u32(offUserVersion) == w.mark {
		w.marked = true
	}
}

// wrong tells what is wrong with h, or "".
func (w *contentWatch) wrong(h *header) string {
	if h.n < 0 {
		return ""
	}
	if !h.sqlite() {
		return fmt.Sprintf("it is not an SQLite database any more (%d bytes of header, %q)", h.n, bytes.TrimRight(h.b[:min(h.n, 16)], "\x00"))
	}
	for _, s := range fixedSpans {
		if !bytes.Equal(h.b[s[0]:s[1]], w.open.b[s[0]:s[1]]) {
			return fmt.Sprintf("its header is another database's (bytes %d-%d: % x, at open % x)", s[0], s[1]-1, h.b[s[0]:s[1]], w.open.b[s[0]:s[1]])
		}
	}
	if p, ok := h.pages(); ok && w.open.u32(offAutoVacuum) == 0 && p < w.pages {
		return fmt.Sprintf("it holds %d pages where it had %d: an older copy of the store, or another one", p, w.pages)
	}
	if c := h.u32(offSchemaCookie); c < w.cookie {
		return fmt.Sprintf("its schema cookie went back from %d to %d: an older copy of the store, or another one", w.cookie, c)
	}
	if w.marked && h.u32(offUserVersion) != w.mark {
		return fmt.Sprintf("it lacks the mark this markd run wrote into it (user version %d, found %d): another store, or a copy made before markd started (a backup)",
			w.mark, h.u32(offUserVersion))
	}
	return ""
}

// overwritten compares the file's header with what the watch knows:
// what is wrong, confirmed by a second read, or "".
func (w *contentWatch) overwritten() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil || !w.open.sqlite() {
		return ""
	}
	h := readHeader(w.f)
	if w.wrong(&h) == "" {
		w.note(&h)
		return ""
	}
	time.Sleep(confirmPause)
	h = readHeader(w.f)
	what := w.wrong(&h)
	if what == "" {
		w.note(&h)
	}
	return what
}

// overwrittenErr is the error of a store whose file was overwritten.
func overwrittenErr(path, what string) error {
	return mark.WithHint(fmt.Errorf("store %s: %w: %s", path, ErrOverwritten, what),
		"stop markd: scans are not recorded until it starts again. Something wrote over the store's file while markd ran "+
			"(a copy over it, a restore tool): the scans since the copy was made are gone from it, and its write-ahead log belongs to the store it replaced. "+
			"A backup is put back with `markd restore FILE` while markd is stopped, never by copying it over a running store")
}
