package cli

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"markd/mark"
)

// exitCoder has an ExitCode method like *exec.ExitError: it must not decide
// the exit code of the command.
type exitCoder struct{}

func (exitCoder) Error() string { return "child exited" }
func (exitCoder) ExitCode() int { return 7 }

func TestExit(t *testing.T) {
	hinted := mark.WithHint(errors.New("cannot open"), "free some space")
	tests := []struct {
		name string
		err  error
		code int
		out  string
	}{
		{"success", nil, 0, ""},
		{"usage", UsageError{errors.New("needs FILE")}, ExitUsage, "prog: needs FILE\n"},
		{"wrapped usage", fmt.Errorf("import: %w", UsageError{errors.New("bad line")}), ExitUsage, "prog: import: bad line\n"},
		{"invalid", fmt.Errorf("config: %w", mark.ErrInvalid), ExitUsage, "prog: config: " + mark.ErrInvalid.Error() + "\n"},
		{"failure", errors.New("disk on fire"), 1, "prog: disk on fire\n"},
		{"child exit code", fmt.Errorf("run: %w", exitCoder{}), 1, "prog: run: child exited\n"},
		{"hint", hinted, 1, "prog: cannot open (hint: free some space)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if code := Exit(&b, "prog", tc.err); code != tc.code {
				t.Errorf("code %d, want %d", code, tc.code)
			}
			if b.String() != tc.out {
				t.Errorf("stderr %q, want %q", b.String(), tc.out)
			}
		})
	}
}

// TestLogLevelEnv: LOG_LEVEL overrides the level of the log config when
// it is a level (debug, info, warn or error, in any case); another value
// made the level info, whatever the config said, and is now ignored: the
// config's level applies (the loader warns of it).
func TestLogLevelEnv(t *testing.T) {
	tests := []struct {
		env, level  string
		debug, info bool
	}{
		{"", "debug", true, true},
		{"warn", "debug", false, false},
		{"DEBUG", "error", true, true},
		{"verbose", "debug", true, true},
		{"verbose", "error", false, false},
		{"info+2", "debug", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.env+"/"+tc.level, func(t *testing.T) {
			t.Setenv("LOG_LEVEL", tc.env)
			var b bytes.Buffer
			log := NewLogger(tc.level, "text", &b)
			log.Debug("d")
			log.Info("i")
			if got := bytes.Contains(b.Bytes(), []byte("msg=d")); got != tc.debug {
				t.Errorf("debug logged %v, want %v", got, tc.debug)
			}
			if got := bytes.Contains(b.Bytes(), []byte("msg=i")); got != tc.info {
				t.Errorf("info logged %v, want %v", got, tc.info)
			}
		})
	}
}

// TestLogKeysAnyCase: log.level and log.format are taken in any case, as
// LOG_LEVEL is (MARKD_LOG_LEVEL=DEBUG was refused at load while
// LOG_LEVEL=DEBUG worked); anything else is still refused naming the key.
func TestLogKeysAnyCase(t *testing.T) {
	t.Setenv("LOG_LEVEL", "")
	tests := []struct {
		level, format string
		bad           string // the key refused, "" for none
		debug, json   bool
	}{
		{"DEBUG", "text", "", true, false},
		{"Debug", "JSON", "", true, true},
		{"warn", "Json", "", false, true},
		{"verbose", "text", "log.level", false, false},
		{"info", "yaml", "log.format", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.level+"/"+tc.format, func(t *testing.T) {
			err := CheckLog(tc.level, tc.format)
			var ke *KeyError
			switch {
			case tc.bad == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.bad != "" && (!errors.As(err, &ke) || ke.Key != tc.bad):
				t.Fatalf("got %v, want %s refused", err, tc.bad)
			case tc.bad != "":
				return
			}
			var b bytes.Buffer
			log := NewLogger(tc.level, tc.format, &b)
			log.Debug("d")
			log.Warn("w")
			if got := bytes.Contains(b.Bytes(), []byte(`"msg":"d"`)) || bytes.Contains(b.Bytes(), []byte("msg=d")); got != tc.debug {
				t.Errorf("debug logged %v, want %v:\n%s", got, tc.debug, b.String())
			}
			if got := bytes.HasPrefix(b.Bytes(), []byte("{")); got != tc.json {
				t.Errorf("JSON %v, want %v:\n%s", got, tc.json, b.String())
			}
		})
	}
}
