package hub

import (
	"context"
	"fmt"
	"time"

	"markd/mark"
)

// MaxDevices is how many device cookies (browsers) a regional account
// keeps recorded: a login from one more drops the one unused longest,
// whose browser then counts as having none.
const MaxDevices = 10

// WebDevice is one browser that logged in as a regional account and
// carries its device cookie (internal/devicecookie).
type WebDevice struct {
	ID       int64 // what the devices page and markhub user revoke-device name it by
	User     string
	Issued   time.Time // its first login
	LastUsed time.Time // its last login
	Agent    string    // devicecookie.Agent of its User-Agent
}

// ErrNoDevice is the answer for a device id the account does not have
// (never, or revoked or dropped since); a mark.ErrNotFound.
var ErrNoDevice = fmt.Errorf("no such device: %w", mark.ErrNotFound)

// DeviceBook records the device cookies of the regional login, so that
// one device can be revoked; a cookie counts only while its row is there
// (a cookie made before migration 062 counts as none). SetPassword,
// SetDisabled(true) and RemoveUser delete the account's rows. Both
// backends implement it; hubtest.RunDeviceSuite holds them to it.
type DeviceBook interface {
	// KnownDevice is the recorded device of name whose cookie's id hashes
	// to idHash (devicecookie.IDHash), or ErrNoDevice.
	KnownDevice(ctx context.Context, name, idHash string) (WebDevice, error)
	// RecordDevice records the cookie (idHash) a login of name at at gave
	// its browser: renew is the id of the device it logged in with (0:
	// none), whose row takes it; else a new row, the rows of name unused
	// for longer than devicecookie.Lifetime (their cookies expired) are
	// dropped and, past MaxDevices, the rows unused longest. An unknown account is
	// mark.ErrNotFound.
	RecordDevice(ctx context.Context, name, idHash, agent string, renew int64, at time.Time) (WebDevice, error)
	// Devices lists the recorded devices of name, the last used first.
	Devices(ctx context.Context, name string) ([]WebDevice, error)
	// RevokeDevice deletes the device id of name and returns it; an id
	// name does not have is ErrNoDevice.
	RevokeDevice(ctx context.Context, name string, id int64) (WebDevice, error)
}
