//go:build cgo

package store

/*
// A VFS over SQLite's default one ("unix") that hands the frames of one
// WAL commit to the kernel in one write instead of two per frame (a
// 24-byte header and the page). Everything else is passed through.
//
// SQLite writes a commit's frames in order at increasing offsets, the
// commit frame last (its header holds the database size in bytes 4-7,
// zero in every other frame). The WAL file buffers writes that continue
// the previous one and writes the buffer when the commit frame's page is
// in it, so the write and its error come back from the xWrite of that
// page, before SQLite syncs and publishes the frames. Any other call on
// the WAL file (read, sync, size, truncate, lock, file control, close)
// and the main file's shared-memory barrier (just before SQLite publishes
// new frames to other connections) write the buffer first, so no reader
// ever sees a frame that is not in the file. Durability is SQLite's own:
// nothing is durable before its xSync, and xSync writes the buffer first.
//
// The signature gate (gate.go): arming a connection's gate slot (set with
// the file control WV_FCNTL_GATE on its main file) makes the WAL's xSync
// that follows a commit frame start the write-out of the frames
// (sync_file_range, which does not wait), run the check on the committing
// thread (a callback into Go, markdGateCheck) while the device writes
// them, and then sync. Good: SQLITE_OK, SQLite publishes the frames. Bad:
// the salt of the commit frame's header is inverted and synced, so WAL
// recovery stops before that frame (the commit is not in the WAL for
// anyone, now or after a crash), and the sync fails: SQLite does not
// publish the frames, rolls the transaction back, and the next write
// transaction writes over them.

#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

typedef long long sqlite3_int64;
typedef struct sqlite3_file sqlite3_file;
typedef struct sqlite3_io_methods sqlite3_io_methods;
typedef struct sqlite3_vfs sqlite3_vfs;
typedef void (*sqlite3_syscall_ptr)(void);
struct sqlite3_file { const struct sqlite3_io_methods *pMethods; };
struct sqlite3_io_methods {
  int iVersion;
  int (*xClose)(sqlite3_file*);
  int (*xRead)(sqlite3_file*, void*, int iAmt, sqlite3_int64 iOfst);
  int (*xWrite)(sqlite3_file*, const void*, int iAmt, sqlite3_int64 iOfst);
  int (*xTruncate)(sqlite3_file*, sqlite3_int64 size);
  int (*xSync)(sqlite3_file*, int flags);
  int (*xFileSize)(sqlite3_file*, sqlite3_int64 *pSize);
  int (*xLock)(sqlite3_file*, int);
  int (*xUnlock)(sqlite3_file*, int);
  int (*xCheckReservedLock)(sqlite3_file*, int *pResOut);
  int (*xFileControl)(sqlite3_file*, int op, void *pArg);
  int (*xSectorSize)(sqlite3_file*);
  int (*xDeviceCharacteristics)(sqlite3_file*);
  int (*xShmMap)(sqlite3_file*, int iPg, int pgsz, int, void volatile**);
  int (*xShmLock)(sqlite3_file*, int offset, int n, int flags);
  void (*xShmBarrier)(sqlite3_file*);
  int (*xShmUnmap)(sqlite3_file*, int deleteFlag);
  int (*xFetch)(sqlite3_file*, sqlite3_int64 iOfst, int iAmt, void **pp);
  int (*xUnfetch)(sqlite3_file*, sqlite3_int64 iOfst, void *p);
};
struct sqlite3_vfs {
  int iVersion;
  int szOsFile;
  int mxPathname;
  sqlite3_vfs *pNext;
  const char *zName;
  void *pAppData;
  int (*xOpen)(sqlite3_vfs*, const char *zName, sqlite3_file*, int flags, int *pOutFlags);
  int (*xDelete)(sqlite3_vfs*, const char *zName, int syncDir);
  int (*xAccess)(sqlite3_vfs*, const char *zName, int flags, int *pResOut);
  int (*xFullPathname)(sqlite3_vfs*, const char *zName, int nOut, char *zOut);
  void *(*xDlOpen)(sqlite3_vfs*, const char *zFilename);
  void (*xDlError)(sqlite3_vfs*, int nByte, char *zErrMsg);
  void (*(*xDlSym)(sqlite3_vfs*,void*, const char *zSymbol))(void);
  void (*xDlClose)(sqlite3_vfs*, void*);
  int (*xRandomness)(sqlite3_vfs*, int nByte, char *zOut);
  int (*xSleep)(sqlite3_vfs*, int microseconds);
  int (*xCurrentTime)(sqlite3_vfs*, double*);
  int (*xGetLastError)(sqlite3_vfs*, int, char *);
  int (*xCurrentTimeInt64)(sqlite3_vfs*, sqlite3_int64*);
  int (*xSetSystemCall)(sqlite3_vfs*, const char *zName, sqlite3_syscall_ptr);
  sqlite3_syscall_ptr (*xGetSystemCall)(sqlite3_vfs*, const char *zName);
  const char *(*xNextSystemCall)(sqlite3_vfs*, const char *zName);
};
// Weak: defined by the SQLite that github.com/mattn/go-sqlite3 links into
// the binary (cgo's own test link of this package does not have it).
extern sqlite3_vfs *sqlite3_vfs_find(const char*) __attribute__((weak));
extern int sqlite3_vfs_register(sqlite3_vfs*, int) __attribute__((weak));
extern sqlite3_file *sqlite3_database_file_object(const char*) __attribute__((weak));
extern int sqlite3_uri_boolean(const char*, const char*, int) __attribute__((weak));

#define WV_OK 0
#define WV_NOMEM 7
#define WV_OPEN_WAL 0x00080000
#define WV_BUF (64 * 1024)
// SQLite's unix VFS writes at most 128 KiB - 1 bytes in one call (it masks
// the length with 0x1ffff): a buffer is written in one call only below that.
#define WV_MAIN_BUF (124 * 1024)
#define WV_OPEN_MAIN_DB 0x00000100
#define WV_FRAME_HDR 24
#define WV_IOERR_GATE (10 | (4 << 8)) // SQLITE_IOERR_FSYNC: what a failed sync gives
#define WV_NOTFOUND 12
#define WV_FCNTL_GATE 0x6d6b6701     // markd's file control: the gate slot of a connection
#include "walgate.h"

typedef struct wvFile wvFile;
struct wvFile {
  sqlite3_file base;
  sqlite3_file *real;  // the default VFS's file, allocated after this struct
  wvFile *wal;         // main file: its WAL while open
  wvFile *db;          // WAL: its main file
  char *buf;           // WAL, and a combining main file: writes not yet handed to the kernel
  int cap;             // size of buf
  int len;
  int ferr;            // main file: a write of buf that failed where the caller may ignore it (wvFlushErr)
  int commit;          // WAL: the buffer ends with a commit frame's header
  sqlite3_int64 off;   // WAL: file offset of buf[0]
  int gate;            // main file: gate slot, 0 = none
  int cmSync;          // WAL: a commit frame is written, its sync comes next
  sqlite3_int64 cmHdr; // WAL: offset of the last commit frame's header
  unsigned char cmSalt[4]; // WAL: its salt-1
  int outFd;           // WAL: a descriptor of its own for sync_file_range, opened at the first
                       // gated sync (only a scan writer's WAL needs one); -2 not yet, -1 none
  const char *path;    // WAL: its name (SQLite keeps it valid until xClose)
};

static sqlite3_vfs wvVfs;
static sqlite3_io_methods wvWalMethods, wvMainMethods, wvMainMethodsV1, wvMainMethodsV2;
static volatile long long wvWrites, wvFlushes, wvMainWrites, wvMainFlushes; // for the tests

#define ORIG ((sqlite3_vfs*)wvVfs.pAppData)
#define REAL(f) (((wvFile*)(f))->real)

// tests: a main file's buffer that would grow the file fails to write,
// as on a full disk (where rewriting the file's blocks still works)
static volatile int wvMainFail;

static int wvFlush(wvFile *p) {
  if (p->len == 0) return WV_OK;
  int n = p->len;
  p->len = 0;
  p->commit = 0;
  int wal = p->base.pMethods == &wvWalMethods;
  __sync_fetch_and_add(wal ? &wvFlushes : &wvMainFlushes, 1);
  if (!wal && wvMainFail) {
    sqlite3_int64 size = 0;
    int rc = p->real->pMethods->xFileSize(p->real, &size);
    if (rc == WV_OK && p->off + n > size) rc = 13; // SQLITE_FULL
    if (rc != WV_OK) {
      p->ferr = rc;
      return rc;
    }
  }
  int rc = p->real->pMethods->xWrite(p->real, p->buf, n, p->off);
  if (rc != WV_OK && !wal) p->ferr = rc;
  return rc;
}

// wvFlushErr writes a main file's buffer and returns, once, the error of
// any write of it that failed since the last call. SQLite ignores what some calls
// return (xShmBarrier; SQLITE_FCNTL_CKPT_DONE, which writes the last pages
// of a checkpoint): a failed write must still fail the sync (or truncate)
// that follows, or the checkpoint would count pages the file never got
// and the next commit would restart the WAL over them.
static int wvFlushErr(wvFile *p) {
  wvFlush(p);
  int rc = p->ferr;
  p->ferr = 0;
  return rc;
}

// wvAppend adds a write to p's buffer; a write that does not continue the
// buffer, or does not fit, writes the buffer first. *direct says the write
// was too large for the buffer and went to the kernel as it came.
static int wvAppend(wvFile *p, const void *z, int n, sqlite3_int64 off, int *direct) {
  *direct = 0;
  if (p->len > 0 && (off != p->off + p->len || p->len + n > p->cap)) {
    int rc = wvFlush(p);
    if (rc != WV_OK) {
      p->ferr = 0; // reported to the write
      return rc;
    }
  }
  if (p->len == 0 && n > p->cap) {
    __sync_fetch_and_add(p->base.pMethods == &wvWalMethods ? &wvFlushes : &wvMainFlushes, 1);
    *direct = 1;
    return p->real->pMethods->xWrite(p->real, z, n, off);
  }
  if (p->len == 0) p->off = off;
  memcpy(p->buf + p->len, z, n);
  p->len += n;
  return WV_OK;
}

static int wvWalWrite(sqlite3_file *f, const void *z, int n, sqlite3_int64 off) {
  wvFile *p = (wvFile*)f;
  int commitPage = p->commit; // the previous write was a commit frame's header
  __sync_fetch_and_add(&wvWrites, 1);
  int direct;
  int rc = wvAppend(p, z, n, off, &direct);
  if (rc != WV_OK || direct) return rc;
  if (commitPage) { // the commit frame's page: the last of the commit
    int rc = wvFlush(p);
    if (rc == WV_OK) p->cmSync = 1;
    return rc;
  }
  if (n == WV_FRAME_HDR && off >= 32) {
    const unsigned char *h = z;
    p->commit = (h[4] | h[5] | h[6] | h[7]) != 0;
    if (p->commit) {
      p->cmHdr = off;
      memcpy(p->cmSalt, h + 8, 4);
    }
  }
  return WV_OK;
}


// wvWalSync syncs; the sync after a commit frame passes the connection's
// gate when it is armed: the frames' write-out is started, the check runs
// while the device writes them, and the sync follows.
static int wvWalSync(sqlite3_file *f, int flags) {
  wvFile *p = (wvFile*)f;
  int rc = wvFlush(p);
  if (rc != WV_OK) return rc;
  int gated = p->cmSync;
  p->cmSync = 0;
  int slot = p->db ? p->db->gate : 0;
  if (!gated || slot <= 0 || slot > WV_GATES || !__atomic_load_n(&wvGates[slot].armed, __ATOMIC_ACQUIRE))
    return p->real->pMethods->xSync(p->real, flags);
  wvGate *g = &wvGates[slot];
  g->armed = 0;
  // Start writing the frames out (failure is harmless: the sync writes them).
  if (p->outFd == -2) p->outFd = open(p->path, O_RDWR | O_CLOEXEC);
  if (p->outFd >= 0) sync_file_range(p->outFd, 0, 0, SYNC_FILE_RANGE_WRITE); // only this commit's pages are dirty
  int ok = markdGateCheck(slot);
  rc = p->real->pMethods->xSync(p->real, flags);
  if (ok) {
    if (rc == WV_OK) __atomic_store_n(&g->fired, 1, __ATOMIC_RELEASE);
    return rc;
  }
  // Refused: break the commit frame's salt, durably, before saying so
  // (also when the sync failed: its frames may be on the disk).
  unsigned char salt[4];
  for (int i = 0; i < 4; i++) salt[i] = (unsigned char)~p->cmSalt[i];
  int wrc = p->real->pMethods->xWrite(p->real, salt, 4, p->cmHdr + 8);
  if (wrc == WV_OK) wrc = p->real->pMethods->xSync(p->real, flags);
  __atomic_store_n(&g->fired, wrc == WV_OK ? 2 : 3, __ATOMIC_RELEASE);
  return WV_IOERR_GATE;
}

// Every other method of the WAL file writes the buffer first.
#define WV_FLUSHED(f) do { int rc_ = wvFlush((wvFile*)(f)); if (rc_ != WV_OK) return rc_; } while (0)

static int wvWalClose(sqlite3_file *f) {
  wvFile *p = (wvFile*)f;
  int rc = wvFlush(p);
  int rc2 = p->real->pMethods->xClose(p->real);
  if (p->db && p->db->wal == p) p->db->wal = 0;
  if (p->outFd >= 0) close(p->outFd); // the WAL file holds no locks: closing it drops none
  p->outFd = -1;
  free(p->buf);
  p->buf = 0;
  return rc != WV_OK ? rc : rc2;
}
static int wvWalRead(sqlite3_file *f, void *z, int n, sqlite3_int64 off) { WV_FLUSHED(f); return REAL(f)->pMethods->xRead(REAL(f), z, n, off); }
static int wvWalTruncate(sqlite3_file *f, sqlite3_int64 size) { WV_FLUSHED(f); return REAL(f)->pMethods->xTruncate(REAL(f), size); }
static int wvWalFileSize(sqlite3_file *f, sqlite3_int64 *pSize) { WV_FLUSHED(f); return REAL(f)->pMethods->xFileSize(REAL(f), pSize); }
static int wvWalLock(sqlite3_file *f, int l) { WV_FLUSHED(f); return REAL(f)->pMethods->xLock(REAL(f), l); }
static int wvWalUnlock(sqlite3_file *f, int l) { WV_FLUSHED(f); return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int wvWalFileControl(sqlite3_file *f, int op, void *a) { WV_FLUSHED(f); return REAL(f)->pMethods->xFileControl(REAL(f), op, a); }

// The main file and every other file but the WAL: passed through, except
// that a main database file opened with the URI parameter markd_combine=1
// combines writes that continue each other (a checkpoint writes its pages
// in page order, one call each: ~20 µs a call on the virtual machines the
// counters were measured on, docs/notes/perf.md). The buffer is written
// before any other call on the file (read, sync, size, truncate, lock,
// file control, memory map, shared memory, close). A checkpoint syncs the
// file before it tells readers that the pages are in it (nBackfill) — with
// synchronous NORMAL or FULL, which is why only the store, whose
// connections are FULL, asks for it — so no reader reads the file where a
// page is still in the buffer; a crash loses only what was not synced,
// which the WAL still holds. A write of the buffer that fails where
// SQLite ignores the result (the checkpoint's last pages, written at
// SQLITE_FCNTL_CKPT_DONE) fails the sync that follows (wvFlushErr).
#define WV_MAIN_FLUSHED(f) do { if (((wvFile*)(f))->buf) WV_FLUSHED(f); } while (0)
static int wvClose(sqlite3_file *f) {
  wvFile *p = (wvFile*)f;
  int rc = wvFlush(p);
  if (p->wal) p->wal->db = 0;
  int rc2 = p->real->pMethods->xClose(p->real);
  free(p->buf);
  p->buf = 0;
  return rc != WV_OK ? rc : rc2;
}
static int wvRead(sqlite3_file *f, void *z, int n, sqlite3_int64 off) { WV_MAIN_FLUSHED(f); return REAL(f)->pMethods->xRead(REAL(f), z, n, off); }
static int wvWrite(sqlite3_file *f, const void *z, int n, sqlite3_int64 off) {
  wvFile *p = (wvFile*)f;
  if (!p->buf) return REAL(f)->pMethods->xWrite(REAL(f), z, n, off);
  __sync_fetch_and_add(&wvMainWrites, 1);
  int direct;
  return wvAppend(p, z, n, off, &direct);
}
static int wvTruncate(sqlite3_file *f, sqlite3_int64 size) {
  int rc = wvFlushErr((wvFile*)f);
  return rc != WV_OK ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int wvSync(sqlite3_file *f, int flags) {
  int rc = wvFlushErr((wvFile*)f);
  return rc != WV_OK ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int wvFileSize(sqlite3_file *f, sqlite3_int64 *pSize) { WV_MAIN_FLUSHED(f); return REAL(f)->pMethods->xFileSize(REAL(f), pSize); }
static int wvLock(sqlite3_file *f, int l) { WV_MAIN_FLUSHED(f); return REAL(f)->pMethods->xLock(REAL(f), l); }
static int wvUnlock(sqlite3_file *f, int l) { WV_MAIN_FLUSHED(f); return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int wvCheckReservedLock(sqlite3_file *f, int *r) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r); }
static int wvFileControl(sqlite3_file *f, int op, void *a) {
  WV_MAIN_FLUSHED(f);
  if (op == WV_FCNTL_GATE) {
    int slot = *(int*)a;
    if (slot < 0 || slot > WV_GATES) return WV_NOTFOUND;
    ((wvFile*)f)->gate = slot;
    return WV_OK;
  }
  return REAL(f)->pMethods->xFileControl(REAL(f), op, a);
}
static int wvSectorSize(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int wvDeviceCharacteristics(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int wvShmMap(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp) { WV_MAIN_FLUSHED(f); return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, pp); }
static int wvShmLock(sqlite3_file *f, int off, int n, int flags) {
  wvFile *p = (wvFile*)f;
  if (p->wal) wvFlush(p->wal); // defensive: a commit's frames are written by now
  WV_MAIN_FLUSHED(f);
  return p->real->pMethods->xShmLock(p->real, off, n, flags);
}
static void wvShmBarrier(sqlite3_file *f) {
  wvFile *p = (wvFile*)f;
  if (p->wal) wvFlush(p->wal); // defensive: see wvWalWrite; the commit frame flushed already
  if (p->buf) wvFlush(p); // a void method: a failed write shows at the sync that follows
  p->real->pMethods->xShmBarrier(p->real);
}
static int wvShmUnmap(sqlite3_file *f, int del) { WV_MAIN_FLUSHED(f); return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }
static int wvFetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp) { WV_MAIN_FLUSHED(f); return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp); }
static int wvUnfetch(sqlite3_file *f, sqlite3_int64 off, void *pp) { return REAL(f)->pMethods->xUnfetch(REAL(f), off, pp); }

static int wvOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *outFlags) {
  wvFile *p = (wvFile*)f;
  memset(p, 0, sizeof(*p));
  p->outFd = -1;
  p->real = (sqlite3_file*)((char*)p + ((sizeof(wvFile) + 7) & ~7));
  int rc = ORIG->xOpen(ORIG, name, p->real, flags, outFlags);
  if (rc != WV_OK) {
    if (p->real->pMethods) p->real->pMethods->xClose(p->real);
    p->base.pMethods = 0;
    return rc;
  }
  const sqlite3_io_methods *rm = p->real->pMethods;
  if ((flags & WV_OPEN_WAL) && name) {
    p->buf = malloc(WV_BUF);
    p->cap = WV_BUF;
    if (!p->buf) {
      rm->xClose(p->real);
      p->base.pMethods = 0;
      return WV_NOMEM;
    }
    p->outFd = -2;
    p->path = name;
    wvFile *db = (wvFile*)sqlite3_database_file_object(name);
    if (db && (db->base.pMethods == &wvMainMethods || db->base.pMethods == &wvMainMethodsV2)) {
      db->wal = p;
      p->db = db;
    }
    p->base.pMethods = &wvWalMethods;
    return WV_OK;
  }
  if ((flags & WV_OPEN_MAIN_DB) && name && sqlite3_uri_boolean && sqlite3_uri_boolean(name, "markd_combine", 0)) {
    p->buf = malloc(WV_MAIN_BUF); // none: writes pass through
    p->cap = WV_MAIN_BUF;
  }
  // The default VFS's version for this file decides which methods SQLite
  // may call (a file without shared memory has no xShmMap).
  p->base.pMethods = rm->iVersion >= 3 ? &wvMainMethods : rm->iVersion == 2 ? &wvMainMethodsV2 : &wvMainMethodsV1;
  return WV_OK;
}

static int wvRegister(void) {
  if (wvVfs.zName) return 0;
  if (!sqlite3_vfs_find || !sqlite3_vfs_register || !sqlite3_database_file_object) return 1;
  sqlite3_vfs *orig = sqlite3_vfs_find(0);
  if (!orig) return 1;
  wvVfs = *orig;
  wvVfs.pNext = 0;
  wvVfs.zName = "markd-wal";
  wvVfs.pAppData = orig;
  wvVfs.szOsFile = (int)((sizeof(wvFile) + 7) & ~7) + orig->szOsFile;
  wvVfs.xOpen = wvOpen;
  sqlite3_io_methods m = {3, wvClose, wvRead, wvWrite, wvTruncate, wvSync, wvFileSize, wvLock, wvUnlock,
    wvCheckReservedLock, wvFileControl, wvSectorSize, wvDeviceCharacteristics, wvShmMap, wvShmLock,
    wvShmBarrier, wvShmUnmap, wvFetch, wvUnfetch};
  wvMainMethods = m;
  wvMainMethodsV2 = m;
  wvMainMethodsV2.iVersion = 2;
  wvMainMethodsV1 = m;
  wvMainMethodsV1.iVersion = 1;
  wvWalMethods = m;
  wvWalMethods.xClose = wvWalClose;
  wvWalMethods.xRead = wvWalRead;
  wvWalMethods.xWrite = wvWalWrite;
  wvWalMethods.xTruncate = wvWalTruncate;
  wvWalMethods.xSync = wvWalSync;
  wvWalMethods.xFileSize = wvWalFileSize;
  wvWalMethods.xLock = wvWalLock;
  wvWalMethods.xUnlock = wvWalUnlock;
  wvWalMethods.xFileControl = wvWalFileControl;
  return sqlite3_vfs_register(&wvVfs, 0);
}

static long long wvStatWrites(void) { return wvWrites; }
static long long wvStatFlushes(void) { return wvFlushes; }
static long long wvStatMainWrites(void) { return wvMainWrites; }
static long long wvStatMainFlushes(void) { return wvMainFlushes; }
static void wvSetMainFail(int on) { wvMainFail = on; }
*/
import "C"

