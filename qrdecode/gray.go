// Package qrdecode finds and decodes QR codes in 8-bit gray camera frames
// and in image files. It feeds gozxing through its raw planar luminance
// source (no image.Image.At calls). A cheap block scan finds the regions
// that may hold a code; each is cropped with its own contrast stretch and
// decoded, and when that fails it is retried on enhanced copies: a 2× box
// downscale, a 2× bilinear upscale for small modules, a mild unsharp mask,
// background normalisation for shadows, and Richardson–Lucy deblurring
// along the direction of a motion smear. The camera mode rations the
// costly retries over consecutive frames; the thorough mode (files) runs
// them all.
package qrdecode

import (
	"fmt"
	"image"
	"image/color"

	"markd/mark"
)

// Gray is an 8-bit gray frame, row-major, stride == W.
type Gray struct {
	Pix  []byte
	W, H int
}

// NewGray wraps pix as a w×h frame; pix must hold at least w*h bytes.
func NewGray(pix []byte, w, h int) (Gray, error) {
	if w <= 0 || h <= 0 || len(pix) < w*h {
		return Gray{}, fmt.Errorf("gray frame %dx%d with %d bytes: %w", w, h, len(pix), mark.ErrInvalid)
	}
	return Gray{Pix: pix[:w*h], W: w, H: h}, nil
}

// valid reports whether g is a usable frame.
func (g Gray) valid() bool { return g.W > 0 && g.H > 0 && len(g.Pix) >= g.W*g.H }

// FromImage converts any image to an 8-bit gray frame. The common decoder
// outputs (Gray, Gray16, YCbCr, RGBA, NRGBA, Paletted) are read from their
// pixel slices directly; other types fall back to At().
func FromImage(img image.Image) Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	g := Gray{Pix: make([]byte, w*h), W: w, H: h}
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			o := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(g.Pix[y*w:(y+1)*w], m.Pix[o:o+w])
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			o := m.PixOffset(b.Min.X, b.Min.Y+y)
			row := g.Pix[y*w : (y+1)*w]
			for x := range row {
				row[x] = m.Pix[o+2*x] // high byte
			}
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			o := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(g.Pix[y*w:(y+1)*w], m.Y[o:o+w])
		}
	case *image.RGBA:
		rgbRows(g, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y))
	case *image.NRGBA:
		rgbRows(g, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y))
	case *image.Paletted:
		lut := make([]byte, 256)
		for i, c := range m.Palette {
			lut[i] = color.GrayModel.Convert(c).(color.Gray).Y
		}
		for y := 0; y < h; y++ {
			o := m.PixOffset(b.Min.X, b.Min.Y+y)
			row := g.Pix[y*w : (y+1)*w]
			for x := range row {
				row[x] = lut[m.Pix[o+x]]
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				g.Pix[y*w+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			}
		}
	}
	return g
}

// rgbRows converts 4-byte-per-pixel rows to luma (BT.601 weights, as
// color.GrayModel); alpha is ignored, the codes are printed on paper.
func rgbRows(g Gray, pix []byte, stride, start int) {
	for y := 0; y < g.H; y++ {
		o := start + y*stride
		row := g.Pix[y*g.W : (y+1)*g.W]
		for x := range row {
			p := pix[o+4*x : o+4*x+3]
			row[x] = byte((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
		}
	}
}

// Image returns g as an *image.Gray sharing its pixels.
func (g Gray) Image() *image.Gray {
	return &image.Gray{Pix: g.Pix, Stride: g.W, Rect: image.Rect(0, 0, g.W, g.H)}
}
