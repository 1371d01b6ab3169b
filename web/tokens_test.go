package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBearerToken: a program's token opens the API without a session or
// CSRF token; a wrong one is a JSON 401 naming the fix; a removed one
// stops working once the cache entry ends.
func TestBearerToken(t *testing.T) {
	e := newEnv(t, nil)
	tok, err := e.db.AddToken(context.Background(), "kassa")
	if err != nil {
		t.Fatal(err)
	}
	post := func(auth string) (int, string, map[string]string) {
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/scans", strings.NewReader(`{"text":"x"}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var j map[string]string
		_ = json.Unmarshal(b, &j)
		return resp.StatusCode, string(b), j
	}
	for _, tc := range []struct {
		auth string
		code int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer markd_wrong", http.StatusUnauthorized},
		{"Basic " + tok, http.StatusUnauthorized},
		{"Bearer " + tok, http.StatusOK},
		{"bearer  " + tok, http.StatusOK},
	} {
		code, body, j := post(tc.auth)
		if code != tc.code {
			t.Errorf("Authorization %.20q: %d %s, want %d", tc.auth, code, body, tc.code)
		}
		if code == http.StatusUnauthorized && j["error"] == "" {
			t.Errorf("Authorization %.20q: 401 body %q is not a JSON error", tc.auth, body)
		}
		if code == http.StatusOK && body != "api POST" {
			t.Errorf("Authorization %.20q: body %q", tc.auth, body)
		}
	}
	if _, _, j := post("Bearer markd_wrong"); j["hint"] == "" {
		t.Errorf("unknown token: no hint in %v", j)
	}
	if err := e.db.RemoveToken(context.Background(), "kassa"); err != nil {
		t.Fatal(err)
	}
	if tokenTTL > 5*time.Second {
		t.Errorf("tokenTTL %v: markd token remove and docs/local-api.md promise a removed token is refused within 5 s", tokenTTL)
	}
	e.clock.Add(tokenTTL + 1)
	if code, body, _ := post("Bearer " + tok); code != http.StatusUnauthorized {
		t.Errorf("removed token after the cache time: %d %s", code, body)
	}
}

// TestAPIWithoutTokenHint: a program that sends no token, or an empty
// one, learns how to get one (it was a bare "log in first"), as with a
// wrong token; a browser still learns to log in.
func TestAPIWithoutTokenHint(t *testing.T) {
	e := newEnv(t, nil)
	for _, auth := range []string{"", "Bearer ", "Bearer markd_wrong"} {
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/scans", strings.NewReader(`{"text":"x"}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var j map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&j)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || j["code"] != "unauthorized" || !strings.Contains(j["hint"], "markd token add NAME") {
			t.Errorf("Authorization %q: %d %v, want 401 with the hint to make a token", auth, resp.StatusCode, j)
		}
	}
}
