package rle

import (
	"math"
	"slices"
)

// polyScale is the upsampling factor of the boundary walk (pycocotools' 5).
const polyScale = 5

// MaxCoord bounds polygon and box coordinates (in pixels, either sign):
// beyond it the upsampled integer walk of the reference would overflow, and
// no real annotation comes near it.
const MaxCoord = 1 << 24

// maxWalk bounds the number of upsampled boundary points of one polygon, so
// that a hostile polygon cannot make rasterisation run for minutes.
const maxWalk = 1 << 25

// FromPolygon rasterises one polygon [x1, y1, x2, y2, ...] (at least three
// points) into an h×w mask exactly as pycocotools' frPyObjects does.
func FromPolygon(xy []float64, h, w int) (RLE, error) {
	return fromPolygon(xy, h, w, 6)
}

// fromPolygon is FromPolygon accepting minCoords coordinates or more.
func fromPolygon(xy []float64, h, w, minCoords int) (RLE, error) {
	if err := checkSize(h, w); err != nil {
		return RLE{}, err
	}
	if len(xy) < minCoords || len(xy)%2 != 0 {
		return RLE{}, invalidf("polygon has %d coordinates, want an even number >= %d", len(xy), minCoords)
	}
	for i, v := range xy {
		if math.IsNaN(v) || v < -MaxCoord || v > MaxCoord {
			return RLE{}, invalidf("polygon coordinate %d is %v (want a finite value within ±%d)", i, v, MaxCoord)
		}
	}
	return rasterise(xy, h, w)
}

// FromBBox rasterises the box [x, y, w, h] as pycocotools' frBbox does (the
// polygon of its four corners).
func FromBBox(bb [4]float64, h, w int) (RLE, error) {
	xs, ys := bb[0], bb[1]
	xe, ye := xs+bb[2], ys+bb[3]
	return FromPolygon([]float64{xs, ys, xs, ye, xe, ye, xe, ys}, h, w)
}

// FromPolygons rasterises a COCO polygon segmentation (a list of polygons)
// into one mask, their union, as pycocotools' frPyObjects + merge does. Like
// there, the first entry decides the kind: if it has 4 numbers every entry
// is a box [x, y, w, h], otherwise every entry is a polygon (a later
// 4-number entry is then a two-point polygon). Odd-length entries are an
// error here (pycocotools drops the last number). An empty list gives an
// empty mask.
func FromPolygons(polys [][]float64, h, w int) (RLE, error) {
	if err := checkSize(h, w); err != nil {
		return RLE{}, err
	}
	boxes := len(polys) > 0 && len(polys[0]) == 4
	parts := make([]RLE, 0, len(polys))
	for i, p := range polys {
		var r RLE
		var err error
		switch {
		case boxes && len(p) != 4:
			err = invalidf("has %d numbers; the first entry is a box, so every entry must be [x y w h]", len(p))
		case boxes:
			r, err = FromBBox([4]float64(p), h, w)
		default:
			r, err = fromPolygon(p, h, w, 4)
		}
		if err != nil {
			return RLE{}, invalidf("polygon %d: %v", i, errorsTail(err))
		}
		parts = append(parts, r)
	}
	if len(parts) == 0 {
		return Empty(h, w), nil
	}
	return Merge(parts, false)
}

// Empty is the all-background h×w mask.
func Empty(h, w int) RLE {
	return RLE{Height: h, Width: w, Counts: []uint32{uint32(h * w)}}
}

