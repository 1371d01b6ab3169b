package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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
		Long: `Table prints the JSON verdict lines of markd verify and markd run as rows a
person reads, in the language of --lang, with times in the office's zone
(config key tz, or --tz) like the operator and supervisor pages.`,
		Example: `  markd verify --config markd.yaml < scans.txt | markd table
  markd run --config markd.yaml | markd table --lang ru`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lang != "en" && lang != "ru" {
				return usage("--lang %q: must be en or ru", lang)
			}
			c, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			loc, err := c.Location()
			if err != nil {
				return usageError{err}
			}
			return a.printTable(lang, loc)
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "en", "language of the whole table: en or ru")
	cmd.Flags().String("tz", "", "office time zone for the times shown (config key tz; default Europe/Moscow)")
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

// tableWords are the table's own words; verdicts, reasons and classes
// come from mark's operator texts.
var tableWords = map[string]mark.Text{
	"#": {RU: "№", EN: "#"}, "verdict": {RU: "ВЕРДИКТ", EN: "VERDICT"}, "serial": {RU: "СЕРИЯ", EN: "SERIAL"}, "class": {RU: "ВИД", EN: "CLASS"},
	"weight": {RU: "МАССА", EN: "WEIGHT"}, "paid": {RU: "ОПЛАЧЕНО", EN: "PAID"}, "why": {RU: "ПРИЧИНА", EN: "WHY"},
	"g": {RU: "г", EN: "g"}, "rub": {RU: "руб.", EN: "RUB"}, "first": {RU: "впервые принята %s на окне %s", EN: "first accepted %s at counter %s"},
}

func (a *app) printTable(lang string, loc *time.Location) error {
	text := func(t mark.Text) string {
		if lang == "ru" {
			return t.RU
		}
		return t.EN
	}
	word := func(k string) string { return text(tableWords[k]) }
	// Fixed widths rather than tabwriter: rows are printed as verdicts come.
	w := bufio.NewWriter(a.stdout)
	row := func(cols ...string) error {
		for i, width := range []int{4, 22, 11, 26, 7, 13} {
			fmt.Fprintf(w, "%s ", pad(cols[i], width))
		}
		fmt.Fprintln(w, cols[6])
		return w.Flush()
	}
	if err := row(word("#"), word("verdict"), word("serial"), word("class"), word("weight"), word("paid"), word("why")); err != nil {
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
			class = text(mark.ClassText(m.MailClass))
			weight = fmt.Sprintf("%d %s", m.WeightG, word("g"))
			sep := "."
			if lang == "ru" {
				sep = ","
			}
			paid = fmt.Sprintf("%d%s%02d %s", m.TariffKop/100, sep, m.TariffKop%100, word("rub"))
		}
		var why []string
		for _, r := range l.Reasons {
			why = append(why, text(mark.Explain(r)))
		}
		if fa := l.FirstAccepted; fa != nil {
			why = append(why, fmt.Sprintf(word("first"), fa.At.In(loc).Format("2006-01-02 15:04"), fa.Counter))
		}
		if l.Message != "" {
			why = append(why, l.Message)
		}
		if err := row(fmt.Sprint(l.Line), text(mark.VerdictText(l.Verdict)), serial, class, weight, paid, strings.Join(why, "; ")); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	return nil
}

// pad fills s with spaces to width characters (runes, not bytes: the
// Russian words are two bytes a letter).
func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}
