package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

// Params is one frame's rendering parameters, as written to params.json.
// A frame is reproducible from its Params and the state of the random
// source when it is rendered (the perspective jitter, the texture and
// the sensor noise are drawn while rendering).
type Params struct {
	File     string  `json:"file"`
	Category string  `json:"category"`
	W        int     `json:"w"`
	H        int     `json:"h"`
	Module   float64 `json:"module_px"`
	Rot      float64 `json:"rot_deg"`
	Persp    float64 `json:"persp"` // corner jitter as fraction of side
	CX       float64 `json:"cx"`
	CY       float64 `json:"cy"`
	BG       string  `json:"bg"`
	BGLevel  float64 `json:"bg_level"`
	Paper    float64 `json:"paper"`
	Ink      float64 `json:"ink"`
	Sigma    float64 `json:"gauss_sigma"`
	MotionL  float64 `json:"motion_len,omitempty"`
	MotionA  float64 `json:"motion_deg,omitempty"`
	Shadow   string  `json:"shadow,omitempty"`
	Noise    float64 `json:"noise_sigma"`
	JPEGQ    int     `json:"jpeg_q,omitempty"`
	Bits16   bool    `json:"png16,omitempty"`
	Text     string  `json:"text"`
}

func uni(rng *rand.Rand, a, b float64) float64 { return a + (b-a)*rng.Float64() }

// renderFrame renders p with the code matrix m and writes it to dir.
// The order of the steps is the order in which they draw from rng, so it
// must not change: the committed frames depend on it.
func renderFrame(rng *rand.Rand, dir string, p *Params, m [][]bool) error {
	img := render(rng, p, m)
	if err := shadow(p, img); err != nil {
		return fmt.Errorf("%s: %w", p.File, err)
	}
	img = motion(p, img)
	img = gauss(p, img)
	return save(rng, dir, p, img)
}

