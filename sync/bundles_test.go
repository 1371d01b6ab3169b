package sync

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/bundle"
	"markd/decode"
	"markd/internal/syncbuf"
	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
	"markd/verify"
)

func contents(t testing.TB, version uint64, revoked string) bundle.Contents {
	t.Helper()
	dir := testdata.Dir(t)
	kr, err := os.ReadFile(filepath.Join(dir, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := os.ReadFile(filepath.Join(dir, "tariffs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return bundle.Contents{Version: version, Created: day0, Keyring: bundle.File{Name: "keyring.yaml", Data: kr},
		Tariffs: bundle.File{Name: "tariffs.yaml", Data: tr}, Revocations: bundle.File{Name: "revoked.txt", Data: []byte(revoked)}}
}

func sign(t testing.TB, c bundle.Contents, priv ed25519.PrivateKey) []byte {
	t.Helper()
	b, err := bundle.Sign(c, priv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signedMark makes a mark of the shared test issuer key 1 with serial.
func signedMark(t testing.TB, serial uint64) (string, mark.Context) {
	t.Helper()
	issued := mark.DayOf(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	m := mark.Mark{Version: 1, Alg: mark.AlgEd25519, KeyID: 1, Serial: serial, Contract: 7, MailClass: mark.ClassSimpleLetter,
		WeightG: 20, TariffKop: 1000000, Office: 0, Issued: issued, ValidUntil: issued + 300}
	text, err := testdata.Keys(t)[1].Sign(m)
	if err != nil {
		t.Fatal(err)
	}
	return text, mark.Context{Office: 426000, Date: issued + 1}
}

type pollEnv struct {
	db     *store.DB
	col    *collector
	holder *verify.Holder
	poller *Poller
	pub    ed25519.PublicKey
	priv   ed25519.PrivateKey
	dir    string
	now    time.Time
	log    *syncbuf.Buffer // the applier's log
}

func newPollEnv(t *testing.T, url string, warn, hard time.Duration) *pollEnv {
	t.Helper()
	e := &pollEnv{db: openCounter(t), dir: filepath.Join(t.TempDir(), "bundles"), now: day0, log: &syncbuf.Buffer{}}
	var err error
	if e.pub, e.priv, err = bundle.NewKey(); err != nil {
		t.Fatal(err)
	}
	if url == "" {
		e.col = newBareCollector(t, "office-a")
		url = e.col.srv.URL
	}
	e.holder = verify.NewHolder(nil)
	e.start(t, url, warn, hard)
	return e
}

// start makes the poller as a (re)started daemon would.
func (e *pollEnv) start(t *testing.T, url string, warn, hard time.Duration) {
	t.Helper()
	p, err := NewPoller(context.Background(), e.db, newClient(t, url, "office-a"), HolderApplier(e.holder, slog.New(slog.NewTextHandler(e.log, nil))),
		PollerOptions{Key: e.pub, Dir: e.dir, Interval: time.Minute, Warn: warn, Hard: hard, Now: func() time.Time { return e.now }}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.poller = p
}

func TestBundleAppliedKeptAndRestored(t *testing.T) {
	ctx := context.Background()
	e := newPollEnv(t, "", 0, 0)
	text, mctx := signedMark(t, 777)
	if r := e.holder.Verify(text, mctx); r.Verdict != mark.Error {
		t.Fatalf("no lists yet: verdict %s", r.Verdict)
	}
	if err := e.poller.Poll(ctx); err != nil { // nothing published: 204
		t.Fatal(err)
	}
	if err := e.col.store.PutBundle(ctx, 1, sign(t, contents(t, 1, ""), e.priv), day0); err != nil {
		t.Fatal(err)
	}
	if err := e.poller.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if r := e.holder.Verify(text, mctx); r.Verdict != mark.Accept {
		t.Fatalf("after bundle 1: %s %v", r.Verdict, r.Reasons)
	}
	v1, vs1 := e.poller.Version()
	if v1 != 1 || vs1 != e.holder.Versions() || vs1.Keyring == "" {
		t.Fatalf("version %d %+v", v1, vs1)
	}
	// Bundle 2 revokes the serial: the verdict changes atomically.
	if err := e.col.store.PutBundle(ctx, 2, sign(t, contents(t, 2, "# version: rv2\n777\n"), e.priv), day0); err != nil {
		t.Fatal(err)
	}
	if err := e.poller.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	r := e.holder.Verify(text, mctx)
	if r.Verdict != mark.Reject || len(r.Reasons) != 1 || r.Reasons[0] != mark.ReasonRevoked {
		t.Fatalf("after revocation: %s %v", r.Verdict, r.Reasons)
	}
	if v, _ := e.poller.Version(); v != 2 {
		t.Fatalf("version %d", v)
	}
	if v, _, _ := e.db.SyncState(ctx, store.StateBundleVersion); v != "2" {
		t.Fatalf("store bundle version %q", v)
	}
	// A reload from the config files (SIGHUP) swaps other lists in; the
	// next poll puts the bundle's back.
	old, err := verify.FromBundle(&[]bundle.Contents{contents(t, 1, "")}[0])
	if err != nil {
		t.Fatal(err)
	}
	e.holder.Swap(old)
	if r := e.holder.Verify(text, mctx); r.Verdict != mark.Accept {
		t.Fatalf("file lists: %s", r.Verdict)
	}
	if err := e.poller.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if r := e.holder.Verify(text, mctx); r.Verdict != mark.Reject {
		t.Fatalf("bundle not put back: %s", r.Verdict)
	}
	// A restart without the collector applies the kept bundle 2.
	e.holder = verify.NewHolder(nil)
	e.start(t, "http://127.0.0.1:1", 0, 0)
	if err := e.poller.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if r := e.holder.Verify(text, mctx); r.Verdict != mark.Reject {
		t.Fatalf("after restore: %s", r.Verdict)
	}
	if v, vs := e.poller.Version(); v != 2 || vs.Revocations != "rv2" {
		t.Fatalf("restored version %d %+v", v, vs)
	}
}

func TestBundleTamperingRefused(t *testing.T) {
	ctx := context.Background()
	_, otherPriv, _ := bundle.NewKey()
	var serve []byte // what the rogue collector answers, whatever the cursor
	rogue := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(serve) }))
	t.Cleanup(rogue.Close)
	e := newPollEnv(t, rogue.URL, 0, 0)
	serve = sign(t, contents(t, 5, ""), e.priv)
	if err := e.poller.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	text, mctx := signedMark(t, 1)
	good := sign(t, contents(t, 6, ""), e.priv)
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"signed with another key", sign(t, contents(t, 6, "1\n"), otherPriv), mark.ErrInvalid},
		{"altered signature", alterField(t, good, "signature"), mark.ErrInvalid},
		{"altered payload", alterField(t, good, "payload"), mark.ErrInvalid},
		{"older version", sign(t, contents(t, 4, "1\n"), e.priv), mark.ErrConflict},
		{"same version replayed", sign(t, contents(t, 5, "1\n"), e.priv), mark.ErrConflict},
		{"lists that do not parse", sign(t, bundle.Contents{Version: 9, Created: day0, Keyring: bundle.File{Name: "k", Data: []byte("nope: [")},
			Tariffs: bundle.File{Name: "t", Data: []byte("x")}}, e.priv), mark.ErrInvalid},
		{"garbage", []byte("<html>captive portal</html>"), mark.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serve = tt.data
			err := e.poller.Poll(ctx)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if v, _ := e.poller.Version(); v != 5 {
				t.Fatalf("version in force changed to %d", v)
			}
			if r := e.holder.Verify(text, mctx); r.Verdict != mark.Accept {
				t.Fatalf("lists in force changed: %s %v", r.Verdict, r.Reasons)
			}
		})
	}
	c, _, err := bundle.Dir{Path: e.dir}.Latest(e.pub)
	if err != nil || c.Version != 5 {
		t.Fatalf("kept bundle = %v, %v", c, err)
	}
}

// TestBundleWithDistrustedKeyApplied: a bundle signed with the pinned
// key whose keyring holds the identity point as key 9 (as a markhub
// before publish refused it could publish) is applied and kept, key 9
// distrusted (docs/notes/spec-audit.md item 10, per key): a mark anyone
// forged for key 9 is REJECT [BAD_SIGNATURE], a good mark of key 1 stays
// ACCEPT, and the applier logs the key once at ERROR naming the bundle,
// keys[4] (id 9) and why. On the whole-refusal code Poll refused it
// (verify.ErrWeakKey, the case TestBundleTamperingRefused held).
func TestBundleWithDistrustedKeyApplied(t *testing.T) {
	ctx := context.Background()
	e := newPollEnv(t, "", 0, 0)
	if err := e.col.store.PutBundle(ctx, 9, sign(t, weakKeyring(contents(t, 9, "")), e.priv), day0); err != nil {
		t.Fatal(err)
	}
	if err := e.poller.Poll(ctx); err != nil {
		t.Fatalf("bundle with a weak key refused: %v", err)
	}
	if v, _ := e.poller.Version(); v != 9 {
		t.Fatalf("version in force %d, want 9", v)
	}
	text, mctx := signedMark(t, 1)
	if r := e.holder.Verify(text, mctx); r.Verdict != mark.Accept {
		t.Errorf("good mark of key 1: %s %v", r.Verdict, r.Reasons)
	}
	body, _, err := decode.Text(text)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decode.Body(body[:])
	if err != nil {
		t.Fatal(err)
	}
	m.KeyID = 9
	body = decode.EncodeBody(m)
	sig := testdata.IdentityForgery(body[:])
	if r := e.holder.Verify(decode.Encode(body, sig), mctx); r.Verdict != mark.Reject || len(r.Reasons) != 1 || r.Reasons[0] != mark.ReasonBadSignature {
		t.Errorf("forged mark for key 9: %s %v, want REJECT [BAD_SIGNATURE]", r.Verdict, r.Reasons)
	}
	l := e.log.String()
	if strings.Count(l, `level=ERROR msg="`+verify.DistrustedMsg+`"`) != 1 {
		t.Errorf("want one ERROR line for the distrusted key:\n%s", l)
	}
	for _, want := range []string{"bundle=9", "keys[4] (id 9)", "small order 1"} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %q:\n%s", want, l)
		}
	}
	if c, _, err := (bundle.Dir{Path: e.dir}).Latest(e.pub); err != nil || c.Version != 9 {
		t.Fatalf("kept bundle = %v, %v", c, err)
	}
}

