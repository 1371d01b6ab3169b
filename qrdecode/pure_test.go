package qrdecode

import (
	"image/png"
	"os"
	"strings"
	"testing"
)

// TestPureFallback: two clean 400 px marks made by `markd issue --png` on
// which gozxing's finder-pattern detector picks a wrong geometry; the
// PURE_BARCODE attempt reads them, in camera mode and in thorough mode.
func TestPureFallback(t *testing.T) {
	for _, f := range []string{"testdata/clean-misdetected-1.png", "testdata/clean-misdetected-2.png"} {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, thorough := range []bool{false, true} {
			d := NewDecoder()
			d.Thorough = thorough
			codes := d.Decode(FromImage(img))
			if len(codes) != 1 || !strings.HasPrefix(codes[0], "EPM1:") || len(codes[0]) != 172 {
				t.Errorf("%s (thorough %v): decoded %q", f, thorough, codes)
			}
		}
	}
}
