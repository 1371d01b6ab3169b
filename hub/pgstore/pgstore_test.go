package pgstore

import (
	"context"
	"fmt"
	"os"
	"testing"

	"markd/hub"
	"markd/hub/hubtest"
)

var cluster *hubtest.Cluster
var clusterErr error

func TestMain(m *testing.M) {
	if ok, _ := hubtest.Available(); ok {
		cluster, clusterErr = hubtest.StartCluster(os.Getenv("MARKHUB_PG_FSYNC") == "")
	}
	code := m.Run()
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

func open(t *testing.T) hub.Store {
	t.Helper()
	if ok, why := hubtest.Available(); !ok {
		t.Skip("PostgreSQL tests skipped: " + why)
	}
	if clusterErr != nil {
		t.Fatalf("start PostgreSQL: %v", clusterErr)
	}
	dsn, err := cluster.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStoreSuite(t *testing.T) { hubtest.RunStoreSuite(t, open) }

func TestServerSuite(t *testing.T) { hubtest.RunServerSuite(t, open) }

func BenchmarkIngest2000(b *testing.B) {
	if ok, why := hubtest.Available(); !ok {
		b.Skip(why)
	}
	if clusterErr != nil {
		b.Fatal(clusterErr)
	}
	dsn, err := cluster.NewDatabase(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	db, err := Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	hubtest.BenchIngest(b, db, 2000)
}