// weakKeyring adds the identity point as key 9 to c's keyring.
func weakKeyring(c bundle.Contents) bundle.Contents {
	c.Keyring.Data = append(c.Keyring.Data, "  - {id: 9, alg: ed25519, public: AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, valid_from: 2025-01-01, valid_until: 2030-12-31}\n"...)
	return c
}

// alterField changes one base64 character inside a field of the envelope.
func alterField(t *testing.T, data []byte, field string) []byte {
	t.Helper()
	s := string(data)
	i := strings.Index(s, `"`+field+`":"`) + len(field) + 4 + 40
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return b
}

func TestFreshness(t *testing.T) {
	ctx := context.Background()
	col := newBareCollector(t, "office-a")
	e := newPollEnv(t, col.srv.URL, 72*time.Hour, 96*time.Hour)
	fresh := e.poller.Freshness()
	tests := []struct {
		name       string
		advance    time.Duration
		poll       bool
		warn, hard bool
	}{
		{"just started", 0, false, false, false},
		{"two days offline", 48 * time.Hour, false, false, false},
		{"four days offline: amber", 25 * time.Hour, false, true, false},
		{"five days offline: refuse", 24 * time.Hour, false, true, true},
		{"synced again", time.Minute, true, false, false},
	}
	text, mctx := signedMark(t, 3)
	if err := col.store.PutBundle(ctx, 1, sign(t, contents(t, 1, ""), e.priv), day0); err != nil {
		t.Fatal(err)
	}
	guarded := Guard(e.holder, fresh)
	for _, tt := range tests {
		e.now = e.now.Add(tt.advance)
		if tt.poll {
			if err := e.poller.Poll(ctx); err != nil {
				t.Fatal(err)
			}
		}
		w, h := fresh.Stale()
		if w != tt.warn || h != tt.hard {
			t.Fatalf("%s: stale = %v, %v; want %v, %v (age %v)", tt.name, w, h, tt.warn, tt.hard, fresh.Age())
		}
		st := fresh.Status()
		if st.Warn != tt.warn || st.Hard != tt.hard {
			t.Fatalf("%s: status %+v", tt.name, st)
		}
		if e.holder.Current() == nil {
			continue
		}
		want := mark.Accept
		if tt.hard {
			want = mark.Error
		}
		if r := guarded.Verify(text, mctx); r.Verdict != want {
			t.Fatalf("%s: guarded verdict %s, want %s", tt.name, r.Verdict, want)
		}
	}
	// The confirmation time survives a restart.
	e.start(t, col.srv.URL, 72*time.Hour, 96*time.Hour)
	if age := e.poller.Freshness().Age(); age != 0 {
		t.Fatalf("age after restart = %v", age)
	}
	var nilF *Freshness
	if w, h := nilF.Stale(); w || h {
		t.Fatal("nil freshness is stale")
	}
}

func TestGuardLeavesRejectionsAlone(t *testing.T) {
	e := newPollEnv(t, "", time.Hour, time.Hour)
	v, err := verify.FromBundle(&[]bundle.Contents{contents(t, 1, "5\n")}[0])
	if err != nil {
		t.Fatal(err)
	}
	e.holder.Swap(v)
	e.now = e.now.Add(2 * time.Hour)
	g := Guard(e.holder, e.poller.Freshness())
	text, mctx := signedMark(t, 5)
	if r := g.Verify(text, mctx); r.Verdict != mark.Reject || r.Reasons[0] != mark.ReasonRevoked {
		t.Fatalf("revoked mark through the guard: %s %v", r.Verdict, r.Reasons)
	}
	if r := g.Verify("hello", mctx); r.Verdict != mark.NotAMark {
		t.Fatalf("not a mark through the guard: %s", r.Verdict)
	}
	if g.Versions() != v.Versions() {
		t.Fatal("guard hides the versions")
	}
}
