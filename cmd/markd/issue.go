package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"markd/internal/cli"
	"markd/issuer"
	"markd/mark"
	"markd/verify"
)

func init() { register(newIssueCmd) }

// issueFlags are the flags of markd issue.
type issueFlags struct {
	key, issued, validUntil, png string
	keyID                        int
	serial, tracking             uint64
	contract                     uint32
	class                        uint8
	weight                       uint16
	tariff                       uint32
	office                       uint32
	validDays, pngSize           int
	notice                       bool
	version, rawFlags            uint8
}

// newIssueCmd is markd issue: sign one mark with an issuer key file (demos, tests).
func newIssueCmd(a *app) *cobra.Command {
	var f issueFlags
	cmd := &cobra.Command{
		Use:   "issue --key FILE [flags]",
		Short: "Sign a mark with an issuer key file and print its text (demos and tests)",
		Long: `Issue signs one mark and prints its EPM1 text. Defaults make a valid mark
with few flags: issued today (in --tz), valid 90 days, a registered letter
of 20 g, the tariff required by --tariffs (or the config's tariffs) when
--tariff is not given, and, for a registered class, a tracking number with a
correct check digit made from the office and the serial. --png writes the QR
code (error correction M).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runIssue(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.key, "key", "", "issuer private key file (required)")
	fl.IntVar(&f.keyID, "key-id", 0, "key id in the file, needed when it holds several keys")
	fl.Uint64Var(&f.serial, "serial", 0, "serial number (default random)")
	fl.Uint32Var(&f.contract, "contract", 1, "customer contract number")
	fl.Uint8Var(&f.class, "class", mark.ClassRegisteredLetter, "mail class: "+classList())
	fl.Uint16Var(&f.weight, "weight", 20, "declared weight, grams")
	fl.Uint32Var(&f.tariff, "tariff", 0, "amount paid, kopecks (default: the required tariff from --tariffs)")
	fl.String("tariffs", "", "tariff table to price the mark (config key tariffs)")
	cli.Uint32(fl, "office", 0, "postal index of the office the item must be handed in at; 0 = any (config key office)")
	fl.String("tz", "", "time zone of the default issue date (config key tz)")
	fl.StringVar(&f.issued, "issued", "", "issue date YYYY-MM-DD (default today)")
	fl.StringVar(&f.validUntil, "valid-until", "", "last valid day YYYY-MM-DD (default issued + --valid-days)")
	fl.IntVar(&f.validDays, "valid-days", 90, "validity in days when --valid-until is not given")
	fl.Uint64Var(&f.tracking, "tracking", 0, "14-digit tracking number (default: derived for registered classes)")
	fl.BoolVar(&f.notice, "notice", false, "notice of delivery paid")
	fl.StringVar(&f.png, "png", "", "also write the QR code as a PNG file")
	fl.IntVar(&f.pngSize, "png-size", 400, "PNG width and height, pixels")
	fl.Uint8Var(&f.version, "format-version", 1, "body version byte (tests of UNSUPPORTED_VERSION)")
	fl.Uint8Var(&f.rawFlags, "raw-flags", 0, "extra flag bits (tests of MALFORMED)")
	_ = fl.MarkHidden("format-version")
	_ = fl.MarkHidden("raw-flags")
	return cmd
}

func (a *app) runIssue(cmd *cobra.Command, f issueFlags) error {
	c, err := a.loadConfig(cmd)
	if err != nil {
		return err
	}
	if f.key == "" {
		return usage("--key FILE is required")
	}
	keys, err := issuer.LoadKeys(f.key)
	if err != nil {
		return usageError{err}
	}
	id := -1 // the file's only key
	if cmd.Flags().Changed("key-id") {
		id = f.keyID
	}
	k, err := pickKey(keys, id)
	if err != nil {
		return err
	}
	m := mark.Mark{Version: f.version, Contract: f.contract, MailClass: f.class, WeightG: f.weight,
		Office: c.Office, Serial: f.serial, Tracking: f.tracking, Flags: f.rawFlags}
	if f.notice {
		m.Flags |= mark.FlagNoticeOfDelivery
	}
	if m.Serial == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		m.Serial = 1_000_000_000 + binary.BigEndian.Uint64(b[:])%9_000_000_000
	}
	if f.issued != "" {
		if m.Issued, err = mark.ParseDay(f.issued); err != nil {
			return usage("--issued: %v", err)
		}
	} else {
		loc, err := c.Location()
		if err != nil {
			return usageError{err}
		}
		m.Issued = mark.DayOf(verifyNow().In(loc))
	}
	if f.validUntil != "" {
		if m.ValidUntil, err = mark.ParseDay(f.validUntil); err != nil {
			return usage("--valid-until: %v", err)
		}
	} else {
		if f.validDays < 0 || int(m.Issued)+f.validDays > 65535 {
			return usage("--valid-days %d: out of range", f.validDays)
		}
		m.ValidUntil = m.Issued + mark.Day(f.validDays)
	}
	if registered, _ := mark.Registered(m.MailClass); registered && m.Tracking == 0 && !cmd.Flags().Changed("tracking") {
		origin := m.Office
		if origin == 0 {
			origin = 101000
		}
		m.Tracking = issuer.Tracking(origin, m.Serial)
	}
	m.TariffKop = f.tariff
	if !cmd.Flags().Changed("tariff") {
		if m.TariffKop, err = a.issuePrice(cmd, c.Tariffs, m); err != nil {
			return err
		}
	}
	text, err := k.Sign(m)
	if err != nil {
		return err
	}
	if f.png != "" {
		img, err := issuer.QRPNG(text, f.pngSize)
		if err != nil {
			return err
		}
		// A signed mark is worth its tariff: owner only, whatever the
		// umask, also when an older file of wider mode is replaced.
		if err := issuer.WriteFileAtomic(f.png, img, 0o600); err != nil {
			return fmt.Errorf("write --png: %w", err)
		}
	}
	_, err = fmt.Fprintln(a.stdout, text)
	return err
}

func pickKey(keys []issuer.Key, id int) (issuer.Key, error) {
	if id < 0 {
		if len(keys) != 1 {
			return issuer.Key{}, usage("the key file has %d keys: choose one with --key-id", len(keys))
		}
		return keys[0], nil
	}
	for _, k := range keys {
		if int(k.ID) == id {
			return k, nil
		}
	}
	return issuer.Key{}, usage("--key-id %d: no such key in the key file", id)
}

// issuePrice is the required tariff of m from the tariff table given by
// --tariffs or the config file.
func (a *app) issuePrice(cmd *cobra.Command, path string, m mark.Mark) (uint32, error) {
	if !cmd.Flags().Changed("tariffs") && a.configFile == "" {
		return 0, usage("give --tariff KOPECKS, or --tariffs FILE to pay the required tariff")
	}
	t, err := verify.LoadTariffs(path)
	if err != nil {
		return 0, usageError{err}
	}
	kop, ok := t.Price(m.Issued, m.MailClass, m.WeightG, m.NoticeOfDelivery())
	if !ok {
		return 0, usage("no tariff for class %d, %d g, issued %s: give --tariff", m.MailClass, m.WeightG, m.Issued)
	}
	return kop, nil
}

// classList names the mail classes for --class as the spec, markd table
// and the pages do: "1 simple letter, 2 registered letter, …".
func classList() string {
	var names []string
	for c := mark.ClassSimpleLetter; c <= mark.ClassPostcard; c++ {
		names = append(names, fmt.Sprintf("%d %s", c, mark.ClassText(c).EN))
	}
	return strings.Join(names, ", ")
}
