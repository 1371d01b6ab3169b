package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// leastChildEnv makes the test binary run as the least process (runLeast
// on stdin) with the bare file it names.
const leastChildEnv = "PERFBENCH_TEST_LEAST_DB"

func TestMain(m *testing.M) {
	if db := os.Getenv(leastChildEnv); db != "" {
		if err := runLeast("stdin", db); err != nil {
			fmt.Fprintln(os.Stderr, "perfbench -least:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The least process commits each line as one row before it answers (the
// row is there, in another connection, when the answer is read), says
// when it listens as markd does, and ends when its feed ends.
func TestLeastCommitsBeforeItAnswers(t *testing.T) {
	db := filepath.Join(t.TempDir(), "least.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), leastChildEnv+"="+db)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := bufio.NewReader(errPipe)
	if line, err := logs.ReadString('\n'); err != nil || !listening.MatchString(line) {
		t.Fatalf("first log line %q, %v: want one that p1Once takes for listening", line, err)
	}
	out := bufio.NewReader(outPipe)
	check, err := sql.Open("sqlite3", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	for i, text := range []string{"EPM1:first", "EPM1:second", "EPM1:third"} {
		if _, err := io.WriteString(in, text+"\n"); err != nil {
			t.Fatal(err)
		}
		if got, err := out.ReadString('\n'); err != nil || got != leastAnswer {
			t.Fatalf("answer to line %d: %q, %v; want %q", i, got, err, leastAnswer)
		}
		var n int
		var last string
		if err := check.QueryRow(`SELECT count(*), (SELECT v FROM bare ORDER BY id DESC LIMIT 1) FROM bare`).Scan(&n, &last); err != nil {
			t.Fatal(err)
		}
		if n != i+1 || last != text {
			t.Fatalf("after answer %d: %d rows, last %q; want %d, %q", i, n, last, i+1, text)
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("least process after its feed ended: %v", err)
	}
}

// A bare file it cannot create ends the least process with an error that
// names the file.
func TestLeastNamesFileItCannotOpen(t *testing.T) {
	db := filepath.Join(t.TempDir(), "missing", "least.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), leastChildEnv+"="+db)
	cmd.Stdin = strings.NewReader("EPM1:x\n")
	got, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("least process on %s ended well: %s", db, got)
	}
	if !strings.Contains(string(got), db) {
		t.Fatalf("error %q does not name %s", got, db)
	}
}
