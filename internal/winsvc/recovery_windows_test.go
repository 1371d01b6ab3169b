package winsvc

import (
	"bytes"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/mgr"
)

// TestWindowsPlanRecovery: only a service with no recovery actions at all
// gets Recovery at its start; any list that is there, Recovery or an
// administrator's own (even one that takes no action), is left alone; a
// list that cannot be read is said, not guessed at.
func TestWindowsPlanRecovery(t *testing.T) {
	for _, c := range []struct {
		name    string
		actions []mgr.RecoveryAction
		err     error
		want    recoveryStep
	}{
		{"none (the MSI's)", nil, nil, recoverySet},
		{"an empty list", []mgr.RecoveryAction{}, nil, recoverySet},
		{"Recovery (markd service install's)", Recovery(), nil, recoveryKeep},
		{"an administrator's restart once", []mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: 2 * time.Minute}}, nil, recoveryKeep},
		{"an administrator's reboot", []mgr.RecoveryAction{{Type: mgr.ComputerReboot, Delay: time.Minute}}, nil, recoveryKeep},
		{"Take No Action, chosen", []mgr.RecoveryAction{{Type: mgr.NoAction}, {Type: mgr.NoAction}, {Type: mgr.NoAction}}, nil, recoveryKeep},
		{"wine's service manager", nil, windows.ERROR_INVALID_LEVEL, recoveryUnreadable},
		{"access denied", nil, windows.ERROR_ACCESS_DENIED, recoveryUnreadable},
	} {
		if got := planRecovery(c.actions, c.err); got != c.want {
			t.Errorf("%s: planRecovery = %d, want %d", c.name, got, c.want)
		}
	}
}

// fakeRecovery is a service's recovery config in memory, with the errors
// of the service manager to return.
type fakeRecovery struct {
	actions          []mgr.RecoveryAction
	reset            uint32
	flag             bool
	readErr, setErr  error
	flagErr          error
	setCalls, flagCs int
}

func (f *fakeRecovery) RecoveryActions() ([]mgr.RecoveryAction, error) {
	return f.actions, f.readErr
}

func (f *fakeRecovery) SetRecoveryActions(a []mgr.RecoveryAction, reset uint32) error {
	f.setCalls++
	if f.setErr != nil {
		return f.setErr
	}
	f.actions, f.reset = a, reset
	return nil
}

func (f *fakeRecovery) SetRecoveryActionsOnNonCrashFailures(flag bool) error {
	f.flagCs++
	if f.flagErr != nil {
		return f.flagErr
	}
	f.flag = flag
	return nil
}

// TestWindowsEnsureRecovery: at the service's start, a service without
// recovery actions gets Recovery (reset after a day, on non-crash
// failures too) with one INFO line that says what was set; one with an
// administrator's own keeps them, nothing logged; when they cannot be read
// or set (wine's ERROR_INVALID_LEVEL, access denied) one WARN says why,
// with the sc commands that set them by hand, and nothing else is tried.
func TestWindowsEnsureRecovery(t *testing.T) {
	own := []mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: 2 * time.Minute}}
	for _, c := range []struct {
		name        string
		svc         fakeRecovery
		wantActions []mgr.RecoveryAction
		wantFlag    bool
		wantSets    int
		wantLog     []string // in the log, in this order; nil: nothing logged
	}{
		{name: "none: set", svc: fakeRecovery{},
			wantActions: Recovery(), wantFlag: true, wantSets: 1,
			wantLog: []string{"level=INFO", "markd service: had no restart on failure (recovery actions); set it",
				`actions="restart after 5s, 30s, 1m0s"`, "reset=24h0m0s", "non_crash_failures=true"}},
		{name: "an administrator's own: kept", svc: fakeRecovery{actions: own},
			wantActions: own},
		{name: "Recovery already: kept", svc: fakeRecovery{actions: Recovery(), flag: true},
			wantActions: Recovery(), wantFlag: true},
		{name: "unreadable (wine)", svc: fakeRecovery{readErr: windows.ERROR_INVALID_LEVEL},
			wantLog: []string{"level=WARN", "markd service: cannot read its restart on failure",
				`why="this service manager has no recovery actions (wine's)"`,
				`hint="sc failure markd reset= 86400 actions= restart/5000/restart/30000/restart/60000, then sc failureflag markd 1"`}},
		{name: "set refused", svc: fakeRecovery{setErr: windows.ERROR_ACCESS_DENIED}, wantSets: 1,
			wantLog: []string{"level=WARN", "markd service: has no restart on failure (recovery actions) and cannot set it",
				`why="the service's account may not change the service's config"`, "hint=\"sc failure markd"}},
		{name: "flag refused", svc: fakeRecovery{flagErr: windows.ERROR_INVALID_LEVEL}, wantActions: Recovery(), wantSets: 1,
			wantLog: []string{"level=WARN", "cannot set it", "on non-crash failures too", "sc failureflag markd 1"}},
	} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		f := c.svc
		ensureRecovery(log, "markd", &f)
		if !reflect.DeepEqual(f.actions, c.wantActions) || f.flag != c.wantFlag || f.setCalls != c.wantSets {
			t.Errorf("%s: actions %v (set %d times), non-crash %v; want %v (set %d times), %v",
				c.name, f.actions, f.setCalls, f.flag, c.wantActions, c.wantSets, c.wantFlag)
		}
		if f.setCalls > 0 && f.setErr == nil && f.reset != 86400 {
			t.Errorf("%s: reset period %d s, want 86400", c.name, f.reset)
		}
		out := buf.String()
		if c.wantLog == nil {
			if out != "" {
				t.Errorf("%s: logged %q, want nothing", c.name, out)
			}
			continue
		}
		if n := strings.Count(out, "\n"); n != 1 {
			t.Errorf("%s: %d log lines, want 1:\n%s", c.name, n, out)
		}
		rest := out
		for _, w := range c.wantLog {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s: log lacks %q (in order):\n%s", c.name, w, out)
				break
			}
			rest = rest[i+len(w):]
		}
	}
}

