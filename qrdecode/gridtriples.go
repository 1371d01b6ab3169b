package qrdecode

import (
	"math"
	"sort"
)

// The grid sampling's finder triples: which three of the scanned finder
// patterns sit like a code's, scored against a finder's template, their
// centres refined to a fraction of a pixel (grid.go uses them).

// finderTriples returns up to n triples of the patterns in c that sit
// like a code's finder patterns (see triangle in finder.go), best first.
// A code's data holds look-alikes, so each triple is scored by how well
// its three patterns match a finder's 7×7-module template along the
// triple's own axes (each at its own width, and at 0.85 and 0.71 of it)
// and by how much of a timing pattern shows along each leg.
func finderTriples(c Gray, cs []Point, ws []int, n, keep int) []finderTriple {
	return finderTriplesLeg(c, cs, ws, n, keep, false)
}

// finderTriplesLeg is finderTriples, or, short, the triples a leg of
// which is under 2 widths (at least gridShortLeg): a version 1 code's
// finder centres are 14 modules apart, 2 widths square-on, and tilted
// away or turned its far leg measures 1.3-2 of the patterns' mean width
// (a row's chord through a turned pattern is up to √2 wider).
func finderTriplesLeg(c Gray, cs []Point, ws []int, n, keep int, short bool) []finderTriple {
	minLeg := 2.0
	if short {
		minLeg = gridShortLeg
	}
	type scored struct {
		t     finderTriple
		score float64 // squareness first (lower is squarer), then the match
		size  float64 // the legs' length summed
	}
	// every pattern's centre refined once (a row scan's centre of a turned
	// or tilted pattern can be a module off), before the triples are
	// scored on it
	ref := make([]fpt, len(cs))
	for i, p := range cs {
		ref[i] = refineCentre(c, pointOf(p), float64(ws[i]))
	}
	var all []scored
	for i := 0; i < len(cs); i++ {
		for j := i + 1; j < len(cs); j++ {
			for k := j + 1; k < len(cs); k++ {
				w := [3]int{ws[i], ws[j], ws[k]}
				lo, hi := min(w[0], w[1], w[2]), max(w[0], w[1], w[2])
				if hi > 2*lo {
					continue
				}
				// a row crosses a turned finder pattern along a chord that
				// depends on the row: a width far from the other two is
				// that, not perspective, and gives way to their median
				med := w[0] + w[1] + w[2] - lo - hi
				for x := range w {
					if 10*w[x] > 13*med || 13*w[x] < 10*med {
						w[x] = med
					}
				}
				width := float64(w[0]+w[1]+w[2]) / 3
				pts := [3]fpt{ref[i], ref[j], ref[k]}
				for c := range 3 {
					o, p, q := pts[c], pts[(c+1)%3], pts[(c+2)%3]
					wo, wp, wq := float64(w[c]), float64(w[(c+1)%3]), float64(w[(c+2)%3])
					u, v := p.sub(o), q.sub(o)
					lu, lv := math.Hypot(u.X, u.Y), math.Hypot(v.X, v.Y)
					if lu < minLeg*width || lv < minLeg*width || 3*lu > 5*lv || 3*lv > 5*lu {
						continue
					}
					if short && lu >= 2*width && lv >= 2*width {
						continue // finderTriples' own
					}
					if math.Abs(u.dot(v))/(lu*lv) >= 0.57 {
						continue
					}
					if u.cross(v) < 0 {
						p, q, wp, wq = q, p, wq, wp
					}
					geo := math.Abs(u.dot(v))/(lu*lv) + math.Abs(lu-lv)/max(lu, lv) - min(lu, lv)/(100*width)
					all = append(all, scored{finderTriple{o, p, q, width, [3]float64{wo, wp, wq}}, geo, lu + lv})
				}
			}
		}
	}
	if len(all) > 2*keep {
		// the template costs 243 samples a triple: the largest triangles
		// (a code's finder patterns are its outermost) and the squarest
		// (a code seen square-on) only
		sort.Slice(all, func(a, b int) bool { return all[a].size > all[b].size })
		rest := all[keep:]
		sort.Slice(rest, func(a, b int) bool { return rest[a].score < rest[b].score })
		all = all[:2*keep]
	}
	for i := range all {
		// each pattern at its own module size (in perspective the near
		// one is larger), and the timing patterns between them
		t := &all[i].t
		ux, uy := t.tr.sub(t.tl).scale(1/t.tr.dist(t.tl)), t.bl.sub(t.tl).scale(1/t.bl.dist(t.tl))
		all[i].score = 0
		for k, p := range [3]fpt{t.tl, t.tr, t.bl} {
			// a row crosses a turned pattern up to √2 wider than it is
			best := math.Inf(-1)
			for _, f := range [3]float64{1, 0.85, 0.71} {
				m := f * t.widths[k] / 7
				best = max(best, finderScore(c, p, ux.scale(m), uy.scale(m)))
			}
			all[i].score += best
		}
		all[i].score += 100 * (timingShare(c, t.tl, t.tr, t.bl, t.width/7) + timingShare(c, t.tl, t.bl, t.tr, t.width/7))
	}
	sort.Slice(all, func(a, b int) bool { return all[a].score > all[b].score })
	out := make([]finderTriple, 0, n)
	for _, s := range all {
		if len(out) == n {
			break
		}
		dup := false
		for _, t := range out {
			if t.tl.near(s.t.tl, 1) && t.tr.near(s.t.tr, 1) && t.bl.near(s.t.bl, 1) {
				dup = true
			}
		}
		if !dup {
			out = append(out, s.t)
		}
	}
	return out
}