// errorsTail strips the ErrInvalid prefix so nested messages read once.
func errorsTail(err error) string {
	s := err.Error()
	p := ErrInvalid.Error() + ": "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// rasterise is the reference algorithm: walk the polygon boundary on a 5×
// finer integer grid, keep the points where the walk crosses a pixel column
// centre, turn each into the first pixel (column-major) below the boundary
// in that column, and read the sorted crossings as run boundaries (each
// crossing toggles inside/outside). Coordinates are already validated.
func rasterise(xy []float64, h, w int) (RLE, error) {
	k := len(xy) / 2
	// Round the scaled vertices the C way: (int)(v*5+.5) truncates toward 0.
	px := make([]int, k+1)
	py := make([]int, k+1)
	for j := 0; j < k; j++ {
		px[j] = int(float64(polyScale*xy[2*j]) + .5)
		py[j] = int(float64(polyScale*xy[2*j+1]) + .5)
	}
	px[k], py[k] = px[0], py[0]
	walk := 0
	for j := 0; j < k; j++ {
		walk += max(absInt(px[j]-px[j+1]), absInt(py[j]-py[j+1])) + 1
	}
	if walk > maxWalk {
		return RLE{}, invalidf("polygon too large to rasterise (%d boundary steps)", walk)
	}

	var cross []uint32 // column-major pixel index of each crossing
	var pu, pv int
	first := true
	visit := func(u, v int) {
		if !first && u != pu {
			cross = appendCrossing(cross, u, v, pu, pv, h, w)
		}
		first = false
		pu, pv = u, v
	}
	for j := 0; j < k; j++ {
		xs, xe, ys, ye := px[j], px[j+1], py[j], py[j+1]
		dx, dy := absInt(xe-xs), absInt(ye-ys)
		// Walk every edge from the endpoint with the smaller major
		// coordinate, so rounding does not depend on the edge's direction,
		// but emit the points in the original order.
		flip := (dx >= dy && xs > xe) || (dx < dy && ys > ye)
		if flip {
			xs, xe = xe, xs
			ys, ye = ye, ys
		}
		switch {
		case dx == 0 && dy == 0:
			// A repeated vertex: the reference computes 0/0 here and its
			// (int)NaN is INT_MIN on x86; reproduce that on every platform.
			visit(xs, math.MinInt32)
		case dx >= dy:
			s := float64(ye-ys) / float64(dx)
			for d := 0; d <= dx; d++ {
				t := d
				if flip {
					t = dx - d
				}
				visit(t+xs, int(float64(ys)+float64(s*float64(t))+.5))
			}
		default:
			s := float64(xe-xs) / float64(dy)
			for d := 0; d <= dy; d++ {
				t := d
				if flip {
					t = dy - d
				}
				visit(int(float64(xs)+float64(s*float64(t))+.5), t+ys)
			}
		}
	}
	return runsFromCrossings(cross, h, w), nil
}

// appendCrossing turns a step of the walk that changes column (u) into the
// crossing it makes, if that crossing lies on a pixel column centre inside
// the image.
func appendCrossing(cross []uint32, u, v, pu, pv, h, w int) []uint32 {
	xu := u - 1
	if u < pu {
		xu = u
	}
	xd := (float64(xu)+.5)/polyScale - .5
	if math.Floor(xd) != xd || xd < 0 || xd > float64(w-1) {
		return cross
	}
	yv := pv
	if v < pv {
		yv = v
	}
	yd := (float64(yv)+.5)/polyScale - .5
	if yd < 0 {
		yd = 0
	} else if yd > float64(h) {
		yd = float64(h)
	}
	yd = math.Ceil(yd)
	return append(cross, uint32(int(xd)*h+int(yd)))
}

// runsFromCrossings sorts the crossings and turns them into run lengths; two
// crossings at the same pixel cancel.
func runsFromCrossings(cross []uint32, h, w int) RLE {
	cross = append(cross, uint32(h*w))
	slices.Sort(cross)
	var prev uint32
	for j, c := range cross {
		cross[j] = c - prev
		prev = c
	}
	counts := make([]uint32, 0, len(cross))
	counts = append(counts, cross[0])
	for j := 1; j < len(cross); j++ {
		if cross[j] > 0 {
			counts = append(counts, cross[j])
			continue
		}
		// A zero-length run: fold the following run into the previous one.
		j++
		if j < len(cross) {
			counts[len(counts)-1] += cross[j]
		}
	}
	return RLE{Height: h, Width: w, Counts: counts}
}

func absInt(a int) int {
	if a < 0 {
		return -a
	}
	return a
}
