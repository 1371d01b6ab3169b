package receipt

import (
	"fmt"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"

	"markd/mark"
)

// qrQuiet is the quiet zone around the code, in modules (ISO/IEC 18004
// asks for 4).
const qrQuiet = 4

// qrMatrix encodes text as a QR code with error correction M, the same
// encoder and level as issuer.QRPNG, and returns its modules (true =
// dark) without the quiet zone, one module per entry.
func qrMatrix(text string) ([][]bool, error) {
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: decoder.ErrorCorrectionLevel_M,
		gozxing.EncodeHintType_MARGIN:           0,
	}
	bm, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return nil, fmt.Errorf("qr code of %q: %w: %v", text, mark.ErrInvalid, err)
	}
	m := make([][]bool, bm.GetHeight())
	for y := range m {
		m[y] = make([]bool, bm.GetWidth())
		for x := range m[y] {
			m[y][x] = bm.Get(x, y)
		}
	}
	return m, nil
}
