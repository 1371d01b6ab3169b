package scanner

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"markd/decode"
	"markd/mark"
	"markd/qrdecode"
)

// Camera defaults: 720p is enough for a mark under a counter camera and
// keeps a frame's decode near a millisecond; 10 frames a second is more
// than an operator holding an envelope needs.
const (
	DefaultCameraWidth  = 1280
	DefaultCameraHeight = 720
	DefaultCameraFPS    = 10
	DefaultCameraHold   = 2 * time.Second
	DefaultSnapshotW    = 320
	DefaultSnapshotQ    = 70
	// DefaultStallTimeout allows for a slow RTSP start (probing takes a
	// few seconds) before a silent ffmpeg is taken for a stalled one.
	DefaultStallTimeout = 10 * time.Second
)

// CameraConfig configures a camera source.
type CameraConfig struct {
	FFmpeg          string        // ffmpeg binary, looked up in PATH; default "ffmpeg"
	Input           string        // ffmpeg input: /dev/video0, a file, rtsp://…, a lavfi graph
	Format          string        // ffmpeg -f of the input (v4l2, lavfi, …); "" lets ffmpeg guess
	Realtime        bool          // read the input at its native rate (-re), for file inputs
	Width, Height   int           // frame size the decoder sees (ffmpeg scales)
	FPS             int           // frames per second ffmpeg delivers
	Hold            time.Duration // a code seen again within Hold is reported once, unless the view was clear between (holdFilter)
	SnapshotWidth   int           // max width of the JPEG attached to each scan
	SnapshotQuality int           // JPEG quality 1–100 of that snapshot
	StallTimeout    time.Duration // ffmpeg is restarted after this long without a frame
	Backoff         Backoff       // restart timing after ffmpeg is missing or exits
	Key             string        // the config key of Input, named in the log ("sources[1].input")
}

// CameraStats are the counters of a camera source.
type CameraStats struct {
	Starts        int64  // ffmpeg processes started
	Reconnects    int64  // runs whose frames came after an earlier run's frames ended (camera back)
	Exits         int64  // ffmpeg runs that ended (missing binary or device included)
	FramesRead    int64  // frames read from ffmpeg
	FramesDecoded int64  // frames the decoder looked at
	FramesDropped int64  // frames replaced by a newer one before decoding
	Codes         int64  // scans emitted
	LastExit      string // why the last run ended, in plain words
}

// Camera is a mark.Source reading QR codes from ffmpeg frames.
type Camera struct {
	name string
	cfg  CameraConfig
	log  *slog.Logger
	now  func() time.Time

	mu     sync.Mutex
	health mark.SourceHealth
	stats  CameraStats

	pid atomic.Int64 // pid of the running ffmpeg, 0 when none (tests)

	hadFrames bool // a run delivered frames: frames of a later run are a reconnect

	backoff Backoff // Serve's restart timing (a field for the tests to read)
}

// NewCamera returns a camera source; zero fields of cfg take the defaults.
func NewCamera(name string, cfg CameraConfig, log *slog.Logger, now func() time.Time) *Camera {
	if cfg.FFmpeg == "" {
		cfg.FFmpeg = "ffmpeg"
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		cfg.Width, cfg.Height = DefaultCameraWidth, DefaultCameraHeight
	}
	if cfg.FPS <= 0 {
		cfg.FPS = DefaultCameraFPS
	}
	if cfg.Hold <= 0 {
		cfg.Hold = DefaultCameraHold
	}
	if cfg.SnapshotWidth <= 0 {
		cfg.SnapshotWidth = DefaultSnapshotW
	}
	if cfg.SnapshotQuality <= 0 || cfg.SnapshotQuality > 100 {
		cfg.SnapshotQuality = DefaultSnapshotQ
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Camera{
		name: name, cfg: cfg, now: now,
		log: log.With("subsystem", "camera", "source", name),
		health: mark.SourceHealth{Name: name, Kind: "camera", Since: now(),
			Detail: "not started"},
	}
}

// Name returns the source name.
func (c *Camera) Name() string { return c.name }

// Health reports whether frames are arriving and, if not, why.
func (c *Camera) Health() mark.SourceHealth {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.health
	h.Events = c.sharedStats().events("camera")
	return h
}

// CameraStats returns the frame and restart counters.
func (c *Camera) CameraStats() CameraStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Stats returns the counters shared with the other device sources.
func (c *Camera) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sharedStats()
}

