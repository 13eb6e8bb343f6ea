package captions

import "strings"

// americanSpelling is the part of CoreNLP's Americanize table (2014) whose
// words can plausibly occur in image captions. PTB3 escaping in CoreNLP 3.4.1
// applies it to every word before -lowerCase, so it matches case-sensitively:
// "grey" becomes "gray" but "Grey" stays (and is then lower-cased to "grey").
var americanSpelling = map[string]string{
	"armoured": "armored", "cancelled": "canceled", "cancelling": "canceling",
	"centre": "center", "coloured": "colored", "colouring": "coloring",
	"colourful": "colorful", "defence": "defense", "discolour": "discolor",
	"discolours": "discolors", "discoloured": "discolored", "favourite": "favorite",
	"favourites": "favorites", "favour": "favor", "favours": "favors",
	"fibre": "fiber", "fibres": "fibers", "flavour": "flavor", "flavours": "flavors",
	"flavoured": "flavored", "grey": "gray", "harbour": "harbor", "harbours": "harbors",
	"honour": "honor", "humour": "humor", "kerb": "curb", "labelled": "labeled",
	"labelling": "labeling", "labour": "labor", "learnt": "learned", "leant": "leaned",
	"manoeuvre": "maneuver", "neighbour": "neighbor", "neighbours": "neighbors",
	"neighbourhood": "neighborhood", "neighbourhoods": "neighborhoods",
	"organisation": "organization", "practise": "practice", "practised": "practiced",
	"realise": "realize", "recognise": "recognize", "theatre": "theater",
	"theatres": "theaters", "travelled": "traveled", "travelling": "traveling",
	"analyse": "analyze", "programme": "program", "programmes": "programs",
}

// ourExceptions are words ending in "our" that the "-our" → "-or" rule keeps.
var ourExceptions = []string{
	"abatjour", "beflour", "bonjour", "calambour", "carrefour", "cornflour",
	"contour", "detour", "devour", "dortour", "dyvour", "downpour", "giaour",
	"glamour", "holour", "inpour", "outpour", "pandour", "paramour", "pompadour",
	"recontour", "repour", "ryeflour", "sompnour", "tambour", "troubadour",
	"tregetour", "velour",
}

// americanize rewrites a British spelling as CoreNLP's Americanize does for
// the cases above: the table first, then (for words of 6+ letters) a lower-case
// word of 3+ ASCII letters followed by "our" or "ours" loses the "u"
// ("colour" → "color", "colours" → "colors").
func americanize(w string) string {
	if len(w) < 4 {
		return w
	}
	if a, ok := americanSpelling[w]; ok {
		return a
	}
	if len(w) < 6 {
		return w
	}
	stem, plural := w, ""
	if strings.HasSuffix(stem, "s") {
		stem, plural = stem[:len(stem)-1], "s"
	}
	if !strings.HasSuffix(stem, "our") || len(stem) < 6 {
		return w
	}
	for i := 0; i < len(stem)-3; i++ {
		if c := stem[i]; c < 'a' || c > 'z' {
			return w
		}
	}
	for _, ex := range ourExceptions {
		if strings.Contains(w, ex) {
			return w
		}
	}
	return stem[:len(stem)-2] + "r" + plural
}
