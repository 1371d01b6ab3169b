package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"markd/mark"
)

// ErrWALLost: commits the store had made are gone from its write-ahead
// log (the -wal file deleted, cut short, zeroed or overwritten after an
// unclean stop), as its WAL index (-shm) still tells. SQLite would open
// the store without them, silently: the scans accepted since the last
// checkpoint and their serials (accepted again as new). It wraps
// ErrNotAStore: no command opens the store (exit 78 for markd run).
var ErrWALLost = fmt.Errorf("committed scans lost from the write-ahead log: %w", ErrNotAStore)

// walLoss is what checkWAL found: how many of the committed WAL frames
// the WAL index counts are gone, and why.
type walLoss struct {
	lost, frames uint32 // frames lost of those not yet checkpointed into the store file
	why          string
}

// walIndex is what checkWAL reads of the WAL index (-shm) header.
type walIndex struct {
	mxFrame, nBackfill uint32
	salt               [8]byte
}

const (
	walHeaderSize      = 32
	walFrameHeaderSize = 24
	shmHeaderSize      = 136 // two WalIndexHdr of 48 bytes, WalCkptInfo up to nBackfillAttempted
)

// readWALIndex parses the -shm file's header (native byte order, as
// SQLite's wal.c writes it); ok is false for a missing, short or
// inconsistent one (SQLite rebuilds such an index from the WAL: no
// evidence of anything).
func readWALIndex(shm []byte) (walIndex, bool) {
	if len(shm) < shmHeaderSize || !bytes.Equal(shm[:48], shm[48:96]) {
		return walIndex{}, false
	}
	ne := binary.NativeEndian
	if ne.Uint32(shm[0:]) != 3007000 || shm[12] != 1 {
		return walIndex{}, false
	}
	s1, s2 := walChecksum(ne, shm[:40], 0, 0)
	if s1 != ne.Uint32(shm[40:]) || s2 != ne.Uint32(shm[44:]) {
		return walIndex{}, false
	}
	x := walIndex{mxFrame: ne.Uint32(shm[16:]), nBackfill: ne.Uint32(shm[96:])}
	copy(x.salt[:], shm[32:40])
	return x, true
}

// walChecksum is wal.c's walChecksumBytes over b (a multiple of 8 bytes).
func walChecksum(order binary.ByteOrder, b []byte, s1, s2 uint32) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s1 += order.Uint32(b[i:]) + s2
		s2 += order.Uint32(b[i+4:]) + s1
	}
	return s1, s2
}

// validFrames is the last commit frame of the WAL at path that SQLite's
// recovery would keep, reading no further than frame upTo; found is false
// when the WAL header is there, valid, and of another generation than
// salt (the index is older than the WAL: no evidence).
func validFrames(wal io.ReaderAt, salt [8]byte, upTo uint32) (last uint32, why string, same bool) {
	hdr := make([]byte, walHeaderSize)
	if _, err := wal.ReadAt(hdr, 0); err != nil {
		return 0, "its header is missing (the file is shorter than 32 bytes)", true
	}
	be := binary.BigEndian
	magic := be.Uint32(hdr[0:])
	if magic&^1 != 0x377f0682 || be.Uint32(hdr[4:]) != 3007000 {
		return 0, "its header is not a WAL header (zeroed or overwritten)", true
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if magic&1 == 1 {
		order = binary.BigEndian
	}
	s1, s2 := walChecksum(order, hdr[:24], 0, 0)
	if s1 != be.Uint32(hdr[24:]) || s2 != be.Uint32(hdr[28:]) {
		return 0, "its header's checksum is wrong (overwritten)", true
	}
	if !bytes.Equal(hdr[16:24], salt[:]) {
		return 0, "", false
	}
	page := int64(be.Uint32(hdr[8:]))
	if page < 512 || page > 65536 || page&(page-1) != 0 {
		return 0, "its header names no valid page size", true
	}
	frame := make([]byte, walFrameHeaderSize+page)
	for i := uint32(1); i <= upTo; i++ {
		off := walHeaderSize + int64(i-1)*(walFrameHeaderSize+page)
		if _, err := wal.ReadAt(frame, off); err != nil {
			return last, fmt.Sprintf("it ends at frame %d (cut short)", i), true
		}
		if be.Uint32(frame[0:]) == 0 || !bytes.Equal(frame[8:16], hdr[16:24]) {
			return last, fmt.Sprintf("frame %d is not of this WAL (zeroed or overwritten)", i), true
		}
		s1, s2 = walChecksum(order, frame[:8], s1, s2)
		s1, s2 = walChecksum(order, frame[walFrameHeaderSize:], s1, s2)
		if s1 != be.Uint32(frame[16:]) || s2 != be.Uint32(frame[20:]) {
			return last, fmt.Sprintf("frame %d's checksum is wrong (damaged)", i), true
		}
		if be.Uint32(frame[4:]) != 0 { // a commit frame
			last = i
		}
	}
	return last, "", true
}

// walLossOf compares the WAL index shm with the WAL at walPath (absent
// when missing): the committed frames the index counts that SQLite's
// recovery would not find, beyond those already checkpointed.
func walLossOf(shm []byte, walPath string) (walLoss, bool) {
	x, ok := readWALIndex(shm)
	if !ok || x.mxFrame <= x.nBackfill {
		return walLoss{}, false // nothing that is only in the WAL
	}
	pending := x.mxFrame - x.nBackfill
	f, err := os.Open(walPath)
	if errors.Is(err, os.ErrNotExist) {
		return walLoss{lost: pending, frames: pending, why: "the file is missing"}, true
	}
	if err != nil {
		return walLoss{}, false // unreadable: the open that follows says why
	}
	defer f.Close()
	last, why, same := validFrames(f, x.salt, x.mxFrame)
	if !same || last >= x.mxFrame {
		return walLoss{}, false
	}
	kept := max(last, x.nBackfill)
	if kept >= x.mxFrame {
		return walLoss{}, false
	}
	return walLoss{lost: x.mxFrame - kept, frames: pending, why: why}, true
}

// checkWAL refuses a store whose WAL lost commits its WAL index still
// counts (ErrWALLost), before SQLite opens it: SQLite's first open
// rebuilds the index from what is left of the WAL, and the evidence with
// it. A store another process has open (or this one) is not looked at:
// its index is live (shmBusy). The -wal and -shm are looked for where
// SQLite puts them (sqliteBase: beside a symbolic link's target on
// Linux); looked for beside the link, none was found, and a store opened
// through a link lost its WAL's commits silently.
func checkWAL(path string) error {
	base := sqliteBase(path)
	shmPath := base + "-shm"
	if shmBusy(shmPath) {
		return nil
	}
	shm, err := readHead(shmPath, shmHeaderSize)
	if err != nil {
		return nil
	}
	loss, ok := walLossOf(shm, base+"-wal")
	if !ok {
		return nil
	}
	return mark.WithHint(fmt.Errorf("store %s: %s-wal: %s: %d of the %d WAL frames committed since the last checkpoint are gone: %w",
		path, base, loss.why, loss.lost, loss.frames, ErrWALLost),
		"the scans accepted since the last checkpoint are not in the store, and their serials would be accepted again. "+
			"If the -wal file was moved or copied away, put it back beside the store (the same one, before anything opens the store). "+
			"Otherwise put the last backup (made by `markd backup`) in place with `markd restore FILE`, which sets this store and its -wal and -shm aside: "+
			"with sync.url set it restores the serials accepted since from the collector before it accepts a mark")
}

// readHead reads up to n bytes from the start of the file at path.
func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	m, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b[:m], nil
}
