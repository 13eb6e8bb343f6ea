package captions

// rougeBeta weighs recall over precision in ROUGE-L's F-measure.
const rougeBeta = 1.2

// rougeL is coco-caption's Rouge.calc_score: the LCS of the candidate with
// each reference gives a precision and a recall; the maxima of each (taken
// separately, possibly from different references) make the F-measure.
// Like Python's caption.split(" "), an empty caption counts as one empty
// token, so an empty candidate scores 0 unless a reference is empty too.
func rougeL(cand []string, refs [][]string) float64 {
	if len(cand) == 0 {
		cand = []string{""}
	}
	precMax, recMax := 0.0, 0.0
	for _, ref := range refs {
		if len(ref) == 0 {
			ref = []string{""}
		}
		l := float64(lcsLen(ref, cand))
		precMax = max(precMax, l/float64(len(cand)))
		recMax = max(recMax, l/float64(len(ref)))
	}
	if precMax == 0 || recMax == 0 {
		return 0
	}
	b2 := rougeBeta * rougeBeta
	return (1 + b2) * precMax * recMax / (recMax + b2*precMax)
}

// lcsLen is the length of the longest common subsequence of a and b.
func lcsLen(a, b []string) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(prev[j], cur[j-1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