// homography mapping src quad -> dst quad, returned as 3x3 (h33 = 1).
func homography(src, dst [4][2]float64) [9]float64 {
	var A [8][9]float64
	for i := 0; i < 4; i++ {
		x, y := src[i][0], src[i][1]
		u, v := dst[i][0], dst[i][1]
		A[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		A[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for c := 0; c < 8; c++ {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(A[r][c]) > math.Abs(A[p][c]) {
				p = r
			}
		}
		A[c], A[p] = A[p], A[c]
		for r := 0; r < 8; r++ {
			if r == c {
				continue
			}
			f := A[r][c] / A[c][c]
			for k := c; k < 9; k++ {
				A[r][k] -= f * A[c][k]
			}
		}
	}
	var h [9]float64
	for i := 0; i < 8; i++ {
		h[i] = A[i][8] / A[i][i]
	}
	h[8] = 1
	return h
}

func apply(h [9]float64, x, y float64) (float64, float64) {
	w := h[6]*x + h[7]*y + h[8]
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

// valueNoise is smooth noise in [0,1): random values on a grid of cell
// px, interpolated with a smoothstep.
func valueNoise(rng *rand.Rand, w, h int, cell float64) []float64 {
	gw, gh := int(float64(w)/cell)+3, int(float64(h)/cell)+3
	g := make([]float64, gw*gh)
	for i := range g {
		g[i] = rng.Float64()
	}
	out := make([]float64, w*h)
	for y := 0; y < h; y++ {
		fy := float64(y) / cell
		iy := int(fy)
		ty := fy - float64(iy)
		ty = ty * ty * (3 - 2*ty)
		for x := 0; x < w; x++ {
			fx := float64(x) / cell
			ix := int(fx)
			tx := fx - float64(ix)
			tx = tx * tx * (3 - 2*tx)
			a := g[iy*gw+ix]*(1-tx) + g[iy*gw+ix+1]*tx
			b := g[(iy+1)*gw+ix]*(1-tx) + g[(iy+1)*gw+ix+1]*tx
			out[y*w+x] = a*(1-ty) + b*ty
		}
	}
	return out
}

func background(rng *rand.Rand, p *Params) []float64 {
	w, h := p.W, p.H
	bg := make([]float64, w*h)
	base := p.BGLevel
	switch p.BG {
	case "flat":
		for i := range bg {
			bg[i] = base
		}
	case "texture", "clutter":
		n1 := valueNoise(rng, w, h, uni(rng, 60, 200))
		n2 := valueNoise(rng, w, h, uni(rng, 6, 20))
		n3 := valueNoise(rng, w, h, 2.5)
		a1, a2, a3 := uni(rng, 20, 50), uni(rng, 8, 25), uni(rng, 4, 12)
		for i := range bg {
			bg[i] = base + a1*(n1[i]-0.5) + a2*(n2[i]-0.5) + a3*(n3[i]-0.5)
		}
		if p.BG == "clutter" {
			// random rectangles (other labels, stamps) and text-like strokes
			for k := 0; k < 14; k++ {
				rw, rh := uni(rng, 40, 300), uni(rng, 20, 200)
				x0, y0 := uni(rng, 0, float64(w)), uni(rng, 0, float64(h))
				v := uni(rng, base-70, base+50)
				for y := int(y0); y < int(y0+rh) && y < h; y++ {
					for x := int(x0); x < int(x0+rw) && x < w; x++ {
						bg[y*w+x] = v + 6*(n3[y*w+x]-0.5)
					}
				}
			}
			for k := 0; k < 40; k++ { // text-like bars
				x0, y0 := uni(rng, 0, float64(w)), uni(rng, 0, float64(h))
				ln := int(uni(rng, 20, 160))
				th := int(uni(rng, 2, 5))
				v := uni(rng, 20, 80)
				for x := int(x0); x < int(x0)+ln && x < w; x++ {
					if rng.Float64() < 0.25 {
						continue
					}
					for y := int(y0); y < int(y0)+th && y < h; y++ {
						bg[y*w+x] = v
					}
				}
			}
		}
	}
	return bg
}

// render draws the code (with a 4-module quiet zone) onto the background,
// 4×4 supersampled through the inverse homography of its jittered corners.
func render(rng *rand.Rand, p *Params, m [][]bool) []float64 {
	w, h := p.W, p.H
	img := background(rng, p)
	n := float64(len(m))
	q := 4.0
	L := n + 2*q
	side := L * p.Module
	th := p.Rot * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	var dst [4][2]float64
	corners := [4][2]float64{{-0.5, -0.5}, {0.5, -0.5}, {0.5, 0.5}, {-0.5, 0.5}}
	for i, k := range corners {
		x := k[0]*side + uni(rng, -1, 1)*p.Persp*side
		y := k[1]*side + uni(rng, -1, 1)*p.Persp*side
		dst[i] = [2]float64{p.CX + c*x - s*y, p.CY + s*x + c*y}
	}
	src := [4][2]float64{{0, 0}, {L, 0}, {L, L}, {0, L}}
	inv := homography(dst, src)
	minx, miny, maxx, maxy := 1e9, 1e9, -1e9, -1e9
	for _, d := range dst {
		minx, maxx = math.Min(minx, d[0]), math.Max(maxx, d[0])
		miny, maxy = math.Min(miny, d[1]), math.Max(maxy, d[1])
	}
	const ss = 4
	for y := int(miny) - 1; y <= int(maxy)+1; y++ {
		if y < 0 || y >= h {
			continue
		}
		for x := int(minx) - 1; x <= int(maxx)+1; x++ {
			if x < 0 || x >= w {
				continue
			}
			sum, cnt := 0.0, 0
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					u, v := apply(inv, float64(x)+(float64(sx)+0.5)/ss, float64(y)+(float64(sy)+0.5)/ss)
					if u < 0 || v < 0 || u >= L || v >= L {
						sum += img[y*w+x]
						cnt++
						continue
					}
					mu, mv := int(u-q), int(v-q)
					val := p.Paper
					if u-q >= 0 && v-q >= 0 && mu < len(m) && mv < len(m) && m[mv][mu] {
						val = p.Ink
					}
					sum += val
					cnt++
				}
			}
			img[y*w+x] = sum / float64(cnt)
		}
	}
	return img
}

// shadow darkens img by p.Shadow: "linear:ANGLE:LO:HI" (a gradient across
// the frame), "edge:ANGLE:OFFSET:DARK:SOFT" (a cast shadow's edge near the
// code) or "radial:X:Y:R:LO"; "" is none. A params.json edited by hand
// can carry a spec that does not parse, hence the error.
func shadow(p *Params, img []float64) error {
	w, h := p.W, p.H
	switch {
	case p.Shadow == "":
	case strings.HasPrefix(p.Shadow, "linear"):
		var ang, lo, hi float64
		if _, err := fmt.Sscanf(p.Shadow, "linear:%f:%f:%f", &ang, &lo, &hi); err != nil {
			return fmt.Errorf("shadow %q: %w", p.Shadow, err)
		}
		a := ang * math.Pi / 180
		dx, dy := math.Cos(a), math.Sin(a)
		// project corners to find range
		mn, mx := 1e9, -1e9
		for _, c := range [][2]float64{{0, 0}, {float64(w), 0}, {0, float64(h)}, {float64(w), float64(h)}} {
			t := c[0]*dx + c[1]*dy
			mn, mx = math.Min(mn, t), math.Max(mx, t)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				t := (float64(x)*dx + float64(y)*dy - mn) / (mx - mn)
				img[y*w+x] *= lo + (hi-lo)*t
			}
		}
	case strings.HasPrefix(p.Shadow, "edge"):
		// hard-ish cast shadow edge (e.g. a hand/phone) crossing the code
		var ang, off, dark, soft float64
		if _, err := fmt.Sscanf(p.Shadow, "edge:%f:%f:%f:%f", &ang, &off, &dark, &soft); err != nil {
			return fmt.Errorf("shadow %q: %w", p.Shadow, err)
		}
		a := ang * math.Pi / 180
		dx, dy := math.Cos(a), math.Sin(a)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				t := (float64(x)-p.CX)*dx + (float64(y)-p.CY)*dy - off
				f := 1 / (1 + math.Exp(-t/soft)) // 0 in shadow side
				img[y*w+x] *= dark + (1-dark)*f
			}
		}
	case strings.HasPrefix(p.Shadow, "radial"):
		var rx, ry, r, lo float64
		if _, err := fmt.Sscanf(p.Shadow, "radial:%f:%f:%f:%f", &rx, &ry, &r, &lo); err != nil {
			return fmt.Errorf("shadow %q: %w", p.Shadow, err)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				d := math.Hypot(float64(x)-rx, float64(y)-ry) / r
				f := math.Min(1, d)
				img[y*w+x] *= lo + (1-lo)*f*f
			}
		}
	default:
		return fmt.Errorf("shadow %q: not linear, edge or radial", p.Shadow)
	}
	return nil
}