// finderScore is how well a finder pattern centred at p, with module
// vectors ex and ey, shows: the mean grey of its light ring (2 modules
// out) and of the separator around it (4 out), less that of its dark
// centre square and outer ring.
func finderScore(c Gray, p, ex, ey fpt) float64 {
	var dark, light float32
	var nd, nl int
	for j := -4; j <= 4; j++ {
		for i := -4; i <= 4; i++ {
			q := p.add(ex.scale(float64(i))).add(ey.scale(float64(j)))
			ring := max(abs(i), abs(j))
			v := bilinear(c, q)
			switch {
			case ring == 4 && !q.in(c):
				continue
			case ring == 2 || ring == 4:
				light, nl = light+v, nl+1
			default:
				dark, nd = dark+v, nd+1
			}
		}
	}
	if nl == 0 || nd == 0 {
		return 0
	}
	return float64(light/float32(nl) - dark/float32(nd))
}

// refineCentre moves the centre p of a finder pattern of width w to the
// centroid of the darkness of its 3×3-module centre square, again from
// there until it moves less than a tenth of a pixel (at most 4 times: the
// row scan's centre can be off by a module in perspective).
func refineCentre(g Gray, p fpt, w float64) fpt {
	m := w / 7
	if m < gridSubModule {
		return refineCentreSub(g, p, w)
	}
	for range 4 {
		x0, y0 := p.round()
		r := int(math.Ceil(3.5 * m))
		lo, hi := 255, 0
		for y := max(0, y0-r); y <= min(g.H-1, y0+r); y++ {
			for x := max(0, x0-r); x <= min(g.W-1, x0+r); x++ {
				v := int(g.Pix[y*g.W+x])
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		t := float64(lo+hi) / 2
		rc := int(math.Round(1.5 * m))
		var sw, sx, sy float64
		for y := max(0, y0-rc); y <= min(g.H-1, y0+rc); y++ {
			for x := max(0, x0-rc); x <= min(g.W-1, x0+rc); x++ {
				if wt := t - float64(g.Pix[y*g.W+x]); wt > 0 {
					sw, sx, sy = sw+wt, sx+wt*float64(x), sy+wt*float64(y)
				}
			}
		}
		if sw == 0 {
			return p
		}
		q := fpt{sx / sw, sy / sw}
		if q.near(p, 0.1) {
			return q
		}
		p = q
	}
	return p
}

// refineCentreSub is refineCentre for small patterns (modules under
// gridSubModule px): the centre square's window is sampled bilinearly
// at quarter pixels around the current centre itself, not over the
// whole pixels around the rounded one. With 1.2-1.3 px modules that
// whole-pixel window (5 px for a 3.9 px square) takes in the light ring
// and, a pixel off, the outer ring on one side, and its centroid settled
// up to 1.6 px (more than a module) off the true centre (version 7
// drawn at 1.6 and 1.7 px 10°, the far top-left pattern); this one
// comes within 0.35 px on the drawn small codes.
func refineCentreSub(g Gray, p fpt, w float64) fpt {
	m := w / 7
	x0, y0 := p.round()
	r := int(math.Ceil(3.5 * m))
	lo, hi := 255, 0
	for y := max(0, y0-r); y <= min(g.H-1, y0+r); y++ {
		for x := max(0, x0-r); x <= min(g.W-1, x0+r); x++ {
			v := int(g.Pix[y*g.W+x])
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	t := float32(lo+hi) / 2
	h := 1.5 * m
	for range 6 {
		var sw, sx, sy float64
		for dy := -h; dy <= h; dy += 0.25 {
			for dx := -h; dx <= h; dx += 0.25 {
				if wt := t - bilinear(g, p.add(fpt{dx, dy})); wt > 0 {
					sw, sx, sy = sw+float64(wt), sx+float64(wt)*dx, sy+float64(wt)*dy
				}
			}
		}
		if sw == 0 {
			return p
		}
		d := fpt{sx / sw, sy / sw}
		p = p.add(d)
		if math.Abs(d.X) < 0.05 && math.Abs(d.Y) < 0.05 {
			break
		}
	}
	return p
}

// gridSubModule is the module size (px, a pattern's width / 7) under
// which refineCentre samples its window at quarter pixels
// (refineCentreSub). At 2.0 the drawn version 7 code at 2.2 px 0° (11 px
// patterns) no longer read; patterns of 1.5 px modules and more are
// centred well enough by whole pixels.
const gridSubModule = 1.5

// gridShortLeg is the shortest leg (in the patterns' mean widths) of the
// thorough mode's triples for a version 1 code (finderTriplesLeg).
const gridShortLeg = 1.25
