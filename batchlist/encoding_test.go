package batchlist

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// utf16Bytes is s in UTF-16 without a byte-order mark, little or big
// endian: what some exports write (Excel's "Unicode text" has the mark).
func utf16Bytes(s string, big bool) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		if big {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func encodeWith(t *testing.T, cm *charmap.Charmap, s string) []byte {
	t.Helper()
	b, err := cm.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseOtherEncodingsRefusedClearly: BATCH-LIST.md takes UTF-8 (a BOM
// allowed) or Windows-1251; a list saved in another encoding is refused
// at line 1 with a message that says so and how to save it, and the
// refusal quotes no control byte (until 2026-12-04 a UTF-16 list without
// a byte-order mark was refused for "no mail class column" quoting its
// header with its zero bytes raw — into the terminal, the log and the
// API's JSON —, and a DOS 866 or KOI8-R list for a missing column with
// its header as mojibake and no word on the encoding).
func TestParseOtherEncodingsRefusedClearly(t *testing.T) {
	en := "n;tracking;mail_class;weight_g;tariff_kop\n1;42600000000015;2;20;10500\n"
	ru := "n;ШПИ;Вид;Масса, г;Плата, руб\n1;42600000000015;заказное письмо;20;105,00\n"
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"utf16le-no-bom-en", utf16Bytes(en, false), "UTF-16"},
		{"utf16be-no-bom-en", utf16Bytes(en, true), "UTF-16"},
		{"utf16le-no-bom-ru", utf16Bytes(ru, false), "UTF-16"},
		{"utf16le-no-bom-json", utf16Bytes(`{"items":[{"n":1}]}`, false), "UTF-16"},
		{"cp866-ru", encodeWith(t, charmap.CodePage866, ru), "encoding"},
		{"koi8r-ru", encodeWith(t, charmap.KOI8R, ru), "encoding"},
		{"mac-cyrillic-ru", encodeWith(t, charmap.MacintoshCyrillic, ru), "encoding"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.data)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != 1 {
				t.Fatalf("got %v, want a refusal at line 1", err)
			}
			msg := pe.Error()
			if !strings.Contains(msg, c.want) || !strings.Contains(msg, "UTF-8") {
				t.Errorf("%q: want it to name %q and how to save the list (UTF-8)", msg, c.want)
			}
			for i, r := range msg {
				if r < 0x20 || r == 0x7F {
					t.Fatalf("%q: control character %U at byte %d", msg, r, i)
				}
			}
		})
	}
	// The two encodings of the spec with these headers are read.
	for name, data := range map[string][]byte{"utf8": []byte(ru), "cp1251": encodeWith(t, charmap.Windows1251, ru)} {
		if l, err := Parse(data); err != nil || len(l.Items) != 1 || l.Items[0].MailClass != 2 {
			t.Errorf("%s: %+v %v, want the one item read", name, l, err)
		}
	}
}
