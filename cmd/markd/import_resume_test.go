package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"markd/importer"
	"markd/mark"
	"markd/store"
)

// importedTexts returns how many times each text is stored, and the
// store's counts by verdict.
func importedTexts(t *testing.T, dir string) (map[string]int, map[mark.Verdict]int) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(dir, "markd.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.SQL().Query(`SELECT raw_text FROM scans`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	texts := map[string]int{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		texts[s]++
	}
	counts, err := db.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return texts, counts
}

// onceEach fails unless every text of want is stored exactly once and
// nothing else is stored, each an ACCEPT.
func onceEach(t *testing.T, dir string, want []string) {
	t.Helper()
	if counts := storedOnce(t, dir, want); counts[mark.Accept] != len(want) {
		t.Errorf("store counts %v, want %d ACCEPT only", counts, len(want))
	}
}

// storedOnce is onceEach whatever the verdicts; it returns the store's
// counts by verdict.
func storedOnce(t *testing.T, dir string, want []string) map[mark.Verdict]int {
	t.Helper()
	texts, counts := importedTexts(t, dir)
	wrong := 0
	for i, w := range want {
		if texts[w] != 1 {
			if wrong++; wrong <= 3 {
				t.Errorf("line %d stored %d times, want once", i+1, texts[w])
			}
		}
	}
	if wrong > 3 {
		t.Errorf("%d lines stored other than once", wrong)
	}
	if n := len(texts); n != len(want) {
		t.Errorf("%d texts stored, want %d", n, len(want))
	}
	return counts
}

func writeLines(t *testing.T, file string, lines []string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

var importedOn = regexp.MustCompile(`imported on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+`)

// TestImportAgainStoresNothing: a file imported to its end and run again
// stores nothing and says so (exit 0, 0 new); before, every scan was
// stored again (DUPLICATE_SCAN within the re-scan window, REUSED after
// it: a false reuse alarm for each mark). --again keeps that, with a
// warning.
func TestImportAgainStoresNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	marks := dmMarks(t, importer.Batch+300, 6_000_000)
	file := filepath.Join(dir, "scans.txt")
	writeLines(t, file, append(marks, "")) // a blank line last: the last batch has no scan
	if code, out, errs := vtRun(t, "", "import", "--config", cfg, file); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := vtRun(t, "", "import", "--config", cfg, file)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("already imported: all %d lines of this file were", len(marks)+1)) ||
		!importedOn.MatchString(out) || !strings.Contains(out, "imported 0 scans (0 new)") || strings.Contains(out, "DUPLICATE_SCAN") {
		t.Errorf("second import: exit %d\n%s%s", code, out, errs)
	}
	onceEach(t, dir, marks)

	code, out, errs = vtRun(t, "", "import", "--again", "--config", cfg, file)
	if code != 0 || !strings.Contains(errs, "warning: --again: every line of "+file+" is stored again") ||
		!strings.Contains(out, fmt.Sprintf("DUPLICATE_SCAN  %d", len(marks))) {
		t.Errorf("--again: exit %d\n%s%s", code, out, errs)
	}
}

