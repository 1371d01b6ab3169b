package docs_test

import (
	"os"
	"strings"
	"testing"

	"markd/mark"
)

// TestOperatorGuideReasons keeps docs/operator-guide.md beside the
// screen: every reason of MARK-FORMAT §7 (and OTHER_CONTRACT) is
// explained there by its code and in the words the screen shows, Russian
// and English, and so is every verdict.
func TestOperatorGuideReasons(t *testing.T) {
	data, err := os.ReadFile("operator-guide.md")
	if err != nil {
		t.Fatal(err)
	}
	guide := strings.Join(strings.Fields(string(data)), " ")
	for _, r := range mark.AllReasons {
		text := mark.Explain(r)
		for _, want := range []string{"`" + string(r) + "`", text.RU, text.EN} {
			if !strings.Contains(guide, want) {
				t.Errorf("operator-guide.md does not explain reason %s: %q missing", r, want)
			}
		}
	}
	for _, v := range []mark.Verdict{mark.Accept, mark.Reject, mark.NotAMark, mark.DuplicateScan, mark.Error} {
		text := mark.VerdictText(v)
		for _, want := range []string{text.RU, text.EN} {
			if !strings.Contains(guide, want) {
				t.Errorf("operator-guide.md does not name verdict %s as the screen does: %q missing", v, want)
			}
		}
	}
}
