package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tarm/serial"

	"markd/mark"
)

// DefaultSerialPoll is how long one read of the port waits for a byte. It
// is also how often the source notices ctx ending or a partial line going
// idle. tarm/serial cannot wait less than 100 ms (VTIME is in deciseconds).
const DefaultSerialPoll = 100 * time.Millisecond

// DetailUnplugged is the health detail while the scanner is away.
const DetailUnplugged = "scanner unplugged, retrying"

// SerialConfig configures one serial scanner.
type SerialConfig struct {
	Port       string        // path or glob; the first match in sorted order is used
	Baud       int           // default 9600
	Parity     string        // none (default), odd, even
	DataBits   int           // 7 or 8 (0: 8)
	Terminator []byte        // nil: CR or LF (see Framer)
	MaxLine    int           // default DefaultMaxLine
	Idle       time.Duration // default DefaultIdle
	GoodBeep   []byte        // sent after an ACCEPT verdict, if set
	BadBeep    []byte        // sent after any other verdict, if set
	Poll       time.Duration // read wait; default DefaultSerialPoll
	// Place, when set, is where the read loop's thread runs: each scan is
	// judged and committed on that thread, and the daemon gives the CPUs
	// that take the store disk's completion interrupts (internal/irqcpu).
	// A line from a serial port reaches the reader through a kernel worker
	// on any CPU, and a commit made on a CPU without the interrupt is woken
	// across CPUs (docs/notes/perf.md, "P1, eighth stop"). Linux only;
	// elsewhere ignored.
	Place *Placement
}

var bauds = map[int]bool{
	1200: true, 2400: true, 4800: true, 9600: true, 19200: true, 38400: true,
	57600: true, 115200: true, 230400: true, 460800: true, 921600: true,
}

// Serial is a source reading a serial scanner (USB CDC-ACM or RS-232)
// through github.com/tarm/serial. It survives unplug: it reports the
// device gone, retries with Backoff and reads again once it is back.
//
// Two defects of tarm/serial shape the read loop. Without ReadTimeout a
// Read blocks in the kernel until a byte arrives (tarm clears O_NONBLOCK
// behind Go's poller, which therefore cannot interrupt it), and Close waits
// for that Read: forever on a quiet or vanished scanner (pinned down by
// TestTarmBlockingReadHoldsPort). So the port is opened with ReadTimeout
// (VMIN=0, VTIME=Poll) and read in a loop that checks ctx between reads;
// Close is only called after the loop left Read. With ReadTimeout, an idle read
// returns (0, io.EOF) - exactly what a hung-up (unplugged) tty returns.
// On every such read the source checks the device: a zero-byte write to a
// hung-up tty fails with EIO, and a stat of the path fails (node removed)
// or names another device (replugged under the same name).
type Serial struct {
	device
	cfg SerialConfig
	fb  chan []byte
}

// NewSerial returns a serial source; the port is opened by Serve.
func NewSerial(name string, cfg SerialConfig, log *slog.Logger, now func() time.Time) *Serial {
	if cfg.Baud == 0 {
		cfg.Baud = 9600
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultSerialPoll
	}
	s := &Serial{cfg: cfg, fb: make(chan []byte, 4)}
	s.init(name, "serial", log, now)
	return s
}

// Feedback queues the configured good or bad beep for the scanner. It never
// blocks: with the port away or the queue full the beep is skipped.
func (s *Serial) Feedback(v mark.Verdict) {
	b := s.cfg.BadBeep
	if v == mark.Accept {
		b = s.cfg.GoodBeep
	}
	if len(b) == 0 {
		return
	}
	select {
	case s.fb <- b:
	default:
	}
}

