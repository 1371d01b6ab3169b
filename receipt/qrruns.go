package receipt

import "iter"

// qrRun is a run of dark modules in a row of a QR matrix: its row, its
// first column and the column after its last.
type qrRun struct{ row, start, end int }

// darkRuns yields the runs of dark modules of m, row by row, left to
// right: what the HTML receipt's SVG path and the PDF's rectangles draw.
func darkRuns(m [][]bool) iter.Seq[qrRun] {
	return func(yield func(qrRun) bool) {
		for y, line := range m {
			for x := 0; x < len(line); {
				if !line[x] {
					x++
					continue
				}
				start := x
				for x < len(line) && line[x] {
					x++
				}
				if !yield(qrRun{y, start, x}) {
					return
				}
			}
		}
	}
}
