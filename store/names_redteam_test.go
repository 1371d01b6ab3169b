package store

import (
	"errors"
	"testing"

	"markd/mark"
)

// TestNamesShownOnPagesRefuseMarkup: a user's or a token's name is shown
// on the pages, the receipts (a batch's operator, "api:NAME") and the
// CSVs; markup, quotes, a formula's first character, a bidirectional
// override, a zero width space, a control character in one are refused
// when it is made (red team of the counter, 26th stop; held).
func TestNamesShownOnPagesRefuseMarkup(t *testing.T) {
	for _, name := range []string{`<script>`, `a"b`, `=cmd`, "+1", "@x", "iv\u202ean", "iv\u200ban", "iv\x00an", "iv\x1ban",
		"iv\u0301an", "a\tb", "a\nb", "a/b", `a\b`} {
		if err := ValidUserName(name); !errors.Is(err, mark.ErrInvalid) {
			t.Errorf("user name %q: %v, want invalid", name, err)
		}
		if err := ValidTokenName(name); !errors.Is(err, mark.ErrInvalid) {
			t.Errorf("token name %q: %v, want invalid", name, err)
		}
	}
	for _, name := range []string{"ivan", "Иван", "kassa-1", "a.b_c"} {
		if err := ValidUserName(name); err != nil {
			t.Errorf("user name %q: %v", name, err)
		}
	}
}