func motion(p *Params, img []float64) []float64 {
	if p.MotionL <= 0 {
		return img
	}
	w, h := p.W, p.H
	a := p.MotionA * math.Pi / 180
	dx, dy := math.Cos(a), math.Sin(a)
	taps := int(math.Ceil(p.MotionL*2)) + 1
	out := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sum := 0.0
			for k := 0; k < taps; k++ {
				t := (float64(k)/float64(taps-1) - 0.5) * p.MotionL
				sum += bilin(img, w, h, float64(x)+t*dx, float64(y)+t*dy)
			}
			out[y*w+x] = sum / float64(taps)
		}
	}
	return out
}

func bilin(img []float64, w, h int, x, y float64) float64 {
	if x < 0 {
		x = 0
	}
	if y < 0 {
		y = 0
	}
	if x > float64(w-1) {
		x = float64(w - 1)
	}
	if y > float64(h-1) {
		y = float64(h - 1)
	}
	ix, iy := int(x), int(y)
	if ix >= w-1 {
		ix = w - 2
	}
	if iy >= h-1 {
		iy = h - 2
	}
	fx, fy := x-float64(ix), y-float64(iy)
	a := img[iy*w+ix]*(1-fx) + img[iy*w+ix+1]*fx
	b := img[(iy+1)*w+ix]*(1-fx) + img[(iy+1)*w+ix+1]*fx
	return a*(1-fy) + b*fy
}

func gauss(p *Params, img []float64) []float64 {
	if p.Sigma <= 0 {
		return img
	}
	w, h := p.W, p.H
	r := int(math.Ceil(p.Sigma * 3))
	k := make([]float64, 2*r+1)
	sum := 0.0
	for i := -r; i <= r; i++ {
		k[i+r] = math.Exp(-float64(i*i) / (2 * p.Sigma * p.Sigma))
		sum += k[i+r]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s := 0.0
			for i := -r; i <= r; i++ {
				xx := min(max(x+i, 0), w-1)
				s += k[i+r] * img[y*w+xx]
			}
			tmp[y*w+x] = s
		}
	}
	out := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s := 0.0
			for i := -r; i <= r; i++ {
				yy := min(max(y+i, 0), h-1)
				s += k[i+r] * tmp[yy*w+x]
			}
			out[y*w+x] = s
		}
	}
	return out
}

// save adds the sensor noise, quantises and writes the frame as a 16-bit
// PNG (Bits16), a JPEG (JPEGQ > 0) or an 8-bit PNG.
func save(rng *rand.Rand, dir string, p *Params, img []float64) error {
	w, h := p.W, p.H
	var g image.Image
	if p.Bits16 && p.JPEGQ == 0 {
		g16 := image.NewGray16(image.Rect(0, 0, w, h))
		for i, v := range img {
			v += rng.NormFloat64() * p.Noise
			v = math.Max(0, math.Min(255, v))
			g16.SetGray16(i%w, i/w, color.Gray16{uint16(math.Round(v)) * 257})
		}
		g = g16
	} else {
		g8 := image.NewGray(image.Rect(0, 0, w, h))
		for i, v := range img {
			v += rng.NormFloat64() * p.Noise
			g8.Pix[i] = uint8(math.Max(0, math.Min(255, math.Round(v))))
		}
		g = g8
	}
	var buf bytes.Buffer
	var err error
	if p.JPEGQ > 0 {
		err = jpeg.Encode(&buf, g, &jpeg.Options{Quality: p.JPEGQ})
	} else {
		err = png.Encode(&buf, g)
	}
	path := filepath.Join(dir, p.File)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}
