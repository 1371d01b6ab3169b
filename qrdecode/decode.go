package qrdecode

import (
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Binarizer selects gozxing's thresholding.
type Binarizer int

// The two gozxing binarisers: Hybrid thresholds 8×8 blocks against their
// neighbourhood (good for uneven light), Global uses one histogram valley
// per row (better for faint, evenly lit codes).
const (
	Hybrid Binarizer = iota
	Global
)

// Decoder decodes QR codes from gray frames. It keeps scratch buffers
// between calls, so one Decoder must not be used by two goroutines at once.
type Decoder struct {
	reader gozxing.Reader
	hard   map[gozxing.DecodeHintType]any // TRY_HARDER: every row scanned for finder patterns
	fast   map[gozxing.DecodeHintType]any
	// pure reads the region as a code seen square-on (PURE_BARCODE): the
	// finder-pattern detector misjudges about 1 in 150 clean, printed-size
	// codes (a wrong dimension, then a Reed-Solomon failure) that this
	// reads at once.
	pure map[gozxing.DecodeHintType]any
	bufs [4][]byte
	// finders is the scratch memory of the camera mode's cheap rejection
	// (finder.go): a region without finder patterns is not decoded.
	finders finderScratch
	blocks  blockExtremes // the region search's, shared with the finder scan
	// around and aroundBlocks are decodeAround's copy of a box of the
	// frame and its region search's measure.
	around       []byte
	aroundBlocks blockExtremes
	deblur       deblurScratch
	grid         gridScratch
	// attempts counts gozxing decode attempts (the tests check that a frame
	// without a code costs none).
	attempts int
	// Thorough makes Decode try every step on every candidate region,
	// motion deblurring and a whole-frame attempt too: for files (`markd
	// decode`), where a few more milliseconds do not matter. The camera
	// leaves it off: a frame that fails is followed by the next one.
	Thorough bool
	turn     int // the expensive step the camera mode tries next
	blurTurn int // the deblurring direction and length it tries next
	// phaseMeshes counts the grid sampling's phase meshes (gridphase.go)
	// in this Decode: the camera mode allows one a frame, to the finder
	// triple phaseTurn picks.
	phaseMeshes, phaseTurn int
	// looseTurn picks the grid sampling's third-look triple the camera
	// mode reads in this frame, in turn from the best (gridscan.go).
	looseTurn int
	// codeLike is set by Decode when a region of the frame looked like a
	// code (passed the camera mode's gate), read or not: see CodeInView.
	codeLike bool
	// Trace, when set, is called with the name of the step that decoded a
	// frame ("" when none did); the tests and the benchmark use it.
	Trace func(step string)
}

// NewDecoder returns a Decoder for QR codes.
func NewDecoder() *Decoder {
	qr := []gozxing.BarcodeFormat{gozxing.BarcodeFormat_QR_CODE}
	return &Decoder{
		reader: qrcode.NewQRCodeReader(),
		hard: map[gozxing.DecodeHintType]any{
			gozxing.DecodeHintType_TRY_HARDER:       true,
			gozxing.DecodeHintType_POSSIBLE_FORMATS: qr,
		},
		fast: map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_POSSIBLE_FORMATS: qr},
		pure: map[gozxing.DecodeHintType]any{
			gozxing.DecodeHintType_PURE_BARCODE:     true,
			gozxing.DecodeHintType_POSSIBLE_FORMATS: qr,
		},
	}
}

// Try runs one gozxing attempt (TRY_HARDER) on g with binariser b and
// returns the text found, or "".
func (d *Decoder) Try(g Gray, b Binarizer) string { return d.try(g, b, true) }

// try is Try with or without the TRY_HARDER hint. The camera mode's cheap
// steps go without: on the test sets it decodes the same frames, 10–30 %
// faster.
func (d *Decoder) try(g Gray, b Binarizer, hard bool) string {
	if !g.valid() {
		return ""
	}
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.Pix, g.W, g.H, 0, 0, g.W, g.H, false)
	if err != nil {
		return ""
	}
	var bin gozxing.Binarizer
	if b == Global {
		bin = gozxing.NewGlobalHistgramBinarizer(src)
	} else {
		bin = gozxing.NewHybridBinarizer(src)
	}
	bmp, err := gozxing.NewBinaryBitmap(bin)
	if err != nil {
		return ""
	}
	hints := d.fast
	if hard {
		hints = d.hard
	}
	return d.read(bmp, hints)
}

