package qrdecode

import (
	"math"
	"sort"
)

// The grid sampling's alignment patterns: where a 5×5-module template
// fits best around the predicted place (grid.go's bottom-right corner).

// findAlignments returns up to n places within r modules of pred (module
// vectors ex and ey) that look most like an alignment pattern (a dark
// module in a light ring in a dark ring, 5×5 modules), best first, at
// least two modules apart.
func findAlignments(c Gray, pred, ex, ey fpt, r float64, n int) []fpt {
	type cand struct {
		p     fpt
		score float64
	}
	mod := math.Max(math.Hypot(ex.X, ex.Y), math.Hypot(ey.X, ey.Y))
	// a coarse grid first, every other pixel where the pattern's centre
	// module is 2 px or more (a step always lands on it), then the local
	// maxima to a quarter pixel
	step := 1.0
	if mod >= 2 {
		step = 2
	}
	half := math.Round(r * mod / step)
	reach := half * step
	side := 2*int(half) + 1
	score := make([]float64, side*side)
	at := func(i, j int) fpt { return pred.add(fpt{float64(i)*step - reach, float64(j)*step - reach}) }
	for j := range side {
		for i := range side {
			score[j*side+i] = alignmentScoreNearest(c, at(i, j), ex, ey)
		}
	}
	var all []cand
	for j := range side {
		for i := range side {
			sc := score[j*side+i]
			if sc < 40 {
				continue
			}
			peak := true
			for y := max(0, j-1); y <= min(side-1, j+1) && peak; y++ {
				for x := max(0, i-1); x <= min(side-1, i+1); x++ {
					if score[y*side+x] > sc {
						peak = false
						break
					}
				}
			}
			if peak {
				all = append(all, cand{at(i, j), sc})
			}
		}
	}
	sort.Slice(all, func(a, b int) bool { return all[a].score > all[b].score })
	all = all[:min(len(all), 2*n)]
	for i := range all {
		// half the coarse step around it in half pixels, then a quarter
		// pixel around the best of those
		best := all[i]
		for _, f := range [2]struct{ reach, by float64 }{{step / 2, 0.5}, {0.25, 0.25}} {
			centre := best.p
			for dy := -f.reach; dy <= f.reach; dy += f.by {
				for dx := -f.reach; dx <= f.reach; dx += f.by {
					p := centre.add(fpt{dx, dy})
					if sc := alignmentScore(c, p, ex, ey); sc > best.score {
						best = cand{p, sc}
					}
				}
			}
		}
		all[i] = best
	}
	sort.Slice(all, func(a, b int) bool { return all[a].score > all[b].score })
	var out []fpt
	for _, a := range all {
		if len(out) == n {
			break
		}
		far := true
		for _, p := range out {
			if p.dist(a.p) < 2*mod {
				far = false
			}
		}
		if far {
			out = append(out, a.p)
		}
	}
	return out
}

// alignmentScoreNearest is alignmentScore from the nearest pixels, for
// the coarse search (a fifth of the cost of interpolating).
func alignmentScoreNearest(c Gray, p, ex, ey fpt) float64 {
	var dark, light int
	for j := -2; j <= 2; j++ {
		for i := -2; i <= 2; i++ {
			q := p.add(ex.scale(float64(i))).add(ey.scale(float64(j)))
			x, y := int(q.X+0.5), int(q.Y+0.5)
			if !(q.X >= 0 && q.Y >= 0) || x >= c.W || y >= c.H {
				return 0
			}
			v := int(c.Pix[y*c.W+x])
			if max(abs(i), abs(j)) == 1 {
				light += v
			} else {
				dark += v
			}
		}
	}
	return float64(light)/8 - float64(dark)/17
}

// alignmentScore is the mean grey of an alignment pattern's light ring
// less that of its dark modules, centred at p.
func alignmentScore(c Gray, p, ex, ey fpt) float64 {
	var dark, light float32
	for j := -2; j <= 2; j++ {
		for i := -2; i <= 2; i++ {
			q := p.add(ex.scale(float64(i))).add(ey.scale(float64(j)))
			if !q.in(c) {
				return 0
			}
			v := bilinear(c, q)
			if max(abs(i), abs(j)) == 1 {
				light += v
			} else {
				dark += v
			}
		}
	}
	return float64(light/8 - dark/17)
}
