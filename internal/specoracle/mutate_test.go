package specoracle

import (
	"math/rand/v2"
	"strings"
)

// mutations are text-level changes of a mark: the §1 tolerances (which
// must not change the verdict) and the malformations (which must).
var mutations = []struct {
	name string
	f    func(r *rand.Rand, s string) string
}{
	{"lower-payload", func(_ *rand.Rand, s string) string { return "EPM1:" + strings.ToLower(s[5:]) }},
	{"lower-all", func(_ *rand.Rand, s string) string { return strings.ToLower(s) }},
	{"mixed-case", func(r *rand.Rand, s string) string {
		b := []byte(s)
		for i := 5; i < len(b); i++ {
			if b[i] >= 'A' && b[i] <= 'Z' && r.IntN(2) == 0 {
				b[i] += 'a' - 'A'
			}
		}
		return string(b)
	}},
	{"spaces", func(_ *rand.Rand, s string) string { return " \t" + s + " \t " }},
	{"crlf", func(_ *rand.Rand, s string) string { return s + "\r\n" }},
	{"cr", func(_ *rand.Rand, s string) string { return s + "\r" }},
	{"lf-lead", func(_ *rand.Rand, s string) string { return "\n" + s }},
	{"vt-ff", func(_ *rand.Rand, s string) string { return "\v\f" + s + "\f" }},
	{"nbsp", func(_ *rand.Rand, s string) string { return "\u00a0" + s + "\u2003" }},
	{"aim", func(r *rand.Rand, s string) string { return "]Q" + string(rune('1'+r.IntN(6))) + s }},
	{"aim-spaces", func(_ *rand.Rand, s string) string { return "  ]Q3" + s + "\r\n" }},
	{"aim-then-space", func(_ *rand.Rand, s string) string { return "]Q1 " + s }},
	{"aim-bad", func(r *rand.Rand, s string) string {
		return []string{"]Q0", "]Q7", "]q1", "]C1", "]Q", "]]Q1"}[r.IntN(6)] + s
	}},
	{"aim-twice", func(_ *rand.Rand, s string) string { return "]Q1]Q2" + s }},
	{"space-inside", func(r *rand.Rand, s string) string { i := 6 + r.IntN(160); return s[:i] + " " + s[i:] }},
	{"space-after-prefix", func(_ *rand.Rand, s string) string { return "EPM1: " + s[5:] }},
	{"newline-inside", func(r *rand.Rand, s string) string { i := 6 + r.IntN(160); return s[:i] + "\n" + s[i:] }},
	{"drop-last", func(_ *rand.Rand, s string) string { return s[:len(s)-1] }},
	{"drop-8", func(_ *rand.Rand, s string) string { return s[:len(s)-8] }},
	{"add-char", func(_ *rand.Rand, s string) string { return s + "A" }},
	{"add-8", func(_ *rand.Rand, s string) string { return s + "AAAAAAAA" }},
	{"padding", func(_ *rand.Rand, s string) string { return s + "=" }},
	{"padding-replace", func(_ *rand.Rand, s string) string { return s[:len(s)-1] + "=" }},
	{"bad-char", func(r *rand.Rand, s string) string {
		i := 5 + r.IntN(167)
		return s[:i] + []string{"0", "1", "8", "9", "@", "=", "-", "é", "\x00", "\xff", "ı"}[r.IntN(11)] + s[i+1:]
	}},
	{"trailing-bits", func(r *rand.Rand, s string) string {
		// 104 bytes are 832 bits in 167×5 = 835: the last character's
		// low 3 bits are padding and must be zero.
		last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", s[len(s)-1])
		return s[:len(s)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last|1+r.IntN(7)])
	}},
	{"flip-char", func(r *rand.Rand, s string) string {
		i := 5 + r.IntN(166)
		c := "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[r.IntN(32)]
		return s[:i] + string(c) + s[i+1:]
	}},
	{"prefix-variant", func(r *rand.Rand, s string) string {
		return []string{"EPM2:", "epm1:", "EPM1;", "EPM1", "Epm1:", "EPM1::", " EPM1:", "EPM:"}[r.IntN(8)] + s[5:]
	}},
	{"prefix-only", func(_ *rand.Rand, _ string) string { return "EPM1:" }},
	{"empty", func(_ *rand.Rand, _ string) string { return "" }},
	{"tracking-barcode", func(_ *rand.Rand, _ string) string { return "42600000000015" }},
	{"twice", func(_ *rand.Rand, s string) string { return s + s }},
	{"long-space-pad", func(_ *rand.Rand, s string) string { return s + strings.Repeat(" ", 5000) }},
	{"long-tail", func(_ *rand.Rand, s string) string { return s + strings.Repeat("A", 5000) }},
	{"long-junk", func(_ *rand.Rand, _ string) string { return strings.Repeat("x", 5000) }},
}

// mutate changes s in one of the ways above a quarter of the time.
func mutate(r *rand.Rand, s string) (string, string) {
	if r.IntN(4) != 0 {
		return s, "plain"
	}
	m := mutations[r.IntN(len(mutations))]
	return m.f(r, s), m.name
}
