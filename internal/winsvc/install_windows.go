package winsvc

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"markd/mark"
)

// created is what Install does to the service it has just created: its
// recovery actions, its Event Log source, and their undoing when a later
// step fails. A test's fake stands in for it (the real service manager
// cannot be made to fail these steps under wine).
type created interface {
	recoveryConfig
	AddEventSource() error
	RemoveEventSource() error
	Delete() error
}

// createdService is created on the service manager and the registry.
type createdService struct {
	*mgr.Service
	source string // the Event Log source's name
}

// AddEventSource registers the Event Log source; one left by an earlier
// install is replaced (eventlog says "already exists" only in its error
// text, which we do not match).
func (c createdService) AddEventSource() error {
	_ = eventlog.Remove(c.source)
	return eventlog.InstallAsEventCreate(c.source, eventlog.Error|eventlog.Warning|eventlog.Info)
}

// RemoveEventSource unregisters the Event Log source.
func (c createdService) RemoveEventSource() error { return eventlog.Remove(c.source) }

// finishInstall sets the restart on failure of Recovery (a service
// manager without recovery actions, wine's, is said on stderr, not fatal)
// and the Event Log source of the service just created. It is all or
// nothing: when a step fails, what install made is removed again (the
// source, then the service), so that a retry installs rather than find
// the service "already installed"; the error names the step.
func (s Service) finishInstall(stderr io.Writer, c created) error {
	err := setRecovery(c)
	if errors.Is(err, windows.ERROR_INVALID_LEVEL) {
		fmt.Fprintf(stderr, "warning: this service manager cannot restart %s on failure (%v)\n", s.Name, err)
	} else if err != nil {
		return s.undoInstall(c, false, fmt.Errorf("install service %s: set the restart on failure: %w", s.Name, err))
	}
	if err := c.AddEventSource(); err != nil {
		// the source may be half made (its key without its values)
		return s.undoInstall(c, true, fmt.Errorf("install service %s: register the Event Log source: %w", s.Name, err))
	}
	return nil
}

// undoInstall removes what install made after its step failed with err:
// the Event Log source when its step was tried (one never made is not
// found: fine), then the service. The error is err with what was undone,
// and what could not be, with the command that does it by hand.
func (s Service) undoInstall(c created, source bool, err error) error {
	var sourceLeft error
	if source {
		if e := c.RemoveEventSource(); e != nil && !errors.Is(e, windows.ERROR_FILE_NOT_FOUND) {
			sourceLeft = e
		}
	}
	if e := c.Delete(); e != nil {
		return mark.WithHint(fmt.Errorf("%w; service %s stays half installed: delete service %s: %v", err, s.Name, s.Name, e),
			s.Name+" service uninstall (or sc delete "+s.Name+"), then "+s.Name+" service install again")
	}
	if sourceLeft != nil {
		return fmt.Errorf("%w; service %s removed again, but the Event Log source %s could not be removed (%v; the next install replaces it)",
			err, s.Name, s.Name, sourceLeft)
	}
	return fmt.Errorf("%w; service %s removed again: nothing is installed", err, s.Name)
}
