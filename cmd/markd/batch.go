package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"markd/batch"
	"markd/batchlist"
	"markd/internal/cli"
	"markd/mark"
)

func init() { register(newBatchCmd) }

// newBatchCmd is markd batch expect|status: the batch open at this counter,
// from the command line (the daemon may be running: SQLite serialises the
// writes of both).
func newBatchCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "batch",
		Short: "The batch of partition mail open at this counter: import the customer's list, show its state",
	}
	fl := cmd.PersistentFlags()
	fl.String("db", "", "SQLite store file (config key db)")
	fl.String("counter", "", "id of this counter (config key counter)")
	cli.Uint32(fl, "office", 0, "postal index of this office (config key office)")
	service := func(cmd *cobra.Command) (*batch.Service, func(), error) {
		c, err := a.loadConfig(cmd)
		if err != nil {
			return nil, nil, err
		}
		db, err := a.openUserStore(cmd)
		if err != nil {
			return nil, nil, err
		}
		loc, err := c.Location()
		if err != nil {
			db.Close()
			return nil, nil, usageError{err}
		}
		return batch.New(batch.Options{Store: db, Office: c.Office, Counter: c.Counter, Location: loc,
			Log: newLogger(c.Log, a.stderr)}), func() { db.Close() }, nil
	}
	// current is the batch open at this counter; with none, the hint says
	// how one is opened (this command does not: the batch belongs to
	// the operator at the counter or the cash-desk program).
	current := func(ctx context.Context, svc *batch.Service) (mark.Batch, error) {
		b, err := svc.Current(ctx)
		if errors.Is(err, mark.ErrNotFound) {
			err = mark.WithHint(err, "open one on the operator screen (Open batch) or with the local API (POST /api/batches); `markd batch status ID` shows a closed one")
		}
		return b, err
	}
	expect := &cobra.Command{
		Use:   "expect FILE",
		Short: "Import the customer's list (CSV or JSON, BATCH-LIST.md) into the open batch; a bad file changes nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readList(args[0])
			if err != nil {
				return err
			}
			svc, done, err := service(cmd)
			if err != nil {
				return err
			}
			defer done()
			b, err := current(cmd.Context(), svc)
			if err != nil {
				return err
			}
			l, err := svc.Expect(cmd.Context(), b.ID, data, "cli")
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintf(a.stdout, "batch %s: list of %d items imported\n", b.ID, len(l.Items))
			return nil
		},
	}
	status := &cobra.Command{
		Use:   "status [ID]",
		Short: "Print the open batch (or batch ID) with its totals and differences as JSON",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, done, err := service(cmd)
			if err != nil {
				return err
			}
			defer done()
			var id string
			if len(args) == 1 {
				id = args[0]
			} else {
				b, err := current(cmd.Context(), svc)
				if err != nil {
					return err
				}
				id = b.ID
			}
			st, err := svc.Status(cmd.Context(), id)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(a.stdout)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(st.JSON())
		},
	}
	cmd.AddCommand(expect, status)
	return cmd
}

// readList reads a customer's list file of at most batchlist.MaxBytes, the
// limit of the local API: a larger file (a database dump chosen by
// mistake) is refused after that many bytes, not read whole into memory.
func readList(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usage("%v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, batchlist.MaxBytes+1))
	if err != nil {
		return nil, usage("%v", err)
	}
	if len(data) > batchlist.MaxBytes {
		return nil, mark.WithHint(refusedList{fmt.Errorf("%s: more than %d bytes, not a batch list: %w", path, batchlist.MaxBytes, mark.ErrTooLarge)},
			fmt.Sprintf("a list holds at most %d items in %d bytes: check the file, or split the batch", batchlist.MaxItems, batchlist.MaxBytes))
	}
	return data, nil
}

// refusedList is a list file refused for what is in it: it is also
// mark.ErrInvalid, so it exits 2 as every list refusal does (one over
// batchlist.MaxItems items is a *batchlist.ParseError, ErrInvalid too),
// without adding the word to the message.
type refusedList struct{ error }

func (e refusedList) Unwrap() []error { return []error{e.error, mark.ErrInvalid} }