// tryPure is one PURE_BARCODE attempt on g (see Decoder.pure).
func (d *Decoder) tryPure(g Gray) string {
	if !g.valid() {
		return ""
	}
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.Pix, g.W, g.H, 0, 0, g.W, g.H, false)
	if err != nil {
		return ""
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return ""
	}
	return d.read(bmp, d.pure)
}

func (d *Decoder) read(bmp *gozxing.BinaryBitmap, hints map[gozxing.DecodeHintType]any) string {
	d.attempts++
	res, err := d.reader.Decode(bmp, hints)
	d.reader.Reset()
	if err != nil || res == nil {
		return ""
	}
	return res.GetText()
}

// maxCandidates bounds the regions tried per frame: a counter camera
// looks at one mark at a time, the bound keeps a cluttered frame cheap.
const maxCandidates = 3

// The places of the scaling steps in expensiveSteps (a code of small
// modules takes the upscale in the downscale's turn).
const (
	stepDown2 = 0
	stepUp2   = 1
)

// smallModule is the module size (px) under which the camera mode does not
// downscale a region (see decodeRegion).
const smallModule = 3

// maxUpscaled bounds the pixels of a region that is upscaled 2× (the cost
// of a 2× attempt grows with four times the area).
const maxUpscaled = 700 * 700

// step is one decoding attempt on a region: how to prepare its pixels from
// the contrast-stretched crop, and which binariser to use.
type step struct {
	name string
	prep func(d *Decoder, c Gray) Gray
	bin  Binarizer
}

func same(_ *Decoder, c Gray) Gray { return c }
func up2(d *Decoder, c Gray) Gray {
	if c.W*c.H > maxUpscaled {
		return Gray{}
	}
	out := Up2(c, d.bufs[2])
	d.bufs[2] = out.Pix
	return out
}
func down2(d *Decoder, c Gray) Gray {
	out := Down2(c, d.bufs[3])
	d.bufs[3] = out.Pix
	return out
}
func sharpen(d *Decoder, c Gray) Gray {
	out := Sharpen(c, d.bufs[3])
	d.bufs[3] = out.Pix
	return out
}
func flatten(d *Decoder, c Gray) Gray {
	out := FlattenBackground(c, d.bufs[3])
	d.bufs[3] = out.Pix
	return Stretch(out, d.bufs[2])
}

// cheapSteps are tried on every candidate region (only the first on
// regions that are not code-shaped), expensiveSteps on the largest
// code-shaped one, in this order: cheap and likely first. On the test sets
// every camera frame zbar reads needs only the cheap steps. down2 rescues
// the rare clean code whose finder patterns gozxing misjudges at its own
// scale (2 of 400 generated marks, "dimension = 43"); the others are kept
// for smaller, blurrier codes (see docs/notes/camera.md). In the camera
// mode a frame gets one expensive step, in turn: a code held in view for
// a few frames still meets every step, and a frame without a code (the
// common case) pays for one.
var (
	cheapSteps = []step{
		{"crop/hybrid", same, Hybrid},
		{"crop/global", same, Global},
	}
	expensiveSteps = []step{
		stepDown2: {"down2/hybrid", down2, Hybrid},
		stepUp2:   {"up2/hybrid", up2, Hybrid},
		{"sharpen/hybrid", sharpen, Hybrid},
		{"flatten/hybrid", flatten, Hybrid},
	}
)

