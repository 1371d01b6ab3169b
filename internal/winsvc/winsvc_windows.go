// Package winsvc is what the Windows services of markd and markhub share:
// their registration with the Service Control Manager (install with the
// restart on failure and the Event Log source, uninstall, start, stop,
// status), the check of those recovery actions when the service starts
// (the MSI cannot write them), the run under the service manager with a
// stop that is not restarted, and the service's logger (a log file in
// %ProgramData%\NAME\logs and the Event Log). What differs (the data
// folder's making and ACL, the starter config, the daemon itself) stays
// in each command.
package winsvc

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"markd/mark"
)

// WaitState bounds the wait for the service to start or stop.
const WaitState = 30 * time.Second

// Service is one program's Windows service. Name is the service's, the
// Event Log source's and the program's name alike ("markd": markd.exe,
// markd service install).
type Service struct {
	Name        string
	Display     string // the name the Services console shows
	Description string
	// DataDir is %ProgramData%\NAME: the log file is logs\NAME.log in it.
	DataDir string
	// Keeps names what DataDir holds, in uninstall's "… stays".
	Keeps string
	// Elevated reports whether the process has an administrator's full
	// token; nil asks the process token (a test replaces it).
	Elevated func() bool
}

// LogFile is the service's log file, DataDir\logs\NAME.log.
func (s Service) LogFile() string { return filepath.Join(s.DataDir, "logs", s.Name+".log") }

// NeedAdmin stops a service command that changes the service or DataDir
// before it touches anything, when the command prompt is not elevated
// (otherwise install made the folder and took away the user's own access
// to it, then failed with "Access is denied").
func (s Service) NeedAdmin(verb string) error {
	elevated := s.Elevated
	if elevated == nil {
		elevated = func() bool { return windows.GetCurrentProcessToken().IsElevated() }
	}
	if elevated() {
		return nil
	}
	return mark.WithHint(fmt.Errorf("%s service %s needs an administrator: this command prompt is not elevated: %w", s.Name, verb, mark.ErrForbidden),
		"open the command prompt with Run as administrator and run it again")
}

// connect opens the Service Control Manager, with the usual hint.
func connect() (*mgr.Mgr, error) {
	m, err := mgr.Connect()
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return nil, mark.WithHint(fmt.Errorf("service control manager: %w", err), "run the command prompt as administrator")
	}
	if err != nil {
		return nil, fmt.Errorf("service control manager: %w", err)
	}
	return m, nil
}

func (s Service) notInstalled() error {
	return mark.WithHint(fmt.Errorf("service %s is not installed: %w", s.Name, fs.ErrNotExist), s.Name+" service install")
}

// with runs f on the installed service, connected to the Service Control
// Manager for its duration.
func (s Service) with(f func(ms *mgr.Service) error) error {
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	ms, err := m.OpenService(s.Name)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return s.notInstalled()
	}
	if err != nil {
		return fmt.Errorf("open service %s: %w", s.Name, err)
	}
	defer ms.Close()
	return f(ms)
}

// withQuery is with with the rights to read the service's state and
// config only, which every user has: status needs no administrator
// (mgr.Connect and OpenService ask for all rights).
func (s Service) withQuery(f func(ms *mgr.Service) error) error {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return fmt.Errorf("service control manager: %w", err)
	}
	m := &mgr.Mgr{Handle: h}
	defer m.Disconnect()
	name, err := windows.UTF16PtrFromString(s.Name)
	if err != nil {
		return err
	}
	sh, err := windows.OpenService(h, name, windows.SERVICE_QUERY_STATUS|windows.SERVICE_QUERY_CONFIG)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return s.notInstalled()
	}
	if err != nil {
		return fmt.Errorf("open service %s: %w", s.Name, err)
	}
	ms := &mgr.Service{Name: s.Name, Handle: sh}
	defer ms.Close()
	return f(ms)
}

// Install registers the service (automatic start) to run exe --config cfg
// service run, with the restart on failure of Recovery and the Event Log
// source. A service manager without recovery actions (wine's) is said on
// stderr, not fatal. All or nothing: when a step after the creation fails,
// the service and its source are removed again (finishInstall). The caller
// has made DataDir and the config.
func (s Service) Install(stdout, stderr io.Writer, exe, cfg string) error {
	if err := s.NeedAdmin("install"); err != nil {
		return err
	}
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	if ms, err := m.OpenService(s.Name); err == nil {
		ms.Close()
		return mark.WithHint(fmt.Errorf("service %s is already installed: %w", s.Name, mark.ErrConflict),
			s.Name+" service uninstall first, or "+s.Name+" service start")
	}
	ms, err := m.CreateService(s.Name, exe, mgr.Config{DisplayName: s.Display, Description: s.Description,
		StartType: mgr.StartAutomatic}, "--config", cfg, "service", "run")
	if err != nil {
		return fmt.Errorf("create service %s: %w", s.Name, err)
	}
	defer ms.Close()
	if err := s.finishInstall(stderr, createdService{Service: ms, source: s.Name}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "installed service %s (automatic start, restart on failure): %s --config %s\n", s.Name, exe, cfg)
	return nil
}

