// Package cli holds what the commands markd and markhub share around
// cobra: usage errors, turning the error of a command line into a message
// and an exit code, and the slog logger of the log config.
package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"markd/mark"
)

// ExitUsage is the exit code of a usage or configuration error.
const ExitUsage = 2

// ExitNoRestart is the exit code of an error of a daemon that starting it
// again cannot cure (markd run on a config that does not load, a store
// missing or a newer markd migrated, a permission refused): the systemd
// unit does not restart on it (RestartPreventExitStatus), so the service
// stays failed with the message instead of starting every 2 s. 78 is
// EX_CONFIG of sysexits.h; Go's own exit codes are 1 and 2 (a panic).
const ExitNoRestart = 78

// NoRestartError marks an error for ExitNoRestart.
type NoRestartError struct{ Err error }

func (e NoRestartError) Error() string { return e.Err.Error() }
func (e NoRestartError) Unwrap() error { return e.Err }

// NoRestart marks err as a NoRestartError (exit ExitNoRestart) when it is
// an error of a daemon at start that starting it again cannot cure: a
// configuration refused (a usage error or mark.ErrInvalid), a permission
// refused (fs.ErrPermission: the same user meets it again), or one of
// also (markd: a store that is not one, or a newer markd's). Other errors
// are returned as they are (exit 1: the service manager restarts).
func NoRestart(err error, also ...error) error {
	if err == nil {
		return nil
	}
	var usage interface{ IsUsage() bool }
	if (errors.As(err, &usage) && usage.IsUsage()) || errors.Is(err, mark.ErrInvalid) || errors.Is(err, fs.ErrPermission) {
		return NoRestartError{Err: err}
	}
	for _, e := range also {
		if errors.Is(err, e) {
			return NoRestartError{Err: err}
		}
	}
	return err
}

// UsageError marks a wrong command line (exit code 2).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// IsUsage marks the error as a usage error for Exit.
func (UsageError) IsUsage() bool { return true }

// Exit reports the error of one command line of prog on stderr (its
// operator hint once after the message), and returns the exit code: 0 for nil;
// ExitUsage for a usage error (an error in the chain with an IsUsage method
// that returns true) or an invalid input (mark.ErrInvalid); ExitNoRestart
// for a NoRestartError; 1 otherwise.
func Exit(stderr io.Writer, prog string, err error) int {
	if err == nil {
		return 0
	}
	// The operator hint is a field of the error (mark.HintError): shown
	// once, after the message.
	if h := mark.Hint(err); h != "" {
		fmt.Fprintf(stderr, "%s: %v (hint: %s)\n", prog, err, h)
	} else {
		fmt.Fprintln(stderr, prog+":", err)
	}
	if errors.As(err, new(NoRestartError)) {
		return ExitNoRestart
	}
	var usage interface{ IsUsage() bool }
	if (errors.As(err, &usage) && usage.IsUsage()) || errors.Is(err, mark.ErrInvalid) {
		return ExitUsage
	}
	return 1
}

// CheckLog checks the log keys NewLogger reads and names the bad one:
// level debug, info, warn or error; format text or json; both in any
// case, as LOG_LEVEL. Its error is a *KeyError.
func CheckLog(level, format string) error {
	switch strings.ToLower(level) {
	case "debug", "info", "warn", "error":
	default:
		return &KeyError{Key: "log.level", Value: level, Why: "must be debug, info, warn or error"}
	}
	switch strings.ToLower(format) {
	case "text", "json":
	default:
		return &KeyError{Key: "log.format", Value: format, Why: "must be text or json"}
	}
	return nil
}

// KeyError is a bad config key of markd's or markhub's (the log keys,
// markhub's Validate): which, its value and what is allowed, so the
// config loader (config.Load, config.Decode) can add where the value came
// from. It unwraps to mark.ErrInvalid.
type KeyError struct {
	Key   string
	Value any
	Why   string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("config %s = %v: %s: %v", e.Key, e.Value, e.Why, mark.ErrInvalid)
}

func (e *KeyError) Unwrap() error { return mark.ErrInvalid }

// LevelEnv names the environment variable that overrides log.level, in
// markd and markhub alike. It is not a config key's: set to no level, it
// is ignored (the config loaders warn of it), not refused.
const LevelEnv = "LOG_LEVEL"

// EnvLevel is the level LevelEnv sets (debug, info, warn or error, taken
// in any case; "" when it is not set or empty); ok is false, with the
// variable's value, when it is set to something else.
func EnvLevel() (level string, ok bool) {
	env := os.Getenv(LevelEnv)
	switch l := strings.ToLower(strings.TrimSpace(env)); l {
	case "", "debug", "info", "warn", "error":
		return l, true
	}
	return env, false
}

// NewLogger builds the slog logger of a log config (level debug, info,
// warn or error; format text or json; in any case). LOG_LEVEL overrides the level when
// it is a level (EnvLevel); an unknown level of the config means info.
func NewLogger(level, format string, w io.Writer) *slog.Logger {
	if env, ok := EnvLevel(); ok && env != "" {
		level = env
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if strings.EqualFold(format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