// Serve reads the scanner until ctx ends, reconnecting as needed. It
// returns an error only for a configuration it can never open.
func (s *Serial) Serve(ctx context.Context, emit func(mark.Scan)) error {
	if _, err := s.cfg.PortConfig(s.cfg.Port); err != nil {
		return fmt.Errorf("source %s: %w", s.name, err)
	}
	if !bauds[s.cfg.Baud] {
		return fmt.Errorf("source %s: baud %d is not a standard rate: %w", s.name, s.cfg.Baud, mark.ErrInvalid)
	}
	s.serve(ctx, reconnect{
		pattern: s.cfg.Port, group: "dialout", what: "scanner", key: "port",
		open: func(path string) (func(context.Context, *Backoff) error, func() error, error) {
			p, id, err := s.open(path)
			if err != nil {
				return nil, nil, err
			}
			read := func(ctx context.Context, bo *Backoff) error { return s.readLoop(ctx, p, path, id, bo, emit) }
			return read, p.Close, nil
		},
	})
	return nil
}

func (s *Serial) open(path string) (io.ReadWriteCloser, devID, error) {
	pc, err := s.cfg.PortConfig(path)
	if err != nil {
		return nil, devID{}, err
	}
	p, err := openPort(pc)
	if err != nil {
		return nil, devID{}, withPath("open", path, err)
	}
	id, err := statDev(path)
	if err != nil {
		p.Close()
		return nil, devID{}, withPath("open", path, err)
	}
	return p, id, nil
}

// readLoop reads one connection until ctx ends or the device goes away.
// The backoff restarts from its minimum only once bytes arrive, so a
// device that opens and fails at once is reopened with a growing wait (device.serve).
func (s *Serial) readLoop(ctx context.Context, p io.ReadWriter, path string, id devID, bo *Backoff, emit func(mark.Scan)) error {
	// Beeps asked for while the port was away (or left unsent when it went)
	// are stale: sent now they would sound like the verdict of the next scan.
	for stale := true; stale; {
		select {
		case <-s.fb:
		default:
			stale = false
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // beeps: written beside the reads, never blocking them
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case b := <-s.fb:
				if _, err := p.Write(b); err != nil {
					s.log.Debug("feedback write", "err", err)
				}
			}
		}
	}()
	defer func() { close(done); wg.Wait() }()

	at := s.cfg.Place.enter(s.log)
	defer at.leave()
	fr := NewFramer(s.cfg.Terminator, s.cfg.MaxLine, s.cfg.Idle)
	handle := func(f Frame) {
		switch f.Kind {
		case FrameLine:
			at.follow()
			emit(s.scanned(f, fr.MaxLine))
		case FrameIdle:
			s.count(func(st *Stats) { st.DroppedIdle++ })
			s.log.Warn("partial line without terminator dropped; check the scanner's suffix setting", "bytes", f.N, "idle", fr.Idle)
		}
	}
	err := pumpFrames(ctx, p, path, id, bo, fr, 4096, s.now, handle)
	if err != nil && fr.Partial() {
		// The code being read when the scanner went away is lost: the
		// operator scans that letter again.
		s.count(func(st *Stats) { st.DroppedIdle++ })
		s.log.Warn("partial line lost when the scanner went away; scan that letter again", "bytes", fr.Held())
	}
	return err
}

// pumpFrames reads port p into the framer until ctx ends or the device
// fails or goes (serial scanners and the scale): each read resets the
// reconnect backoff, and lines left unfinished too long expire.
func pumpFrames(ctx context.Context, p io.ReadWriter, path string, id devID, bo *Backoff, fr *Framer,
	bufSize int, now func() time.Time, handle func(Frame)) error {
	if in, ok := p.(interface{ Interrupt() }); ok { // a read under way ends with ctx (ttyPort)
		stop := context.AfterFunc(ctx, in.Interrupt)
		defer stop()
	}
	buf := make([]byte, bufSize)
	for ctx.Err() == nil {
		n, err := p.Read(buf)
		at := now()
		if n > 0 {
			bo.Reset()
			fr.Feed(buf[:n], at, handle)
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF) && n == 0:
			// Idle timeout or hangup: tarm/serial says the same for both.
			if gerr := deviceGone(p, path, id); gerr != nil {
				return gerr
			}
		default:
			return withPath("read", path, err)
		}
		fr.Expire(at, handle)
	}
	return nil
}

