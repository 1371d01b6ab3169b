package winsvc

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/mgr"

	"markd/mark"
)

// fakeCreated is a service just created, in memory: it records what
// install does to it, in order, and fails the steps it is told to.
//
// Why a fake here, not the real service manager: these tests are about
// what install does when a step after CreateService fails, and under wine
// (where the Windows tests run) no such step can be made to fail:
// wine's SetRecoveryActions returns success and stores nothing (an
// earlier probe), and the Event Log source is a registry key the
// administrator's test process may always write. So the steps sit behind
// the narrow created interface and this stands in for it; the real
// CreateService, OpenService and Delete are what cmd/markd's and
// cmd/markhub's service tests drive.
type fakeCreated struct {
	calls                          []string
	setErr, flagErr                error
	sourceErr, unsourceErr, delErr error
}

func (f *fakeCreated) RecoveryActions() ([]mgr.RecoveryAction, error) { return nil, nil }

func (f *fakeCreated) SetRecoveryActions([]mgr.RecoveryAction, uint32) error {
	f.calls = append(f.calls, "set recovery")
	return f.setErr
}

func (f *fakeCreated) SetRecoveryActionsOnNonCrashFailures(bool) error {
	f.calls = append(f.calls, "set non-crash flag")
	return f.flagErr
}

func (f *fakeCreated) AddEventSource() error {
	f.calls = append(f.calls, "add event source")
	return f.sourceErr
}

func (f *fakeCreated) RemoveEventSource() error {
	f.calls = append(f.calls, "remove event source")
	return f.unsourceErr
}

func (f *fakeCreated) Delete() error {
	f.calls = append(f.calls, "delete service")
	return f.delErr
}

// TestWindowsInstallAllOrNothing: when a step after the service is
// created fails (the recovery actions with any error but wine's "invalid
// level", the Event Log source), install removes what it made, the
// source then the service, and says which step failed and that nothing
// stays: a retry then installs, not "already installed". A removal that
// fails too is said with the command that does it by hand. Wine's
// "invalid level" stays a warning, and the install goes on.
func TestWindowsInstallAllOrNothing(t *testing.T) {
	boom := errors.New("the registry is full")
	stuck := errors.New("the key is locked")
	for _, c := range []struct {
		name      string
		svc       fakeCreated
		wantCalls []string
		wantIs    error    // nil: no error
		wantErr   []string // in the error, in this order
		wantWarn  string   // on stderr
	}{
		{name: "all steps done", svc: fakeCreated{},
			wantCalls: []string{"set recovery", "set non-crash flag", "add event source"}},
		{name: "wine: no recovery actions, a warning", svc: fakeCreated{setErr: windows.ERROR_INVALID_LEVEL},
			wantCalls: []string{"set recovery", "add event source"},
			wantWarn:  "warning: this service manager cannot restart markd on failure"},
		{name: "recovery refused: the service deleted", svc: fakeCreated{setErr: windows.ERROR_ACCESS_DENIED},
			wantCalls: []string{"set recovery", "delete service"}, wantIs: windows.ERROR_ACCESS_DENIED,
			wantErr: []string{"install service markd: set the restart on failure", "service markd removed again: nothing is installed"}},
		{name: "non-crash flag refused: the service deleted", svc: fakeCreated{flagErr: windows.ERROR_ACCESS_DENIED},
			wantCalls: []string{"set recovery", "set non-crash flag", "delete service"}, wantIs: windows.ERROR_ACCESS_DENIED,
			wantErr: []string{"set the restart on failure: on non-crash failures too", "service markd removed again"}},
		{name: "event source refused: source, then service removed", svc: fakeCreated{sourceErr: boom},
			wantCalls: []string{"set recovery", "set non-crash flag", "add event source", "remove event source", "delete service"},
			wantIs:    boom, wantErr: []string{"install service markd: register the Event Log source: the registry is full", "service markd removed again"}},
		{name: "event source half made and not removable: said", svc: fakeCreated{sourceErr: boom, unsourceErr: stuck},
			wantCalls: []string{"set recovery", "set non-crash flag", "add event source", "remove event source", "delete service"},
			wantIs:    boom, wantErr: []string{"register the Event Log source", "service markd removed again", "the Event Log source markd could not be removed", "the key is locked", "the next install replaces it"}},
		{name: "event source never made: not-found on removal is fine", svc: fakeCreated{sourceErr: boom, unsourceErr: windows.ERROR_FILE_NOT_FOUND},
			wantCalls: []string{"set recovery", "set non-crash flag", "add event source", "remove event source", "delete service"},
			wantIs:    boom, wantErr: []string{"register the Event Log source", "service markd removed again"}},
		{name: "delete refused: said, with sc delete", svc: fakeCreated{setErr: boom, delErr: stuck},
			wantCalls: []string{"set recovery", "delete service"}, wantIs: boom,
			wantErr: []string{"set the restart on failure", "service markd stays half installed", "delete service markd: the key is locked",
				"markd service uninstall (or sc delete markd), then markd service install again"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			f := c.svc
			err := Service{Name: "markd"}.finishInstall(&stderr, &f)
			if !reflect.DeepEqual(f.calls, c.wantCalls) {
				t.Errorf("steps %q, want %q", f.calls, c.wantCalls)
			}
			if c.wantIs == nil {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
			} else if !errors.Is(err, c.wantIs) {
				t.Fatalf("error %v, want one wrapping %v", err, c.wantIs)
			}
			rest := ""
			if err != nil {
				rest = err.Error() + " " + mark.Hint(err)
			}
			for _, w := range c.wantErr {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("error lacks %q (in order): %v (hint %q)", w, err, mark.Hint(err))
					break
				}
				rest = rest[i+len(w):]
			}
			if c.wantWarn == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), c.wantWarn) {
				t.Errorf("stderr %q, want %q", stderr.String(), c.wantWarn)
			}
		})
	}
}
