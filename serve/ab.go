package serve

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Split is a weighted A/B assignment of variants for one task route.
type Split struct {
	Variants []string
	Weights  []int // positive, same order
	total    int
}

// ParseSplits reads --ab: "detection=mle:50,reward:50", several tasks
// separated by ";". Task names are routes (detect) or model tasks
// (detection).
func ParseSplits(s string) (map[string]Split, error) {
	out := map[string]Split{}
	s = strings.TrimSpace(s)
	if s == "" {
		return out, nil
	}
	for part := range strings.SplitSeq(s, ";") {
		name, spec, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("--ab %q: want task=variant:weight,variant:weight", part)
		}
		route := strings.TrimSpace(name)
		if r, ok := routeTask[route]; ok {
			route = r
		}
		if _, ok := knownParams[route]; !ok {
			return nil, fmt.Errorf("--ab %q: unknown task %q", part, name)
		}
		if _, dup := out[route]; dup {
			return nil, fmt.Errorf("--ab: task %s given twice", route)
		}
		var sp Split
		for vw := range strings.SplitSeq(spec, ",") {
			v, w, ok := strings.Cut(strings.TrimSpace(vw), ":")
			n, err := strconv.Atoi(w)
			if !ok || v == "" || err != nil || n < 0 {
				return nil, fmt.Errorf("--ab %q: %q: want variant:weight with a weight ≥ 0", part, vw)
			}
			if slices.Contains(sp.Variants, v) {
				return nil, fmt.Errorf("--ab %q: variant %s given twice", part, v)
			}
			sp.Variants, sp.Weights = append(sp.Variants, v), append(sp.Weights, n)
			sp.total += n
		}
		if sp.total == 0 {
			return nil, fmt.Errorf("--ab %q: the weights sum to 0", part)
		}
		out[route] = sp
	}
	return out, nil
}

// pick assigns a variant: by a hash of the client id when there is one,
// so a client always lands on the same variant (and, the hash being
// uniform, the split holds over many clients); at random otherwise.
func (sp Split) pick(route, clientID string) string {
	var u uint64
	if clientID != "" {
		h := fnv.New64a()
		// The route salts the hash: one client's detect and caption
		// assignments are independent.
		h.Write([]byte(route))
		h.Write([]byte{0})
		h.Write([]byte(clientID))
		u = mix(h.Sum64())
	} else {
		u = rand.Uint64()
	}
	x := int(u % uint64(sp.total))
	for i, w := range sp.Weights {
		if x < w {
			return sp.Variants[i]
		}
		x -= w
	}
	return sp.Variants[len(sp.Variants)-1]
}

// mix is a 64-bit finaliser (splitmix64's): FNV's low bits alone are not
// uniform enough on short, similar ids such as "user-1", "user-2".
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// chooseVariant resolves a request's variant: the variant parameter, then
// the X-Model-Variant header, then the task's split, then the default
// (mle when served — the baseline — else the first served variant).
func (s *Server) chooseVariant(route, param, header, clientID string) string {
	switch {
	case param != "":
		return param
	case header != "":
		return header
	}
	if sp, ok := s.splits[route]; ok {
		return sp.pick(route, clientID)
	}
	vs := s.reg.Variants(route)
	if slices.Contains(vs, "mle") || len(vs) == 0 {
		return "mle"
	}
	return vs[0]
}

// checkSplits refuses a split naming a variant the registry does not
// serve: every request it routed there would fail.
func checkSplits(splits map[string]Split, reg *Registry) error {
	for route, sp := range splits {
		for _, v := range sp.Variants {
			if _, err := reg.Lookup(route, v); err != nil {
				return fmt.Errorf("--ab %s: %w", route, err)
			}
		}
	}
	return nil
}
