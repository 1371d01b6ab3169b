package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Device is a line of `markd user devices` and `markhub user devices`:
// a browser an account logged in from (its device cookie).
type Device struct {
	ID               int64
	Issued, LastUsed time.Time
	Agent            string
}

// WriteDevices writes the devices as a table, times by when (the
// counter's zone, or UTC for the collector); an unknown browser is "-".
func WriteDevices(w io.Writer, list []Device, when func(time.Time) string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFIRST LOGIN\tLAST LOGIN\tBROWSER")
	for _, d := range list {
		agent := d.Agent
		if agent == "" {
			agent = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", d.ID, when(d.Issued), when(d.LastUsed), agent)
	}
	return tw.Flush()
}