// sharedStats: a reconnect is the camera back after it was lost, not an
// ffmpeg start: a camera left unplugged restarts ffmpeg every second.
func (c *Camera) sharedStats() Stats {
	return Stats{Reconnects: c.stats.Reconnects, FramesDropped: c.stats.FramesDropped}
}

func (c *Camera) setHealth(up bool, detail string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.health.Up != up {
		c.health.Since = c.now()
	}
	c.health.Up = up
	c.health.Detail = detail
}

// Args returns the ffmpeg command line (without the binary) for cfg.
func (cfg CameraConfig) Args() []string {
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin"}
	if cfg.Realtime {
		args = append(args, "-re")
	}
	if cfg.Format != "" {
		args = append(args, "-f", cfg.Format)
	}
	size := strconv.Itoa(cfg.Width) + "x" + strconv.Itoa(cfg.Height)
	return append(args, "-i", cfg.Input, "-an", "-sn",
		"-f", "rawvideo", "-pix_fmt", "gray", "-s", size, "-r", strconv.Itoa(cfg.FPS),
		"pipe:1")
}

// Serve runs ffmpeg, decodes its frames and emits each code once per hold
// time, until ctx ends. A missing ffmpeg or one that exits (camera
// unplugged, stream ended) is reported in Health and restarted with backoff.
func (c *Camera) Serve(ctx context.Context, emit func(mark.Scan)) error {
	hold := newHoldFilter(c.cfg.Hold, c.cfg.FPS)
	dec := qrdecode.NewDecoder()
	c.backoff = c.cfg.Backoff
	b := &c.backoff
	lastDetail := ""
	for {
		if lastDetail == "" {
			// the first start; a retry keeps the reason it is down
			// ("...; retrying") until frames come
			c.setHealth(false, "starting ffmpeg on "+c.cfg.Input)
		}
		c.mu.Lock()
		read := c.stats.FramesRead
		c.mu.Unlock()
		gotFrames, err := c.runOnce(ctx, dec, hold, emit)
		if ctx.Err() != nil {
			c.setHealth(false, "stopped")
			return nil
		}
		detail := exitDetail(err)
		c.mu.Lock()
		c.stats.Exits++
		c.stats.LastExit = detail
		// a run that delivered a second of frames was a working camera; a
		// shorter one (a loose plug, an overloaded IP camera dropping out
		// again and again) neither resets the backoff nor is warned about
		// again for the same reason
		steady := c.stats.FramesRead-read >= int64(max(1, c.cfg.FPS))
		c.mu.Unlock()
		c.setHealth(false, detail+"; retrying")
		// Warn once per new reason: a camera left unplugged overnight must
		// not write a line every second.
		attrs := []any{"input", c.cfg.Input, "detail", detail}
		if c.cfg.Key != "" {
			attrs = append(attrs, "key", c.cfg.Key)
		}
		if errors.Is(err, errNoDevice) {
			attrs = append(attrs, "hint", "plug the camera in; if it is, `markd doctor` lists the cameras this PC sees: set "+
				cmp.Or(c.cfg.Key, "the source's input")+" to one of them")
		}
		switch {
		case gotFrames && (steady || detail != lastDetail):
			c.log.Warn("camera input lost, retrying", attrs...)
		case gotFrames:
			c.log.Debug("camera input lost again", attrs...)
		case detail != lastDetail:
			c.log.Warn("camera not available, retrying", attrs...)
		default:
			c.log.Debug("camera still unavailable", attrs...)
		}
		lastDetail = detail
		if steady {
			b.Reset()
		}
		if !b.Wait(ctx) {
			c.setHealth(false, "stopped")
			return nil
		}
	}
}

// exitGrace is how long ffmpeg may take to exit after closing its output.
const exitGrace = time.Second

// errStalled ends an ffmpeg run that delivered no frame for StallTimeout.
var errStalled = errors.New("no frame from the camera")

// errNoDevice is a camera device path (a v4l2 input, or one under /dev/)
// that does not exist: ffmpeg is not started for it.
var errNoDevice = errors.New("no such device")

// errInputEnded is a run that ended with ffmpeg's exit status 0 yet an
// error printed: ffmpeg ends on a read error of its input as at its end
// (a camera unplugged mid-stream, an IP camera's connection reset), and
// only its last line says why.
var errInputEnded = errors.New("input ended")