// TestImportResumesAfterBadLine: an import stopped by a bad line is run
// again once the line is corrected: it goes on at that line, says so, and
// stores each scan once (before, the operator had to cut the file with
// tail -n +N, or got every scan before the line again).
func TestImportResumesAfterBadLine(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	marks := dmMarks(t, importer.Batch+200, 7_000_000)
	bad := importer.Batch + 101 // its line
	lines := append([]string{}, marks...)
	lines[bad-1] = `{"text":"x","bogus":1}`
	file := filepath.Join(dir, "scans.txt")
	writeLines(t, file, lines)
	code, out, errs := vtRun(t, "", "import", "--config", cfg, file)
	if code != exitUsage || !strings.Contains(errs, fmt.Sprintf("correct line %d of %s and run the same command again", bad, file)) {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	lines[bad-1] = fmt.Sprintf(`{"text":%q,"source":"corrected"}`, marks[bad-1])
	writeLines(t, file, lines)
	code, out, errs = vtRun(t, "", "import", "--config", cfg, file)
	if want := fmt.Sprintf("resumed at line %d: %d lines of this file were imported on ", bad, bad-1); code != 0 ||
		!strings.Contains(out, want) || !strings.Contains(out, fmt.Sprintf("imported %d scans", len(lines)-bad+1)) {
		t.Fatalf("corrected import: exit %d, want %q\n%s%s", code, want, out, errs)
	}
	onceEach(t, dir, marks)
}

// TestImportGrownAndChangedFile: a file that grew imports its new lines
// only; a file whose imported lines changed is a new import (all of it);
// standard input is never remembered.
func TestImportGrownAndChangedFile(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	marks := dmMarks(t, 60, 8_000_000)
	file := filepath.Join(dir, "scans.txt")
	writeLines(t, file, marks[:20])
	if code, out, errs := vtRun(t, "", "import", "--config", cfg, file); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	writeLines(t, file, marks[:40])
	moved := filepath.Join(dir, "moved.txt") // the same content under another name
	if err := os.Rename(file, moved); err != nil {
		t.Fatal(err)
	}
	code, out, errs := vtRun(t, "", "import", "--config", cfg, moved)
	if code != 0 || !strings.Contains(out, "resumed at line 21: 20 lines of this file were imported on ") ||
		!strings.Contains(out, "(as "+file+")") || !strings.Contains(out, "imported 20 scans") {
		t.Fatalf("grown file: exit %d\n%s%s", code, out, errs)
	}
	onceEach(t, dir, marks[:40])

	// the first line changed: a new import, every line stored again
	changed := append([]string{marks[40]}, marks[1:40]...)
	writeLines(t, moved, changed)
	code, out, errs = vtRun(t, "", "import", "--config", cfg, moved)
	if code != 0 || strings.Contains(out, "resumed") || !strings.Contains(out, "DUPLICATE_SCAN  39") || !strings.Contains(out, "ACCEPT          1") {
		t.Errorf("changed file: exit %d\n%s%s", code, out, errs)
	}

	stdin := strings.Join(marks[50:], "\n") + "\n"
	for run := range 2 {
		code, out, errs = vtRun(t, stdin, "import", "--config", cfg, "-")
		want := "ACCEPT          10"
		if run == 1 {
			want = "DUPLICATE_SCAN  10"
		}
		if code != 0 || !strings.Contains(out, want) || strings.Contains(out, "resumed") || strings.Contains(out, "already") {
			t.Errorf("stdin, run %d: exit %d, want %q\n%s%s", run+1, code, want, out, errs)
		}
	}
}

// TestImportKill9: the real markd import is SIGKILLed inside a batch's
// transaction (held before its COMMIT: the third write after the store's
// open, which writes once itself, so the second batch of the run), twice,
// and run again each time:
// each run goes on after the last committed batch, and in the end every
// line is stored exactly once and the counts are right; the file run once
// more stores nothing.
func TestImportKill9(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	marks := dmMarks(t, 3*importer.Batch+123, 9_000_000)
	file := filepath.Join(dir, "scans.txt")
	writeLines(t, file, marks)
	resumed := regexp.MustCompile(`resumed at line (\d+): (\d+) lines of this file were imported on `)
	// killed runs the import until it holds in its hold-th write, kills
	// it, and returns its standard output.
	killed := func(hold int) string {
		cmd := exec.Command(bin, "import", "--config", cfg, "--hold-in-commit", strconv.Itoa(hold), file)
		var out bytes.Buffer
		cmd.Stdout = &out
		errp, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var errs strings.Builder
		held := false
		for sc := bufio.NewScanner(errp); sc.Scan(); {
			errs.WriteString(sc.Text() + "\n")
			if sc.Text() == "holding before commit" {
				held = true
				break
			}
		}
		_ = cmd.Process.Signal(os.Kill)
		_ = cmd.Wait()
		if !held {
			t.Fatalf("import ended before its write %d was held:\n%s%s", hold, out.String(), errs.String())
		}
		return out.String()
	}
	committed := func() int { // scans stored; each stored once
		texts, _ := importedTexts(t, dir)
		n := 0
		for _, m := range marks {
			if texts[m] > 1 {
				t.Fatalf("%.24s… stored %d times", m, texts[m])
			}
			n += texts[m]
		}
		if n != len(texts) {
			t.Fatalf("%d texts stored, %d of them from the file", len(texts), n)
		}
		return n
	}

	if out := killed(3); strings.Contains(out, "resumed") { // two batches committed, the third held
		t.Fatalf("first run resumed:\n%s", out)
	}
	first := committed()
	if first == 0 || first >= len(marks) {
		t.Fatalf("%d scans committed before the kill, want some of %d", first, len(marks))
	}
	out := killed(3)
	m := resumed.FindStringSubmatch(out)
	if m == nil || m[1] != strconv.Itoa(first+1) || m[2] != strconv.Itoa(first) {
		t.Fatalf("second run: want resumed at line %d\n%s", first+1, out)
	}
	second := committed()
	if second <= first || second >= len(marks) {
		t.Fatalf("%d scans committed after the second kill, %d after the first", second, first)
	}
	cmd := exec.Command(bin, "import", "--config", cfg, file)
	b, err := cmd.CombinedOutput()
	if m = resumed.FindStringSubmatch(string(b)); err != nil || m == nil || m[1] != strconv.Itoa(second+1) ||
		!strings.Contains(string(b), fmt.Sprintf("imported %d scans", len(marks)-second)) {
		t.Fatalf("third run: %v, want resumed at line %d and %d scans\n%s", err, second+1, len(marks)-second, b)
	}
	counts := storedOnce(t, dir, marks)
	if n := counts[mark.Accept] + counts[mark.Reject]; n != len(marks) || counts[mark.DuplicateScan] != 0 {
		t.Errorf("store counts %v, want %d ACCEPT or REJECT", counts, len(marks))
	}
	b, err = exec.Command(bin, "import", "--config", cfg, file).CombinedOutput()
	if err != nil || !strings.Contains(string(b), "already imported") || !strings.Contains(string(b), "imported 0 scans") {
		t.Errorf("fourth run: %v\n%s", err, b)
	}
	storedOnce(t, dir, marks)
}

// TestImportLastLineGoesOn: a file whose last line, imported without a
// newline, goes on now is refused naming the line (it is not the text
// stored), with the tail command that imports it in full and the lines
// after it (TestImportCutLastLineHint); a
// newline added after it is only the line ended.
func TestImportLastLineGoesOn(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	marks := dmMarks(t, 5, 10_000_000)
	file := filepath.Join(dir, "scans.txt")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.Join(marks[:3], "\n"))
	if code, out, errs := vtRun(t, "", "import", "--config", cfg, file); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	write(strings.Join(marks[:3], "\n") + "X\n" + marks[3] + "\n")
	code, out, errs := vtRun(t, "", "import", "--config", cfg, file)
	if code != 1 || !strings.Contains(errs, file+":3: ") || !strings.Contains(errs, "tail -n +3 "+file) {
		t.Errorf("last line goes on: exit %d\n%s%s", code, out, errs)
	}
	write(strings.Join(marks[:3], "\n") + "\n" + marks[3] + "\n")
	if code, out, errs := vtRun(t, "", "import", "--config", cfg, file); code != 0 || !strings.Contains(out, "resumed at line 4: 3 lines") {
		t.Fatalf("newline added: exit %d\n%s%s", code, out, errs)
	}
	onceEach(t, dir, marks[:4])
}

