package shapes

import "rewardvision/dataset/coco"

// thing and stuff class tables. Ids are stable across configs: things
// 1..10, stuff 11..16 (things first, as in COCO panoptic).
var things = []struct {
	name, plural, super string
}{
	{"circle", "circles", "round"},
	{"square", "squares", "polygon"},
	{"triangle", "triangles", "polygon"},
	{"star", "stars", "symbol"},
	{"hexagon", "hexagons", "polygon"},
	{"cross", "crosses", "symbol"},
	{"ring", "rings", "round"},
	{"arrow", "arrows", "symbol"},
	{"diamond", "diamonds", "polygon"},
	{"crescent", "crescents", "round"},
}

type stuffKind int

const (
	stuffSky stuffKind = iota
	stuffGrass
	stuffWater
	stuffSand
	stuffWall
	stuffRoad
	numStuff
)

var stuffs = []struct {
	name, super string
	base        [3]float64
}{
	stuffSky:   {"sky", "sky", [3]float64{135, 185, 235}},
	stuffGrass: {"grass", "plant", [3]float64{70, 140, 50}},
	stuffWater: {"water", "water", [3]float64{40, 90, 160}},
	stuffSand:  {"sand", "ground", [3]float64{215, 190, 135}},
	stuffWall:  {"wall", "building", [3]float64{165, 90, 70}},
	stuffRoad:  {"road", "ground", [3]float64{90, 90, 95}},
}

// ThingCategoryID returns the category id of thing class index i.
func thingCategoryID(i int) int64 { return int64(i + 1) }

func stuffCategoryID(k stuffKind) int64 { return int64(len(things) + int(k) + 1) }

func thingIndex(name string) int {
	for i, t := range things {
		if t.name == name {
			return i
		}
	}
	return -1
}

// ThingNames lists the thing classes in id order.
func ThingNames() []string {
	out := make([]string, len(things))
	for i, t := range things {
		out[i] = t.name
	}
	return out
}

// palette colours (distinct under the stuff colours and easy to name).
var palette = []struct {
	name string
	rgb  [3]float64
}{
	{"red", [3]float64{220, 35, 35}},
	{"green", [3]float64{45, 190, 65}},
	{"blue", [3]float64{35, 70, 225}},
	{"yellow", [3]float64{245, 225, 40}},
	{"orange", [3]float64{250, 140, 25}},
	{"purple", [3]float64{145, 50, 200}},
	{"pink", [3]float64{250, 130, 200}},
	{"white", [3]float64{248, 248, 248}},
	{"black", [3]float64{22, 22, 22}},
	{"cyan", [3]float64{40, 215, 225}},
}

// Categories returns the category list written into every file: things
// then stuff, each with isthing, supercategory and a display colour.
func Categories() []coco.Category {
	out := make([]coco.Category, 0, len(things)+int(numStuff))
	for i, t := range things {
		c := palette[i%len(palette)].rgb
		out = append(out, coco.Category{
			ID: thingCategoryID(i), Name: t.name, Supercategory: t.super, IsThing: coco.Flag(1),
			Color: []int{int(c[0]), int(c[1]), int(c[2])},
		})
	}
	for k := stuffKind(0); k < numStuff; k++ {
		s := stuffs[k]
		out = append(out, coco.Category{
			ID: stuffCategoryID(k), Name: s.name, Supercategory: s.super, IsThing: coco.Flag(0),
			Color: []int{int(s.base[0]), int(s.base[1]), int(s.base[2])},
		})
	}
	return out
}

func colorIndex(name string) int {
	for i, c := range palette {
		if c.name == name {
			return i
		}
	}
	return -1
}

// ColorNames lists the palette colours.
func ColorNames() []string {
	out := make([]string, len(palette))
	for i, c := range palette {
		out[i] = c.name
	}
	return out
}

func stuffIndex(name string) int {
	for i, s := range stuffs {
		if s.name == name {
			return i
		}
	}
	return -1
}

// StuffNames lists the background (stuff) kinds.
func StuffNames() []string {
	out := make([]string, len(stuffs))
	for i, s := range stuffs {
		out[i] = s.name
	}
	return out
}
