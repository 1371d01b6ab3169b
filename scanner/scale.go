package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/tarm/serial"

	"markd/mark"
)

// DefaultScalePattern matches the stable gross weight line most postal
// scales send in continuous mode ("ST,GS,   0.125kg"); an unstable
// reading ("US,GS,…") does not match and is ignored.
const DefaultScalePattern = `^ST,GS,\s*([0-9.]+)\s*kg`

// DefaultScaleMaxAge is how long a stable weight stays attached to scans
// when the scale sends nothing newer (scales in "send on stable" mode send
// one line per item).
const DefaultScaleMaxAge = 30 * time.Second

// maxScaleGrams bounds a plausible reading (a counter scale weighs up to
// some tens of kilograms); a larger number is a misread line.
const maxScaleGrams = 1_000_000

// ScaleConfig configures a postal scale on a serial port.
type ScaleConfig struct {
	Port string // path or glob, as for a serial scanner
	Baud int    // default 9600
	// Pattern is a regular expression a stable weight line must match.
	// Its first group (or the group named "weight") is the number, with
	// a decimal point or comma. The unit is the group named "unit" if the
	// pattern has one, else the letters right after the number in the
	// line: kg or g (кг, г), any case. Default DefaultScalePattern.
	Pattern string
	// Unit forces the unit of the number: "kg" or "g". "" takes it from
	// the line as described for Pattern.
	Unit   string
	MaxAge time.Duration // Weight forgets an older reading; default DefaultScaleMaxAge
	Poll   time.Duration // read wait; default DefaultSerialPoll
}

// ScaleParser turns scale lines into grams with one pattern.
type ScaleParser struct {
	re      *regexp.Regexp
	force   string // "kg" or "g": the unit of every number; "" from the line
	num     int    // submatch index of the number
	unit    int    // submatch index of the unit, -1: the letters after the number
	pattern string
}

// NewScaleParser compiles a weight pattern ("" is DefaultScalePattern).
// unit is "kg" or "g" to force the unit of the number, "" to read it from
// the line. The error wraps mark.ErrInvalid and says what is wrong.
func NewScaleParser(pattern, unit string) (*ScaleParser, error) {
	if pattern == "" {
		pattern = DefaultScalePattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("scale pattern %q: %w: %v", pattern, mark.ErrInvalid, err)
	}
	if re.NumSubexp() == 0 {
		return nil, fmt.Errorf("scale pattern %q has no group: put the number in parentheses, as in %s: %w", pattern, DefaultScalePattern, mark.ErrInvalid)
	}
	switch unit {
	case "", "kg", "g":
	default:
		return nil, fmt.Errorf("scale unit %q: must be kg, g or \"\" (from the line): %w", unit, mark.ErrInvalid)
	}
	p := &ScaleParser{re: re, num: 1, unit: -1, pattern: pattern, force: unit}
	if i := re.SubexpIndex("weight"); i > 0 {
		p.num = i
	}
	if i := re.SubexpIndex("unit"); i > 0 {
		p.unit = i
	}
	if p.num == p.unit {
		return nil, fmt.Errorf("scale pattern %q: the first group is the unit; name the number's group (?P<weight>…): %w", pattern, mark.ErrInvalid)
	}
	return p, nil
}

// Errors of Parse, for the log and the tests.
var (
	ErrScaleNoMatch = errors.New("not a stable weight line")
	ErrScaleNumber  = errors.New("weight is not a number")
	ErrScaleUnit    = errors.New("weight has no unit kg or g")
)

// Parse returns the weight of one line in grams, a fraction of a gram
// rounded up: a reading above a mark's whole-gram weight_g by any part of
// a gram stays above it (MARK-FORMAT §4: a measured weight above weight_g
// is OVERWEIGHT). A line the pattern does not match is ErrScaleNoMatch (unstable
// readings, status lines); a negative reading counts as 0 (tare drift).
func (p *ScaleParser) Parse(line string) (int, error) {
	m := p.re.FindStringSubmatchIndex(line)
	if m == nil || m[2*p.num] < 0 {
		return 0, ErrScaleNoMatch
	}
	num := line[m[2*p.num]:m[2*p.num+1]]
	unit := p.force
	switch {
	case unit != "":
	case p.unit > 0 && m[2*p.unit] >= 0:
		unit = line[m[2*p.unit]:m[2*p.unit+1]]
	default:
		unit = unitAfter(line[m[2*p.num+1]:])
	}
	var scale int64 // grams per unit
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "kg", "кг":
		scale = 1000
	case "g", "г":
		scale = 1
	default:
		return 0, fmt.Errorf("%w: %q", ErrScaleUnit, unit)
	}
	g, ok := decimalTimes(num, scale)
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrScaleNumber, num)
	}
	if g > maxScaleGrams {
		return 0, fmt.Errorf("%w: %q is over %d g", ErrScaleNumber, num, maxScaleGrams)
	}
	return int(max(g, 0)), nil
}