// Decode returns the distinct texts of the QR codes found in g (none when
// nothing decodes). The camera mode decodes only candidate regions, never
// the whole frame unless a region covers most of it: on a cluttered frame
// without a code a whole-frame attempt costs more than all the crops
// together. The thorough mode ends with one whole-frame attempt. Each
// region stops at its first successful step.
func (d *Decoder) Decode(g Gray) []string {
	cands, shaped, flat := candidates(g, maxCandidates, &d.blocks)
	d.finders.frame = &d.blocks
	d.phaseMeshes = 0
	var out []string
	inView := false // a code-shaped region passed the camera mode's gate
	d.codeLike = false
	for i, r := range cands {
		if !d.Thorough && !d.finders.likelyCode(g, r) {
			continue // no finder patterns, or grain: see finder.go
		}
		d.codeLike = true
		hit := d.finders.hit
		// the first code-shaped region to get here may take an expensive step
		expensive := i < shaped && !inView
		inView = inView || i < shaped
		t := d.decodeRegion(g, r, i < shaped, expensive)
		if t == "" && !d.Thorough && hit.module > 0 {
			t = d.decodeAround(g, r, hit)
		}
		if t != "" && !contains(out, t) {
			out = append(out, t)
		}
	}
	if (!d.Thorough && !inView) || shaped == 0 || len(out) > 0 {
		// a sweep ended (no code in view, or it was read): the next one
		// starts with the likeliest deblurring, not where this one stopped
		d.blurTurn = 0
		d.looseTurn = 0
	}
	whole := len(cands) == 1 && cands[0] == Rect{0, 0, g.W, g.H}
	if len(out) == 0 && d.Thorough && !flat && !whole {
		c := Stretch(g, d.bufs[1])
		d.bufs[1] = c.Pix
		if t := d.Try(c, Hybrid); t != "" {
			d.trace("frame/hybrid")
			d.codeLike = true
			return []string{t}
		}
	}
	if len(out) == 0 {
		d.trace("")
	}
	return out
}

// CodeInView reports whether the frame of the last Decode showed
// something code-like, read or not: in the camera mode a region that
// passed the gate on finder patterns (finder.go), in the thorough mode any
// candidate region. A frame without it shows no code: the camera source
// takes a few such frames in a row for a view cleared of envelopes.
func (d *Decoder) CodeInView() bool { return d.codeLike }

// decodeAround is the camera mode's second look at region r of g, which
// passed the gate on the finder patterns of hit yet did not decode: the
// region search again, on the box around those patterns alone
// (codeHit.box), when that is at most half of r, and the cheap steps on
// its code-shaped regions. A faint code on a textured or cluttered
// background hardly stands out of the frame's block ranges, and its
// region grows to the whole frame or a large part of it, whose stretch
// leaves the code's few grey levels as they were; within the box its
// blocks are the ones of the widest range, and its own region's stretch
// spreads them (the generated faint frames, testdata/generated).
func (d *Decoder) decodeAround(g Gray, r Rect, hit codeHit) string {
	box := clip(hit.box(), g)
	r = clip(r, g)
	if box.W <= 0 || box.H <= 0 || 2*box.W*box.H > r.W*r.H {
		return ""
	}
	d.around = grow(d.around, box.W*box.H)
	for y := 0; y < box.H; y++ {
		copy(d.around[y*box.W:(y+1)*box.W], g.Pix[(box.Y+y)*g.W+box.X:])
	}
	sub := Gray{Pix: d.around, W: box.W, H: box.H}
	cands, shaped, _ := candidates(sub, maxAroundRegions, &d.aroundBlocks)
	for _, c := range cands[:shaped] {
		if t := d.decodeRegion(sub, c, true, false); t != "" {
			return t
		}
	}
	return ""
}

// maxAroundRegions bounds the regions decodeAround tries.
const maxAroundRegions = 2

