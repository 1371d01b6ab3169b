package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"markd/issuer"
	"markd/mark"
)

func init() { register(newKeysCmd) }

// newKeysCmd is markd keys new: issuer signing keys for demos and tests.
func newKeysCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Issuer signing keys for demos and tests (the issuing side)",
	}
	var (
		alg, out, from, until, keyring string
		id                             int
	)
	nw := &cobra.Command{
		Use:   "new --alg ed25519|ecdsa-p256 --id N [--out FILE] [--valid-from D] [--valid-until D] [--keyring FILE]",
		Short: "Generate a key: write the private key file (mode 0600) and print its public keyring entry",
		Long: `Generate an issuer signing key. The private key is written to --out (default
issuer-key-N.yaml) in the test-only issuer keys format, mode 0600; an
existing file is never overwritten. The public entry is printed as a keyring
file on stdout and, with --keyring, added to that keyring file.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if alg == "" {
				return usage("--alg %s|%s is required", issuer.AlgEd25519, issuer.AlgECDSAP256)
			}
			if _, ok := issuer.AlgCode(alg); !ok {
				return usage("--alg %q: must be %s or %s", alg, issuer.AlgEd25519, issuer.AlgECDSAP256)
			}
			if !cmd.Flags().Changed("id") || id < 0 || id > 65535 {
				return usage("--id N (0..65535) is required")
			}
			vf := mark.DayOf(verifyNow())
			if from != "" {
				d, err := mark.ParseDay(from)
				if err != nil {
					return usage("--valid-from: %v", err)
				}
				vf = d
			}
			vu := mark.DayOf(vf.Time().AddDate(2, 0, -1))
			if until != "" {
				d, err := mark.ParseDay(until)
				if err != nil {
					return usage("--valid-until: %v", err)
				}
				vu = d
			}
			k, err := issuer.Generate(alg, uint16(id), vf, vu)
			if err != nil {
				return usageError{err}
			}
			if out == "" {
				out = fmt.Sprintf("issuer-key-%d.yaml", id)
			}
			if err := issuer.CreateKeys(out, []issuer.Key{k}); err != nil {
				return err
			}
			if keyring != "" {
				if err := issuer.AddToKeyring(keyring, k); err != nil {
					return err
				}
			}
			pub, err := issuer.MarshalKeyring([]issuer.Key{k})
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(pub)
			return err
		},
	}
	f := nw.Flags()
	f.StringVar(&alg, "alg", "", "ed25519 or ecdsa-p256 (required)")
	f.IntVar(&id, "id", 0, "key id, 0..65535 (required)")
	f.StringVar(&out, "out", "", "private key file to create (default issuer-key-N.yaml)")
	f.StringVar(&from, "valid-from", "", "first issue day the key is valid for, YYYY-MM-DD (default today)")
	f.StringVar(&until, "valid-until", "", "last issue day the key is valid for (default two years on)")
	f.StringVar(&keyring, "keyring", "", "also add the public entry to this keyring file (created if missing)")
	cmd.AddCommand(nw)
	return cmd
}