// Uninstall stops the service when it runs and unregisters it and its
// Event Log source; DataDir stays.
func (s Service) Uninstall(stdout io.Writer) error {
	if err := s.NeedAdmin("uninstall"); err != nil {
		return err
	}
	return s.with(func(ms *mgr.Service) error {
		if st, err := ms.Query(); err == nil && st.State != svc.Stopped {
			if err := s.stopAndWait(ms); err != nil {
				return err
			}
		}
		if err := ms.Delete(); err != nil {
			return fmt.Errorf("delete service %s: %w", s.Name, err)
		}
		_ = eventlog.Remove(s.Name)
		fmt.Fprintf(stdout, "removed service %s; %s (%s) stays\n", s.Name, s.DataDir, s.Keeps)
		return nil
	})
}

// Start starts the service and waits until it runs, or says why not.
func (s Service) Start(stdout io.Writer) error {
	if err := s.NeedAdmin("start"); err != nil {
		return err
	}
	return s.with(func(ms *mgr.Service) error {
		if err := ms.Start(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
			return fmt.Errorf("start service %s: %w", s.Name, err)
		}
		st, err := s.waitFor(ms, svc.Running)
		if err != nil {
			return mark.WithHint(err, "see the Event Log (source "+s.Name+") or "+s.LogFile())
		}
		fmt.Fprintf(stdout, "service %s running (pid %d)\n", s.Name, st.ProcessId)
		return nil
	})
}

// Stop stops the service and waits until it has.
func (s Service) Stop(stdout io.Writer) error {
	if err := s.NeedAdmin("stop"); err != nil {
		return err
	}
	return s.with(func(ms *mgr.Service) error {
		if err := s.stopAndWait(ms); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "service %s stopped\n", s.Name)
		return nil
	})
}

// Status says whether the service runs and its command line; it needs no
// administrator.
func (s Service) Status(stdout io.Writer) error {
	return s.withQuery(func(ms *mgr.Service) error {
		st, err := ms.Query()
		if err != nil {
			return fmt.Errorf("query service %s: %w", s.Name, err)
		}
		cfg, _ := ms.Config()
		fmt.Fprintf(stdout, "service %s: %s", s.Name, stateName(st.State))
		if st.State == svc.Running {
			fmt.Fprintf(stdout, " (pid %d)", st.ProcessId)
		}
		fmt.Fprintf(stdout, "\ncommand: %s\n", cfg.BinaryPathName)
		return nil
	})
}

func (s Service) stopAndWait(ms *mgr.Service) error {
	if _, err := ms.Control(svc.Stop); err != nil && !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
		return fmt.Errorf("stop service %s: %w", s.Name, err)
	}
	_, err := s.waitFor(ms, svc.Stopped)
	return err
}

// waitFor polls the service until it is in state want, or has stopped
// while we wait for it to run.
func (s Service) waitFor(ms *mgr.Service, want svc.State) (svc.Status, error) {
	deadline := time.Now().Add(WaitState)
	for {
		st, err := ms.Query()
		if err != nil {
			return st, fmt.Errorf("query service %s: %w", s.Name, err)
		}
		if st.State == want {
			return st, nil
		}
		if want == svc.Running && st.State == svc.Stopped && st.Win32ExitCode == 0 {
			// StopForGood: the service said why and is not restarted
			return st, fmt.Errorf("service %s stopped right after the start and is not restarted: an error no restart can mend (the config, the store, a permission): %w",
				s.Name, mark.ErrUnavailable)
		}
		if want == svc.Running && st.State == svc.Stopped {
			return st, fmt.Errorf("service %s stopped right after the start (exit code %d, service code %d; Windows starts it again): %w",
				s.Name, st.Win32ExitCode, st.ServiceSpecificExitCode, mark.ErrUnavailable)
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("service %s: still %s after %v: %w", s.Name, stateName(st.State), WaitState, mark.ErrUnavailable)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func stateName(s svc.State) string {
	switch s {
	case svc.Stopped:
		return "stopped"
	case svc.StartPending:
		return "starting"
	case svc.StopPending:
		return "stopping"
	case svc.Running:
		return "running"
	case svc.ContinuePending, svc.PausePending, svc.Paused:
		return "paused"
	}
	return fmt.Sprintf("state %d", s)
}
