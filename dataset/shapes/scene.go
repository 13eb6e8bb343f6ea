package shapes

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Object is one thing of a scene as annotated: its class, named colour,
// drawn diameter and pose, and its visible (unoccluded) pixels.
type Object struct {
	Class      int     // index into the thing classes
	CategoryID int64   // COCO category id
	Color      string  // palette colour name
	Size       float64 // drawn diameter in pixels (a crowd: its spread)
	CX, CY     float64 // centre in pixels
	Rotation   float64 // degrees
	Crowd      bool    // a dense group annotated as one iscrowd=1 region
	Members    int     // shapes in a crowd group (1 otherwise)
	Area       int     // visible pixels
	BBox       [4]int  // visible pixels' box x, y, w, h
}

// StuffRegion is one background class present in a scene.
type StuffRegion struct {
	Kind       int
	CategoryID int64
	Name       string
	Area       int    // pixels labelled with it in the panoptic map
	BBox       [4]int // of those pixels
}

// Scene is one rendered image with everything the annotation files need.
type Scene struct {
	Size    int
	Pix     []uint8 // RGB, row-major, Size·Size·3
	Objects []Object
	Stuff   []StuffRegion // in region order, top to bottom; Area 0 ones dropped
	label   []int16       // visible object per pixel, -1 for none
	stuffAt []int8        // stuff region per pixel, -1 on a void border
	regions []stuffKind   // kind of each stuff region
}

// voidStuff marks a pixel on an ambiguous stuff boundary.
const voidStuff = -1

type placed struct {
	Object
	rgb            [3]float64
	outlines       []outline
	pixels         []int32   // hard mask, union over outlines
	x0, y0, x1, y1 int       // pixel range of cov
	cov            []float32 // anti-aliased coverage over the range, row-major
}

// boundary is a wavy horizontal curve y = h + a·sin(f·x + phase).
type boundary struct{ h, a, f, phase float64 }

func (b boundary) at(x float64) float64 { return b.h + b.a*math.Sin(b.f*x+b.phase) }

// Render draws image index of a split. The same (cfg, seed, split, index)
// always gives the same scene.
func Render(cfg Config, seed int64, split string, index int) *Scene {
	r := imageRand(seed, split, index)
	S := cfg.Size
	sc := &Scene{
		Size:    S,
		label:   make([]int16, S*S),
		stuffAt: make([]int8, S*S),
	}
	for i := range sc.label {
		sc.label[i] = -1
	}
	kinds := sc.layoutStuff(cfg, r)
	sc.regions = kinds
	base := make([][3]float64, len(kinds))
	for i, k := range kinds {
		for c := 0; c < 3; c++ {
			base[i][c] = stuffs[k].base[c] + uniform(r, -15, 15)
		}
	}
	objs := sc.placeObjects(cfg, r, kinds, base)
	sc.paint(cfg, r, kinds, base, objs)
	sc.summarise(kinds, objs)
	return sc
}

