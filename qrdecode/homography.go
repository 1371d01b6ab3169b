package qrdecode

import "math"

// fpt is a point in pixels (or modules), with fractions.
type fpt struct{ X, Y float64 }

func (p fpt) add(q fpt) fpt       { return fpt{p.X + q.X, p.Y + q.Y} }
func (p fpt) sub(q fpt) fpt       { return fpt{p.X - q.X, p.Y - q.Y} }
func (p fpt) scale(k float64) fpt { return fpt{p.X * k, p.Y * k} }
func (p fpt) dist(q fpt) float64  { return math.Hypot(p.X-q.X, p.Y-q.Y) }
func pointOf(p Point) fpt         { return fpt{float64(p.X), float64(p.Y)} }
func (p fpt) cross(q fpt) float64 { return p.X*q.Y - p.Y*q.X }
func (p fpt) dot(q fpt) float64   { return p.X*q.X + p.Y*q.Y }
func (p fpt) in(g Gray) bool {
	return p.X >= 0 && p.Y >= 0 && p.X <= float64(g.W-1) && p.Y <= float64(g.H-1)
}
func (p fpt) round() (x, y int)          { return int(math.Round(p.X)), int(math.Round(p.Y)) }
func (p fpt) near(q fpt, d float64) bool { return math.Abs(p.X-q.X) <= d && math.Abs(p.Y-q.Y) <= d }

// homography maps a plane to a plane: (x, y) = ((a·u + b·v + c) / (g·u +
// h·v + 1), (d·u + e·v + f) / (g·u + h·v + 1)), stored as the 3×3 matrix
// rows [a b c; d e f; g h i] applied to (u, v, 1).
type homography [9]float64

func (h *homography) apply(u, v float64) (x, y float64) {
	w := h[6]*u + h[7]*v + h[8]
	return (h[0]*u + h[1]*v + h[2]) / w, (h[3]*u + h[4]*v + h[5]) / w
}

// squareToQuad maps the unit square's corners (0,0), (1,0), (1,1), (0,1)
// to q[0..3] (the construction zxing uses).
func squareToQuad(q [4]fpt) homography {
	dx3 := q[0].X - q[1].X + q[2].X - q[3].X
	dy3 := q[0].Y - q[1].Y + q[2].Y - q[3].Y
	if dx3 == 0 && dy3 == 0 {
		return homography{
			q[1].X - q[0].X, q[2].X - q[1].X, q[0].X,
			q[1].Y - q[0].Y, q[2].Y - q[1].Y, q[0].Y,
			0, 0, 1,
		}
	}
	dx1, dx2 := q[1].X-q[2].X, q[3].X-q[2].X
	dy1, dy2 := q[1].Y-q[2].Y, q[3].Y-q[2].Y
	den := dx1*dy2 - dx2*dy1
	g := (dx3*dy2 - dx2*dy3) / den
	h := (dx1*dy3 - dx3*dy1) / den
	return homography{
		q[1].X - q[0].X + g*q[1].X, q[3].X - q[0].X + h*q[3].X, q[0].X,
		q[1].Y - q[0].Y + g*q[1].Y, q[3].Y - q[0].Y + h*q[3].Y, q[0].Y,
		g, h, 1,
	}
}

// adjoint is the inverse up to scale.
func (m homography) adjoint() homography {
	return homography{
		m[4]*m[8] - m[5]*m[7], m[2]*m[7] - m[1]*m[8], m[1]*m[5] - m[2]*m[4],
		m[5]*m[6] - m[3]*m[8], m[0]*m[8] - m[2]*m[6], m[2]*m[3] - m[0]*m[5],
		m[3]*m[7] - m[4]*m[6], m[1]*m[6] - m[0]*m[7], m[0]*m[4] - m[1]*m[3],
	}
}

// times is the product m·n (n applied first).
func (m homography) times(n homography) homography {
	var out homography
	for r := range 3 {
		for c := range 3 {
			out[3*r+c] = m[3*r]*n[c] + m[3*r+1]*n[3+c] + m[3*r+2]*n[6+c]
		}
	}
	return out
}

// quadToQuad maps the corners from[i] to to[i].
func quadToQuad(from, to [4]fpt) homography {
	return squareToQuad(to).times(squareToQuad(from).adjoint())
}
