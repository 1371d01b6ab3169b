package config

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"

	"markd/internal/cli"
)

// OtherEnv names the environment variables with a program's prefix
// (MARKD_, MARKHUB_) that markd, markhub, their tests and scripts read for
// something else than a config key. They are not warned about at load
// (LoadWarn, Decode); every other variable with the prefix that is not a key's
// is. TestOtherEnvComplete fails when the code or a script reads one that
// this list does not have: add it here, with who reads it.
var OtherEnv = []struct{ Name, ReadBy string }{
	{"MARKD_CONFIG", "markd: the config file when --config is not given"},
	{"MARKD_RUN_DIR", "markd run and reload: the folder of the running daemons' pointers (internal/control.RunDirEnv)"},
	{"MARKHUB_CONFIG", "markhub: the config file when --config is not given"},
	{"MARKD_TEST_NOW", "tests: the test clock (internal/testdata.ClockEnv)"},
	{"MARKD_TEST_OPEN_STORE", "tests: a child process holding a store open (store)"},
	{"MARKD_TEST_SHM_HOLDER", "tests under wine: a child process holding a -shm lock (store/walloss_windows_test.go)"},
	{"MARKD_TEST_WALSTATE_CHILD", "tests: a child process writing scans until killed (store/walstate_test.go)"},
	{"MARKD_TEST_HOLD_PORT", "tests: a child process holding a serial port open (scanner/serialclaim_linux_test.go)"},
	{"MARKD_PG_BIN", "tests: PostgreSQL's bin folder (hub/hubtest)"},
	{"MARKD_ARTIFACTS", "tests: the folder of screenshots and receipts (internal/browsertest, receipt)"},
	{"MARKD_A11Y_SHOTS", "tests: keep a screenshot of every view (internal/browsertest)"},
	{"MARKD_A11Y_TIMING", "tests: time the phases of an axe check (internal/browsertest/timing_test.go)"},
	{"MARKD_EXE", "tests under wine: markd.exe (scripts/wine-test.sh)"},
	{"MARKD_MSI", "tests under wine: the MSI (scripts/wine-test.sh)"},
	{"MARKHUB_EXE", "tests under wine: markhub.exe (scripts/wine-test.sh)"},
	{"MARKHUB_TEST_SERVICE_RUN", "tests under wine: a child running markhub's service in the console (cmd/markhub)"},
	{"MARKHUB_PG_FSYNC", "tests: PostgreSQL test cluster with fsync (hub/pgstore)"},
	{"MARKD_WALL_SHIFT_DAYS", "tests: the wall clock moved (scripts/wallclock.sh)"},
	{"MARKD_TESTDATA", "benchmarks: the shared test data (bench/qr.sh)"},
	{"MARKD_SHARED_TESTDATA", "scripts/release-stores.sh: the shared test data (the keys it signs the release stores' marks with)"},
}

// envNames is every variable with prefix that the program reads: the
// variable of each key of s and the ones of OtherEnv.
func envNames(prefix string, s *schema) map[string]bool {
	names := keyEnvNames(prefix, s)
	for _, o := range OtherEnv {
		if strings.HasPrefix(o.Name, prefix+"_") {
			names[o.Name] = true
		}
	}
	return names
}

// keyEnvNames is the variable of each key of s (leaf keys and lists, "."
// as "_", in capitals).
func keyEnvNames(prefix string, s *schema) map[string]bool {
	names := map[string]bool{}
	for name := range keyEnvs(prefix, s) {
		names[name] = true
	}
	return names
}

// keyEnvs maps the variable of each key of s to its key.
func keyEnvs(prefix string, s *schema) map[string]string {
	names := map[string]string{}
	var walk func(path string, s *schema)
	walk = func(path string, s *schema) {
		if s.keys == nil {
			names[prefix+"_"+strings.ToUpper(strings.ReplaceAll(path, ".", "_"))] = path
			return
		}
		for k, sub := range s.keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walk(p, sub)
		}
	}
	walk("", s)
	return names
}

// envWarnings names each variable of environ (os.Environ's form) whose name
// has the prefix of the program (MARKD_, MARKHUB_) but that the program
// does not read, with the nearest one it reads when there is one near
// enough to be a typo: such a variable has no effect, and a service must
// still start, so it is a warning, not an error. Windows reads names
// regardless of case; elsewhere markd_db is not MARKD_DB.
func envWarnings(prefix string, s *schema, environ []string) []string {
	names := envNames(prefix, s)
	program := strings.ToLower(prefix)
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		upper := strings.ToUpper(name)
		if !strings.HasPrefix(upper, prefix+"_") {
			continue
		}
		if runtime.GOOS == "windows" {
			name = upper
		}
		if names[name] {
			continue
		}
		msg := fmt.Sprintf("environment %s is not a %s setting", name, program)
		if near := nearestEnv(upper, names); near != "" {
			msg += "; did you mean " + near + "?"
		} else {
			msg += fmt.Sprintf("; the variable of a key is %s_ and the key in capitals, \".\" as \"_\" (%s_LOG_LEVEL for log.level)", prefix, prefix)
		}
		out = append(out, msg)
	}
	sort.Strings(out)
	return out
}

// nearestEnv is the name of names nearest to name, when it is near enough
// to be a typo (MARKD_SYNC_TOKNE, MARKHUB_SESSIONTTL, markd_db): one edit
// (a letter added, left out, changed, or two swapped), and one more for
// every six letters of name, prefix counted.
func nearestEnv(name string, names map[string]bool) string {
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	best, bestD := "", 1+len(name)/6+1
	for _, n := range sorted {
		if d := editDistance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// levelEnvWarning says that LOG_LEVEL (cli.LevelEnv, not a key's variable)
// is set to env, which is no level, and that the level of log.level
// (level, set at origin) applies.
func levelEnvWarning(env, level, origin string) string {
	return fmt.Sprintf("environment %s = %q is not a log level: must be debug, info, warn or error; ignored: log.level = %q (%s) applies",
		cli.LevelEnv, env, level, origin)
}

// emptyEnvWarnings names each key's variable that is set but empty while
// its key is not: viper reads such a variable as unset, so it does not
// set its key to "" (a drop-in's Environment=MARKD_SYNC_URL= does not
// turn sync off) and the file's value or the default applies, which the
// warning names.
func emptyEnvWarnings(prefix string, s *schema, value func(key string) any, from origins) []string {
	var out []string
	for name, key := range keyEnvs(prefix, s) {
		if v, ok := os.LookupEnv(name); !ok || v != "" {
			continue
		}
		if val := value(key); val == nil || fmt.Sprint(val) == "" || fmt.Sprint(val) == "[]" {
			continue // empty all the same: what was meant
		}
		out = append(out, fmt.Sprintf("environment %s is set but empty, which sets nothing: %s = %s (%s) applies; unset the variable, or give it a value",
			name, key, display(value(key)), from.ofOrDefault(key)))
	}
	sort.Strings(out)
	return out
}
