package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"markd/internal/cli"
	"markd/store"
)

// userDeviceCmds are markd user devices NAME and markd user revoke-device
// NAME ID: the browsers that logged in as an account and are spared its
// limit on failed logins over all addresses (the device cookies of the
// login page), and revoking one of them, as the devices page does.
func userDeviceCmds(a *app) []*cobra.Command {
	devices := &cobra.Command{
		Use:   "devices NAME",
		Short: "List the browsers that logged in as an account (device cookies: spared its failed-login limit)",
		Args:  oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withListStore(cmd, func(db *store.DB, loc *time.Location) error {
				if _, err := db.GetUser(cmd.Context(), args[0]); err != nil {
					return err
				}
				list, err := db.Devices(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				rows := make([]cli.Device, len(list))
				for i, d := range list {
					rows[i] = cli.Device{ID: d.ID, Issued: d.Issued, LastUsed: d.LastUsed, Agent: d.Agent}
				}
				return cli.WriteDevices(a.stdout, rows, func(t time.Time) string { return listTime(t, loc) })
			})
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke-device NAME ID",
		Short: "Revoke one device of an account (markd user devices lists them): that browser is held by the failed-login limit again",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usage("%s needs an account name and a device id, got %d arguments (markd user devices NAME lists the ids)", cmd.CommandPath(), len(args))
			}
			if n, err := strconv.ParseInt(args[1], 10, 64); err != nil || n < 1 {
				return usage("device id %q: must be a number from markd user devices %s", args[1], args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			id, _ := strconv.ParseInt(args[1], 10, 64)
			return a.withStore(cmd, func(db *store.DB) error {
				if _, err := db.GetUser(cmd.Context(), args[0]); err != nil {
					return err
				}
				if err := db.RevokeDevice(cmd.Context(), args[0], id, "cli"); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "device %d of %s revoked; that browser is held by the failed-login limit again\n", id, args[0])
				return nil
			})
		},
	}
	return []*cobra.Command{devices, revoke}
}
