package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
)

// vtRun runs one markd command line in-process.
func vtRun(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

type vtOut struct {
	Line    int           `json:"line"`
	Verdict mark.Verdict  `json:"verdict"`
	Reasons []mark.Reason `json:"reasons"`
	Mark    *mark.Fields  `json:"mark"`
}

func vtCheck(t *testing.T, v testdata.Vector, o vtOut, line int) {
	t.Helper()
	if o.Line != line || o.Verdict != v.Verdict {
		t.Errorf("%s: line %d verdict %s, want line %d %s", v.Name, o.Line, o.Verdict, line, v.Verdict)
	}
	if o.Reasons == nil || !reflect.DeepEqual(o.Reasons, append([]mark.Reason{}, v.Reasons...)) {
		t.Errorf("%s: reasons %v, want %v", v.Name, o.Reasons, v.Reasons)
	}
	switch {
	case v.Fields != nil && (o.Mark == nil || *o.Mark != *v.Fields):
		t.Errorf("%s: mark %+v, want %+v", v.Name, o.Mark, v.Fields)
	case v.Fields == nil && v.Verdict != mark.Accept && o.Mark != nil:
		t.Errorf("%s: mark reported for an unverified text", v.Name)
	}
}

// TestVerifyCommandVectors runs every vector through markd verify, one
// --text run per vector with its own context.
func TestVerifyCommandVectors(t *testing.T) {
	dir := testdata.Dir(t)
	for _, v := range testdata.Vectors(t) {
		args := []string{"verify", "--keyring", filepath.Join(dir, "keyring.yaml"), "--tariffs", filepath.Join(dir, "tariffs.yaml"),
			"--office", strconv.Itoa(int(v.Context.Office)), "--date", v.Context.Date, "--text", v.Text}
		if v.Context.MeasuredWeightG != 0 {
			args = append(args, "--weight", strconv.Itoa(v.Context.MeasuredWeightG))
		}
		code, out, errs := vtRun(t, "", args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", v.Name, code, errs)
		}
		var o vtOut
		if err := json.Unmarshal([]byte(out), &o); err != nil {
			t.Fatalf("%s: output %q: %v", v.Name, out, err)
		}
		vtCheck(t, v, o, 1)
	}
}

// TestVerifyCommandStdinConfig feeds the vectors without a measured weight
// through stdin, with the lists, office and zone from a config file.
func TestVerifyCommandStdinConfig(t *testing.T) {
	dir := testdata.Dir(t)
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "markd.yaml")
	if err := os.WriteFile(cfg, []byte("office: 101000\ntz: Asia/Vladivostok\nkeyring: "+abs+"/keyring.yaml\ntariffs: "+abs+"/tariffs.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	var want []testdata.Vector
	for _, v := range testdata.Vectors(t) {
		if v.Context.MeasuredWeightG == 0 && v.Context.Office == 426000 && v.Context.Date == "2026-11-25" {
			in.WriteString(strings.TrimSuffix(v.Text, "\n") + "\n") // a vector ending in CRLF keeps its CR
			want = append(want, v)
		}
	}
	// The flag overrides the config's office 101000.
	code, out, errs := vtRun(t, in.String(), "--config", cfg, "verify", "--office", "426000", "--date", "2026-11-25")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	n := 0
	for ; sc.Scan(); n++ {
		var o vtOut
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatal(err)
		}
		if n < len(want) {
			vtCheck(t, want[n], o, n+1)
		}
	}
	if n != len(want) || n < 40 {
		t.Fatalf("%d output lines for %d input lines", n, len(want))
	}
}

func TestVerifyCommandToday(t *testing.T) {
	dir := testdata.Dir(t)
	vs := testdata.Vectors(t)
	defer func(f func() time.Time) { verifyNow = f }(verifyNow)
	base := []string{"verify", "--keyring", filepath.Join(dir, "keyring.yaml"), "--tariffs", filepath.Join(dir, "tariffs.yaml"), "--office", "426000", "--text", vs[0].Text}
	cases := []struct {
		now  time.Time
		tz   string
		want mark.Verdict
	}{
		// 2027-02-20 21:30 UTC is already 2027-02-21 in Moscow: expired there.
		{time.Date(2027, 2, 20, 21, 30, 0, 0, time.UTC), "", mark.Reject},
		{time.Date(2027, 2, 20, 21, 30, 0, 0, time.UTC), "UTC", mark.Accept},
		{time.Date(2027, 2, 20, 20, 59, 0, 0, time.UTC), "Europe/Moscow", mark.Accept},
	}
	for _, c := range cases {
		verifyNow = func() time.Time { return c.now }
		args := base
		if c.tz != "" {
			args = append(append([]string{}, base...), "--tz", c.tz)
		}
		code, out, errs := vtRun(t, "", args...)
		var o vtOut
		if code != 0 || json.Unmarshal([]byte(out), &o) != nil {
			t.Fatalf("exit %d %q %s", code, out, errs)
		}
		if o.Verdict != c.want {
			t.Errorf("now %v tz %q: verdict %s %v, want %s", c.now, c.tz, o.Verdict, o.Reasons, c.want)
		}
	}
}

// TestVerifyCommandAt: --at without --db is not ignored: it sets the
// acceptance date of the checks, in --tz.
func TestVerifyCommandAt(t *testing.T) {
	dir := testdata.Dir(t)
	vs := testdata.Vectors(t)
	base := []string{"verify", "--keyring", filepath.Join(dir, "keyring.yaml"), "--tariffs", filepath.Join(dir, "tariffs.yaml"), "--office", "426000", "--text", vs[0].Text}
	for _, c := range []struct {
		at   string
		want mark.Verdict
	}{
		{"2027-02-20T21:30:00Z", mark.Reject}, // 2027-02-21 in Moscow: expired
		{"2027-02-20T20:59:00Z", mark.Accept},
		{"2027-02-21T00:30:00+04:00", mark.Accept}, // still 02-20 in Moscow
	} {
		code, out, errs := vtRun(t, "", append(append([]string{}, base...), "--at", c.at)...)
		var o vtOut
		if code != 0 || json.Unmarshal([]byte(out), &o) != nil {
			t.Fatalf("exit %d %q %s", code, out, errs)
		}
		if o.Verdict != c.want {
			t.Errorf("--at %s: verdict %s %v, want %s", c.at, o.Verdict, o.Reasons, c.want)
		}
	}
	if code, _, errs := vtRun(t, "", append(append([]string{}, base...), "--at", "2027-02-20T20:59:00Z", "--date", "2027-02-20")...); code != exitUsage || !strings.Contains(errs, "--at and --date") {
		t.Errorf("--at with --date: exit %d %q", code, errs)
	}
}

func TestVerifyCommandErrors(t *testing.T) {
	dir := testdata.Dir(t)
	tmp := t.TempDir()
	badRev := filepath.Join(tmp, "revoked.txt")
	if err := os.WriteFile(badRev, []byte("12\nnot-a-serial\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badRing := filepath.Join(tmp, "ring.yaml")
	if err := os.WriteFile(badRing, []byte("keys:\n  - {id: 7, alg: ed25519, public: AAAA, valid_from: 2025-01-01, valid_until: 2026-01-01}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ring, tariffs := filepath.Join(dir, "keyring.yaml"), filepath.Join(dir, "tariffs.yaml")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad revocations", []string{"--keyring", ring, "--tariffs", tariffs, "--revoked", badRev, "--office", "426000"}, "not-a-serial"},
		{"bad keyring", []string{"--keyring", badRing, "--tariffs", tariffs, "--office", "426000"}, "keys[0] (id 7)"},
		{"missing tariffs", []string{"--keyring", ring, "--tariffs", filepath.Join(tmp, "none.yaml"), "--office", "426000"}, "none.yaml"},
		{"no office", []string{"--keyring", ring, "--tariffs", tariffs}, "--office"},
		{"bad date", []string{"--keyring", ring, "--tariffs", tariffs, "--office", "426000", "--date", "25.11.2026"}, "25.11.2026"},
		{"bad tz", []string{"--keyring", ring, "--tariffs", tariffs, "--office", "426000", "--tz", "Mars/Olympus"}, "Mars/Olympus"},
		{"stray argument", []string{"--keyring", ring, "--tariffs", tariffs, "--office", "426000", "EPM1:"}, "no arguments"},
		{"counter without db", []string{"--keyring", ring, "--tariffs", tariffs, "--office", "426000", "--counter", "2"}, "--counter applies only with --db"},
		{"rescan window without db", []string{"--keyring", ring, "--tariffs", tariffs, "--office", "426000", "--rescan-window", "1m"}, "--rescan-window applies only with --db"},
		// pflag read them as octal and hex: office 142336 and 426000 were judged at
		{"office with a leading 0", []string{"--keyring", ring, "--tariffs", tariffs, "--office", "0426000"}, `invalid argument "0426000" for "--office" flag: "0426000": write the number in decimal without a leading 0`},
		{"office in hex", []string{"--keyring", ring, "--tariffs", tariffs, "--office=0x68010"}, `"0x68010": write the number in decimal`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := vtRun(t, "EPM1:\n", append([]string{"verify"}, c.args...)...)
			if code != 2 || out != "" || !strings.Contains(errs, c.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 naming %q", code, out, errs, c.want)
			}
		})
	}
}

// TestVerifyCommandByteOrderMark: stdin from a file that starts with a
// UTF-8 byte order mark (Windows Notepad) judges its first line as the
// mark it is, not NOT_A_MARK.
func TestVerifyCommandByteOrderMark(t *testing.T) {
	dir := testdata.Dir(t)
	for _, v := range testdata.Vectors(t) {
		if v.Verdict != mark.Accept || v.Context.MeasuredWeightG != 0 {
			continue
		}
		code, out, errs := vtRun(t, "\uFEFF"+strings.TrimSpace(v.Text)+"\r\n", "verify", "--keyring", filepath.Join(dir, "keyring.yaml"),
			"--tariffs", filepath.Join(dir, "tariffs.yaml"), "--office", strconv.Itoa(int(v.Context.Office)), "--date", v.Context.Date)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var o vtOut
		if err := json.Unmarshal([]byte(out), &o); err != nil {
			t.Fatalf("%v: %q", err, out)
		}
		vtCheck(t, v, o, 1)
		return
	}
	t.Fatal("no vector accepted without a scale")
}

// TestVerifyHelpSaysStatefulAnswers: with --db markd verify exits 1 when
// the store cannot be used (here: none at that path) and answers
// DUPLICATE_SCAN and ERROR too; its help names both, not only the
// stateless verdicts and exit codes.
func TestVerifyHelpSaysStatefulAnswers(t *testing.T) {
	dir := testdata.Dir(t)
	missing := filepath.Join(t.TempDir(), "none.db")
	code, out, errs := vtRun(t, "EPM1:\n", "verify", "--keyring", filepath.Join(dir, "keyring.yaml"),
		"--tariffs", filepath.Join(dir, "tariffs.yaml"), "--office", "426000", "--db", missing)
	if code != 1 || out != "" || !strings.Contains(errs, missing) {
		t.Fatalf("verify --db on no store: exit %d, stdout %q, stderr %q; want exit 1 naming the file", code, out, errs)
	}
	_, help, _ := vtRun(t, "", "verify", "--help")
	for _, want := range []string{"DUPLICATE_SCAN", "ERROR", "1 when"} {
		if !strings.Contains(help, want) {
			t.Errorf("verify --help does not say %q:\n%s", want, help)
		}
	}
}
