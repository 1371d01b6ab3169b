package main

import (
	"bytes"
	"errors"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// committed is the regression set qrgen made; its frames must stay
// reproducible.
const committed = "../../../qrdecode/testdata/generated"

func needQrencode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("qrencode"); err != nil {
		t.Skip("qrencode is not installed (Debian package qrencode): the frames cannot be rendered")
	}
}

// TestGenerateOnePerCategory renders one frame of each degradation (per 1
// has no combos) and checks the frames, manifest.json and params.json.
func TestGenerateOnePerCategory(t *testing.T) {
	needQrencode(t)
	dir := t.TempDir()
	if err := run([]string{"generate", dir, "-seed", "777", "-per", "1", "-prefix", "t"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	want := []string{"t-small-00.png", "t-jpeg-00.jpg", "t-motion-00.png", "t-faint-00.png", "t-shadow-00.png", "t-hd-00.png"}
	man, err := readManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := readParams(filepath.Join(dir, "params.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(man) != len(want) || len(ps) != len(want) {
		t.Fatalf("manifest has %d entries, params %d, want %d", len(man), len(ps), len(want))
	}
	for i, f := range want {
		e, p := man[i], ps[i]
		if e.File != f || p.File != f {
			t.Errorf("entry %d: manifest %s, params %s, want %s", i, e.File, p.File, f)
		}
		if len(e.Text) != 172 || !strings.HasPrefix(e.Text, "EPM1:") || e.Text != p.Text {
			t.Errorf("%s: text %q (params %q), want 172 characters starting EPM1:", f, e.Text, p.Text)
		}
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Error(err)
			continue
		}
		cfg, _, err := image.DecodeConfig(fh)
		fh.Close()
		if err != nil {
			t.Errorf("%s: %v", f, err)
		} else if cfg.Width != p.W || cfg.Height != p.H {
			t.Errorf("%s: %d×%d, params say %d×%d", f, cfg.Width, cfg.Height, p.W, p.H)
		}
	}
}

// TestPlanMatchesCommitted: the parameters drawn for seed 777, 20 per
// category, are those of the committed k-faint-18.png. It needs no
// qrencode and catches a change in the order of draws before any frame
// is rendered (TestReproduceCommitted checks the pixels).
func TestPlanMatchesCommitted(t *testing.T) {
	ps, err := readParams(filepath.Join(committed, "params.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want *Params
	for _, p := range ps {
		if p.File == "k-faint-18.png" {
			want = p
		}
	}
	if want == nil {
		t.Fatal("k-faint-18.png not in the committed params.json")
	}
	for _, p := range plan(rand.New(rand.NewSource(777)), 20, "k") {
		if p.File != want.File {
			continue
		}
		got := *p
		got.Text = want.Text // drawn while rendering, not by plan
		if got != *want {
			t.Errorf("plan drew\n%+v\ncommitted\n%+v", got, *want)
		}
		return
	}
	t.Error("plan has no k-faint-18.png")
}

// TestReproduceCommitted renders the seed 777 set and the renoise frames
// (the faint ones, the clutter ones and the long motion blurs) and compares them with the
// committed ones byte for byte. It takes
// about a minute and a half, so it runs only with QRGEN_REPRODUCE=1.
func TestReproduceCommitted(t *testing.T) {
	if os.Getenv("QRGEN_REPRODUCE") != "1" {
		t.Skip("set QRGEN_REPRODUCE=1 to render the committed sets again (about 90 s)")
	}
	needQrencode(t)
	dir := t.TempDir()
	k, g, ln := filepath.Join(dir, "k"), filepath.Join(dir, "g"), filepath.Join(dir, "ln")
	lnm := filepath.Join(dir, "lnm")
	lnc, lnc2 := filepath.Join(dir, "lnc"), filepath.Join(dir, "lnc2")
	gp, kp := filepath.Join(g, "params.json")+":", filepath.Join(k, "params.json")+":"
	steps := [][]string{
		{"generate", k, "-seed", "777", "-per", "20", "-prefix", "k"},
		{"generate", g, "-seed", "20261125", "-per", "10", "-prefix", "g"},
		append([]string{"renoise", ln, "-noise", "0.35", "-tries", "3"}, renoiseSources(g, k)...),
		{"renoise", lnm, "-noise", "0.35", "-tries", "2", filepath.Join(g, "params.json") + ":g-motion-07.png",
			filepath.Join(k, "params.json") + ":k-motion-03.png", filepath.Join(k, "params.json") + ":k-motion-04.png"},
		// the clutter frames (the region search's core blob)
		{"renoise", lnc, "-noise", "0.35", "-tries", "3", kp + "k-faint-05.png", kp + "k-shadow-02.png", kp + "k-small-08.png", gp + "g-faint-02.png"},
		{"renoise", lnc2, "-noise", "0.2", "-tries", "3", kp + "k-faint-05.png", kp + "k-faint-02.png", kp + "k-faint-14.png"},
	}
	for _, args := range steps {
		if err := run(args, io.Discard); err != nil {
			t.Fatalf("%v: %v", args[:2], err)
		}
	}
	for _, c := range []struct{ dir, file string }{
		{k, "k-faint-18.png"},
		{ln, "g-faint-07-ln1.png"},
		{ln, "k-faint-01-ln0.png"},
		{ln, "k-faint-18-ln0.png"},
		{ln, "k-faint-19-ln0.png"},
		{k, "k-combo-12.jpg"},
		{lnm, "g-motion-07-ln0.png"},
		{lnm, "k-motion-03-ln0.png"},
		{lnm, "k-motion-04-ln0.png"},
		{lnc, "g-faint-02-ln0.png"},
		{lnc2, "k-faint-05-ln2.png"},
	} {
		got, err := os.ReadFile(filepath.Join(c.dir, c.file))
		if err != nil {
			t.Error(err)
			continue
		}
		want, err := os.ReadFile(filepath.Join(committed, c.file))
		if err != nil {
			t.Error(err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the committed frame", c.file)
		}
	}
}

// renoiseSources are the renoise arguments the committed -lnN frames were
// made with, in their order (the order of draws).
func renoiseSources(g, k string) []string {
	var out []string
	for _, f := range []string{"g-faint-02", "g-faint-04", "g-faint-07"} {
		out = append(out, filepath.Join(g, "params.json")+":"+f+".png")
	}
	for _, f := range []string{"k-small-01", "k-small-08", "k-small-10", "k-faint-01", "k-faint-05",
		"k-faint-06", "k-faint-15", "k-faint-18", "k-faint-19", "k-shadow-02", "k-shadow-18"} {
		out = append(out, filepath.Join(k, "params.json")+":"+f+".png")
	}
	return out
}

// TestArgErrors: bad command lines are usage errors (exit 2) and name
// what is wrong; a missing or wrong input file is a plain error naming
// the file. None of them renders, so qrencode is not needed.
func TestArgErrors(t *testing.T) {
	dir := t.TempDir()
	params := filepath.Join(dir, "params.json")
	if err := writeIndex(dir, nil, []*Params{{File: "a.png", W: 8, H: 8, Text: "EPM1:A"}}, "params.json"); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.json")
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no subcommand", nil, true, "no subcommand"},
		{"unknown subcommand", []string{"render", dir}, true, `unknown subcommand "render"`},
		{"generate missing dir", []string{"generate", "-seed", "1"}, true, "want one DIR"},
		{"generate two dirs", []string{"generate", dir, dir}, true, "want one DIR"},
		{"generate bad seed", []string{"generate", dir, "-seed", "x"}, true, `invalid value "x" for flag -seed`},
		{"generate seed missing value", []string{"generate", dir, "-seed"}, true, "flag needs an argument: -seed"},
		{"generate per 0", []string{"generate", dir, "-per", "0"}, true, "-per 0"},
		{"generate negative per", []string{"generate", dir, "-per", "-3"}, true, "-per -3"},
		{"generate empty prefix", []string{"generate", dir, "-prefix", ""}, true, "-prefix"},
		{"generate prefix with slash", []string{"generate", dir, "-prefix", "a/b"}, true, "-prefix"},
		{"generate unknown flag", []string{"generate", dir, "-n", "3"}, true, "flag provided but not defined: -n"},
		{"renoise missing dir", []string{"renoise"}, true, "want DIR"},
		{"renoise no sources", []string{"renoise", dir}, true, "at least one"},
		{"renoise source without file", []string{"renoise", dir, params}, true, "want PARAMS.json:FILE"},
		{"renoise source with empty file", []string{"renoise", dir, params + ":"}, true, "want PARAMS.json:FILE"},
		{"renoise bad noise", []string{"renoise", dir, "-noise", "x", params + ":a.png"}, true, "-noise"},
		{"renoise negative noise", []string{"renoise", dir, "-noise", "-1", params + ":a.png"}, true, "-noise -1"},
		{"renoise NaN noise", []string{"renoise", dir, "-noise", "NaN", params + ":a.png"}, true, "-noise NaN"},
		{"renoise tries 0", []string{"renoise", dir, "-tries", "0", params + ":a.png"}, true, "-tries 0"},
		{"renoise missing params", []string{"renoise", dir, missing + ":a.png"}, false, missing},
		{"renoise unknown frame", []string{"renoise", dir, params + ":b.png"}, false, params + ": no frame b.png"},
		{"sweep too few", []string{"sweep", params, "a.png"}, true, "want PARAMS.json FILE DIR"},
		{"sweep missing params", []string{"sweep", missing, "a.png", dir}, false, missing},
		{"sweep unknown frame", []string{"sweep", params, "b.png", dir}, false, params + ": no frame b.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args, io.Discard)
			if err == nil {
				t.Fatal("no error")
			}
			var ue usageError
			if errors.As(err, &ue) != tt.usage {
				t.Errorf("usage error %v, want %v: %v", !tt.usage, tt.usage, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestWriteIndexAppends: sweep's entries follow the ones already in the
// manifest, and the manifest keeps one entry a line like the QR sets.
func TestWriteIndexAppends(t *testing.T) {
	dir := t.TempDir()
	prior := []manifestEntry{{File: "x.png", Text: "EPM1:X"}}
	ps := []*Params{{File: "y.png", W: 8, H: 8, Text: "EPM1:Y"}}
	if err := writeIndex(dir, prior, ps, "y-params.json"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	const want = "[\n{\"file\":\"x.png\",\"text\":\"EPM1:X\"}\n,{\"file\":\"y.png\",\"text\":\"EPM1:Y\"}\n]\n"
	if string(b) != want {
		t.Errorf("manifest.json:\n%s\nwant\n%s", b, want)
	}
	got, err := readParams(filepath.Join(dir, "y-params.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || *got[0] != *ps[0] {
		t.Errorf("params read back %+v", got)
	}
}
