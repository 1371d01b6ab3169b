package winsvc

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/mgr"
)

// Recovery is the restart on failure of both services: after 5 s, 30 s,
// then every minute, the count of failures reset after a day without
// one (RecoveryReset), on non-crash failures too (a stop with a
// service-specific code: markd's daemon.Open failing on a port taken).
// An error no restart can mend stops with code 0 instead (StopForGood).
func Recovery() []mgr.RecoveryAction {
	return []mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: time.Minute},
	}
}

// RecoveryReset is the time without a failure after which the service
// manager counts failures from the first action again.
const RecoveryReset = 24 * time.Hour

// recoveryConfig is the part of *mgr.Service that reads and sets the
// recovery actions (a test's fake stands in for it).
type recoveryConfig interface {
	RecoveryActions() ([]mgr.RecoveryAction, error)
	SetRecoveryActions(actions []mgr.RecoveryAction, resetPeriod uint32) error
	SetRecoveryActionsOnNonCrashFailures(flag bool) error
}

// setRecovery gives the service the actions of Recovery.
func setRecovery(s recoveryConfig) error {
	if err := s.SetRecoveryActions(Recovery(), uint32(RecoveryReset.Seconds())); err != nil {
		return err
	}
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("on non-crash failures too: %w", err)
	}
	return nil
}

// recoveryStep is what the start of the service does with its recovery
// actions.
type recoveryStep int

const (
	recoveryKeep       recoveryStep = iota // some are set (Recovery, or an administrator's own): left alone
	recoverySet                            // none is set (the MSI registered it): set Recovery
	recoveryUnreadable                     // they cannot be read: said, left alone
)

// planRecovery decides from the service's recovery actions as read (and
// the error of reading them). Only a service with none at all gets
// Recovery: any list an administrator set, even one that takes no action
// (the Services console's "Take No Action"), is theirs.
func planRecovery(actions []mgr.RecoveryAction, err error) recoveryStep {
	switch {
	case err != nil:
		return recoveryUnreadable
	case len(actions) == 0:
		return recoverySet
	}
	return recoveryKeep
}

// recoveryWhy says why the recovery actions could not be read or set.
func recoveryWhy(err error) string {
	switch {
	case errors.Is(err, windows.ERROR_INVALID_LEVEL):
		return "this service manager has no recovery actions (wine's)"
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return "the service's account may not change the service's config"
	}
	return "the service manager refused"
}

// scFailure is the command that sets Recovery by hand (an administrator's
// command prompt).
func scFailure(name string) string {
	var acts []string
	for _, a := range Recovery() {
		acts = append(acts, fmt.Sprintf("restart/%d", a.Delay.Milliseconds()))
	}
	return fmt.Sprintf("sc failure %s reset= %d actions= %s, then sc failureflag %s 1",
		name, int64(RecoveryReset.Seconds()), strings.Join(acts, "/"), name)
}

// describeRecovery is Recovery in words, for the log.
func describeRecovery() string {
	var ds []string
	for _, a := range Recovery() {
		ds = append(ds, a.Delay.String())
	}
	return "restart after " + strings.Join(ds, ", ")
}

// ensureRecovery gives the service Recovery when it has no recovery
// actions at all (registered by the MSI, which cannot write them), once,
// saying so at INFO; when they cannot be read or set it warns why and the
// service starts all the same.
func ensureRecovery(log *slog.Logger, name string, s recoveryConfig) {
	actions, err := s.RecoveryActions()
	switch planRecovery(actions, err) {
	case recoveryKeep:
		return
	case recoveryUnreadable:
		log.Warn(name+" service: cannot read its restart on failure (recovery actions); it may not be restarted after a failure",
			"why", recoveryWhy(err), "err", err, "hint", scFailure(name))
		return
	}
	if err := setRecovery(s); err != nil {
		log.Warn(name+" service: has no restart on failure (recovery actions) and cannot set it; it is not restarted after a failure",
			"why", recoveryWhy(err), "err", err, "hint", scFailure(name))
		return
	}
	log.Info(name+" service: had no restart on failure (recovery actions); set it",
		"actions", describeRecovery(), "reset", RecoveryReset.String(), "non_crash_failures", true)
}

// EnsureRecovery is ensureRecovery on the installed service, opened with
// the rights to read and change its config (the service's LocalSystem has
// them; without the right to change, reading still tells whether it is
// needed).
func (s Service) EnsureRecovery(log *slog.Logger) {
	ms, closeSvc, err := s.openOwn()
	if err != nil {
		log.Warn(s.Name+" service: cannot check its restart on failure (recovery actions)",
			"why", recoveryWhy(err), "err", err, "hint", scFailure(s.Name))
		return
	}
	defer closeSvc()
	ensureRecovery(log, s.Name, ms)
}

// openOwn opens the service with SERVICE_QUERY_CONFIG and, when it may,
// SERVICE_CHANGE_CONFIG.
func (s Service) openOwn() (*mgr.Service, func(), error) {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return nil, nil, fmt.Errorf("service control manager: %w", err)
	}
	name, err := windows.UTF16PtrFromString(s.Name)
	if err != nil {
		windows.CloseServiceHandle(h)
		return nil, nil, err
	}
	sh, err := windows.OpenService(h, name, windows.SERVICE_QUERY_CONFIG|windows.SERVICE_CHANGE_CONFIG)
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		sh, err = windows.OpenService(h, name, windows.SERVICE_QUERY_CONFIG)
	}
	if err != nil {
		windows.CloseServiceHandle(h)
		return nil, nil, fmt.Errorf("open service %s: %w", s.Name, err)
	}
	return &mgr.Service{Name: s.Name, Handle: sh}, func() {
		windows.CloseServiceHandle(sh)
		windows.CloseServiceHandle(h)
	}, nil
}
