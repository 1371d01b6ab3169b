package testdata

import (
	"fmt"
	"regexp"
	"strings"
)

var docTick = regexp.MustCompile("`([^`]*)`")

// DocKeyTable reads the key table of a docs page (docs/operations.md
// has markd's and markhub's) below its head line, "| key | default |
// meaning |" or the like: the keys in backticks in a row's first cell,
// each with the row's one default in backticks or the one in its place
// when there are as many as keys; a key whose row gives none maps to ""
// (a required key). A missing head, a row of fewer than three cells or a
// row with defaults that fit not its keys is an error naming it. rest is
// the page after the head, for what follows the table.
func DocKeyTable(doc, head string) (keys map[string]string, rest string, err error) {
	_, rest, ok := strings.Cut(doc, head)
	if !ok {
		return nil, "", fmt.Errorf("no key table headed %q", head)
	}
	keys = map[string]string{}
	lines := strings.Split(rest, "\n")
	if len(lines) < 2 {
		return nil, "", fmt.Errorf("key table %q: no rows", head)
	}
	for _, line := range lines[2:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(line, " | ")
		if len(cells) < 3 {
			return nil, "", fmt.Errorf("table row %q: fewer than three cells", line)
		}
		var ks, defs []string
		for _, m := range docTick.FindAllStringSubmatch(cells[0], -1) {
			ks = append(ks, m[1])
		}
		for _, m := range docTick.FindAllStringSubmatch(cells[1], -1) {
			defs = append(defs, m[1])
		}
		for i, k := range ks {
			switch len(defs) {
			case 0:
				keys[k] = ""
			case 1:
				keys[k] = defs[0]
			case len(ks):
				keys[k] = defs[i]
			default:
				return nil, "", fmt.Errorf("row of %v: %d defaults for %d keys", ks, len(defs), len(ks))
			}
		}
	}
	return keys, rest, nil
}
