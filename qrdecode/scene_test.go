package qrdecode

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"

	"markd/internal/testdata"
)

// paste copies src into dst at (x, y), clipped.
func paste(dst, src Gray, x, y int) {
	for j := 0; j < src.H; j++ {
		for i := 0; i < src.W; i++ {
			if x+i >= 0 && y+j >= 0 && x+i < dst.W && y+j < dst.H {
				dst.Pix[(y+j)*dst.W+x+i] = src.Pix[j*src.W+i]
			}
		}
	}
}

// textLines draws w×h of dark random "glyph" strokes on light paper, like
// lines of printed text beside a mark.
func textLines(w, h int, seed uint64) Gray {
	r := rand.New(rand.NewPCG(seed, 1))
	g := Gray{Pix: make([]byte, w*h), W: w, H: h}
	for i := range g.Pix {
		g.Pix[i] = 235
	}
	for line := 0; line+14 <= h; line += 20 {
		for x := 0; x+3 <= w; x += 3 {
			if r.IntN(3) == 0 {
				continue
			}
			top, bot := line+r.IntN(4), line+10+r.IntN(4)
			for y := top; y < bot; y++ {
				g.Pix[y*w+x] = 40
				g.Pix[y*w+x+1] = 40
			}
		}
	}
	return g
}

func TestDecodeScenes(t *testing.T) {
	dir := testdata.Set(t, "qr")
	m := loadManifest(t, dir)
	text := map[string]string{}
	for _, e := range m {
		text[e.File] = e.Text
	}
	code1 := loadFrame(t, filepath.Join(dir, "m1-clean.png"))
	code2 := loadFrame(t, filepath.Join(dir, "m2-clean.png"))
	small1 := Down2(code1, nil) // about 2.4 px per module
	frame := func() Gray {
		g := Gray{Pix: make([]byte, 1280*720), W: 1280, H: 720}
		for i := range g.Pix {
			g.Pix[i] = 200
		}
		return g
	}
	tests := []struct {
		name  string
		build func() Gray
		want  []string
	}{
		{"two codes", func() Gray {
			g := frame()
			paste(g, code1, 100, 200)
			paste(g, code2, 800, 150)
			return g
		}, []string{text["m1-clean.png"], text["m2-clean.png"]}},
		{"text touching the quiet zone", func() Gray {
			g := frame()
			paste(g, textLines(500, 318, 7), 420, 200) // right next to the code
			paste(g, textLines(900, 120, 8), 100, 520) // and below it
			paste(g, code1, 100, 200)
			return g
		}, []string{text["m1-clean.png"]}},
		{"small code among text", func() Gray {
			g := frame()
			paste(g, textLines(1280, 720, 9), 0, 0)
			blank := Gray{Pix: make([]byte, 220*220), W: 220, H: 220}
			for i := range blank.Pix {
				blank.Pix[i] = 235
			}
			paste(g, blank, 500, 250)
			paste(g, small1, 530, 280)
			return g
		}, []string{text["m1-clean.png"]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.build()
			_, shaped, _ := candidates(g, maxCandidates, nil)
			t.Logf("candidates %v, code-shaped %d", Candidates(g, maxCandidates), shaped)
			for _, thorough := range []bool{false, true} {
				d := NewDecoder()
				d.Thorough = thorough
				got := d.Decode(g)
				for _, w := range tt.want {
					if !contains(got, w) {
						t.Errorf("thorough=%v: %.16q… not decoded (got %d codes, candidates %v)", thorough, w, len(got), Candidates(g, maxCandidates))
					}
				}
				if len(got) != len(tt.want) {
					t.Errorf("thorough=%v: %d codes, want %d", thorough, len(got), len(tt.want))
				}
			}
		})
	}
}

// TestDecodeGeneratedMarks decodes clean 400 px marks as `markd issue
// --png` draws them (gozxing writer, EC level M). gozxing alone misreads
// the finder patterns of these two at their own scale ("dimension = 43",
// found among 400 random marks); the down2 step reads them.
func TestDecodeGeneratedMarks(t *testing.T) {
	texts := []string{
		"EPM1:AEAQABYAAAAACTFCMDTAAAAAAEBAAAAUAAACSBAAAAAAAJS4E23AAAAAAAAAAAAASRG3YQVSQ6JO7WORJB5ME6HRUYROYW2MQNW5WLWYVE4AD7CYKAELVDYPFXVL6HN3SPVNJSABEQPL2M2E4VPRLM4TIVG7ZYHX7BZIOAY",
		"EPM1:AEAQABYAAAAADCNZZPNAAAAAAEBAAAAUAAACSBAAAAAAAJS4E23AAAAAAAAAAAAAGULUFT7IXKUWW7XEYX7RVOPOQ3KQTY7PXD67FP3ZA5XOGOYUHSGYAALOJ2F2ZLRKONVLLUW7TDIH77MBHVJBHAESSN3HS6P74VANKDQ",
	}
	hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_ERROR_CORRECTION: decoder.ErrorCorrectionLevel_M}
	for _, text := range texts {
		bm, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 400, 400, hints)
		if err != nil {
			t.Fatal(err)
		}
		g := FromImage(bm)
		for _, thorough := range []bool{false, true} {
			d := NewDecoder()
			d.Thorough = thorough
			var got []string
			// The camera mode rations its expensive steps: a held code
			// meets them all within a few frames.
			for range len(expensiveSteps) {
				if got = d.Decode(g); len(got) > 0 {
					break
				}
			}
			if len(got) != 1 || got[0] != text {
				t.Errorf("thorough=%v: %.24q…: decoded %d codes", thorough, text, len(got))
			}
		}
	}
}