import (
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// walVFS is the VFS of the store's connections: SQLite's default with a
// WAL file that writes each commit's frames in one call (see the C above;
// issue 12: 2 write calls per frame were most of what a scan's commit
// cost beyond the bare one-row commit).
const walVFS = "markd-wal"

var walVFSOnce sync.Once
var walVFSOK bool

// WALVFS returns the name of the VFS the store opens its files with, ""
// for SQLite's default; benchmarks use it to open a file as the store does.
func WALVFS() string { return vfsParam() }

// vfsParam is the DSN parameter naming the store's VFS, "" when the
// default is used (the VFS could not be registered).
func vfsParam() string {
	walVFSOnce.Do(func() { walVFSOK = C.wvRegister() == 0 })
	if !walVFSOK {
		return ""
	}
	return walVFS
}

// mainWriteStats returns how many writes SQLite made to main files that
// combine them and how many the kernel got (tests).
func mainWriteStats() (writes, flushes int64) {
	return int64(C.wvStatMainWrites()), int64(C.wvStatMainFlushes())
}

// failMainWrites makes the writes of main files that combine them fail
// (SQLITE_FULL) where they would grow the file, while on: a full disk
// during a checkpoint (tests).
func failMainWrites(on bool) {
	v := 0
	if on {
		v = 1
	}
	C.wvSetMainFail(C.int(v))
}

// walWriteStats returns how many writes SQLite made to WAL files and how
// many the kernel got (tests).
func walWriteStats() (writes, flushes int64) {
	return int64(C.wvStatWrites()), int64(C.wvStatFlushes())
}

// gateSlots hands out the VFS's gate slots (1..WV_GATES), one per scan
// writer connection.
var gateSlots struct {
	mu   sync.Mutex
	used [C.WV_GATES + 1]bool
}

// gateChecks holds the check of each armed slot for markdGateCheck.
var gateChecks [C.WV_GATES + 1]atomic.Pointer[func() bool]

// errNotSQLite: the driver connection is not go-sqlite3's.
var errNotSQLite = errors.New("not a go-sqlite3 connection")

// gateAttach gives conn (on the store's VFS) a gate slot and returns it;
// 0 when it has none (no VFS, no slot free, the file control refused),
// and then the writer waits for a check before COMMIT instead.
func gateAttach(conn *sql.Conn) int {
	if vfsParam() == "" {
		return 0
	}
	gateSlots.mu.Lock()
	slot := 0
	for i := 1; i < len(gateSlots.used); i++ {
		if !gateSlots.used[i] {
			slot, gateSlots.used[i] = i, true
			break
		}
	}
	gateSlots.mu.Unlock()
	if slot == 0 {
		return 0
	}
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return errNotSQLite
		}
		return c.SetFileControlInt("main", C.WV_FCNTL_GATE, slot)
	})
	if err != nil {
		gateFree(slot)
		return 0
	}
	return slot
}

