package hubweb_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
)

// pageTime is a time as the regional pages write it.
var pageTime = regexp.MustCompile(`\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d( [A-Z]{3}|[+-]\d\d)?`)

// TestPageTimesNameTheirZone: the regional pages show times in the
// collector's zone (UTC) while each counter's pages show its office's, so
// a regional supervisor comparing a reuse alert with a counter's review
// page read 14:55:17 here for 17:55:17 there with nothing saying which
// clock; every time on the pages now names its zone.
func TestPageTimesNameTheirZone(t *testing.T) {
	e := newEnv(t)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	get := func(path string) string {
		t.Helper()
		res, err := hc.Get(e.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		return string(b)
	}
	m := csrfField.FindStringSubmatch(get("/login"))
	if m == nil {
		t.Fatal("login page without a form token")
	}
	if _, err := hc.PostForm(e.ts.URL+"/login", url.Values{"csrf": {m[1]}, "user": {supName}, "password": {supPass}}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/alerts", "/lookup?by=serial&q=4711", "/unverified"} {
		times := pageTime.FindAllStringSubmatch(get(path), -1)
		if len(times) == 0 {
			t.Errorf("%s shows no time", path)
		}
		for _, tm := range times {
			if tm[1] != " UTC" {
				t.Errorf("%s shows %q without its zone (want … UTC)", path, tm[0])
			}
		}
	}
}
