package importer

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"

	"markd/mark"
	"markd/store"
)

// A file is known to a later import by its bytes: each stored batch
// records, in its transaction, the lines done and the SHA-256 of their
// bytes (store.ImportMark). A file whose first bytes are the ones an
// import recorded continues that import: the same file after a kill, a
// power cut or a bad line corrected further on, or a file that grew. A
// file whose imported part changed is a new import.

// prefixHasher hashes the first bytes of a file, read at offsets, as far
// as asked, each byte once.
type prefixHasher struct {
	f    io.ReaderAt
	h    hash.Hash
	n    int64  // bytes hashed
	head string // hex SHA-256 of the first store.HeadSize bytes, once hashed
	buf  []byte
}

func newPrefixHasher(f io.ReaderAt) *prefixHasher {
	return &prefixHasher{f: f, h: sha256.New(), buf: make([]byte, 64<<10)}
}

// to hashes the file up to byte b (not before the bytes already hashed)
// and returns the marks' Prefix, Head and HeadLen for the first b bytes.
func (p *prefixHasher) to(b int64) (prefix, head string, headLen int, err error) {
	if b < p.n {
		return "", "", 0, fmt.Errorf("hash to byte %d after %d: %w", b, p.n, mark.ErrInvalid)
	}
	for p.n < b {
		k := min(int64(len(p.buf)), b-p.n)
		if p.n < store.HeadSize {
			k = min(k, store.HeadSize-p.n)
		}
		got, err := p.f.ReadAt(p.buf[:k], p.n)
		if int64(got) < k {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // the file is shorter than when it was read
			}
			return "", "", 0, err
		}
		p.h.Write(p.buf[:got])
		if p.n += int64(got); p.n == store.HeadSize {
			p.head = hex.EncodeToString(p.h.Sum(nil))
		}
	}
	prefix = hex.EncodeToString(p.h.Sum(nil))
	if b < store.HeadSize {
		return prefix, prefix, int(b), nil
	}
	return prefix, p.head, store.HeadSize, nil
}

// HeadHash returns the head hashes of f for store.FindImports: the hex
// SHA-256 of its first n bytes.
func HeadHash(f io.ReaderAt) func(n int) (string, error) {
	return func(n int) (string, error) {
		_, head, _, err := newPrefixHasher(f).to(int64(n))
		return head, err
	}
}

// ChangedError: the last line an import stored from a file had no
// newline, and the file now goes on after it: that line is not what was
// imported.
type ChangedError struct {
	Name  string // the file
	Line  int    // the line that goes on
	Prior store.ImportMark
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s:%d: this line was imported (from %s) as the file's last, without a newline, and goes on now: "+
		"it is not the text that was stored: %v", e.Name, e.Line, e.Prior.Name, mark.ErrConflict)
}
func (e *ChangedError) Unwrap() error { return mark.ErrConflict }

// Continues returns the import of cands (store.FindImports's for f) that
// the file f of size bytes continues: the longest whose recorded bytes are
// f's first bytes, with Lines and Bytes where f is to be read on (Bytes
// == size: nothing new). nil when f continues none. name names f in a
// ChangedError.
func Continues(f io.ReaderAt, size int64, name string, cands []store.ImportMark) (*store.ImportMark, error) {
	c := slices.Clone(cands)
	// ascending by bytes (one hashing pass); of equal ones the newest first
	slices.SortStableFunc(c, func(a, b store.ImportMark) int {
		return cmp.Or(cmp.Compare(a.Bytes, b.Bytes), b.Updated.Compare(a.Updated))
	})
	h := newPrefixHasher(f)
	var best *store.ImportMark
	for i := range c {
		if c[i].Bytes > size || c[i].Lines <= 0 || (best != nil && c[i].Bytes == best.Bytes) {
			continue
		}
		prefix, _, _, err := h.to(c[i].Bytes)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if prefix == c[i].Prefix {
			best = &c[i]
		}
	}
	if best == nil || best.Bytes == size {
		return best, nil
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], best.Bytes-1); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if last[0] == '\n' {
		return best, nil
	}
	// The last line stored had no newline: the file was cut there then.
	// A newline after it now is that line ended; anything else is more
	// of that line, which is not the text stored.
	next := make([]byte, min(2, size-best.Bytes))
	if _, err := f.ReadAt(next, best.Bytes); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	switch {
	case next[0] == '\n':
		best.Bytes++
	case len(next) == 2 && next[0] == '\r' && next[1] == '\n':
		best.Bytes += 2
	default:
		return nil, &ChangedError{Name: name, Line: best.Lines, Prior: *best}
	}
	return best, nil
}