// gateDetach takes conn's main file off its gate slot before the
// connection goes back to the pool (the slot may serve another writer).
func gateDetach(conn *sql.Conn) {
	_ = conn.Raw(func(dc any) error {
		if c, ok := dc.(*sqlite3.SQLiteConn); ok {
			return c.SetFileControlInt("main", C.WV_FCNTL_GATE, 0)
		}
		return nil
	})
}

// gateFree gives a slot back once its connection is closed or detached.
func gateFree(slot int) {
	if slot <= 0 {
		return
	}
	C.wvGateClear(C.int(slot))
	gateSlots.mu.Lock()
	gateSlots.used[slot] = false
	gateSlots.mu.Unlock()
}

// gateArm arms a slot: the next commit's sync on its connection runs
// check (markdGateCheck) while the commit's frames are written out.
func gateArm(slot int, check func() bool) {
	gateChecks[slot].Store(&check)
	C.wvGateArm(C.int(slot))
}

// gateDisarm disarms a slot once its transaction is over and returns what the
// commit's sync did with it (gateNotReached, gatePassed, gateRefused,
// gateRefusedUnwritten).
func gateDisarm(slot int) int {
	fired := int(C.wvGateDisarm(C.int(slot)))
	gateChecks[slot].Store(nil)
	return fired
}
