package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"markd/mark"
)

// Closing a store whose file was overwritten in place (ErrOverwritten).
// The -wal beside the file belongs to the store the copy replaced: the
// last close of SQLite checkpointed it into the copy, so markd stopped
// and started again on a mix of both (found: "database disk image is
// malformed" on some used serials' lookups, a new serial ACCEPTed). So
// the close leaves the file as it was written and sets the log aside:
//
//   - a shared lock of its own (an OFD lock on Linux, LockFileEx on
//     Windows, through the descriptor CheckFile reads with) on a byte of
//     the range SQLite locks for readers, held while the store's
//     connections close: the last one cannot lock the file exclusively,
//     which its checkpoint at close needs, so it leaves the WAL as it is;
//   - the WAL state file stays "open" and the -wal and -shm are renamed
//     to PATH.overwritten-TIME-wal and -shm (kept, never deleted: the
//     newest commits of the store that was overwritten).
//
// The next start then finds a store marked open with neither log beside
// it but the one set aside, and refuses it (ErrWALLost, saying it was
// overwritten) until a backup is put in place with `markd restore`.
// Where no state file is kept (macOS, the BSDs) that refusal does not
// come.

// sqliteSharedFirst is the first byte of the range SQLite's readers lock
// (PENDING_BYTE + 2) and its exclusive lock takes whole.
const sqliteSharedFirst = 0x40000000 + 2

// closeOverwritten is Close's release for an overwritten store.
func (d *DB) closeOverwritten() error {
	noCheckpoint := func() bool { return false }
	f := d.file.content.f
	err := errors.ErrUnsupported
	if f != nil {
		err = tryLock(f, sqliteSharedFirst, false)
	}
	if err != nil {
		d.log.Error("the overwritten store's log could not be kept out of its file: SQLite's close checkpoints it into the copy",
			"path", d.path, "err", err)
		return d.state.release(d.log, nil, noCheckpoint, d.db.Close)
	}
	err = d.state.release(d.log, nil, noCheckpoint, d.db.Close)
	unlockByte(f, sqliteSharedFirst) //nolint:errcheck // closeContent closes f next
	if err != nil {
		return err
	}
	base := sqliteBase(d.path)
	aside := base + ".overwritten-" + d.now().UTC().Format("20060102T150405Z")
	for _, s := range []string{"-wal", "-shm"} {
		if err := os.Rename(base+s, aside+s); err != nil && !errors.Is(err, os.ErrNotExist) {
			d.log.Error("the overwritten store's log could not be set aside", "path", base+s, "err", err)
			return nil
		}
	}
	d.log.Error("the store's file was overwritten while markd ran: its write-ahead log, the newest commits of the store it replaced, is set aside; "+
		"markd will not start on this store until a backup is put in place with `markd restore FILE`",
		"path", d.path, "log", aside+"-wal")
	return nil
}

// overwrittenAside is the newest -wal closeOverwritten set aside beside
// the store whose SQLite base is base, or "".
func overwrittenAside(base string) string {
	entries, err := os.ReadDir(filepath.Dir(base))
	if err != nil {
		return ""
	}
	prefix := filepath.Base(base) + ".overwritten-"
	newest := ""
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, prefix) && strings.HasSuffix(n, "-wal") && n > newest {
			newest = n
		}
	}
	if newest == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(base), newest)
}

// overwrittenStartErr is the refusal to open a store markd stopped on
// after its file was overwritten in place (ErrWALLost: exit 78).
func overwrittenStartErr(path, aside string) error {
	return mark.WithHint(fmt.Errorf("store %s was overwritten in place while markd ran, and markd stopped on it: "+
		"the file is the copy written over the store, without the scans accepted since that copy was made, and the store's own write-ahead log is set aside as %s: %w",
		path, aside, ErrWALLost),
		"put the backup in place with `markd restore FILE` (it sets this file and its state aside): "+
			"with sync.url set it restores the serials accepted since from the collector before it accepts a mark. "+
			"Do not put "+aside+" back beside the store: it belongs to the store that was overwritten, and SQLite would replay it into the copy")
}
