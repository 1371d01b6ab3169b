package devicecookie

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxAgent is the most characters Agent gives.
const MaxAgent = 80

// browsers are the User-Agent tokens Agent names, the more specific
// first (Edge and Opera say Chrome too, Chrome says Safari).
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"OPR/", "Opera"}, {"YaBrowser/", "Yandex Browser"},
	{"Firefox/", "Firefox"}, {"Chromium/", "Chromium"}, {"HeadlessChrome/", "Headless Chrome"},
	{"Chrome/", "Chrome"}, {"CriOS/", "Chrome"}, {"FxiOS/", "Firefox"}, {"Version/", "Safari"},
}

// systems are the operating systems Agent names, the more specific first
// (Android says Linux, an iPhone says Mac OS X).
var systems = []struct{ token, name string }{
	{"Windows", "Windows"}, {"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"},
	{"CrOS", "ChromeOS"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"},
}

var major = regexp.MustCompile(`^[0-9]{1,5}`)

// Agent is the summary of a User-Agent header that the device lists show
// ("Firefox 128 on Windows"): the browser and its major version and the
// system when it names known ones, else the header itself cut to MaxAgent
// characters with every control, format (bidirectional overrides) and
// invalid character replaced by '?'; "" for none. It is text to show,
// never to trust: anyone may send any header.
func Agent(ua string) string {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return ""
	}
	var b, sys string
	for _, br := range browsers {
		if i := strings.Index(ua, br.token); i >= 0 {
			b = br.name
			if v := major.FindString(ua[i+len(br.token):]); v != "" {
				b += " " + v
			}
			break
		}
	}
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			sys = s.name
			break
		}
	}
	switch {
	case b != "" && sys != "":
		return b + " on " + sys
	case b != "":
		return b
	}
	return Neutral(ua, MaxAgent)
}

// Neutral is s with every control, format and invalid character
// replaced by '?', cut to max characters ("…" ending a cut one).
func Neutral(s string, max int) string {
	var out strings.Builder
	n := 0
	for i, r := range s {
		if n == max {
			return strings.TrimRightFunc(out.String(), unicode.IsSpace) + "…"
		}
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			r = '?'
		}
		out.WriteRune(r)
		n++
	}
	return out.String()
}
