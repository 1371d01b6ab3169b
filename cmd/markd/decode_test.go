package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"markd/internal/testdata"
)

// decodeHardMinimum is the hard-set share required when zbarimg is not
// installed: zbarimg 0.23 reads 20 of its 24 frames.
const decodeHardMinimum = 20

func TestDecodeCommandSets(t *testing.T) {
	for _, set := range []string{"qr", "qr-hard"} {
		t.Run(set, func(t *testing.T) {
			dir := testdata.Set(t, set)
			raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			var manifest []struct{ File, Text string }
			if err := json.Unmarshal(raw, &manifest); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			args := []string{"decode"}
			for _, e := range manifest {
				p := filepath.Join(dir, e.File)
				want[p] = e.Text
				args = append(args, p)
			}
			var out, errb bytes.Buffer
			if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != 0 {
				t.Fatalf("markd decode: exit %d, stderr %s", code, errb.String())
			}
			decoded := map[string]bool{}
			lines := 0
			sc := bufio.NewScanner(&out)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				lines++
				var l decodeLine
				if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
					t.Fatalf("output line %q: %v", sc.Text(), err)
				}
				if l.Error != "" {
					t.Errorf("%s: error %s", l.File, l.Error)
				}
				for _, c := range l.Codes {
					if c != want[l.File] {
						t.Errorf("%s: decoded %q, want %q", l.File, c, want[l.File])
					} else {
						decoded[l.File] = true
					}
				}
			}
			if lines != len(manifest) {
				t.Errorf("%d output lines for %d files", lines, len(manifest))
			}
			t.Logf("%s: decoded %d of %d (%.0f %%)", set, len(decoded), len(manifest), 100*float64(len(decoded))/float64(len(manifest)))
			if set == "qr" {
				if len(decoded) != len(manifest) {
					t.Errorf("easy set: decoded %d of %d, want all", len(decoded), len(manifest))
				}
				return
			}
			if _, err := exec.LookPath("zbarimg"); err != nil {
				if len(decoded) < decodeHardMinimum {
					t.Errorf("hard set: decoded %d, want at least %d (zbarimg not installed to compare)", len(decoded), decodeHardMinimum)
				}
				return
			}
			zbar := 0
			for p, text := range want {
				b, _ := exec.Command("zbarimg", "-q", "--raw", p).Output()
				if !strings.Contains(string(b), text) {
					continue
				}
				zbar++
				if !decoded[p] {
					t.Errorf("%s: zbarimg decodes it, markd decode does not", p)
				}
			}
			t.Logf("zbarimg decodes %d of %d", zbar, len(manifest))
		})
	}
}

func TestDecodeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	notImage := filepath.Join(dir, "note.png")
	if err := os.WriteFile(notImage, []byte("not a png"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantLines int
		wantError bool
	}{
		{"no files", []string{"decode"}, exitUsage, 0, false},
		{"missing file", []string{"decode", filepath.Join(dir, "absent.png")}, 0, 1, true},
		{"not an image", []string{"decode", notImage}, 0, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errb)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d (stderr %s)", code, tt.wantCode, errb.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if tt.wantLines == 0 {
				if out.Len() != 0 {
					t.Errorf("output %q, want none", out.String())
				}
				return
			}
			if len(lines) != tt.wantLines {
				t.Fatalf("%d lines, want %d: %q", len(lines), tt.wantLines, out.String())
			}
			var l decodeLine
			if err := json.Unmarshal([]byte(lines[0]), &l); err != nil {
				t.Fatal(err)
			}
			if (l.Error != "") != tt.wantError || l.Codes == nil || len(l.Codes) != 0 {
				t.Errorf("line %+v: want error=%v and an empty codes list", l, tt.wantError)
			}
			if !strings.Contains(lines[0], `"codes":[]`) {
				t.Errorf("line %s: codes must be an empty JSON list, not null", lines[0])
			}
		})
	}
}