// exitDetail says in plain words why an ffmpeg run ended.
func exitDetail(err error) string {
	var ee *exec.ExitError
	switch {
	case errors.Is(err, errStalled):
		return err.Error() + " (stream stalled or camera wedged), ffmpeg restarted"
	case errors.Is(err, errNoDevice):
		return "camera not found: " + err.Error() + " (not plugged in?)"
	case errors.Is(err, errInputEnded):
		return "ffmpeg exited: " + err.Error()
	case errors.Is(err, exec.ErrNotFound):
		return "ffmpeg not found (install the ffmpeg package)"
	case errors.As(err, &ee):
		return "ffmpeg exited: " + err.Error()
	case err == nil:
		return "ffmpeg exited: input ended"
	default:
		return "ffmpeg failed: " + err.Error()
	}
}

// runOnce runs one ffmpeg process until it exits or ctx ends. It reports
// whether any frame arrived.
func (c *Camera) runOnce(ctx context.Context, dec *qrdecode.Decoder, hold *holdFilter, emit func(mark.Scan)) (bool, error) {
	if err := c.checkDevice(); err != nil {
		return false, err
	}
	cmd := exec.CommandContext(ctx, c.cfg.FFmpeg, c.cfg.Args()...)
	// Own process group (Unix) or job (Windows), killed as a whole: no
	// ffmpeg outlives the source.
	group := newProcGroup(cmd)
	cmd.Cancel = group.kill
	cmd.WaitDelay = 2 * time.Second
	stderr := &tailWriter{max: 512}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return false, err
	}
	if err := cmd.Start(); err != nil {
		return false, err
	}
	defer group.close()
	if err := group.started(); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return false, err
	}
	c.pid.Store(int64(cmd.Process.Pid))
	c.mu.Lock()
	c.stats.Starts++
	c.mu.Unlock()

	frameSize := c.cfg.Width * c.cfg.Height
	m := newMailbox(frameSize)
	readErr := make(chan error, 1)
	go func() { readErr <- m.fill(stdout, c) }()

	got, stalled := false, false
	stall := time.NewTimer(c.cfg.StallTimeout)
	defer stall.Stop()
	var runErr error
loop:
	for {
		select {
		case <-m.ready:
			got = c.decodeLatest(m, dec, hold, emit, got)
			stall.Reset(c.cfg.StallTimeout)
		case runErr = <-readErr:
			// ffmpeg closed its output: decode the last frame, if any.
			got = c.decodeLatest(m, dec, hold, emit, got)
			break loop
		case <-stall.C:
			// A stalled RTSP stream or a wedged V4L2 driver keeps ffmpeg
			// alive with no output: kill it, the restart may recover.
			stalled = true
			_ = group.kill()
		}
	}
	// ffmpeg closed its output: let it finish on its own for a moment (its
	// exit status says why it ended), then kill what is left of the group.
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-waited:
	case <-time.After(exitGrace):
		_ = group.kill()
		werr = <-waited
	}
	_ = group.kill() // children of ffmpeg, if any
	c.pid.Store(0)
	if stalled {
		return got, fmt.Errorf("%w for %v", errStalled, c.cfg.StallTimeout)
	}
	if werr != nil && stderr.String() != "" {
		werr = fmt.Errorf("%w: %s", werr, stderr.String())
	}
	if errors.Is(runErr, io.EOF) || errors.Is(runErr, io.ErrUnexpectedEOF) {
		runErr = nil // end of output (a partial last frame included): ffmpeg ended
	}
	if werr != nil {
		return got, werr
	}
	if runErr == nil && stderr.String() != "" {
		return got, fmt.Errorf("%w: %s", errInputEnded, stderr.String())
	}
	return got, runErr
}

// checkDevice refuses a camera device that is not there, before ffmpeg
// is started for it: a camera left unplugged would otherwise start an
// ffmpeg a second, and ffmpeg's complaint does not say "unplugged".
func (c *Camera) checkDevice() error {
	if c.cfg.Format != "v4l2" && !strings.HasPrefix(c.cfg.Input, "/dev/") {
		return nil // a file, a stream, a lavfi graph, a DirectShow name
	}
	if _, err := os.Stat(c.cfg.Input); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w %s", errNoDevice, c.cfg.Input)
	}
	return nil // other errors (permissions) are ffmpeg's to tell
}