// unitAfter returns the letters after the number, spaces skipped.
func unitAfter(s string) string {
	s = strings.TrimLeft(s, " \t")
	end := 0
	for i, r := range s {
		if !unicode.IsLetter(r) {
			break
		}
		end = i + len(string(r))
	}
	return s[:end]
}

// decimalTimes reads a decimal number with a point or comma ("0.125",
// "1,5", "-0.002", "20") and returns its magnitude times scale rounded
// up to a whole number, with its sign, without floating point.
func decimalTimes(s string, scale int64) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, _ := strings.Cut(strings.ReplaceAll(s, ",", "."), ".")
	if whole == "" && frac == "" || len(whole) > 9 || strings.ContainsAny(frac, ".") {
		return 0, false
	}
	var w int64
	if whole != "" {
		n, err := strconv.ParseUint(whole, 10, 32)
		if err != nil {
			return 0, false
		}
		w = int64(n)
	}
	v := w * scale
	rest := "" // digits past the 9th: far below a gram, but not zero is more
	if len(frac) > 9 {
		frac, rest = frac[:9], frac[9:]
	}
	if frac != "" {
		f, err := strconv.ParseUint(frac, 10, 32)
		if err != nil || strings.Trim(rest, "0123456789") != "" {
			return 0, false
		}
		if strings.Trim(rest, "0") != "" {
			f++
		}
		d := pow10(len(frac))
		v += (int64(f)*scale + d - 1) / d
	}
	if neg {
		v = -v
	}
	return v, true
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// Scale reads a postal scale on a serial port and keeps its last stable
// weight, for the pipeline to attach to the next scan (MARK-FORMAT §4:
// a measured weight above the mark's is OVERWEIGHT). It survives unplug
// like the serial scanner source and reports its health the same way.
type Scale struct {
	device
	cfg    ScaleConfig
	parser *ScaleParser

	wmu     sync.Mutex
	grams   int
	at      time.Time
	ok      bool
	badUnit bool // logged once per connection
}

// NewScale returns a scale; the pattern is checked here and the port is
// opened by Serve.
func NewScale(name string, cfg ScaleConfig, log *slog.Logger, now func() time.Time) (*Scale, error) {
	p, err := NewScaleParser(cfg.Pattern, cfg.Unit)
	if err != nil {
		return nil, fmt.Errorf("scale %s: %w", name, err)
	}
	if cfg.Baud == 0 {
		cfg.Baud = 9600
	}
	if !bauds[cfg.Baud] {
		return nil, fmt.Errorf("scale %s: baud %d is not a standard rate: %w", name, cfg.Baud, mark.ErrInvalid)
	}
	if cfg.Port == "" {
		return nil, fmt.Errorf("scale %s: no port: %w", name, mark.ErrInvalid)
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultScaleMaxAge
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultSerialPoll
	}
	s := &Scale{cfg: cfg, parser: p}
	s.init(name, "scale", log, now)
	return s, nil
}

// Last returns the last stable weight in grams and when it was read; ok
// is false until the scale sent one.
func (s *Scale) Last() (grams int, at time.Time, ok bool) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.grams, s.at, s.ok
}

// Weight is the weight to attach to a scan now: the last stable weight
// when it is at most MaxAge old, else 0 (unknown). An empty scale reads 0
// too. It fits pipeline.Options.Weight.
func (s *Scale) Weight() int {
	g, at, ok := s.Last()
	if !ok || s.now().Sub(at) > s.cfg.MaxAge {
		return 0
	}
	return g
}

