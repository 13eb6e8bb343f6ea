package shapes

import "math"

// pt is a point in image coordinates: x right, y down, pixel (i, j) covers
// [i, i+1] × [j, j+1], so its centre is (i+0.5, j+0.5).
type pt struct{ x, y float64 }

// sdf is a signed distance in pixels: positive inside the shape. Coverage
// for anti-aliasing is clamp(d+0.5, 0, 1) at the pixel centre, and the hard
// mask used for annotations is d > 0, so both agree at coverage ½.
type sdf func(x, y float64) float64

// outline is a shape placed in the image: its distance function and a
// bounding box that contains every pixel with positive coverage.
type outline struct {
	dist                   sdf
	minX, minY, maxX, maxY float64
}

// unit polygons, radius ~1 around the origin; scaled by size/2 on placement.
var unitPolygons = map[string][]pt{
	"square":   regular(4, math.Pi/4, 1.0),
	"triangle": regular(3, -math.Pi/2, 1.08),
	"hexagon":  regular(6, 0, 1.0),
	"star":     star(5, 1.05, 0.45),
	"diamond":  {{0, -1.05}, {0.6, 0}, {0, 1.05}, {-0.6, 0}},
	"cross": {
		{-0.32, -1}, {0.32, -1}, {0.32, -0.32}, {1, -0.32}, {1, 0.32}, {0.32, 0.32},
		{0.32, 1}, {-0.32, 1}, {-0.32, 0.32}, {-1, 0.32}, {-1, -0.32}, {-0.32, -0.32},
	},
	"arrow": {
		{-1, -0.28}, {0.15, -0.28}, {0.15, -0.75}, {1, 0}, {0.15, 0.75}, {0.15, 0.28}, {-1, 0.28},
	},
}

func regular(n int, phase, r float64) []pt {
	out := make([]pt, n)
	for i := range out {
		a := phase + 2*math.Pi*float64(i)/float64(n)
		out[i] = pt{r * math.Cos(a), r * math.Sin(a)}
	}
	return out
}

func star(n int, outer, inner float64) []pt {
	out := make([]pt, 2*n)
	for i := range out {
		r := outer
		if i%2 == 1 {
			r = inner
		}
		a := -math.Pi/2 + math.Pi*float64(i)/float64(n)
		out[i] = pt{r * math.Cos(a), r * math.Sin(a)}
	}
	return out
}

// place builds the outline of shape kind with centre (cx, cy), diameter
// size (pixels) and rotation theta (radians).
func place(kind string, cx, cy, size, theta float64) outline {
	r := size / 2
	switch kind {
	case "circle":
		return circleOutline(cx, cy, r)
	case "ring":
		inner := 0.55 * r
		o := circleOutline(cx, cy, r)
		o.dist = func(x, y float64) float64 {
			d := math.Hypot(x-cx, y-cy)
			return min(r-d, d-inner)
		}
		return o
	case "crescent":
		// a disc minus a smaller disc shifted along the rotation
		cut := 0.8 * r
		ox, oy := cx+0.5*r*math.Cos(theta), cy+0.5*r*math.Sin(theta)
		o := circleOutline(cx, cy, r)
		o.dist = func(x, y float64) float64 {
			return min(r-math.Hypot(x-cx, y-cy), math.Hypot(x-ox, y-oy)-cut)
		}
		return o
	}
	unit := unitPolygons[kind]
	s, c := math.Sincos(theta)
	vs := make([]pt, len(unit))
	o := outline{minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
	for i, p := range unit {
		v := pt{cx + r*(c*p.x-s*p.y), cy + r*(s*p.x+c*p.y)}
		vs[i] = v
		o.minX, o.maxX = min(o.minX, v.x), max(o.maxX, v.x)
		o.minY, o.maxY = min(o.minY, v.y), max(o.maxY, v.y)
	}
	o.dist = polygonSDF(vs)
	return o
}

func circleOutline(cx, cy, r float64) outline {
	return outline{
		dist: func(x, y float64) float64 { return r - math.Hypot(x-cx, y-cy) },
		minX: cx - r, minY: cy - r, maxX: cx + r, maxY: cy + r,
	}
}

// polygonSDF is the exact signed distance to a simple polygon: distance to
// the nearest edge, positive inside by the even-odd rule.
func polygonSDF(vs []pt) sdf {
	return func(x, y float64) float64 {
		best := math.Inf(1)
		inside := false
		j := len(vs) - 1
		for i := range vs {
			a, b := vs[j], vs[i]
			ex, ey := b.x-a.x, b.y-a.y
			wx, wy := x-a.x, y-a.y
			t := (wx*ex + wy*ey) / (ex*ex + ey*ey)
			t = max(0, min(1, t))
			dx, dy := wx-t*ex, wy-t*ey
			if d := dx*dx + dy*dy; d < best {
				best = d
			}
			if (a.y > y) != (b.y > y) && x < a.x+(y-a.y)*ex/ey {
				inside = !inside
			}
			j = i
		}
		d := math.Sqrt(best)
		if inside {
			return d
		}
		return -d
	}
}

// pixelRange returns the pixel rectangle [x0, x1) × [y0, y1) that can have
// positive coverage, clipped to a size×size image.
func (o outline) pixelRange(size int) (x0, y0, x1, y1 int) {
	clip := func(v float64) int { return max(0, min(size, int(v))) }
	return clip(math.Floor(o.minX - 1)), clip(math.Floor(o.minY - 1)), clip(math.Ceil(o.maxX + 1)), clip(math.Ceil(o.maxY + 1))
}