// layoutStuff picks 1..MaxStuff background regions stacked top to bottom
// and labels every pixel with its region (or void near a boundary).
func (sc *Scene) layoutStuff(cfg Config, r *rand.Rand) []stuffKind {
	S := float64(sc.Size)
	n := intIn(r, 1, cfg.MaxStuff)
	var kinds []stuffKind
	switch n {
	case 1:
		// The same draw as over all kinds when cfg.Stuff is empty, so
		// default worlds are unchanged.
		allowed := make([]stuffKind, 0, numStuff)
		for k := range numStuff {
			if len(cfg.Stuff) == 0 || slices.Contains(cfg.Stuff, stuffs[k].name) {
				allowed = append(allowed, k)
			}
		}
		kinds = []stuffKind{allowed[r.IntN(len(allowed))]}
	case 2:
		top := []stuffKind{stuffSky, stuffWall}[r.IntN(2)]
		bottom := []stuffKind{stuffGrass, stuffWater, stuffSand, stuffRoad}[r.IntN(4)]
		kinds = []stuffKind{top, bottom}
	default:
		mid := []stuffKind{stuffWater, stuffGrass}[r.IntN(2)]
		bottom := []stuffKind{stuffSand, stuffRoad}[r.IntN(2)]
		kinds = []stuffKind{stuffSky, mid, bottom}
	}
	var bounds []boundary
	mk := func(lo, hi float64) boundary {
		return boundary{
			h:     uniform(r, lo, hi) * S,
			a:     uniform(r, 0, 0.06) * S,
			f:     2 * math.Pi / (uniform(r, 0.4, 1.5) * S),
			phase: uniform(r, 0, 2*math.Pi),
		}
	}
	switch n {
	case 2:
		bounds = []boundary{mk(0.3, 0.7)}
	case 3:
		bounds = []boundary{mk(0.2, 0.42), mk(0.58, 0.8)}
	}
	for x := 0; x < sc.Size; x++ {
		fx := float64(x) + 0.5
		ys := make([]float64, len(bounds))
		for k, b := range bounds {
			ys[k] = b.at(fx)
		}
		for y := 0; y < sc.Size; y++ {
			fy := float64(y) + 0.5
			region := 0
			void := false
			for k, by := range ys {
				if fy > by {
					region = k + 1
				}
				if math.Abs(fy-by) < cfg.VoidBorder {
					void = true
				}
			}
			// a later boundary above an earlier one (waves crossing)
			// cannot happen: bands are separated by more than 2·amplitude.
			v := int8(region)
			if void {
				v = voidStuff
			}
			sc.stuffAt[y*sc.Size+x] = v
		}
	}
	return kinds
}

// regionAt returns the stuff region index under pixel i, looking past a
// void border to the nearest labelled pixel above or below.
func (sc *Scene) regionAt(i int) int {
	if v := sc.stuffAt[i]; v != voidStuff {
		return int(v)
	}
	S := sc.Size
	for d := 1; d < S; d++ {
		if j := i + d*S; j < len(sc.stuffAt) && sc.stuffAt[j] != voidStuff {
			return int(sc.stuffAt[j])
		}
		if j := i - d*S; j >= 0 && sc.stuffAt[j] != voidStuff {
			return int(sc.stuffAt[j])
		}
	}
	return 0
}

func (sc *Scene) enabledThings(cfg Config) []int {
	if len(cfg.Shapes) == 0 {
		out := make([]int, len(things))
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, 0, len(cfg.Shapes))
	for _, s := range cfg.Shapes {
		out = append(out, thingIndex(s))
	}
	return out
}

