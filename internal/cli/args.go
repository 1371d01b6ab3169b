package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// StrictArgs makes every wrong command line under root a usage error (exit
// 2). cobra's own argument checks (ExactArgs, NoArgs, …) and its "unknown
// command" return plain errors (exit 1), and a command that only groups
// subcommands ("markd user") printed its help and exited 0 for a
// subcommand it does not have: "markd user ad bob" in a script passed as
// success. Call it after every subcommand was added.
func StrictArgs(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	strictArgs(root)
}

func strictArgs(c *cobra.Command) {
	switch {
	case c.HasSubCommands() && c.Run == nil && c.RunE == nil:
		c.Args = cobra.ArbitraryArgs // the root's default check is cobra's plain unknown command error
		c.RunE = unknownSubcommand
	case c.Args != nil:
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			err := check(cmd, args)
			var u interface{ IsUsage() bool }
			if err == nil || errors.As(err, &u) {
				return err
			}
			return ArgsError(cmd, err)
		}
	}
	for _, sub := range c.Commands() {
		strictArgs(sub)
	}
}

// unknownSubcommand runs a command that only groups subcommands: its help
// when none was named, else a usage error naming the unknown one.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, set only on its own path
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
	}
	return UsageError{Err: fmt.Errorf("%s; %s --help lists them", msg, cmd.CommandPath())}
}

// NoArgs is the argument check of a command that takes none: a usage
// error that says so and names the argument ("markd init takes no
// arguments, got "/etc/markd/markd.yaml"": --config forgotten). cobra's
// NoArgs says `unknown command "/etc/markd/markd.yaml" for "markd init"`,
// as if a subcommand had been mistyped.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageError{Err: fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])}
	}
	return nil
}

// FlagError is the flag error function of markd's and markhub's command
// trees (cobra.Command.SetFlagErrorFunc on the root; subcommands inherit
// it): a usage error (exit 2) that names the command whose flags were
// read and where its flags are listed. pflag's own "unknown flag: --once"
// did not say which command lacks it ("markd run --once").
func FlagError(cmd *cobra.Command, err error) error {
	return UsageError{Err: fmt.Errorf("%s%w%s; %s --help lists its flags", commandOf(cmd), err, flagSuggestion(cmd, err), cmd.CommandPath())}
}

// flagSuggestion is " (did you mean --once?)" for an unknown flag within
// two edits of one of cmd's flags (its own and those it inherits), else "".
func flagSuggestion(cmd *cobra.Command, err error) string {
	var unknown *pflag.NotExistError
	if !errors.As(err, &unknown) || unknown.GetSpecifiedShortnames() != "" {
		return ""
	}
	name := unknown.GetSpecifiedName()
	var near []string
	visit := func(f *pflag.Flag) {
		if d := editDistance(name, f.Name); d <= 2 && d < len(f.Name) && !slices.Contains(near, "--"+f.Name) {
			near = append(near, "--"+f.Name)
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	if len(near) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(near, " or ") + "?)"
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// ArgsError is a usage error for err, what an argument check of cobra's
// (ExactArgs, MinimumNArgs, …) returned: it names the command and its
// usage line, what the arguments should have been. cobra's "accepts 1
// arg(s), received 0" alone did not say of which command, nor that the
// missing one is NAME.
func ArgsError(cmd *cobra.Command, err error) error {
	return UsageError{Err: fmt.Errorf("%s%w; usage: %s", commandOf(cmd), err, cmd.UseLine())}
}

// commandOf is "markd user add: " for a subcommand, "" for the root (the
// message is already preceded by the program's name).
func commandOf(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return ""
	}
	return cmd.CommandPath() + ": "
}
