package shapes

import "math"

// textureParams are the per-image constants of the stuff textures.
type textureParams struct {
	scale     float64 // Config.Texture
	size      float64 // image side
	salt      uint64
	wavePhase float64
	brick     float64 // brick height in pixels
}

// at returns the colour of stuff kind k at pixel (x, y) around base colour c.
// Each kind has its own look so that background class is learnable from
// texture, not only from colour.
func (t textureParams) at(k stuffKind, c [3]float64, x, y int) [3]float64 {
	s := t.scale
	if s == 0 {
		return c
	}
	fx, fy := float64(x)+0.5, float64(y)+0.5
	add := func(d float64) [3]float64 { return [3]float64{c[0] + d, c[1] + d, c[2] + d} }
	switch k {
	case stuffSky:
		// brighter towards the top, soft clouds
		cloud := valueNoise(fx, fy, t.size/4, t.salt)
		d := s * (22*(0.5-fy/t.size) + 40*math.Max(0, cloud-0.55))
		return add(d)
	case stuffGrass:
		// short vertical blades
		d := s * 38 * (hash01(x, y/3, t.salt) - 0.5)
		return [3]float64{c[0] + 0.5*d, c[1] + d, c[2] + 0.3*d}
	case stuffWater:
		// horizontal ripples with light crests
		w := math.Sin(0.9*fy + 2*math.Sin(0.25*fx+t.wavePhase))
		d := s * (16*w + 10*math.Max(0, w-0.8)*5)
		return [3]float64{c[0] + 0.6*d, c[1] + 0.8*d, c[2] + d}
	case stuffSand:
		d := s * (22*(hash01(x, y, t.salt)-0.5) + 7*math.Sin(0.35*fx+0.2*fy+t.wavePhase))
		return add(d)
	case stuffWall:
		// bricks in offset rows with light mortar
		bh := t.brick
		row := math.Floor(fy / bh)
		off := 0.0
		if int(row)%2 == 1 {
			off = bh
		}
		if math.Mod(fy, bh) < 1 || math.Mod(fx+off, 2*bh) < 1 {
			m := 190 + (c[0]-165)*0.3
			return [3]float64{c[0]*(1-s) + m*s, c[1]*(1-s) + m*s, c[2]*(1-s) + (m-10)*s}
		}
		col := int(math.Floor((fx + off) / (2 * bh)))
		return add(s * 26 * (hash01(col, int(row), t.salt) - 0.5))
	default: // road: asphalt grain
		return add(s * 16 * (hash01(x, y, t.salt) - 0.5))
	}
}
