// Package webtext holds the small pieces of page text that the counter's
// pages (web) and the collector's (hub/hubweb) write the same way: a
// notice in both languages, a duration as people read it, the check of a
// review note.
package webtext

import (
	"fmt"
	"html/template"
	"time"
)

// Both is a notice in Russian and English, each in the span the pages'
// language switch shows or hides; "" when ru is "" (no notice).
func Both(ru, en string) template.HTML {
	if ru == "" {
		return ""
	}
	return template.HTML(`<span class="ru">` + template.HTMLEscapeString(ru) + `</span><span class="en">` + //nolint:gosec // escaped here
		template.HTMLEscapeString(en) + `</span>`)
}

// Dur writes a limit such as a session's the way people read it: "12 h",
// "30 min" (lang "ru": "12 ч", "30 мин"); other durations as Go writes them.
func Dur(d time.Duration, lang string) string {
	h, m := "h", "min"
	if lang == "ru" {
		h, m = "ч", "мин"
	}
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%d %s", d/time.Hour, h)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d %s", d/time.Minute, m)
	}
	return d.String()
}

// SessionEnded is what a login page says of a session ended for reason
// "lifetime" (lifetime after the login, however much it was used) or
// "idle" (unused for idle): ru, en; ok is false for any other reason,
// which each program words itself.
func SessionEnded(reason string, lifetime, idle time.Duration) (ru, en string, ok bool) {
	switch reason {
	case "lifetime":
		return fmt.Sprintf("Вы вышли из системы: вход действует не дольше %s. Войдите снова.", Dur(lifetime, "ru")),
			fmt.Sprintf("You were logged out: a login lasts at most %s. Log in again.", Dur(lifetime, "en")), true
	case "idle":
		return fmt.Sprintf("Вы вышли из системы: вход без действий завершается через %s. Войдите снова.", Dur(idle, "ru")),
			fmt.Sprintf("You were logged out after %s without use. Log in again.", Dur(idle, "en")), true
	}
	return "", "", false
}
