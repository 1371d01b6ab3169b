package hubtest

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// RunRegionalSuite holds a backend to hub.Regional: the fleet, the alert
// workflow with its audit, lookups, accounts and sessions.
func RunRegionalSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open)
	r := regionalOf(t, s)
	ctx := context.Background()
	for _, tm := range []hub.Terminal{{Name: "office-a", Office: 426000}, {Name: "office-b", Office: 101000}, {Name: "office-c", Office: 190000}} {
		tm.Created = t0
		if err := s.AddTerminal(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.NoteClock(ctx, "office-b", -90*time.Second, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	a := Rec("ra", 426000, "1", mark.Accept, 9001)
	a.At = t0.Add(2 * time.Hour)
	b := Rec("rb", 101000, "2", mark.Accept, 9001)
	b.At = t0.Add(time.Hour)
	a2 := Rec("ra2", 426000, "1", mark.Reject, 0)
	a2.At = t0.Add(3 * time.Hour)
	ingest(t, s, "office-a", hub.UploadRequest{Records: []hub.Record{a, a2}})
	waiting := int64(1234)
	ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{b}, Waiting: &waiting})
	ingest(t, s, "office-b", hub.UploadRequest{}) // not reported: the last report stays

	fleet, err := r.Fleet(ctx)
	if err != nil || len(fleet) != 3 {
		t.Fatalf("fleet: %+v %v", fleet, err)
	}
	// Ordered by office: 101000, 190000, 426000.
	if fleet[0].Name != "office-b" || fleet[0].ClockSkew != -90*time.Second || !fleet[0].LastRecord.Equal(b.At) ||
		fleet[0].Versions.Keyring != "k1" || fleet[0].Waiting != 1234 || !fleet[0].WaitingAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("fleet[0] = %+v", fleet[0])
	}
	if fleet[1].Name != "office-c" || !fleet[1].LastRecord.IsZero() || !fleet[1].SeenAt.IsZero() || !fleet[1].WaitingAt.IsZero() {
		t.Errorf("fleet[1] = %+v", fleet[1])
	}
	if fleet[2].Name != "office-a" || !fleet[2].LastRecord.Equal(a2.At) {
		t.Errorf("fleet[2] = %+v, want newest record at %v", fleet[2], a2.At)
	}

	alerts, err := r.ReuseAlerts(ctx, true, 10)
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts: %+v %v", alerts, err)
	}
	al := alerts[0]
	if al.Serial != 9001 || al.Terminal != "office-a" || al.Office != 426000 || !al.At.Equal(a.At) ||
		al.OtherTerminal != "office-b" || al.OtherOffice != 101000 || !al.OtherAt.Equal(b.At) || al.State != hub.AlertOpen {
		t.Errorf("alert = %+v", al)
	}
	if err := r.SetAlertState(ctx, al.ID, hub.AlertAcknowledged, "sup", "looking", t0.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := r.SetAlertState(ctx, al.ID, hub.AlertResolved, "sup2", "fine", t0.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := r.SetAlertState(ctx, al.ID+1000, hub.AlertResolved, "sup", "x", t0); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("unknown alert: %v, want ErrNotFound", err)
	}
	if open, _ := r.ReuseAlerts(ctx, true, 10); len(open) != 0 {
		t.Errorf("open alerts after resolve: %+v", open)
	}
	all, _ := r.ReuseAlerts(ctx, false, 10)
	if len(all) != 1 || all[0].State != hub.AlertResolved || all[0].By != "sup2" || all[0].Note != "fine" {
		t.Errorf("all alerts: %+v", all)
	}
	audit, err := r.AlertAudit(ctx, al.ID)
	if err != nil || len(audit) != 2 || audit[0].Actor != "sup" || audit[1].State != hub.AlertResolved || !audit[1].At.Equal(t0.Add(5*time.Hour)) {
		t.Errorf("audit: %+v %v", audit, err)
	}

	// Tracking numbers: two records with one, one above the int64 range
	// (no lookup can ask for it), the others none (0).
	var tracked []hub.Record
	for i, tr := range []uint64{42600000000015, 42600000000015, math.MaxUint64} {
		x := Rec("rt"+strconv.Itoa(i), 190000, "3", mark.Accept, uint64(9100+i))
		x.At, x.Mark.Tracking, x.Mark.Contract = t0.Add(time.Duration(30-i)*time.Minute), tr, 8
		tracked = append(tracked, x)
	}
	ingest(t, s, "office-c", hub.UploadRequest{Records: tracked})
	for _, c := range []struct {
		kind  hub.LookupKind
		value string
		want  []string
	}{
		{hub.BySerial, "9001", []string{"rb", "ra"}}, // scan-time order
		{hub.ByContract, "7", []string{"rb", "ra"}},
		{hub.ByContract, "8", []string{"rt2", "rt1", "rt0"}},
		{hub.ByTracking, "12345", nil},
		{hub.ByTracking, "42600000000015", []string{"rt1", "rt0"}},
		{hub.BySerial, "9002", nil},
	} {
		recs, err := r.Lookup(ctx, c.kind, c.value, 10)
		var got []string
		for _, x := range recs {
			got = append(got, x.ID)
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("lookup %s %s: %v %v, want %v", c.kind, c.value, got, err, c.want)
		}
	}
	bad := Rec("rbad", 426000, "1", mark.Accept, 9002)
	bad.At, bad.Verification, bad.Why = t0.Add(6*time.Hour), hub.Unverified, "signature does not verify"
	ingest(t, s, "office-a", hub.UploadRequest{Records: []hub.Record{bad}})
	if u, err := r.Unverified(ctx, 10); err != nil || len(u) != 1 || u[0].ID != "rbad" || u[0].Why != "signature does not verify" {
		t.Errorf("unverified: %+v %v", u, err)
	}
	for _, bad := range []struct{ kind, value string }{{"serial", "x"}, {"serial", "-1"}, {"colour", "1"}} {
		if _, err := r.Lookup(ctx, hub.LookupKind(bad.kind), bad.value, 10); !errors.Is(err, mark.ErrInvalid) {
			t.Errorf("lookup %v: %v, want ErrInvalid", bad, err)
		}
	}

	// Refusals: a repeat counts on its row, each terminal keeps its newest
	// MaxRefusedPerTerminal, newest first over all terminals.
	for i := range hub.MaxRefusedPerTerminal + 5 {
		ref := hub.Refusal{Terminal: "office-a", Status: 400, Field: "records[0].office", Why: "wrong office " + strconv.Itoa(i),
			RecordID: "x" + strconv.Itoa(i), RecordAt: t0, Serial: uint64(i + 1), Last: t0.Add(time.Duration(i) * time.Second)}
		if err := r.NoteRefusal(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	again := hub.Refusal{Terminal: "office-a", Status: 400, Field: "records[0].office", Why: "wrong office 104", RecordID: "x104",
		Last: t0.Add(time.Hour)}
	other := hub.Refusal{Terminal: "office-b", Status: 403, Why: "terminal has no office set", Last: t0.Add(time.Minute)}
	for _, ref := range []hub.Refusal{again, other} {
		if err := r.NoteRefusal(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	refs, err := r.Refused(ctx, 1000)
	if err != nil || len(refs) != hub.MaxRefusedPerTerminal+1 {
		t.Fatalf("refusals: %d %v, want %d", len(refs), err, hub.MaxRefusedPerTerminal+1)
	}
	if top := refs[0]; top.RecordID != "x104" || top.Times != 2 || !top.First.Equal(t0.Add(104*time.Second)) || !top.Last.Equal(t0.Add(time.Hour)) ||
		top.Serial != 105 || !top.RecordAt.Equal(t0) || top.Office != 426000 {
		t.Errorf("newest refusal: %+v", top)
	}
	var b403 bool
	for _, ref := range refs {
		if ref.RecordID == "x0" || ref.RecordID == "x4" {
			t.Errorf("refusal %v kept past the newest %d", ref, hub.MaxRefusedPerTerminal)
		}
		b403 = b403 || (ref.Terminal == "office-b" && ref.Status == 403 && ref.RecordAt.IsZero() && ref.Serial == 0)
	}
	if !b403 {
		t.Errorf("office-b's refusal missing: %v", refs)
	}
	if few, err := r.Refused(ctx, 3); err != nil || len(few) != 3 {
		t.Errorf("limit 3: %d %v", len(few), err)
	}

	if err := r.AddUser(ctx, "sup", "hash1", t0); err != nil {
		t.Fatal(err)
	}
	if err := r.AddUser(ctx, "sup", "hash2", t0); !errors.Is(err, mark.ErrConflict) {
		t.Errorf("second sup: %v, want ErrConflict", err)
	}
	if h, err := r.PasswordHash(ctx, "sup"); err != nil || h != "hash1" {
		t.Errorf("hash: %q %v", h, err)
	}
	if _, err := r.PasswordHash(ctx, "nobody"); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("nobody: %v", err)
	}
	now := time.Now()
	longAgo := now.Add(-24 * time.Hour) // sessions started after it are within their lifetime
	if err := r.PutSession(ctx, hub.WebSession{Hash: "h1", User: "sup", CSRF: "c1", Expires: now.Add(time.Hour), Started: now}); err != nil {
		t.Fatal(err)
	}
	got, err := r.GetSession(ctx, "h1", now, now.Add(2*time.Hour), longAgo)
	if err != nil || got.User != "sup" || got.CSRF != "c1" {
		t.Errorf("session: %+v %v", got, err)
	}
	if _, err := r.GetSession(ctx, "h1", now.Add(3*time.Hour), now.Add(4*time.Hour), longAgo); !errors.Is(err, hub.ErrSessionIdle) || !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("session unused past its expiry: %v, want ErrSessionIdle (a not found)", err)
	}
	if err := r.DropSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetSession(ctx, "h1", now, now, longAgo); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("dropped session: %v", err)
	}

	// A session started at or before startedBy has lasted its lifetime,
	// however much it was used: told apart from an unknown one.
	born := now.Add(-12 * time.Hour).Truncate(time.Second)
	if err := r.PutSession(ctx, hub.WebSession{Hash: "old", User: "sup", CSRF: "c0", Expires: now.Add(time.Hour), Started: born}); err != nil {
		t.Fatal(err)
	}
	if got, err := r.GetSession(ctx, "old", now, now.Add(time.Hour), born.Add(-time.Second)); err != nil || !got.Started.Equal(born) {
		t.Errorf("session within its lifetime: %+v %v, want started %v", got, err, born)
	}
	if _, err := r.GetSession(ctx, "old", now, now.Add(time.Hour), born); !errors.Is(err, hub.ErrSessionLifetime) || !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("session past its lifetime: %v, want ErrSessionLifetime (a not found)", err)
	}
	if _, err := r.GetSession(ctx, "nosuch", now, now.Add(time.Hour), born); !errors.Is(err, mark.ErrNotFound) ||
		errors.Is(err, hub.ErrSessionLifetime) || errors.Is(err, hub.ErrSessionIdle) {
		t.Errorf("unknown session: %v, want a not found without ErrSessionLifetime or ErrSessionIdle", err)
	}
	if err := r.DropSession(ctx, "old"); err != nil {
		t.Fatal(err)
	}

	// Removing an account ends its sessions, and only its.
	if err := r.AddUser(ctx, "other", "hash3", t0); err != nil {
		t.Fatal(err)
	}
	for _, s := range []hub.WebSession{{Hash: "h2", User: "sup", CSRF: "c2"}, {Hash: "h3", User: "sup", CSRF: "c3"}, {Hash: "h4", User: "other", CSRF: "c4"}} {
		s.Expires, s.Started = now.Add(time.Hour), now
		if err := r.PutSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := r.RemoveUser(ctx, "sup"); err != nil || n != 2 {
		t.Errorf("remove sup: %d sessions ended, %v; want 2", n, err)
	}
	for _, h := range []string{"h2", "h3"} {
		if _, err := r.GetSession(ctx, h, now, now.Add(time.Hour), longAgo); !errors.Is(err, mark.ErrNotFound) {
			t.Errorf("session %s of a removed account: %v, want ErrNotFound", h, err)
		}
	}
	if _, err := r.PasswordHash(ctx, "sup"); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("removed account's hash: %v, want ErrNotFound", err)
	}
	if got, err := r.GetSession(ctx, "h4", now, now.Add(time.Hour), longAgo); err != nil || got.User != "other" {
		t.Errorf("another account's session: %+v %v", got, err)
	}
	if _, err := r.RemoveUser(ctx, "sup"); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("remove sup again: %v, want ErrNotFound", err)
	}

	// A new password ends every session of the account, and only its.
	for _, s := range []hub.WebSession{{Hash: "h5", User: "other", CSRF: "c5"}, {Hash: "h6", User: "third", CSRF: "c6"}} {
		s.Expires, s.Started = now.Add(time.Hour), now
		if err := r.PutSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := r.SetPassword(ctx, "other", "hash4"); err != nil || n != 2 {
		t.Errorf("new password of other: %d sessions ended, %v; want 2", n, err)
	}
	if h, err := r.PasswordHash(ctx, "other"); err != nil || h != "hash4" {
		t.Errorf("hash after the new password: %q %v, want hash4", h, err)
	}
	for _, h := range []string{"h4", "h5"} {
		if _, err := r.GetSession(ctx, h, now, now.Add(time.Hour), longAgo); !errors.Is(err, mark.ErrNotFound) {
			t.Errorf("session %s after a new password: %v, want ErrNotFound", h, err)
		}
	}
	if got, err := r.GetSession(ctx, "h6", now, now.Add(time.Hour), longAgo); err != nil || got.User != "third" {
		t.Errorf("another account's session after a new password: %+v %v", got, err)
	}
	if _, err := r.SetPassword(ctx, "nobody", "hash5"); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("new password of nobody: %v, want ErrNotFound", err)
	}

	// Disabling an account ends its sessions; its hash is still read
	// (the login tells a disabled account only after the right password),
	// with ErrUserDisabled. Enabling lets it in again.
	if err := r.PutSession(ctx, hub.WebSession{Hash: "h7", User: "other", CSRF: "c7", Expires: now.Add(time.Hour), Started: now}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.SetDisabled(ctx, "other", true); err != nil || n != 1 {
		t.Errorf("disable other: %d sessions ended, %v; want 1", n, err)
	}
	if _, err := r.GetSession(ctx, "h7", now, now.Add(time.Hour), longAgo); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("session of a disabled account: %v, want ErrNotFound", err)
	}
	if h, err := r.PasswordHash(ctx, "other"); h != "hash4" || !errors.Is(err, hub.ErrUserDisabled) {
		t.Errorf("hash of a disabled account: %q %v, want hash4 and ErrUserDisabled", h, err)
	}
	if n, err := r.SetDisabled(ctx, "other", false); err != nil || n != 0 {
		t.Errorf("enable other: %d %v", n, err)
	}
	if h, err := r.PasswordHash(ctx, "other"); h != "hash4" || err != nil {
		t.Errorf("hash of an enabled account: %q %v", h, err)
	}
	if _, err := r.SetDisabled(ctx, "nobody", true); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("disable nobody: %v, want ErrNotFound", err)
	}

	// The device secret (hash and epoch) moves on with a new password and
	// a disable, not with an enable or a read; a disabled account has none.
	if _, _, err := r.DeviceSecret(ctx, "nobody"); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("device secret of nobody: %v, want ErrNotFound", err)
	}
	h0, e0, err := r.DeviceSecret(ctx, "other")
	if err != nil || h0 != "hash4" {
		t.Fatalf("device secret: %q %d %v, want hash4", h0, e0, err)
	}
	if h, e, err := r.DeviceSecret(ctx, "other"); h != h0 || e != e0 || err != nil {
		t.Errorf("device secret read again: %q %d %v, want %q %d", h, e, err, h0, e0)
	}
	if _, err := r.SetPassword(ctx, "other", "hash4"); err != nil {
		t.Fatal(err)
	}
	_, e1, err := r.DeviceSecret(ctx, "other")
	if err != nil || e1 == e0 {
		t.Errorf("device secret after the same password set again: epoch %d (before %d) %v, want a new epoch", e1, e0, err)
	}
	if _, err := r.SetDisabled(ctx, "other", true); err != nil {
		t.Fatal(err)
	}
	if h, _, err := r.DeviceSecret(ctx, "other"); h != "" || !errors.Is(err, hub.ErrUserDisabled) {
		t.Errorf("device secret of a disabled account: %q %v, want none and ErrUserDisabled", h, err)
	}
	if _, err := r.SetDisabled(ctx, "other", false); err != nil {
		t.Fatal(err)
	}
	_, e2, err := r.DeviceSecret(ctx, "other")
	if err != nil || e2 == e1 || e2 == e0 {
		t.Errorf("device secret after disable and enable: epoch %d (before %d, %d) %v, want a new epoch", e2, e0, e1, err)
	}
}
