package scanner

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"markd/internal/testdata"
	"markd/mark"
)

// wedgeSample reads the shared Russian-layout wedge sample: what was
// typed, and the mark that was meant.
func wedgeSample(t *testing.T) (tc struct{ Typed, Meant string }) {
	t.Helper()
	raw, err := os.ReadFile(testdata.Path(t, "marks", "wedge-russian-layout.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &tc); err != nil {
		t.Fatal(err)
	}
	return tc
}

func TestFromRussianLayoutTestdata(t *testing.T) {
	tc := wedgeSample(t)
	if tc.Typed == "" || tc.Meant == "" {
		t.Fatal("test data has no typed/meant")
	}
	if got := FromRussianLayout(tc.Typed); got != tc.Meant {
		t.Fatalf("FromRussianLayout = %q, want %q", got, tc.Meant)
	}
	caps := turnCyrillicCase(tc.Typed) // typed with Caps Lock on
	if caps == tc.Typed || !strings.Contains(caps, "ж") {
		t.Fatalf("turnCyrillicCase(%q) = %q", tc.Typed, caps)
	}
	for _, mode := range []string{"", LayoutAuto, LayoutRU} {
		if got := RecoverLayout(tc.Typed, mode); got != tc.Meant {
			t.Fatalf("RecoverLayout(%q) = %q", mode, got)
		}
		if got := RecoverLayout(caps, mode); got != tc.Meant {
			t.Fatalf("RecoverLayout(%q) of the Caps Lock text = %q", mode, got)
		}
	}
	if got := RecoverLayout(tc.Typed, LayoutNone); got != tc.Typed {
		t.Fatalf("LayoutNone changed the line")
	}
}

// TestKinLayoutsTestdata types the test data's mark under the Ukrainian
// and Belarusian layouts (the Russian text with their own letters on the
// keys they change) and reads it back.
func TestKinLayoutsTestdata(t *testing.T) {
	tc := wedgeSample(t)
	layouts := map[string]*strings.Replacer{
		"Ukrainian":  strings.NewReplacer("Ы", "І", "ы", "і", "Ъ", "Ї", "ъ", "ї", "Э", "Є", "э", "є"),
		"Belarusian": strings.NewReplacer("Ы", "І", "ы", "і", "Щ", "Ў", "щ", "ў"),
	}
	for name, r := range layouts {
		typed := r.Replace(tc.Typed)
		if typed == tc.Typed {
			t.Fatalf("%s: the test data's mark types no key the layout changes", name)
		}
		if got := RecoverLayout(typed, LayoutAuto); got != tc.Meant {
			t.Errorf("%s layout: RecoverLayout = %q, want %q", name, got, tc.Meant)
		}
	}
}

func TestFromRussianLayout(t *testing.T) {
	tests := []struct{ in, want string }{
		{"УЗЬ1Ж", "EPM1:"},
		{"узь1ж", "EPM1;"},
		{"ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,", "QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>?"},
		{"хъжэбю.ёЁ", "[];',./`~"},
		{"\"№;:?", "@#$^&"},
		{"0123456789", "0123456789"},
		{"ІЇЄЎіїєў", "S}\"OS]'O"}, // Ukrainian and Belarusian letters
		{"EPM1ABC", "EPM1ABC"},    // Latin letters pass through
		{"", ""},
	}
	for _, tt := range tests {
		if got := FromRussianLayout(tt.in); got != tt.want {
			t.Errorf("FromRussianLayout(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRecoverLayoutAuto(t *testing.T) {
	tests := []struct{ in, want string }{
		{"УЗЬ1ЖФФФ", "EPM1:AAA"},
		{"Привет", "Привет"},           // Cyrillic, but not a mark: left as typed
		{"EPM1:AAA", "EPM1:AAA"},       // no Cyrillic
		{"hello.", "hello."},           // no Cyrillic: '.' not touched
		{"УЗЬ1ЖФ.", "EPM1:A/"},         // whole line converted
		{"ъЙ1УЗЬ1ЖФФФ", "]Q1EPM1:AAA"}, // an AIM symbology prefix before the mark
		{" УЗЬ1ЖФФФ\t", " EPM1:AAA\t"}, // surrounding white space
		{"ъЙ7УЗЬ1ЖФФФ", "ъЙ7УЗЬ1ЖФФФ"}, // ]Q7 is no AIM prefix of a QR code
		{"узь1жффф", "EPM1:AAA"},       // Caps Lock on: every letter key in lower case
		{"привет", "привет"},           // Caps Lock or not, no mark
		{"epm1:aaa", "epm1:aaa"},       // Latin: not touched (§1: "epm1:" is no mark)
	}
	for _, tt := range tests {
		if got := RecoverLayout(tt.in, LayoutAuto); got != tt.want {
			t.Errorf("RecoverLayout(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzFromRussianLayout(f *testing.F) {
	f.Add("УЗЬ1ЖФФФ")
	f.Add("EPM1:\xff")
	f.Fuzz(func(t *testing.T, s string) {
		got := FromRussianLayout(s)
		if utf8.ValidString(s) && utf8.RuneCountInString(got) != utf8.RuneCountInString(s) {
			t.Fatalf("rune count changed: %q -> %q", s, got)
		}
		if !hasCyrillic(s) && RecoverLayout(s, LayoutAuto) != s {
			t.Fatalf("auto mode changed a line without Cyrillic: %q", s)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return r >= 'а' && r <= 'я' }) {
			t.Fatalf("lower-case Cyrillic left in %q", got)
		}
	})
}

func TestReaderRecoversRussianLayout(t *testing.T) {
	in := "УЗЬ1ЖФФ\nПривет\nУЗЬ1ЖФФ\n"
	tests := []struct {
		mode string
		want string
	}{
		{"", "EPM1:AA|Привет|EPM1:AA"},
		{LayoutRU, "EPM1:AA|GHBDTN|EPM1:AA"},
		{LayoutNone, "УЗЬ1ЖФФ|Привет|УЗЬ1ЖФФ"},
	}
	for _, tt := range tests {
		r := NewReader("in", strings.NewReader(in), nil).SetLayout(tt.mode)
		var got []string
		if err := r.Serve(context.Background(), func(s mark.Scan) { got = append(got, s.Text) }); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "|") != tt.want {
			t.Errorf("layout %q: got %q, want %s", tt.mode, got, tt.want)
		}
	}
}
