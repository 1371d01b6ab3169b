// Package hubtest holds what the tests of the collector share: a throwaway
// PostgreSQL cluster (initdb + pg_ctl in a temp folder, port on loopback)
// and the store test suite that both backends must pass.
package hubtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// PGBin is the folder of the PostgreSQL server binaries (initdb, pg_ctl):
// $MARKD_PG_BIN, else what `pg_config --bindir` names, else the newest
// /usr/lib/postgresql/N/bin (Debian's layout, any version), else the folder
// of initdb on PATH. "" when none is installed.
var PGBin = findPGBin()

func findPGBin() string {
	has := func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, "initdb"))
		return dir != "" && err == nil
	}
	if dir := os.Getenv("MARKD_PG_BIN"); dir != "" {
		return dir
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); has(dir) {
			return dir
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestV := "", -1
	for _, d := range dirs {
		if v, err := strconv.Atoi(filepath.Base(filepath.Dir(d))); err == nil && v > bestV && has(d) {
			best, bestV = d, v
		}
	}
	if best != "" {
		return best
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	Dir   string
	Port  int
	runAs []string
	opts  string // server options for pg_ctl start (port included)
	n     atomic.Int64
}

// Available reports whether the PostgreSQL server binaries are installed,
// and if not, why.
func Available() (bool, string) {
	if PGBin == "" {
		return false, "PostgreSQL server binaries (initdb, pg_ctl) not found: not in $MARKD_PG_BIN, pg_config --bindir, /usr/lib/postgresql/*/bin or PATH (install Debian package postgresql)"
	}
	if _, err := os.Stat(filepath.Join(PGBin, "initdb")); err != nil {
		return false, "PostgreSQL server binaries not found in " + PGBin + " (install Debian package postgresql)"
	}
	return true, ""
}

// StartCluster makes a cluster in a fresh temp folder and starts it on a
// free loopback port. When running as root (initdb refuses root) it runs the
// server as the postgres OS user. fast turns fsync off (tests); benchmarks
// keep it on. Stop removes the folder.
func StartCluster(fast bool) (*Cluster, error) {
	if ok, why := Available(); !ok {
		return nil, fmt.Errorf("%s", why)
	}
	dir, err := os.MkdirTemp("", "markhub-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs the postgres OS user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run(filepath.Join(PGBin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c max_connections=200", dir)
	if fast {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	for attempt := 0; ; attempt++ {
		c.Port, err = freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.opts = opts + " -p " + strconv.Itoa(c.Port)
		out, err := c.run(filepath.Join(PGBin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60",
			"-o", c.opts, "start")
		if err == nil {
			break
		}
		if attempt == 3 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
		}
	}
	return c, nil
}

func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	argv := append(append([]string{}, c.runAs...), name)
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.Dir
	return cmd.CombinedOutput()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// DSN is the URL of database name in the cluster.
func (c *Cluster) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, name)
}

// NewDatabase creates a fresh empty database and returns its DSN, so each
// test has its own.
func (c *Cluster) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d_%d", time.Now().UnixNano()%1e9, c.n.Add(1))
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return c.DSN(name), nil
}

// Stop stops the server and removes the folder.
func (c *Cluster) Stop() error {
	out, err := c.run(filepath.Join(PGBin, "pg_ctl"), "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.Dir)
	if err != nil && !strings.Contains(string(out), "not running") {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}