// decodeRegion runs the steps on region r of g until one decodes; shaped
// says r holds a code-shaped blob, expensive that the expensive steps may
// run (the thorough mode runs every step on every code-shaped region, and
// both cheap steps on the others).
func (d *Decoder) decodeRegion(g Gray, r Rect, shaped, expensive bool) string {
	c := CropStretch(g, r, d.bufs[1])
	if len(c.Pix) > 0 && &c.Pix[0] != &g.Pix[0] {
		d.bufs[1] = c.Pix
	}
	// Camera mode: a region smeared by motion (see maxAnisotropy) goes to
	// the deblurring after the first cheap step; the others never read
	// such a region, and the frame's time is better spent deconvolving.
	smeared, dir, aniso := false, 0.0, 1.0
	if !d.Thorough && expensive && c.W*c.H <= maxUpscaled {
		dir, aniso = BlurDirection(c)
		smeared = aniso <= maxAnisotropy
	}
	cheap := cheapSteps
	switch {
	case d.Thorough:
	case aniso < strongSmear:
		cheap = nil
	case !shaped || smeared:
		cheap = cheap[:1]
	}
	for _, s := range cheap {
		if t := d.try(c, s.bin, d.Thorough); t != "" {
			d.trace(s.name)
			return t
		}
	}
	if smeared {
		// one deblurring combination per frame, in turn: sharpening and
		// upscaling do not undo motion, and an operator sweeping an
		// envelope under the camera gives a run of such frames
		n := len(deblurTurns) * len(deblurLengths)
		k := d.blurTurn % n
		d.blurTurn++
		return d.tryDeblur(d.deblurWindow(c, r, g, d.blocks.codeBox(r, deblurCodeMargin)), dir+deblurTurns[k/len(deblurLengths)], deblurLengths[k%len(deblurLengths)])
	}
	if shaped {
		if t := d.tryPure(c); t != "" {
			d.trace("pure")
			return t
		}
		// finder patterns were seen (the gate's, in the camera mode), yet
		// gozxing's detector read nothing: sample the grid ourselves
		// (grid.go), for codes in perspective, tilted or curved
		if t := d.tryGrid(c, false); t != "" {
			d.trace("grid")
			return t
		}
	}
	if !expensive && !(d.Thorough && shaped) {
		return ""
	}
	if d.Thorough {
		for _, s := range expensiveSteps {
			if t := d.Try(s.prep(d, c), s.bin); t != "" {
				d.trace(s.name)
				return t
			}
		}
		if expensive && c.W*c.H <= maxUpscaled { // the largest code-shaped region
			return d.deblurRegion(c)
		}
		return ""
	}
	// Camera mode: one expensive step per frame, in turn. A code whose
	// finder patterns (the gate's) show modules under smallModule px
	// gets the upscale in the downscale's turn: halved, its modules are
	// too small to read.
	i := d.turn % len(expensiveSteps)
	d.turn++
	if m := d.finders.hit.module; i == stepDown2 && m > 0 && m < smallModule {
		i = stepUp2
	}
	st := expensiveSteps[i]
	if t := d.Try(st.prep(d, c), st.bin); t != "" {
		d.trace(st.name)
		return t
	}
	return ""
}

// Motion deblurring: only a region whose gradients
// are clearly directional (BlurDirection's anisotropy under
// maxAnisotropy) is tried, at the estimated direction and 5° either side,
// for blur lengths of 4–6 px (hand-held motion at 1/30 s smears a code
// held 20–30 cm from a 720p camera by one to two modules). On the hard
// set the estimate is within 5° of a working direction for all four
// motion frames.
const maxAnisotropy = 0.4

// strongSmear is the anisotropy under which the camera mode goes straight
// to the deblurring: the hard set's motion frames measure 0.22–0.28, no
// cheap step reads them, while a sharp code measures over 0.9 and a block
// of text 0.30, so a code beside text stays over it.
const strongSmear = 0.3

var (
	deblurLengths = []float64{5, 4, 6}
	deblurTurns   = []float64{0, -5, 5}
)

// deblurRegion tries Richardson–Lucy deblurring of c for every direction
// and length (see tryDeblur).
func (d *Decoder) deblurRegion(c Gray) string {
	dir, aniso := BlurDirection(c)
	if aniso > maxAnisotropy {
		return ""
	}
	for _, turn := range deblurTurns {
		for _, l := range deblurLengths {
			if t := d.tryDeblur(c, dir+turn, l); t != "" {
				return t
			}
		}
	}
	// Longer blurs: at the length measured along the direction, with
	// more iterations (see tryDeblurLong).
	l := blurLength(c, Rect{0, 0, c.W, c.H}, dir)
	if l < minLongBlur {
		return ""
	}
	for _, turn := range deblurTurns {
		if t := d.tryDeblurLong(c, dir+turn, l); t != "" {
			return t
		}
	}
	return ""
}

// minLongBlur is the shortest measured blur (pixels) the thorough mode
// deconvolves at its measured length after the fixed lengths failed.
// Frames smeared by 5 px that need more iterations than tryDeblur's
// (small modules, JPEG, a shadow) measure 5.0–5.3.
const minLongBlur = 4.5

// longIters is the most accelerated Richardson–Lucy iterations
// tryDeblurLong runs. A line kernel two to three modules long needs many
// more than tryDeblur's: of the generated frames smeared by 6–9 px at
// modules of 2.3–3 px, the grid sampling read one after 12 iterations,
// most after 15–18, one (JPEG) only after 30.
const longIters = 30

