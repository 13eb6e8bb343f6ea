package cocoeval

// idIndex maps ids to dense indices: a slice when the ids are compact (the
// usual COCO case, and a lookup per detection is on the hot path), a map
// otherwise.
type idIndex struct {
	lo    int
	dense []int32 // index+1; 0 = absent
	m     map[int]int32
}

// newIDIndex indexes ids; it reports the first duplicate id, if any.
func newIDIndex(ids []int) (x idIndex, dup int, hasDup bool) {
	if len(ids) == 0 {
		return x, 0, false
	}
	lo, hi := ids[0], ids[0]
	for _, id := range ids {
		lo, hi = min(lo, id), max(hi, id)
	}
	if span := uint64(hi) - uint64(lo); span < uint64(4*len(ids)+1024) {
		x.lo = lo
		x.dense = make([]int32, span+1)
		for i, id := range ids {
			if x.dense[id-lo] != 0 {
				return x, id, true
			}
			x.dense[id-lo] = int32(i) + 1
		}
		return x, 0, false
	}
	x.m = make(map[int]int32, len(ids))
	for i, id := range ids {
		if _, ok := x.m[id]; ok {
			return x, id, true
		}
		x.m[id] = int32(i)
	}
	return x, 0, false
}

// get returns the index of id.
func (x *idIndex) get(id int) (int32, bool) {
	if x.m != nil {
		i, ok := x.m[id]
		return i, ok
	}
	if id < x.lo || id-x.lo >= len(x.dense) {
		return 0, false
	}
	i := x.dense[id-x.lo]
	return i - 1, i != 0
}
