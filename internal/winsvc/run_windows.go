package winsvc

import (
	"log/slog"

	"golang.org/x/sys/windows/svc"

	"markd/mark"
)

// Run runs h as the service under the Service Control Manager. Once the
// service manager has started it, and before h, the service's recovery
// actions are checked (EnsureRecovery), on log. Run returns an error
// wrapping windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT when no service
// manager started the process (a console). Not svc.IsWindowsService: it
// looks for a parent "services.exe" in session 0, which wine's service
// manager is not.
func (s Service) Run(log *slog.Logger, h svc.Handler) error {
	return svc.Run(s.Name, checked{s: s, log: log, h: h})
}

// checked is a handler that checks the recovery actions first.
type checked struct {
	s   Service
	log *slog.Logger
	h   svc.Handler
}

func (c checked) Execute(args []string, r <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	changes <- svc.Status{State: svc.StartPending}
	c.s.EnsureRecovery(c.log)
	return c.h.Execute(args, r, changes)
}

// StopForGood logs an error that no restart can mend (cli.NoRestartError:
// a config that does not load or is refused, a store missing, damaged or
// migrated by a newer version, a permission refused) and returns the stop
// the Service Control Manager takes for a clean one: exit code 0. Any
// other code is a failure to it, on which the recovery actions (on
// non-crash failures too) start the service again every minute for ever;
// the error is in the Event Log and the log file.
func (s Service) StopForGood(log *slog.Logger, err error) (bool, uint32) {
	log.Error(s.Name+" service stopped and is not restarted: no restart can mend this; mend it, then "+s.Name+" service start",
		"err", err, mark.HintAttr(err))
	return false, 0
}

// Refused is the handler of a service whose config does not load: it
// stops at once, as StopForGood, so as not to be restarted on a file that
// would fail again. It is said to the service manager as a stop, not by an
// exit before it was told anything: that is a failure, on which it
// restarts the service.
func (s Service) Refused(log *slog.Logger, err error) svc.Handler {
	return refused{s: s, log: log, err: err}
}

type refused struct {
	s   Service
	log *slog.Logger
	err error
}

func (r refused) Execute(_ []string, _ <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	changes <- svc.Status{State: svc.StartPending}
	return r.s.StopForGood(r.log, r.err)
}