// placeObjects draws objects one at a time on top of the previous ones,
// rejecting a placement that would leave any object (itself included) with
// too little visible area.
func (sc *Scene) placeObjects(cfg Config, r *rand.Rand, kinds []stuffKind, base [][3]float64) []*placed {
	S := float64(sc.Size)
	classes := sc.enabledThings(cfg)
	var objs []*placed
	full := []int{} // full mask size per object
	vis := []int{}  // currently visible pixels per object
	covered := map[int16]int{}
	try := func(p *placed) bool {
		p.pixels = p.pixels[:0]
		x0, y0, x1, y1 := sc.Size, sc.Size, 0, 0
		for _, o := range p.outlines {
			a, b, c, d := o.pixelRange(sc.Size)
			x0, y0, x1, y1 = min(x0, a), min(y0, b), max(x1, c), max(y1, d)
		}
		x1, y1 = max(x0, x1), max(y0, y1)
		p.x0, p.y0, p.x1, p.y1 = x0, y0, x1, y1
		p.cov = p.cov[:0]
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				fx, fy := float64(x)+0.5, float64(y)+0.5
				d := math.Inf(-1)
				for _, o := range p.outlines {
					d = max(d, o.dist(fx, fy))
				}
				// coverage ½ at d = 0 keeps image and hard mask consistent
				p.cov = append(p.cov, float32(min(1, max(0, d+0.5))))
				if d > 0 {
					p.pixels = append(p.pixels, int32(y*sc.Size+x))
				}
			}
		}
		if len(p.pixels) < cfg.MinVisiblePixels {
			return false
		}
		clear(covered)
		for _, i := range p.pixels {
			if l := sc.label[i]; l >= 0 {
				covered[l]++
			}
		}
		for l, n := range covered {
			left := vis[l] - n
			if left < cfg.MinVisiblePixels || float64(left) < (1-cfg.MaxOcclusion)*float64(full[l]) {
				return false
			}
		}
		for l, n := range covered {
			vis[l] -= n
		}
		k := int16(len(objs))
		for _, i := range p.pixels {
			sc.label[i] = k
		}
		objs = append(objs, p)
		full = append(full, len(p.pixels))
		vis = append(vis, len(p.pixels))
		return true
	}
	colors := make([]int, 0, len(palette)) // as drawn: all, or cfg.Colors
	for i, c := range palette {
		if len(cfg.Colors) == 0 || slices.Contains(cfg.Colors, c.name) {
			colors = append(colors, i)
		}
	}
	classColor, _ := cfg.classColors() // Validate has checked the lists
	pickColor := func(cls int, cx, cy float64) (int, [3]float64) {
		px := min(sc.Size-1, max(0, int(cx))) + sc.Size*min(sc.Size-1, max(0, int(cy)))
		bg := base[sc.regionAt(px)]
		ci := colors[r.IntN(len(colors))]
		if classColor != nil {
			// The draw above is still made, so every later draw is as
			// without the option.
			ci = classColor[cls]
		} else {
			for t := 0; t < 16 && dist3(palette[ci].rgb, bg) < cfg.MinContrast; t++ {
				ci = colors[r.IntN(len(colors))]
			}
		}
		var rgb [3]float64
		for c := range rgb {
			rgb[c] = clamp255(palette[ci].rgb[c] + uniform(r, -cfg.ColorJitter, cfg.ColorJitter))
		}
		return ci, rgb
	}
	rot := func() float64 { return uniform(r, -cfg.MaxRotation, cfg.MaxRotation) }

	if r.Float64() < cfg.CrowdProb {
		for t := 0; t < 10; t++ {
			cls := classes[r.IntN(len(classes))]
			spread := uniform(r, 0.12, 0.2) * S
			cx, cy := uniform(r, spread, S-spread), uniform(r, spread, S-spread)
			ci, rgb := pickColor(cls, cx, cy)
			m := intIn(r, cfg.CrowdMinMembers, cfg.CrowdMaxMembers)
			p := &placed{Object: Object{Class: cls, Color: palette[ci].name, Size: 2 * spread, CX: cx, CY: cy, Crowd: true, Members: m}, rgb: rgb}
			for j := 0; j < m; j++ {
				a, d := uniform(r, 0, 2*math.Pi), spread*math.Sqrt(r.Float64())
				size := uniform(r, 0.06, 0.1) * S
				p.outlines = append(p.outlines, place(things[cls].name, cx+d*math.Cos(a), cy+d*math.Sin(a), size, rot()*math.Pi/180))
			}
			if try(p) {
				break
			}
		}
	}
	n := intIn(r, cfg.MinObjects, cfg.MaxObjects)
	logMin, logMax := math.Log(cfg.MinObjectSize*S), math.Log(cfg.MaxObjectSize*S)
	for k := 0; k < n; k++ {
		for t := 0; t < 30; t++ {
			cls := classes[r.IntN(len(classes))]
			size := math.Exp(uniform(r, logMin, logMax))
			m := 0.3 * size
			cx, cy := uniform(r, m, S-m), uniform(r, m, S-m)
			theta := rot()
			ci, rgb := pickColor(cls, cx, cy)
			p := &placed{Object: Object{Class: cls, Color: palette[ci].name, Size: size, CX: cx, CY: cy, Rotation: theta, Members: 1}, rgb: rgb}
			p.outlines = []outline{place(things[cls].name, cx, cy, size, theta*math.Pi/180)}
			if try(p) {
				break
			}
		}
	}
	return objs
}