// withPath wraps err as "op path: err", unless err already names path
// (an *fs.PathError of the open, stat or read itself), so that the log
// names the port once.
func withPath(op, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}

// devID identifies the device node a path led to when it was opened
// (statDev, per OS).
type devID struct{ rdev, ino uint64 }

// errHungUp is the cause reported when the tty was hung up under us.
var errHungUp = errors.New("device hung up")

// deviceGone tells an idle read from a vanished device: a hung-up tty
// fails even a zero-byte write (EIO), and an unplugged USB device loses its
// node (or the name now leads to another device).
func deviceGone(p io.Writer, path string, id devID) error {
	if _, err := p.Write(nil); err != nil {
		return fmt.Errorf("%w: %w", errHungUp, err)
	}
	now, err := statDev(path)
	if err != nil {
		return fmt.Errorf("device node: %w", err)
	}
	if now != id {
		return fmt.Errorf("%s now leads to another device: %w", path, errHungUp)
	}
	return nil
}

// ResolvePort expands a glob (e.g. /dev/serial/by-id/*) to its first match
// in sorted order; a plain path is returned as is. No match is reported as
// fs.ErrNotExist, like an unplugged device.
func ResolvePort(pattern string) (string, error) {
	if !hasMeta(pattern) {
		return pattern, nil
	}
	m, err := filepath.Glob(pattern)
	if err != nil {
		return "", fmt.Errorf("port pattern %q: %w", pattern, mark.ErrInvalid)
	}
	if len(m) == 0 {
		return "", fmt.Errorf("no device matches %s: %w", pattern, fs.ErrNotExist)
	}
	sort.Strings(m)
	return m[0], nil
}

func hasMeta(s string) bool {
	for _, c := range s {
		if strings.ContainsRune(globMeta, c) {
			return true
		}
	}
	return false
}

// PortConfig is the tarm/serial configuration that opens the port at path
// as c says (markd doctor opens it the same way): parity, data bits (8,
// or 7 for a scanner set to 7E1 or 7O1), baud and the read wait.
func (c SerialConfig) PortConfig(path string) (*serial.Config, error) {
	parity, err := serialParity(c.Parity)
	if err != nil {
		return nil, err
	}
	size := byte(8)
	switch c.DataBits {
	case 0, 8:
	case 7:
		size = 7
	default:
		return nil, fmt.Errorf("data bits %d: must be 7 or 8: %w", c.DataBits, mark.ErrInvalid)
	}
	poll := c.Poll
	if poll == 0 {
		poll = DefaultSerialPoll
	}
	return &serial.Config{Name: path, Baud: c.Baud, Parity: parity, Size: size, ReadTimeout: poll}, nil
}

func serialParity(s string) (serial.Parity, error) {
	switch s {
	case "", "none":
		return serial.ParityNone, nil
	case "odd":
		return serial.ParityOdd, nil
	case "even":
		return serial.ParityEven, nil
	}
	return 0, fmt.Errorf("parity %q: must be none, odd or even: %w", s, mark.ErrInvalid)
}

// PlainDeviceError says in plain words what is wrong with a device, for the
// health detail and markd doctor. group is the Unix group that grants
// access to this kind of device (dialout, input, video).
func PlainDeviceError(err error, group string) string {
	var errno syscall.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.ENODEV):
		return "not plugged in (no such device)"
	case errors.Is(err, fs.ErrPermission):
		return permissionAdvice(group)
	case errors.Is(err, syscall.EBUSY):
		return "in use by another program (is markd already running?)"
	case errors.Is(err, syscall.EIO), errors.Is(err, errHungUp):
		return "the device does not answer (no hardware behind the port?)"
	case errors.Is(err, mark.ErrInvalid):
		return "configuration: " + err.Error()
	case errors.Is(err, syscall.ENOTTY):
		return "not a serial device (wrong path?)"
	case errors.As(err, &errno):
		return "cannot open: " + errno.Error()
	}
	return "cannot open: " + err.Error()
}
