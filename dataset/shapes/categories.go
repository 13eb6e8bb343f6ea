package shapes

import (
	"slices"

	"rewardvision/dataset/coco"
)

// thing and stuff class tables. Ids are stable across configs: things
// 1..10, stuff 11..16 (things first, as in COCO panoptic).
type thingDef struct{ name, plural, super string }

var things = []thingDef{
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

type stuffDef struct {
	name, super string
	base        [3]float64
}

var stuffs = []stuffDef{
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

// nameList returns the name of each table row, in order.
func nameList[T any](rows []T, name func(T) string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = name(r)
	}
	return out
}

// ThingNames lists the thing classes in id order.
func ThingNames() []string {
	return nameList(things, func(t thingDef) string { return t.name })
}

func thingIndex(name string) int { return slices.Index(ThingNames(), name) }

// palette colours (distinct under the stuff colours and easy to name).
type colorDef struct {
	name string
	rgb  [3]float64
}

var palette = []colorDef{
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

// ColorNames lists the palette colours.
func ColorNames() []string {
	return nameList(palette, func(c colorDef) string { return c.name })
}

func colorIndex(name string) int { return slices.Index(ColorNames(), name) }

// StuffNames lists the background (stuff) kinds.
func StuffNames() []string {
	return nameList(stuffs, func(s stuffDef) string { return s.name })
}

func stuffIndex(name string) int { return slices.Index(StuffNames(), name) }