// TestWindowsRecoveryWhy: each reason names its cause, an unknown error
// falls back to the service manager's refusal, and a wrapped error is
// still known.
func TestWindowsRecoveryWhy(t *testing.T) {
	wrapped := errors.Join(errors.New("open service markd"), windows.ERROR_ACCESS_DENIED)
	for err, want := range map[error]string{
		windows.ERROR_INVALID_LEVEL:    "no recovery actions",
		wrapped:                        "may not change",
		windows.ERROR_SERVICE_DISABLED: "refused",
	} {
		if got := recoveryWhy(err); !strings.Contains(got, want) {
			t.Errorf("recoveryWhy(%v) = %q, want %q in it", err, got, want)
		}
	}
}

// TestWindowsRecoveryChosen: the actions install sets (and the start sets
// on a service with none) are what install-windows.md promises: restart
// after 5 s, 30 s, then every minute (the service manager repeats the
// last action), the count reset after a day, on non-crash failures too
// (a stop with a service-specific code: the port taken); and the sc
// commands the warning names set the same. A flag the service manager
// refuses is an error that still says ERROR_INVALID_LEVEL (Install warns
// on it rather than fail: wine's service manager).
func TestWindowsRecoveryChosen(t *testing.T) {
	want := []mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: time.Minute},
	}
	if got := Recovery(); !reflect.DeepEqual(got, want) {
		t.Errorf("Recovery() = %v, want %v", got, want)
	}
	var f fakeRecovery
	if err := setRecovery(&f); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.actions, want) || f.reset != 86400 || !f.flag || f.setCalls != 1 || f.flagCs != 1 {
		t.Errorf("setRecovery: actions %v reset %d s non-crash %v (%d, %d calls); want %v, 86400 s, true",
			f.actions, f.reset, f.flag, f.setCalls, f.flagCs, want)
	}
	if got, wantSC := scFailure("markd"), "sc failure markd reset= 86400 actions= restart/5000/restart/30000/restart/60000, then sc failureflag markd 1"; got != wantSC {
		t.Errorf("scFailure = %q, want %q", got, wantSC)
	}
	refused := fakeRecovery{flagErr: windows.ERROR_INVALID_LEVEL}
	err := setRecovery(&refused)
	if !errors.Is(err, windows.ERROR_INVALID_LEVEL) || !strings.Contains(err.Error(), "on non-crash failures too") {
		t.Errorf("flag refused: %v, want ERROR_INVALID_LEVEL naming the non-crash flag", err)
	}
	if failed := (fakeRecovery{setErr: windows.ERROR_ACCESS_DENIED}); setRecovery(&failed) == nil || failed.flagCs != 0 {
		t.Errorf("actions refused: the flag set all the same (%d calls) or no error", failed.flagCs)
	}
}