// tryDeblurLong deblurs c for one direction and length and tries our grid
// sampling on the result every 3 iterations from the 6th to the
// longIters-th.
func (d *Decoder) tryDeblurLong(c Gray, degrees, length float64) string {
	if !d.deblur.start(c, length, degrees) {
		return ""
	}
	d.deblur.iterate(6, true)
	for it := 6; ; it += 3 {
		db := d.deblur.result(d.bufs[0])
		d.bufs[0] = db.Pix
		if t := d.tryGrid(Stretch(db, db.Pix), true); t != "" {
			d.trace("deblur/long/grid")
			return t
		}
		if it >= longIters {
			return ""
		}
		d.deblur.iterate(3, true)
	}
}

// deblurMargin is how much of the quiet-zone margin the region search adds
// around a blob (regionMargin blocks) the deblurring leaves out: the
// deconvolution costs per pixel, and the smeared code lies inside (the
// blob itself reaches up to a block past the code, dilated). Cutting 28 of
// the 32 px keeps every combination that read the hard set's motion
// frames and deconvolves 0.6 of the pixels.
const deblurMargin = regionMargin*regionBlock - regionBlock/4

// deblurCodeMargin is how far (pixels) the deblurring window reaches
// beyond the code's dense blocks (see codeBox): the row sampling of the
// block measure, the smear, and room for the deconvolution's edge. With
// 12 px the windows of the hard set's motion frames are 0.77–0.85 of the
// region's (less its margin) and every combination that read still reads
// (with 8 px h3 no longer did).
const deblurCodeMargin = 12

// deblurWindow copies the stretched crop c of region r of g less
// deblurMargin on each side where the region was not cut by the frame's
// edge (there the margin may be thinner), and no more than the box code
// (frame coordinates) where that is smaller.
func (d *Decoder) deblurWindow(c Gray, r Rect, g Gray, code Rect) Gray {
	r = clip(r, g)
	if c.W != r.W || c.H != r.H {
		return c
	}
	var x0, y0, x1, y1 int
	if r.X > 0 {
		x0 = deblurMargin
	}
	if r.Y > 0 {
		y0 = deblurMargin
	}
	if r.X+r.W < g.W {
		x1 = deblurMargin
	}
	if r.Y+r.H < g.H {
		y1 = deblurMargin
	}
	x0, y0 = max(x0, code.X-r.X), max(y0, code.Y-r.Y)
	x1, y1 = max(x1, r.X+r.W-code.X-code.W), max(y1, r.Y+r.H-code.Y-code.H)
	w, h := c.W-x0-x1, c.H-y0-y1
	if w < 4*regionBlock || h < 4*regionBlock {
		return c
	}
	d.bufs[3] = grow(d.bufs[3], w*h)
	for y := 0; y < h; y++ {
		copy(d.bufs[3][y*w:(y+1)*w], c.Pix[(y+y0)*c.W+x0:(y+y0)*c.W+x0+w])
	}
	return Gray{Pix: d.bufs[3], W: w, H: h}
}

// tryDeblur deblurs c for one direction and length and decodes the
// result: after gridIters iterations through our grid sampling, which
// reads a deconvolved code sooner than gozxing does, then after
// accelIters through a 2× upscale and gozxing's Hybrid.
func (d *Decoder) tryDeblur(c Gray, degrees, length float64) string {
	if !d.deblur.start(c, length, degrees) {
		return ""
	}
	d.deblur.iterate(gridIters, true)
	db := d.deblur.result(d.bufs[0])
	d.bufs[0] = db.Pix
	if t := d.tryGrid(Stretch(db, db.Pix), true); t != "" {
		d.trace("deblur/grid")
		return t
	}
	d.deblur.iterate(accelIters-gridIters, true)
	db = d.deblur.result(d.bufs[0])
	if t := d.try(up2(d, Stretch(db, db.Pix)), Hybrid, d.Thorough); t != "" {
		d.trace("deblur/up2/hybrid")
		return t
	}
	return ""
}

// gridIters is the accelerated Richardson–Lucy iterations after which our
// grid sampling looks at the deblurred code. Over the hard set's four
// motion frames in two grey conversions (image/png's and ffmpeg's, as
// bench/qr.sh reads them), 9 combinations each, it reads 34 of the 72
// after 3 iterations and after 4 alike (h1 at 3 of 9, h2 at 5, h3 at all
// 9, h4 at none); gozxing needs all 6 and the 2× upscale (37 of 72, h4 at
// one or two).
const gridIters = 3

func (d *Decoder) trace(step string) {
	if d.Trace != nil {
		d.Trace(step)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
