package webtext

import (
	"testing"
	"time"
)

func TestDur(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		lang string
		want string
	}{
		{12 * time.Hour, "en", "12 h"},
		{12 * time.Hour, "ru", "12 ч"},
		{30 * time.Minute, "en", "30 min"},
		{90 * time.Minute, "ru", "90 мин"},
		{1500 * time.Millisecond, "en", "1.5s"},
	} {
		if got := Dur(c.d, c.lang); got != c.want {
			t.Errorf("Dur(%v, %s) = %q, want %q", c.d, c.lang, got, c.want)
		}
	}
}

func TestBoth(t *testing.T) {
	if got := Both("", "x"); got != "" {
		t.Errorf("no Russian text: %q, want no notice", got)
	}
	want := `<span class="ru">а &lt;b&gt;</span><span class="en">a &amp; b</span>`
	if got := string(Both("а <b>", "a & b")); got != want {
		t.Errorf("Both = %s, want %s", got, want)
	}
}
