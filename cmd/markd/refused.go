package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"markd/mark"
	"markd/store"
)

// What `markd sync --refused` and `--resend-refused` do: the fleet
// engineer's side of the supervisor's page of set-aside records.

// resendFlag reads --resend-refused: "all" (the flag alone) is seq 0, a
// number one set-aside row.
func resendFlag(cmd *cobra.Command, v string) (seq int64, set bool, err error) {
	if !cmd.Flags().Changed("resend-refused") {
		return 0, false, nil
	}
	if v == "all" {
		return 0, true, nil
	}
	seq, err = strconv.ParseInt(v, 10, 64)
	if err != nil || seq <= 0 {
		return 0, false, usage("--resend-refused=%q: give all (or the flag alone) or a number that markd sync --refused shows", v)
	}
	return seq, true, nil
}

// cliActor names who ran the command in the audit: cli and the
// system user.
func cliActor() string {
	name := os.Getenv("USER")
	if name == "" {
		name = os.Getenv("USERNAME") // Windows
	}
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	if name == "" {
		return "cli"
	}
	return "cli:" + name
}

func resendSetAside(ctx context.Context, w io.Writer, db *store.DB, seq int64) error {
	n, err := db.ResendSetAside(ctx, cliActor(), seq)
	if errors.Is(err, mark.ErrNotFound) {
		return mark.WithHint(fmt.Errorf("number %d is not set aside (sent again already, or never refused): %w", seq, err),
			"markd sync --refused lists what is set aside now")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d put back in the outbox: they go at the next upload (markd run, or markd sync --once); refused again, they are set aside again\n", n)
	return nil
}

// printSetAside prints every set-aside row, newest first, a page at a time.
func printSetAside(ctx context.Context, w io.Writer, db *store.DB) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NO\tKIND\tID\tREFUSED AT (UTC)\tSTATUS\tFIELD\tCOLLECTOR'S REASON")
	var before int64
	total := 0
	for {
		page, err := db.ListSetAside(ctx, before, store.SetAsideMaxPage)
		if err != nil {
			return err
		}
		for _, s := range page {
			at, status := "not kept", "-"
			if !s.RefusedAt.IsZero() {
				at = s.RefusedAt.UTC().Format(time.DateTime)
			}
			if s.Status != 0 {
				status = strconv.Itoa(s.Status)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Seq, s.Kind, s.Ref, at, status, s.Field, s.Reason)
			before = s.Seq
		}
		total += len(page)
		if len(page) < store.SetAsideMaxPage {
			break
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d set aside; markd sync --resend-refused[=NO] puts them back in the outbox\n", total)
	return nil
}
