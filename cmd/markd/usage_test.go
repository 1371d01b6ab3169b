package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestUsageExitCodes: a wrong command line exits 2 whichever check finds
// it, and an unknown subcommand of a group is not a silent success.
func TestUsageExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"unknown command", []string{"frob"}, `unknown command "frob" for "markd"`},
		{"unknown subcommand", []string{"user", "ad", "bob"}, `unknown command "ad" for "markd user" (did you mean add?)`},
		{"unknown batch subcommand", []string{"batch", "stats"}, `did you mean status?`},
		// the command and what it takes are named (cobra's "accepts 1
		// arg(s), received 0" alone named neither)
		{"missing name", []string{"user", "add", "--role", "operator"}, "markd user add: accepts 1 arg(s), received 0; usage: markd user add NAME"},
		{"missing token name", []string{"token", "add"}, "markd token add: accepts 1 arg(s), received 0; usage: markd token add NAME"},
		// a command that takes no argument says so, naming it (it said
		// `unknown command "x.db" for "markd init"`, as if a subcommand
		// were mistyped, where --config or --db was forgotten)
		{"extra argument", []string{"user", "list", "all"}, `markd user list takes no arguments, got "all"`},
		{"extra argument of init", []string{"init", "x.db"}, `markd init takes no arguments, got "x.db"`},
		{"extra argument of doctor", []string{"doctor", "/etc/markd/markd.yaml"}, `markd doctor takes no arguments, got "/etc/markd/markd.yaml"`},
		{"extra argument of sync", []string{"sync", "now"}, `markd sync takes no arguments, got "now"`},
		// the command whose flags were read is named (pflag's "unknown
		// flag: --nope" alone did not say which command lacks it)
		{"unknown flag", []string{"verify", "--nope"}, "markd verify: unknown flag: --nope; markd verify --help lists its flags"},
		{"flag of a subcommand", []string{"user", "add", "bob", "--rol", "operator"}, "markd user add: unknown flag: --rol (did you mean --role?); markd user add --help lists its flags"},
		{"misspelt flag", []string{"sync", "--onse"}, "markd sync: unknown flag: --onse (did you mean --once?)"},
		{"token name", []string{"token", "add", "касса 1"}, `token name "касса 1": only letters, digits`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), tt.msg) {
				t.Fatalf("code %d, stderr %q; want %d and %q", code, errb.String(), exitUsage, tt.msg)
			}
		})
	}
}
