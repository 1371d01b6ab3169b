package hubtest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
)

// RestoreDump runs the gzipped plain-SQL pg_dump file into the empty
// database dsn on a connection of its own (the dump empties search_path
// for its session). pg_dump's \restrict and \unrestrict lines (psql's
// guard against meta-commands in the data) are left out; any other psql
// meta-command is refused, naming its line.
func RestoreDump(ctx context.Context, dsn, file string) error {
	gz, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var sql strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, `\`) {
			if strings.HasPrefix(line, `\restrict `) || strings.HasPrefix(line, `\unrestrict `) {
				continue
			}
			return fmt.Errorf("%s line %d: a psql meta-command (%.20s) in the dump: only SQL is restored here", file, n, line)
		}
		sql.WriteString(line)
		sql.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.PgConn().Exec(ctx, sql.String()).ReadAll(); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}
