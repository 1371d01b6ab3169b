package mark_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"markd/batchlist"
	"markd/internal/testdata"
	"markd/mark"
)

// TestSpecSpelling holds every verdict and reason markd prints, stores
// and exports, and every difference of a batch reconciliation, to the
// spelling of the specs: each code in backquotes in MARK-FORMAT.md and
// BATCH-LIST.md is one of markd's, and each of markd's is in the spec
// (ERROR, markd's own "not recorded", excepted).
func TestSpecSpelling(t *testing.T) {
	verdicts := []mark.Verdict{mark.Accept, mark.Reject, mark.NotAMark, mark.DuplicateScan}
	want := map[string]bool{}
	for _, v := range verdicts {
		want[string(v)] = true
	}
	for _, r := range mark.AllReasons {
		want[string(r)] = true
	}
	for _, v := range []string{"ACCEPT", "REJECT", "NOT_A_MARK", "DUPLICATE_SCAN"} {
		if !slices.Contains(verdicts, mark.Verdict(v)) {
			t.Errorf("verdict %s missing", v)
		}
	}
	diffs := map[string]bool{}
	for _, d := range []batchlist.DiffKind{batchlist.DiffMissing, batchlist.DiffExtra, batchlist.DiffClass,
		batchlist.DiffWeight, batchlist.DiffTariff, batchlist.DiffNotice} {
		diffs[string(d)] = true
	}
	spec := filepath.Join(testdata.Dir(t), "..", "spec")
	code := regexp.MustCompile("`([A-Z][A-Z_]*[A-Z])`")
	for file, known := range map[string]map[string]bool{"MARK-FORMAT.md": want, "BATCH-LIST.md": diffs} {
		text, err := os.ReadFile(filepath.Join(spec, file))
		if err != nil {
			t.Skipf("spec not found: %v", err)
		}
		inSpec := map[string]bool{}
		for _, m := range code.FindAllStringSubmatch(string(text), -1) {
			inSpec[m[1]] = true
			if !known[m[1]] {
				t.Errorf("%s names %s: markd has no verdict, reason or difference spelled so", file, m[1])
			}
		}
		for c := range known {
			if !inSpec[c] {
				t.Errorf("markd's %s is not spelled so in %s", c, file)
			}
		}
	}
}
