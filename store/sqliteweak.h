// The SQLite calls of the store's raw statements (rawstmt_linux.go,
// bulkraw_linux.go). Weak: defined by the SQLite that
// github.com/mattn/go-sqlite3 links into the binary (cgo's own test link
// of this package does not have it; walvfs_linux.go does the same).
#ifndef MARKD_SQLITEWEAK_H
#define MARKD_SQLITEWEAK_H
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
#endif
