package control

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// FuzzAnswer sends arbitrary bytes to a real control listener, after its
// token when withToken: a command runs only for the line "TOKEN reload" or
// "TOKEN ping" (spaces around it aside), and a line that ends within the
// limit gets one answer line, "ok" or "error: …".
func FuzzAnswer(f *testing.F) {
	var ran atomic.Value // the last command the handler ran
	s, err := Listen(Path(filepath.Join(f.TempDir(), "markd.db")), func(cmd string) (string, error) {
		ran.Store(cmd)
		return "", nil
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	f.Cleanup(func() { cancel(); <-done })

	for _, seed := range []struct {
		tok  bool
		rest string
	}{{true, " reload\n"}, {true, " ping\r\n"}, {true, "  ping  \n"}, {true, " RELOAD\n"}, {true, "x reload\n"},
		{true, " reload now\n"}, {true, "\n"}, {false, "reload\n"}, {false, " reload\n"}, {true, " reload"},
		{false, strings.Repeat("a", 600) + "\n"}, {true, " ping\x00\n"}} {
		f.Add(seed.tok, seed.rest)
	}
	f.Fuzz(func(t *testing.T, withToken bool, rest string) {
		line := rest
		if withToken {
			line = s.token + rest
		}
		ran.Store("")
		c, err := net.Dial("tcp", s.ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, line); err != nil {
			t.Fatal(err)
		}
		_ = c.(*net.TCPConn).CloseWrite()
		answer, err := io.ReadAll(bufio.NewReader(c))
		first, _, ended := strings.Cut(line, "\n")
		ended = ended && len(first) < 512
		if err != nil && ended && len(line) == len(first)+1 {
			// bytes left unread (over the limit, after the line) make the
			// server's close a reset, which may drop its answer
			t.Fatalf("%q: reading the answer: %v", line, err)
		}
		tok, cmd, _ := strings.Cut(strings.TrimSpace(first), " ")
		want := ""
		if ended && withToken && tok == s.token && (cmd == CmdReload || cmd == CmdPing) {
			want = cmd
		}
		if got := ran.Load().(string); got != want {
			t.Fatalf("%q: ran %q, want %q", line, got, want)
		}
		a := string(answer)
		if err != nil {
			return
		}
		switch {
		case !ended && a != "":
			t.Fatalf("%q: an unended line was answered %q", line, a)
		case ended && want != "" && a != "ok\n":
			t.Fatalf("%q: answer %q, want ok", line, a)
		case ended && want == "" && (!strings.HasPrefix(a, "error: ") || strings.Count(a, "\n") != 1 || !strings.HasSuffix(a, "\n")):
			t.Fatalf("%q: answer %q, want one line error: …", line, a)
		}
	})
}
