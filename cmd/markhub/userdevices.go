package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"markd/hub"
	"markd/internal/cli"
	"markd/mark"
)

// userDeviceCmds are markhub user devices NAME and markhub user
// revoke-device NAME ID: the browsers that logged in as a regional
// account and are spared its limit on failed logins over all addresses
// (the device cookies of the login page), and revoking one of them, as
// the devices page does; any account's, as the fleet engineer runs them.
func userDeviceCmds(a *app) []*cobra.Command {
	// known fails unless name is an account (a disabled one too).
	known := func(cmd *cobra.Command, reg hub.Regional, name string) error {
		if _, err := reg.PasswordHash(cmd.Context(), name); err != nil && !errors.Is(err, hub.ErrUserDisabled) {
			return err
		}
		return nil
	}
	devices := &cobra.Command{
		Use:   "devices NAME",
		Short: "List the browsers that logged in as an account (device cookies: spared its failed-login limit), times in UTC",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, done, err := a.openRegional(cmd)
			if err != nil {
				return err
			}
			defer done()
			if err := known(cmd, reg, args[0]); err != nil {
				return err
			}
			list, err := reg.Devices(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			rows := make([]cli.Device, len(list))
			for i, d := range list {
				rows[i] = cli.Device{ID: d.ID, Issued: d.Issued, LastUsed: d.LastUsed, Agent: d.Agent}
			}
			return cli.WriteDevices(a.stdout, rows, func(t time.Time) string { return t.UTC().Format(time.RFC3339) })
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke-device NAME ID",
		Short: "Revoke one device of an account (markhub user devices lists them): that browser is held by the failed-login limit again",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return cli.UsageError{Err: fmt.Errorf("%s needs an account name and a device id, got %d arguments (markhub user devices NAME lists the ids): %w",
					cmd.CommandPath(), len(args), mark.ErrInvalid)}
			}
			if n, err := strconv.ParseInt(args[1], 10, 64); err != nil || n < 1 {
				return cli.UsageError{Err: fmt.Errorf("device id %q: must be a number from markhub user devices %s: %w", args[1], args[0], mark.ErrInvalid)}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			id, _ := strconv.ParseInt(args[1], 10, 64)
			reg, done, err := a.openRegional(cmd)
			if err != nil {
				return err
			}
			defer done()
			if err := known(cmd, reg, args[0]); err != nil {
				return err
			}
			v, err := reg.RevokeDevice(cmd.Context(), args[0], id)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "device %d of %s (%s) revoked; that browser is held by the failed-login limit again\n", id, args[0], v.Agent)
			return nil
		},
	}
	return []*cobra.Command{devices, revoke}
}