// Serve reads the scale until ctx ends, reconnecting as needed.
func (s *Scale) Serve(ctx context.Context) error {
	s.serve(ctx, reconnect{
		pattern: s.cfg.Port, group: "dialout", what: "scale", key: "port",
		attrs: []any{"pattern", s.parser.pattern},
		open: func(path string) (func(context.Context, *Backoff) error, func() error, error) {
			p, err := openPort(&serial.Config{Name: path, Baud: s.cfg.Baud, ReadTimeout: s.cfg.Poll})
			if err != nil {
				return nil, nil, withPath("open", path, err)
			}
			id, err := statDev(path)
			if err != nil {
				p.Close()
				return nil, nil, withPath("open", path, err)
			}
			read := func(ctx context.Context, bo *Backoff) error { return s.readLoop(ctx, p, path, id, bo) }
			return read, p.Close, nil
		},
	})
	return nil
}

// readLoop reads one connection; see Serial.readLoop for why a read
// that returns (0, io.EOF) is checked with deviceGone.
func (s *Scale) readLoop(ctx context.Context, p io.ReadWriter, path string, id devID, bo *Backoff) error {
	s.wmu.Lock()
	s.badUnit = false
	s.wmu.Unlock()
	fr := NewFramer(nil, 256, 0)
	fr.RawLimit = true // a reading is no mark: 256 bytes, white space included
	handle := func(f Frame) {
		if f.Kind == FrameLine && f.N == 0 { // a line over 256 bytes (cut: N set) is no reading
			s.line(f.Text)
		}
	}
	return pumpFrames(ctx, p, path, id, bo, fr, 512, s.now, handle)
}

// line takes one line from the scale.
func (s *Scale) line(text string) {
	g, err := s.parser.Parse(text)
	switch {
	case err == nil:
		at := s.now()
		s.wmu.Lock()
		s.grams, s.at, s.ok = g, at, true
		s.wmu.Unlock()
		s.mu.Lock()
		s.health.Scans++
		s.mu.Unlock()
	case errors.Is(err, ErrScaleNoMatch):
		// unstable readings and status lines: the normal case between items
	default:
		s.wmu.Lock()
		first := !s.badUnit
		s.badUnit = true
		s.wmu.Unlock()
		if first {
			s.log.Warn("scale line matches the pattern but gives no weight; check scale.pattern", "line", text, "err", err)
		}
	}
}

// ScaleProbe is what ProbeScale saw on the port.
type ScaleProbe struct {
	Path    string // the port opened
	Lines   int    // lines received
	Last    string // the last line received
	Matched bool   // a line gave a weight
	Grams   int    // that weight
	Err     error  // why the last matching-looking line gave none (unit, number)
}

// ProbeScale opens the scale's port once and reads until a line gives a
// weight or wait passes, for markd doctor: is the scale there, does it
// send, and does scale.pattern read its lines? The error is the open's.
func ProbeScale(ctx context.Context, cfg ScaleConfig, wait time.Duration) (ScaleProbe, error) {
	parser, err := NewScaleParser(cfg.Pattern, cfg.Unit)
	if err != nil {
		return ScaleProbe{}, err
	}
	if cfg.Baud == 0 {
		cfg.Baud = 9600
	}
	path, err := ResolvePort(cfg.Port)
	if err != nil {
		return ScaleProbe{}, err
	}
	pr := ScaleProbe{Path: path}
	p, err := serial.OpenPort(&serial.Config{Name: path, Baud: cfg.Baud, ReadTimeout: DefaultSerialPoll})
	if err != nil {
		return pr, err
	}
	defer p.Close()
	if _, err := p.Write(nil); err != nil { // a UART with nothing behind it
		return pr, err
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	fr := NewFramer(nil, 256, 0)
	fr.RawLimit = true // a reading is no mark: 256 bytes, white space included
	handle := func(f Frame) {
		if f.Kind != FrameLine || f.N > 0 || pr.Matched { // cut at 256 bytes: no reading
			return
		}
		pr.Lines++
		pr.Last = f.Text
		g, err := parser.Parse(f.Text)
		switch {
		case err == nil:
			pr.Matched, pr.Grams, pr.Err = true, g, nil
		case !errors.Is(err, ErrScaleNoMatch):
			pr.Err = err
		}
	}
	buf := make([]byte, 512)
	for ctx.Err() == nil && !pr.Matched {
		n, err := p.Read(buf)
		if n > 0 {
			fr.Feed(buf[:n], time.Now(), handle)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return pr, err
		}
	}
	return pr, nil
}
