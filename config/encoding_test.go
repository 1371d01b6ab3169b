package config

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"markd/mark"
)

// TestLoadNotepadEncodings: what Notepad saves loads: UTF-8 with or
// without a byte order mark, UTF-16 ("Unicode"), CRLF line ends.
func TestLoadNotepadEncodings(t *testing.T) {
	text := "office: 426000\r\ncounter: 'Окно 1'\r\n"
	utf16le := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(text)) {
		utf16le = binary.LittleEndian.AppendUint16(utf16le, u)
	}
	for name, body := range map[string]string{"UTF-8": text, "UTF-8 with BOM": "\ufeff" + text, "UTF-16": string(utf16le)} {
		c, err := Load(writeFile(t, body), nil)
		if err != nil || c.Office != 426000 || c.Counter != "Окно 1" {
			t.Errorf("%s: office %d counter %q, %v", name, c.Office, c.Counter, err)
		}
	}
}

// TestLoadNotUTF8: a config saved as ANSI by an older Notepad (Windows-1251
// on a Russian Windows) is refused naming the line of the first byte that
// is not UTF-8, with the way to save it again; it said only "yaml:
// invalid trailing UTF-8 octet".
func TestLoadNotUTF8(t *testing.T) {
	file := writeFile(t, "office: 426000\r\n# окно\r\ncounter: \xce\xea\xed\xee 1\r\n") // "Окно" in Windows-1251
	_, err := Load(file, nil)
	if !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	if msg := strings.ReplaceAll(err.Error(), file, "markd.yaml"); !strings.HasPrefix(msg, "markd.yaml:3: not UTF-8 text") {
		t.Errorf("error %q, want it to start with markd.yaml:3: not UTF-8 text", msg)
	}
	if h := mark.Hint(err); !strings.Contains(h, "UTF-8") || !strings.Contains(h, "Notepad") {
		t.Errorf("hint %q, want how to save the file as UTF-8", h)
	}
}