// TestImportCutLastLineHint: a file imported while its last line was
// still being written (its start stored, a MALFORMED rejection) and
// completed since is refused at that line; the tail command of the hint
// imports that line in full and the ones after it, so the mark of the
// cut line is recorded. Before, the hint's `tail -n +N+1` left that
// mark out: it was never judged, and nothing said so.
func TestImportCutLastLineHint(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	marks := dmMarks(t, 4, 10_100_000)
	file := filepath.Join(dir, "scans.txt")
	whole := strings.Join(marks, "\n") + "\n"
	cut := len(marks[0]) + 1 + len(marks[1]) + 1 + 80 // in the third mark
	if err := os.WriteFile(file, []byte(whole[:cut]), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := vtRun(t, "", "import", "--config", cfg, file); code != 0 {
		t.Fatalf("import of the cut file: exit %d\n%s%s", code, out, errs)
	}
	if err := os.WriteFile(file, []byte(whole), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := vtRun(t, "", "import", "--config", cfg, file)
	m := regexp.MustCompile(`tail -n \+(\d+) `).FindStringSubmatch(errs)
	if code != 1 || !strings.Contains(errs, file+":3: ") || m == nil {
		t.Fatalf("completed file: exit %d\n%s%s", code, out, errs)
	}
	from, _ := strconv.Atoi(m[1])
	rest := filepath.Join(dir, "rest.txt")
	writeLines(t, rest, marks[from-1:]) // what the tail command writes
	if code, out, errs := vtRun(t, "", "import", "--config", cfg, rest); code != 0 {
		t.Fatalf("import of %s: exit %d\n%s%s", m[0], code, out, errs)
	}
	texts, _ := importedTexts(t, dir)
	for i, w := range marks {
		if texts[w] != 1 {
			t.Errorf("mark of line %d stored %d times after the hint's %q, want once", i+1, texts[w], m[0])
		}
	}
}
