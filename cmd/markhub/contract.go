package main

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"markd/hub"
	"markd/internal/cli"
)

// newContractCmd is markhub contract N: per day and office, how many items
// the offices accepted for contract N in closed batches (the customer's
// invoice check).
func newContractCmd(a *app) *cobra.Command {
	var from, to string
	var asCSV bool
	cmd := &cobra.Command{
		Use:   "contract NUMBER [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--csv]",
		Short: "Items accepted for a contract per day and office, from the counters' closed batches",
		Long: `Sums the closed batches of partition mail the counters uploaded for one
contract: per day (UTC, the day the batch closed) and office, the batches,
the items accepted and the tariffs paid. --to is inclusive; the default is
the last 31 days.

With the counts of the batches' receipts, as the counter names them:
NOT ACCEPTED (handed_back) the envelopes handed back, each once however
often it was scanned; PRESENTED AGAIN (presented_again) the marks accepted
in a batch and presented again in it, REFUSED AGAIN (refused_again) those
refusals — neither is an envelope handed back; REJECTIONS (rejected) the
rejected scans. "unknown" where a batch of the day came from a counter
older than these counts.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.ParseUint(args[0], 10, 32)
			if err != nil || n == 0 {
				return cli.UsageError{Err: fmt.Errorf("contract %q: not a contract number", args[0])}
			}
			end := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
			start := end.AddDate(0, 0, -31)
			for _, d := range []struct {
				flag string
				val  string
				dst  *time.Time
				next bool
			}{{"--from", from, &start, false}, {"--to", to, &end, true}} {
				if d.val == "" {
					continue
				}
				t, err := time.Parse(time.DateOnly, d.val)
				if err != nil {
					return cli.UsageError{Err: fmt.Errorf("%s %q: not YYYY-MM-DD", d.flag, d.val)}
				}
				if d.next {
					t = t.AddDate(0, 0, 1)
				}
				*d.dst = t
			}
			return a.withStore(cmd, func(store hub.Store) error {
				days, err := store.ContractDays(cmd.Context(), uint32(n), start, end)
				if err != nil {
					return err
				}
				if asCSV {
					w := csv.NewWriter(a.stdout)
					_ = w.Write([]string{"day", "office", "batches", "accepted", "paid_kop", "rejected", "handed_back", "presented_again", "refused_again"})
					for _, d := range days {
						_ = w.Write([]string{d.Day, fmt.Sprintf("%06d", d.Office), strconv.Itoa(d.Batches), strconv.Itoa(d.Accepted),
							strconv.FormatInt(d.PaidKop, 10), strconv.Itoa(d.Rejected), count(d.HandedBack), count(d.PresentedAgain),
							count(d.RefusedAgain)})
					}
					w.Flush()
					return w.Error()
				}
				const row = "%-12s %-8s %8s %10s %13s %16s %14s %11s %16s\n"
				fmt.Fprintf(a.stdout, row, "DAY", "OFFICE", "BATCHES", "ACCEPTED", "NOT ACCEPTED", "PRESENTED AGAIN", "REFUSED AGAIN",
					"REJECTIONS", "PAID, RUB")
				total := hub.ContractDay{HandedBack: new(int), PresentedAgain: new(int), RefusedAgain: new(int)}
				for _, d := range days {
					fmt.Fprintf(a.stdout, row, d.Day, fmt.Sprintf("%06d", d.Office), strconv.Itoa(d.Batches), strconv.Itoa(d.Accepted),
						count(d.HandedBack), count(d.PresentedAgain), count(d.RefusedAgain), strconv.Itoa(d.Rejected), rub(d.PaidKop))
					total.Batches += d.Batches
					total.Accepted += d.Accepted
					total.PaidKop += d.PaidKop
					total.Rejected += d.Rejected
					total.HandedBack = addCount(total.HandedBack, d.HandedBack)
					total.PresentedAgain = addCount(total.PresentedAgain, d.PresentedAgain)
					total.RefusedAgain = addCount(total.RefusedAgain, d.RefusedAgain)
				}
				fmt.Fprintf(a.stdout, row, "total", "", strconv.Itoa(total.Batches), strconv.Itoa(total.Accepted),
					count(total.HandedBack), count(total.PresentedAgain), count(total.RefusedAgain), strconv.Itoa(total.Rejected),
					rub(total.PaidKop))
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "first day (YYYY-MM-DD, UTC)")
	fl.StringVar(&to, "to", "", "last day, inclusive (YYYY-MM-DD, UTC)")
	fl.BoolVar(&asCSV, "csv", false, "CSV instead of a table")
	d := defaultConfig()
	fl.String("db", d.DB, "SQLite file or PostgreSQL URL")
	fl.String("db-driver", d.DBDriver, "sqlite or postgres")
	return cmd
}

// count is a receipt count, "unknown" when a counter did not send it.
func count(v *int) string {
	if v == nil {
		return "unknown"
	}
	return strconv.Itoa(*v)
}

// addCount adds a receipt count to a total, which is unknown once one is.
func addCount(total, v *int) *int {
	if total == nil || v == nil {
		return nil
	}
	n := *total + *v
	return &n
}

func rub(kop int64) string { return fmt.Sprintf("%d.%02d", kop/100, kop%100) }
