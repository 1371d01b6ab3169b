package hubtest

import (
	"sync"
	"sync/atomic"
	"testing"
)

// One cluster per test binary for the tests that only want an empty
// database of their own (Cluster.NewDatabase) and do nothing to the
// server itself (no Halt, Freeze, settings): initdb and a start cost
// seconds, paid once instead of once per test. A test that stops,
// freezes or reconfigures the server starts its own (StartCluster).
var (
	sharedStarted atomic.Bool
	shared        = sync.OnceValues(func() (*Cluster, error) {
		sharedStarted.Store(true)
		return StartCluster(true)
	})
)

// SharedDatabase returns the DSN of a fresh empty database in the test
// binary's shared cluster, starting the cluster at first use. t is
// skipped, saying why, where PostgreSQL is not installed. The package's
// TestMain stops the cluster with StopShared.
func SharedDatabase(t testing.TB) string {
	t.Helper()
	if ok, why := Available(); !ok {
		t.Skip("PostgreSQL test skipped: " + why)
	}
	c, err := shared()
	if err != nil {
		t.Fatalf("start the shared PostgreSQL cluster: %v", err)
	}
	dsn, err := c.NewDatabase(t.Context())
	if err != nil {
		t.Fatalf("a database in the shared PostgreSQL cluster (port %d): %v", c.Port, err)
	}
	return dsn
}

// StopShared stops the shared cluster and removes its folder, if a test
// started it; TestMain calls it after m.Run.
func StopShared() error {
	if !sharedStarted.Load() {
		return nil
	}
	c, err := shared()
	if err != nil {
		return nil // it never started: nothing to stop
	}
	return c.Stop()
}