func dist3(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

func clamp255(v float64) float64 { return max(0, min(255, v)) }

// paint renders stuff textures, composites the objects with anti-aliased
// coverage, then applies a lighting gradient and pixel noise.
func (sc *Scene) paint(cfg Config, r *rand.Rand, kinds []stuffKind, base [][3]float64, objs []*placed) {
	S := sc.Size
	canvas := make([]float64, 3*S*S)
	salt := r.Uint64()
	tx := textureParams{
		scale: cfg.Texture, size: float64(S), salt: salt,
		wavePhase: uniform(r, 0, 2*math.Pi), brick: math.Max(3, float64(S)/10),
	}
	for y := 0; y < S; y++ {
		for x := 0; x < S; x++ {
			i := y*S + x
			reg := sc.regionAt(i)
			c := tx.at(kinds[reg], base[reg], x, y)
			canvas[3*i], canvas[3*i+1], canvas[3*i+2] = c[0], c[1], c[2]
		}
	}
	for _, p := range objs {
		// a soft top-left highlight keeps flat shapes from looking pasted on
		shade := 0.12 * cfg.Texture
		k := 0
		for y := p.y0; y < p.y1; y++ {
			for x := p.x0; x < p.x1; x++ {
				cov := float64(p.cov[k])
				k++
				if cov == 0 {
					continue
				}
				fx, fy := float64(x)+0.5, float64(y)+0.5
				l := 1 - shade*((fx-p.CX)+(fy-p.CY))/max(p.Size, 1)
				i := 3 * (y*S + x)
				for c := 0; c < 3; c++ {
					canvas[i+c] = canvas[i+c]*(1-cov) + clamp255(p.rgb[c]*l)*cov
				}
			}
		}
	}
	ga := uniform(r, 0, 2*math.Pi)
	gs := cfg.Lighting * r.Float64()
	gx, gy := gs*math.Cos(ga), gs*math.Sin(ga)
	sc.Pix = make([]uint8, 3*S*S)
	inv := 1 / float64(S)
	for y := 0; y < S; y++ {
		for x := 0; x < S; x++ {
			l := 1 + 2*(gx*((float64(x)+0.5)*inv-0.5)+gy*((float64(y)+0.5)*inv-0.5))
			i := 3 * (y*S + x)
			for c := 0; c < 3; c++ {
				v := canvas[i+c]*l + cfg.Noise*(2*r.Float64()-1)
				sc.Pix[i+c] = uint8(clamp255(math.Round(v)))
			}
		}
	}
}

// summarise fills Objects and Stuff from the label maps.
func (sc *Scene) summarise(kinds []stuffKind, objs []*placed) {
	S := sc.Size
	type acc struct{ n, x0, y0, x1, y1 int }
	newAcc := func() acc { return acc{0, S, S, -1, -1} }
	add := func(a *acc, x, y int) {
		a.n++
		a.x0, a.y0, a.x1, a.y1 = min(a.x0, x), min(a.y0, y), max(a.x1, x), max(a.y1, y)
	}
	box := func(a acc) [4]int { return [4]int{a.x0, a.y0, a.x1 - a.x0 + 1, a.y1 - a.y0 + 1} }
	oa := make([]acc, len(objs))
	for i := range oa {
		oa[i] = newAcc()
	}
	sa := make([]acc, len(kinds))
	for i := range sa {
		sa[i] = newAcc()
	}
	for y := 0; y < S; y++ {
		for x := 0; x < S; x++ {
			i := y*S + x
			if l := sc.label[i]; l >= 0 {
				add(&oa[l], x, y)
			} else if s := sc.stuffAt[i]; s != voidStuff {
				add(&sa[s], x, y)
			}
		}
	}
	for k, p := range objs {
		o := p.Object
		o.CategoryID = thingCategoryID(o.Class)
		o.Area = oa[k].n
		o.BBox = box(oa[k])
		sc.Objects = append(sc.Objects, o)
	}
	for k, kind := range kinds {
		if sa[k].n == 0 {
			continue
		}
		sc.Stuff = append(sc.Stuff, StuffRegion{
			Kind: int(kind), CategoryID: stuffCategoryID(kind), Name: stuffs[kind].name,
			Area: sa[k].n, BBox: box(sa[k]),
		})
	}
}
