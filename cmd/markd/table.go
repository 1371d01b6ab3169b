package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"markd/mark"
)

func init() { register(newTableCmd) }

// newTableCmd is `markd table`: the JSON verdict lines of `markd verify` and
// `markd run` as a table a person reads, one row per verdict.
func newTableCmd(a *app) *cobra.Command {
	var lang string
	cmd := &cobra.Command{
		Use:   "table",
		Short: "Print the JSON verdict lines of verify/run (stdin) as a readable table",
		Example: `  markd verify --config markd.yaml < scans.txt | markd table
  markd run --config markd.yaml | markd table --lang ru`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lang != "en" && lang != "ru" {
				return usage("--lang %q: must be en or ru", lang)
			}
			return a.printTable(lang)
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "en", "language of the verdict texts: en or ru")
	return cmd
}

// tableLine is the part of a verdict line the table shows.
type tableLine struct {
	Line          int              `json:"line"`
	Verdict       mark.Verdict     `json:"verdict"`
	Reasons       []mark.Reason    `json:"reasons"`
	Mark          *mark.Fields     `json:"mark"`
	FirstAccepted *mark.Acceptance `json:"first_accepted"`
	Message       string           `json:"message"`
	Counter       string           `json:"counter"`
}

var classNames = map[uint8]string{1: "letter", 2: "registered letter", 3: "printed matter", 4: "postcard"}

func (a *app) printTable(lang string) error {
	text := func(t mark.Text) string {
		if lang == "ru" {
			return t.RU
		}
		return t.EN
	}
	// Fixed widths rather than tabwriter: rows are printed as verdicts come.
	w := bufio.NewWriter(a.stdout)
	row := func(cols ...string) error {
		fmt.Fprintf(w, "%-4s %-14s %-11s %-18s %-7s %-11s %s\n", cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6])
		return w.Flush()
	}
	if err := row("#", "VERDICT", "SERIAL", "CLASS", "WEIGHT", "PAID", "WHY"); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l tableLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return usage("stdin line %d: not a verdict JSON line: %v", n, err)
		}
		serial, class, weight, paid := "-", "-", "-", "-"
		if m := l.Mark; m != nil {
			serial = fmt.Sprint(m.Serial)
			if c, ok := classNames[m.MailClass]; ok {
				class = c
			} else {
				class = fmt.Sprintf("class %d", m.MailClass)
			}
			weight = fmt.Sprintf("%d g", m.WeightG)
			paid = fmt.Sprintf("%d.%02d RUB", m.TariffKop/100, m.TariffKop%100)
		}
		var why []string
		for _, r := range l.Reasons {
			why = append(why, text(mark.Explain(r)))
		}
		if fa := l.FirstAccepted; fa != nil {
			why = append(why, fmt.Sprintf("first accepted %s at counter %s", fa.At.Format("2006-01-02 15:04"), fa.Counter))
		}
		if l.Message != "" {
			why = append(why, l.Message)
		}
		if len(why) == 0 && l.Verdict != mark.Accept {
			why = append(why, text(mark.VerdictText(l.Verdict)))
		}
		if err := row(fmt.Sprint(l.Line), string(l.Verdict), serial, class, weight, paid, strings.Join(why, "; ")); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	return nil
}
