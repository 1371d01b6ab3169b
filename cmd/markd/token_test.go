package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenRemoveSaysWhen: a removed token is still taken for up to 5 s
// (the web package's token cache, docs/local-api.md); the help and the
// answer of markd token remove say so instead of "at once".
func TestTokenRemoveSaysWhen(t *testing.T) {
	db := filepath.Join(t.TempDir(), "markd.db")
	initStore(t, db)
	markd := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := markd("token", "add", "kassa", "--db", db); code != 0 {
		t.Fatalf("token add: exit %d\n%s", code, out)
	}
	code, out := markd("token", "remove", "kassa", "--db", db)
	if code != 0 || !strings.Contains(out, "token kassa removed") || !strings.Contains(out, "within 5 s") {
		t.Errorf("token remove: exit %d, %q; want it to say the token is refused within 5 s", code, out)
	}
	_, help := markd("token", "remove", "--help")
	if strings.Contains(help, "at once") || !strings.Contains(help, "within 5 s") {
		t.Errorf("token remove --help: %q; want within 5 s", help)
	}
	_, help = markd("token", "--help")
	if !strings.Contains(help, "within 5 s") {
		t.Errorf("token --help lists remove as %q; want within 5 s", help)
	}
}
