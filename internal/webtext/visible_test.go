package webtext

import "testing"

func TestVisible(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"EPM1:abc", "EPM1:abc"},
		{"Привет", "Привет"},
		{"a\u202eb", "a⟨U+202E⟩b"},
		{"\x1b[31m\x00\x1d", "⟨U+001B⟩[31m⟨U+0000⟩⟨U+001D⟩"},
		{"a\tb\r\nc", "a\tb\r\nc"},
		{"\u200b\u2066\ufeff\u2028\u0085", "⟨U+200B⟩⟨U+2066⟩⟨U+FEFF⟩⟨U+2028⟩⟨U+0085⟩"},
		{"x\xffy", "x⟨0xFF⟩y"},
		{"\ufffd", "⟨U+FFFD⟩"},
	} {
		if got := Visible(tt.in); got != tt.want {
			t.Errorf("Visible(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
