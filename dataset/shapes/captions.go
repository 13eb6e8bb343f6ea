package shapes

import (
	"math/rand/v2"
	"sort"
	"strings"
)

// NumCaptions is the number of reference captions per image.
const NumCaptions = 5

// Captions are lowercase ASCII words separated by single spaces, without
// punctuation: what the PTB tokenizer of the caption metrics would output.

var numberWords = []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve"}

func countWord(n int) string {
	if n < len(numberWords) {
		return numberWords[n]
	}
	return "many"
}

func article(word string) string {
	if strings.IndexByte("aeiou", word[0]) >= 0 {
		return "an"
	}
	return "a"
}

// withArticle prefixes a phrase with a or an.
func withArticle(phrase string) string { return article(phrase) + " " + phrase }

func pick(r *rand.Rand, opts ...string) string { return opts[r.IntN(len(opts))] }

// sizeWord describes a diameter relative to the image side; "" for medium.
func sizeWord(r *rand.Rand, size, side float64) string {
	switch f := size / side; {
	case f >= 0.34:
		return pick(r, "large", "big", "large", "huge")
	case f <= 0.17:
		return pick(r, "small", "small", "little", "tiny")
	default:
		return ""
	}
}

func join(words ...string) string {
	out := words[:0:0]
	for _, w := range words {
		if w != "" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// objectPhrase is "a big red circle" (size word optional).
func objectPhrase(r *rand.Rand, o Object, side float64, withSize bool) string {
	s := ""
	if withSize {
		s = sizeWord(r, o.Size, side)
	}
	return withArticle(join(s, o.Color, things[o.Class].name))
}

// relation says where a sits relative to b, from their visible boxes.
func relation(r *rand.Rand, a, b Object) string {
	ax, ay := float64(a.BBox[0])+float64(a.BBox[2])/2, float64(a.BBox[1])+float64(a.BBox[3])/2
	bx, by := float64(b.BBox[0])+float64(b.BBox[2])/2, float64(b.BBox[1])+float64(b.BBox[3])/2
	dx, dy := bx-ax, by-ay
	switch {
	case abs(dx) >= abs(dy) && dx > 0:
		return pick(r, "to the left of", "left of", "next to")
	case abs(dx) >= abs(dy):
		return pick(r, "to the right of", "right of", "next to")
	case dy > 0:
		return pick(r, "above", "over", "on top of")
	default:
		return pick(r, "below", "under", "beneath")
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// stuffPhrase places the scene on its largest background region.
func stuffPhrase(r *rand.Rand, kind int) string {
	switch stuffKind(kind) {
	case stuffSky:
		return pick(r, "in the sky", "against the sky", "in a blue sky")
	case stuffGrass:
		return pick(r, "on the grass", "on green grass", "in a field")
	case stuffWater:
		return pick(r, "on the water", "over the water", "in the water")
	case stuffSand:
		return pick(r, "on the sand", "on a beach", "on sand")
	case stuffWall:
		return pick(r, "in front of a wall", "against a brick wall", "in front of a brick wall")
	default:
		return pick(r, "on the road", "on a street", "on the asphalt")
	}
}

// sceneNoun names the scene by its largest background region.
func sceneNoun(r *rand.Rand, kind int) string {
	switch stuffKind(kind) {
	case stuffSky:
		return pick(r, "a blue sky", "the sky")
	case stuffGrass:
		return pick(r, "a grassy field", "a field of grass")
	case stuffWater:
		return pick(r, "the water", "a lake")
	case stuffSand:
		return pick(r, "a sandy beach", "a beach")
	case stuffWall:
		return pick(r, "a brick wall", "a wall")
	default:
		return pick(r, "a road", "a street")
	}
}

// inventory lists the classes by count: "two circles a star and a square".
func inventory(r *rand.Rand, objs []Object, maxGroups int) string {
	counts := map[int]int{}
	order := []int{}
	for _, o := range objs {
		if counts[o.Class] == 0 {
			order = append(order, o.Class)
		}
		counts[o.Class]++
	}
	sort.SliceStable(order, func(i, j int) bool { return counts[order[i]] > counts[order[j]] })
	var parts []string
	for k, c := range order {
		if k == maxGroups {
			parts = append(parts, pick(r, "other shapes", "more shapes"))
			break
		}
		if n := counts[c]; n == 1 {
			parts = append(parts, withArticle(things[c].name))
		} else {
			parts = append(parts, countWord(n)+" "+things[c].plural)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], " ") + " and " + parts[len(parts)-1]
}

// captionScene writes NumCaptions distinct references for a scene from a
// small grammar: object counts, the salient objects with colour, size and
// a spatial relation, the class inventory, and the background.
func captionScene(r *rand.Rand, sc *Scene) []string {
	side := float64(sc.Size)
	var objs []Object
	var crowd *Object
	for i := range sc.Objects {
		if sc.Objects[i].Crowd {
			crowd = &sc.Objects[i]
			continue
		}
		objs = append(objs, sc.Objects[i])
	}
	// salient first: the largest visible objects
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].Area > objs[j].Area })
	bg := int(stuffSky)
	bgArea := -1
	for _, s := range sc.Stuff {
		if s.Area > bgArea {
			bg, bgArea = s.Kind, s.Area
		}
	}
	n := len(objs)
	shapesWord := func() string { return pick(r, "shapes", "objects", "shapes") }
	countPhrase := func() string {
		if n == 1 {
			return pick(r, "a single shape", "one shape", "a shape")
		}
		return countWord(n) + " " + shapesWord()
	}
	templates := []func() string{
		// counts and background
		func() string { return join(countPhrase(), stuffPhrase(r, bg)) },
		func() string {
			if n == 1 {
				return join(sceneNoun(r, bg), "with", objectPhrase(r, objs[0], side, false))
			}
			return join(sceneNoun(r, bg), "with", countWord(n), shapesWord())
		},
		// salient objects and their relation
		func() string {
			if n == 1 {
				return join(objectPhrase(r, objs[0], side, true), stuffPhrase(r, bg))
			}
			return join(objectPhrase(r, objs[0], side, true), relation(r, objs[0], objs[1]), objectPhrase(r, objs[1], side, false))
		},
		func() string {
			if n == 1 {
				return join("there is", objectPhrase(r, objs[0], side, true), stuffPhrase(r, bg))
			}
			return join("there is", objectPhrase(r, objs[0], side, true), "and", objectPhrase(r, objs[1], side, true))
		},
		func() string {
			if n == 1 {
				return join(pick(r, "a picture of", "an image of"), objectPhrase(r, objs[0], side, false))
			}
			return join(pick(r, "a picture of", "an image of"), countWord(n), shapesWord(), "including", objectPhrase(r, objs[0], side, false))
		},
		// inventory by class
		func() string { return inventory(r, objs, 3) },
		func() string { return join(inventory(r, objs, 2), stuffPhrase(r, bg)) },
	}
	if n == 0 {
		templates = []func() string{
			func() string { return join(pick(r, "an empty scene", "nothing but background"), stuffPhrase(r, bg)) },
			func() string { return join(sceneNoun(r, bg), "with no shapes") },
			func() string { return sceneNoun(r, bg) },
			func() string { return join("a picture of", sceneNoun(r, bg)) },
			func() string { return join("no shapes", stuffPhrase(r, bg)) },
		}
	}
	if crowd != nil {
		group := func() string {
			return join(pick(r, "a group of", "a cluster of", "a crowd of"), "tiny", crowd.Color, things[crowd.Class].plural)
		}
		templates = append(templates,
			func() string { return join(group(), stuffPhrase(r, bg)) },
			func() string {
				if n == 0 {
					return group()
				}
				return join(group(), "and", objectPhrase(r, objs[0], side, true))
			})
	}
	out := make([]string, 0, NumCaptions)
	seen := map[string]bool{}
	perm := r.Perm(len(templates))
	for round := 0; len(out) < NumCaptions && round < 8; round++ {
		for _, t := range perm {
			if len(out) == NumCaptions {
				break
			}
			c := templates[t]()
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	for len(out) < NumCaptions { // a tiny grammar may run out of distinct phrasings
		out = append(out, out[0])
	}
	return out
}
