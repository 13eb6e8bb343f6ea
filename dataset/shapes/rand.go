package shapes

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// imageRand returns the generator of image index of a split: seeded from
// (seed, split, index) only, so images do not depend on the order or the
// number of workers that make them.
func imageRand(seed int64, split string, index int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(split))
	a := splitmix(uint64(seed) ^ splitmix(h.Sum64()))
	b := splitmix(a ^ uint64(index)*0x9e3779b97f4a7c15)
	return rand.New(rand.NewPCG(a, b))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash01 is a cheap stateless hash of a lattice point into [0, 1), for
// textures that must not consume the image's random stream per pixel.
func hash01(x, y int, salt uint64) float64 {
	v := splitmix(uint64(uint32(x)) | uint64(uint32(y))<<32 ^ salt)
	return float64(v>>11) / (1 << 53)
}

// valueNoise is bilinearly interpolated lattice noise with cell size cell.
func valueNoise(x, y, cell float64, salt uint64) float64 {
	gx, gy := x/cell, y/cell
	ix, iy := math.Floor(gx), math.Floor(gy)
	fx, fy := gx-ix, gy-iy
	fx, fy = fx*fx*(3-2*fx), fy*fy*(3-2*fy)
	i, j := int(ix), int(iy)
	a := hash01(i, j, salt)
	b := hash01(i+1, j, salt)
	c := hash01(i, j+1, salt)
	d := hash01(i+1, j+1, salt)
	return a + (b-a)*fx + (c-a)*fy + (a-b-c+d)*fx*fy
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

func intIn(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }
