// Package connlimit caps the connections one remote address holds open
// at once on a listener: the collector's max_conns_per_addr and the
// counter's http.max_conns_per_addr.
package connlimit

import (
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Options say what a refusal is counted in and logged as.
type Options struct {
	Log     *slog.Logger       // a refusal logged at WARN at most once a minute
	Refused prometheus.Counter // counts every connection closed at accept
	// Key is the config key of the cap, named in the log line
	// ("max_conns_per_addr").
	Key string
	// Hint is the log line's hint ("" = none).
	Hint string
}

// Wrap caps the connections of ln open at once per remote IP address at
// max: a connection past it is closed at accept (the client sees it
// reset or closed before any answer), counted in o.Refused and logged at
// most once a minute. max <= 0: ln as it is.
func Wrap(ln net.Listener, max int, o Options) net.Listener {
	if max <= 0 {
		return ln
	}
	return &connLimit{Listener: ln, max: max, open: map[string]int{}, o: o}
}

type connLimit struct {
	net.Listener
	max int
	o   Options

	mu       sync.Mutex
	open     map[string]int
	lastLog  time.Time
	unlogged int // refusals since the last log line
}

func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := RemoteHost(c.RemoteAddr())
		l.mu.Lock()
		if l.open[host] >= l.max {
			l.unlogged++
			var n int
			if now := time.Now(); now.Sub(l.lastLog) >= time.Minute {
				n, l.unlogged, l.lastLog = l.unlogged, 0, now
			}
			l.mu.Unlock()
			// counted before the close: the client sees the close and
			// may read the counter at once (TestLimitConns)
			l.o.Refused.Inc()
			c.Close()
			if n > 0 {
				args := []any{"remote", host, l.o.Key, l.max, "refused_since_last_line", n}
				if l.o.Hint != "" {
					args = append(args, "hint", l.o.Hint)
				}
				l.o.Log.Warn("connections refused: the address holds "+l.o.Key+" open", args...)
			}
			continue
		}
		l.open[host]++
		l.mu.Unlock()
		return &limitedConn{Conn: c, l: l, host: host}, nil
	}
}

func (l *connLimit) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[host]--; l.open[host] <= 0 {
		delete(l.open, host)
	}
}

// RemoteHost is the IP of addr without the port (the whole address when
// it has none).
func RemoteHost(addr net.Addr) string {
	if host, _, err := net.SplitHostPort(addr.String()); err == nil {
		return host
	}
	return addr.String()
}

// limitedConn gives its place back when closed (once, however often
// Close is called).
type limitedConn struct {
	net.Conn
	l    *connLimit
	host string
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.host) })
	return err
}
