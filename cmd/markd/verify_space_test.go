package main

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
)

// spaceCase is a line of a mark (or not) in more than 4 KiB of white space.
type spaceCase struct {
	name    string
	line    string
	verdict mark.Verdict
	reasons []mark.Reason
}

// spaceCases are the lines of MARK-FORMAT §1's letter ("surrounding white
// space and a trailing CR/LF are ignored") past the 4 KiB limit, around
// the shared vector good (an ACCEPT): the limit applies to the text
// without that white space. Text over 4 KiB without it is judged as
// before: by its first 4 KiB, its real length kept.
func spaceCases(good string) []spaceCase {
	sp, tab := strings.Repeat(" ", 5000), strings.Repeat("\t", 5000)
	nbsp, ideo := strings.Repeat("\u00a0", 2500), strings.Repeat("\u3000", 1700)
	acc := func(name, line string) spaceCase { return spaceCase{name, line, mark.Accept, nil} }
	return []spaceCase{
		acc("bare", good),
		acc("5000 spaces after", good+sp),
		acc("5000 spaces before", sp+good),
		acc("5000 tabs around", tab+good+tab),
		acc("NBSP and U+3000 around", nbsp+good+ideo),
		acc("spaces, then CR of a CRLF file", good+sp+"\r"),
		acc("vertical tab, form feed, NEL", strings.Repeat("\v\f\u0085", 1700)+good+strings.Repeat("\u2028 ", 1300)),
		{"5000 spaces, then X", good + sp + "X", mark.Reject, []mark.Reason{mark.ReasonMalformed}},
		{"a long non-mark in spaces", sp + "x" + strings.Repeat("y", mark.MaxInputSize) + sp, mark.NotAMark, nil},
		{"spaces before, then a mark too long (its first 4 KiB are spaces: as before)", sp + good + strings.Repeat("A", mark.MaxInputSize), mark.NotAMark, nil},
	}
}

// goodVector is the shared vector the white-space tests wrap.
func goodVector(t *testing.T) testdata.Vector {
	t.Helper()
	return testdata.VectorNamed(t, "valid registered letter")
}

// TestVerifyStdinWhiteSpace: markd verify (in-process and the built binary)
// reads the lines of spaceCases from stdin with the verdict of the bare
// mark, or over-long as before.
func TestVerifyStdinWhiteSpace(t *testing.T) {
	v := goodVector(t)
	cases := spaceCases(v.Text)
	var in strings.Builder
	for _, c := range cases {
		in.WriteString(c.line + "\n")
	}
	dir := testdata.Dir(t)
	args := []string{"verify", "--keyring", filepath.Join(dir, "keyring.yaml"), "--tariffs", filepath.Join(dir, "tariffs.yaml"),
		"--office", "426000", "--date", v.Context.Date}
	check := func(t *testing.T, out string) {
		t.Helper()
		sc := bufio.NewScanner(strings.NewReader(out))
		n := 0
		for ; sc.Scan(); n++ {
			var o vtOut
			if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
				t.Fatalf("output line %d %q: %v", n+1, sc.Text(), err)
			}
			if n >= len(cases) {
				break
			}
			c := cases[n]
			if o.Line != n+1 || o.Verdict != c.verdict || strings.Join(reasonNames(o.Reasons), ",") != strings.Join(reasonNames(c.reasons), ",") {
				t.Errorf("%s: line %d %s %v, want %s %v", c.name, o.Line, o.Verdict, o.Reasons, c.verdict, c.reasons)
			}
			if c.verdict == mark.Accept && (o.Mark == nil || *o.Mark != *v.Fields) {
				t.Errorf("%s: mark %+v, want %+v", c.name, o.Mark, v.Fields)
			}
		}
		if n != len(cases) {
			t.Fatalf("%d output lines for %d input lines", n, len(cases))
		}
	}
	t.Run("in-process", func(t *testing.T) {
		code, out, errs := vtRun(t, in.String(), args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		check(t, out)
	})
	t.Run("binary", func(t *testing.T) {
		cmd := exec.Command(dmBinary(t), args...)
		cmd.Stdin = strings.NewReader(in.String())
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("markd verify: %v", err)
		}
		check(t, string(out))
	})
}

func reasonNames(rs []mark.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}
