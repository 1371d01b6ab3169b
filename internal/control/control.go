// Package control is the local control channel of a running markd: the
// daemon listens on 127.0.0.1 at a random port and writes the address and a
// random token to a control file beside its database, readable only by
// its own account (and, on Windows, SYSTEM and Administrators: the
// %ProgramData%\markd ACL). `markd reload` reads the file and asks the
// daemon to reload its lists. It works the same on Linux and Windows,
// where SIGHUP does not exist.
package control

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"markd/mark"
)

// FileName is the control file's name, in the folder of the database.
const FileName = "markd.control"

// Path is the control file of the daemon whose database is db.
func Path(db string) string { return filepath.Join(filepath.Dir(db), FileName) }

// ErrNotRunning says no daemon answers at the control file's address.
var ErrNotRunning = errors.New("markd is not running")

// ErrRefused is the daemon's "no": the command failed there (the error
// says why, as does its log).
var ErrRefused = errors.New("refused by markd")

// Commands the daemon answers.
const (
	CmdReload = "reload" // reload keyring, tariffs and revocations
	CmdPing   = "ping"   // is it running?
)

type file struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
	PID   int    `json:"pid"`
	DB    string `json:"db,omitempty"` // the daemon's store, absolute (ListenStore); "" = not said
}

// Server answers the commands of the control file's token holder.
type Server struct {
	ln      net.Listener
	path    string
	token   string
	log     *slog.Logger
	handler Handler
	pointer string // Announce's file; "" = none
}

// Handler runs a command: a note (sentences, a line each; "" = none)
// goes back to the client beside "ok"; an error is ErrRefused to the
// client, with its text.
type Handler func(cmd string) (note string, err error)

// Listen listens on 127.0.0.1 at a free port and writes the control file at
// path (mode 0600). handler runs a command. Serve answers, and removes the
// file when it returns.
func Listen(path string, handler Handler, log *slog.Logger) (*Server, error) {
	return listen(path, "", handler, log)
}

// ListenStore is Listen for the daemon of the store db: the control file
// beside db (Path), which names db, so that SendStore for another store
// of the same folder does not reach this daemon.
func ListenStore(db string, handler Handler, log *slog.Logger) (*Server, error) {
	return listen(Path(db), absPath(db), handler, log)
}

func listen(path, db string, handler Handler, log *slog.Logger) (*Server, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("control listener: %w", err)
	}
	s := &Server{ln: ln, path: path, token: hex.EncodeToString(b), log: log, handler: handler}
	data, _ := json.Marshal(file{Addr: ln.Addr().String(), Token: s.token, PID: os.Getpid(), DB: db})
	if err := writePrivate(path, data); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control file %s: %w", path, err)
	}
	return s, nil
}

// writePrivate replaces path with data, readable by this account only.
func writePrivate(path string, data []byte) error {
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Serve answers connections until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	defer s.removeFile()
	if s.pointer != "" {
		defer os.Remove(s.pointer)
	}
	stop := context.AfterFunc(ctx, func() { s.ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("control listener: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.answer(c)
		}()
	}
}

// removeFile removes the control file if it is still this server's: a
// daemon of another store in the same folder may have written its own
// over it since.
func (s *Server) removeFile() {
	data, err := os.ReadFile(s.path)
	if err != nil {
		return
	}
	var f file
	if json.Unmarshal(data, &f) == nil && f.Token != s.token {
		return
	}
	os.Remove(s.path)
}

// answer reads one line "TOKEN COMMAND" and writes "ok", "ok: NOTE" (a
// line "ok: …" for each line of the note) or "error: …".
func (s *Server) answer(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(&limited{c, 512}).ReadString('\n')
	if err != nil {
		return
	}
	tok, cmd, _ := strings.Cut(strings.TrimSpace(line), " ")
	reply := "ok"
	switch {
	case subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) != 1:
		s.log.Warn("control: wrong token", "remote", c.RemoteAddr().String())
		reply = "error: wrong token"
	case cmd != CmdReload && cmd != CmdPing:
		reply = fmt.Sprintf("error: unknown command %q", cmd)
	default:
		note, err := s.handler(cmd)
		switch { // one line: a YAML error may span several
		case err != nil:
			reply = "error: " + oneLine(err.Error())
		case note != "":
			var lines []string
			for l := range strings.Lines(note) {
				if l = oneLine(l); l != "" {
					lines = append(lines, "ok: "+l)
				}
			}
			reply = strings.Join(lines, "\n")
		}
	}
	_, _ = fmt.Fprintln(c, reply)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

type limited struct {
	c net.Conn
	n int
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("control line too long")
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	n, err := l.c.Read(p)
	l.n -= n
	return n, err
}

// SendStore is Send to the daemon of the store db, by the control file
// beside it (Path). The file is markd.control whatever the store's name:
// one that names another store (ListenStore), a daemon of another store
// in the same folder, is ErrNotRunning naming that store, and nothing is
// sent (a mistyped --db reloaded that daemon and said it was done).
func SendStore(db, cmd string, timeout time.Duration) (note string, err error) {
	path := Path(db)
	if data, err := os.ReadFile(path); err == nil {
		var f file
		if json.Unmarshal(data, &f) == nil && f.DB != "" && !samePath(f.DB, absPath(db)) {
			return "", mark.WithHint(fmt.Errorf("control file %s is of the daemon of the store %s: %w", path, f.DB, ErrNotRunning),
				"markd reload --db "+quote(f.DB)+" reloads that daemon; check db in the config (or --db)")
		}
	}
	return Send(path, cmd, timeout)
}

// Send sends cmd to the daemon of the control file at path and waits for
// its answer (at most timeout): the daemon's note ("" = none) when it did
// the command, an error wrapping ErrRefused with the daemon's reason when
// it did not.
func Send(path, cmd string, timeout time.Duration) (note string, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", mark.WithHint(fmt.Errorf("no control file %s: %w", path, ErrNotRunning),
			"start markd (markd service start), or give the config of the running daemon with --config")
	}
	if errors.Is(err, fs.ErrPermission) {
		return "", mark.WithHint(fmt.Errorf("control file %s: %w", path, err),
			"run as the daemon's account or as an administrator (root)")
	}
	if err != nil {
		return "", fmt.Errorf("control file %s: %w", path, err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil || f.Addr == "" || f.Token == "" {
		return "", fmt.Errorf("control file %s is damaged: %w", path, mark.ErrInvalid)
	}
	c, err := net.DialTimeout("tcp", f.Addr, timeout)
	if err != nil {
		return "", mark.WithHint(fmt.Errorf("connect to markd at %s: %w: %w", f.Addr, ErrNotRunning, err),
			"the control file is left from a daemon that stopped abnormally; start markd again")
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprintf(c, "%s %s\n", f.Token, cmd); err != nil {
		return "", fmt.Errorf("send to markd: %w", err)
	}
	r := bufio.NewReader(&limited{c, 64 << 10})
	reply, err := r.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("answer of markd: %w", err)
	}
	reply = strings.TrimSpace(reply)
	if reply == "ok" {
		return "", nil
	}
	first, ok := strings.CutPrefix(reply, "ok: ")
	if !ok {
		return "", fmt.Errorf("%s: %w", strings.TrimPrefix(reply, "error: "), ErrRefused)
	}
	lines := []string{first}
	for { // the note's further lines, to the end of the answer
		l, err := r.ReadString('\n')
		if next, ok := strings.CutPrefix(strings.TrimSpace(l), "ok: "); ok {
			lines = append(lines, next)
		}
		if err != nil {
			return strings.Join(lines, "\n"), nil
		}
	}
}
