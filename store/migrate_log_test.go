package store

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMigrationsLogOneLine: a new store (markd init) logs its migrations
// as one INFO line naming the schema version reached, not one line per
// migration; each migration stays in the debug log.
func TestMigrationsLogOneLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	db, err := Create(context.Background(), filepath.Join(t.TempDir(), "markd.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Contains(l, "migration") {
			lines = append(lines, l)
		}
	}
	names, err := migrationNames()
	if err != nil {
		t.Fatal(err)
	}
	_, last, err := migrationVersion(names[len(names)-1])
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "applied="+strconv.Itoa(len(names))) || !strings.Contains(lines[0], last) {
		t.Fatalf("migration log lines:\n%s\nwant one INFO line with applied=%d and %s", strings.Join(lines, "\n"), len(names), last)
	}
}