// decodeLatest decodes the newest frame of m, if there is one, and emits
// the codes the hold filter lets through. It returns got, set once a frame
// was seen.
func (c *Camera) decodeLatest(m *mailbox, dec *qrdecode.Decoder, hold *holdFilter, emit func(mark.Scan), got bool) bool {
	buf := m.take()
	if buf == nil {
		return got
	}
	defer m.release(buf)
	if !got {
		c.setHealth(true, "receiving frames from "+c.cfg.Input)
		c.mu.Lock()
		if c.hadFrames {
			c.stats.Reconnects++
		}
		c.hadFrames = true
		c.mu.Unlock()
	}
	frame := qrdecode.Gray{Pix: buf, W: c.cfg.Width, H: c.cfg.Height}
	codes := dec.Decode(frame)
	hold.frame(len(codes) > 0 || dec.CodeInView())
	now := c.now()
	c.mu.Lock()
	c.stats.FramesDecoded++
	c.mu.Unlock()
	var snap []byte
	for _, text := range codes {
		// A code can hold more than a mark: white space around it does
		// not count against the 4 KiB limit (MARK-FORMAT §1), so the
		// scan carries the mark alone (decode.Fit).
		text = decode.Fit(text)
		if !hold.pass(text, now) {
			continue
		}
		if snap == nil {
			var err error
			if snap, err = Snapshot(frame, c.cfg.SnapshotWidth, c.cfg.SnapshotQuality); err != nil {
				c.log.Error("camera snapshot", "err", err)
			}
		}
		c.mu.Lock()
		c.stats.Codes++
		c.health.Scans++
		c.mu.Unlock()
		emit(mark.Scan{Text: text, Source: c.name, At: now, Frame: snap})
	}
	hold.prune(now)
	return true
}

// mailbox hands the newest frame from the reader to the decoder. It holds
// at most one waiting frame: a frame that arrives before the previous one
// was taken replaces it (counted as dropped), so the decoder never works
// through a queue of stale frames. Three buffers circulate: one being
// filled, one waiting, one being decoded.
type mailbox struct {
	ready  chan struct{} // signalled when a frame is waiting
	free   chan []byte
	mu     sync.Mutex
	latest []byte
}

func newMailbox(frameSize int) *mailbox {
	m := &mailbox{ready: make(chan struct{}, 1), free: make(chan []byte, 3)}
	for range 3 {
		m.free <- make([]byte, frameSize)
	}
	return m
}

// fill reads whole frames from r until it fails.
func (m *mailbox) fill(r io.Reader, c *Camera) error {
	for {
		buf := <-m.free
		if _, err := io.ReadFull(r, buf); err != nil {
			m.free <- buf
			return err
		}
		m.mu.Lock()
		old := m.latest
		m.latest = buf
		m.mu.Unlock()
		c.mu.Lock()
		c.stats.FramesRead++
		if old != nil {
			c.stats.FramesDropped++
		}
		c.mu.Unlock()
		if old != nil {
			m.free <- old
		}
		select {
		case m.ready <- struct{}{}:
		default:
		}
	}
}

func (m *mailbox) take() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.latest
	m.latest = nil
	return b
}

func (m *mailbox) release(b []byte) { m.free <- b }

// ffmpegAddr is the address of a component in ffmpeg's log prefix.
var ffmpegAddr = regexp.MustCompile(` @ 0x[0-9a-f]+\]`)

// tailWriter keeps the last max bytes written (ffmpeg's last error lines).
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > w.max {
		w.buf = w.buf[len(w.buf)-w.max:]
	}
	return len(p), nil
}

// String returns the last non-empty line written, passing over ffmpeg's
// "Last message repeated N times", which follows the line that says why,
// and without the addresses in ffmpeg's "[mjpeg @ 0x5605f6642ac0]": they
// differ from run to run, so the same reason would read as a new one at
// each retry (warned again) and mean nothing to an operator.
func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	end := len(w.buf)
	for {
		for end > 0 && (w.buf[end-1] == '\n' || w.buf[end-1] == '\r') {
			end--
		}
		start := end
		for start > 0 && w.buf[start-1] != '\n' {
			start--
		}
		line := w.buf[start:end]
		if start == 0 || !bytes.HasPrefix(bytes.TrimSpace(line), []byte("Last message repeated")) {
			return ffmpegAddr.ReplaceAllString(string(line), "]")
		}
		end = start
	}
}
