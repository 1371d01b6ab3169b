// The SQLite calls of the store's raw statements (rawstmt_linux.go,
// bulkraw_linux.go), and the value and bind loop they share. Weak: defined by the SQLite that
// github.com/mattn/go-sqlite3 links into the binary (cgo's own test link
// of this package does not have it; walvfs_linux.go does the same).
#ifndef MARKD_SQLITERAW_H
#define MARKD_SQLITERAW_H
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
extern int sqlite3_prepare_v3(sqlite3*, const char*, int, unsigned int, sqlite3_stmt**, const char**) __attribute__((weak));
extern int sqlite3_bind_null(sqlite3_stmt*, int) __attribute__((weak));
extern int sqlite3_bind_int64(sqlite3_stmt*, int, long long) __attribute__((weak));
extern int sqlite3_bind_text(sqlite3_stmt*, int, const char*, int, void(*)(void*)) __attribute__((weak));
extern int sqlite3_bind_blob(sqlite3_stmt*, int, const void*, int, void(*)(void*)) __attribute__((weak));
extern int sqlite3_step(sqlite3_stmt*) __attribute__((weak));
extern int sqlite3_reset(sqlite3_stmt*) __attribute__((weak));
extern int sqlite3_clear_bindings(sqlite3_stmt*) __attribute__((weak));
extern int sqlite3_finalize(sqlite3_stmt*) __attribute__((weak));
extern int sqlite3_changes(sqlite3*) __attribute__((weak));
extern int sqlite3_bind_parameter_count(sqlite3_stmt*) __attribute__((weak));
extern int sqlite3_column_count(sqlite3_stmt*) __attribute__((weak));
extern int sqlite3_column_type(sqlite3_stmt*, int) __attribute__((weak));
extern long long sqlite3_column_int64(sqlite3_stmt*, int) __attribute__((weak));
extern const unsigned char *sqlite3_column_text(sqlite3_stmt*, int) __attribute__((weak));
extern int sqlite3_column_bytes(sqlite3_stmt*, int) __attribute__((weak));
extern int sqlite3_extended_errcode(sqlite3*) __attribute__((weak));
extern const char *sqlite3_errmsg(sqlite3*) __attribute__((weak));

// A value: kind 0 NULL, 1 integer, 2 text, 3 blob (rawKind); text and
// blobs at off in the call's buffer.
typedef struct { int kind; int len; long long i; long long off; } rawVal;

// rawBind binds the n values v to s, text and blobs from buf without a
// copy (buf must outlive the bindings); 0 or the error's code.
static int rawBind(sqlite3_stmt *s, const rawVal *v, int n, const char *buf) {
  int rc = 0;
  for (int i = 0; i < n && rc == 0; i++) {
    const rawVal *a = &v[i];
    switch (a->kind) {
    case 0: rc = sqlite3_bind_null(s, i + 1); break;
    case 1: rc = sqlite3_bind_int64(s, i + 1, a->i); break;
    case 2: rc = sqlite3_bind_text(s, i + 1, buf + a->off, a->len, 0); break;
    default: rc = sqlite3_bind_blob(s, i + 1, buf + a->off, a->len, 0); break;
    }
  }
  return rc;
}
#endif
