package serve

import (
	"mime"
	"strconv"
	"strings"
)

// negotiate picks the media type of an answer among offers, the server's
// preference first, by the request's Accept header (RFC 9110 §12.5.1):
// each offer takes the q of the most specific range that matches it
// (type/subtype over type/* over */*, parameters other than q ignored),
// the highest q wins and a tie goes to the earlier offer; q=0 refuses.
// No Accept header, or one with no readable range, accepts anything.
// When every offer is refused the error is ErrNotAcceptable (406).
func negotiate(accept string, offers []string) (string, error) {
	ranges := parseAccept(accept)
	if len(ranges) == 0 {
		return offers[0], nil
	}
	best, bestQ := "", 0.0
	for _, o := range offers {
		typ, _, _ := strings.Cut(o, "/")
		q, spec := 0.0, 0
		for _, r := range ranges {
			s := 0
			switch {
			case r.typ == o:
				s = 3
			case r.typ == typ+"/*":
				s = 2
			case r.typ == "*/*":
				s = 1
			}
			if s > spec {
				q, spec = r.q, s
			}
		}
		if q > bestQ {
			best, bestQ = o, q
		}
	}
	if best == "" {
		return "", errorf(ErrNotAcceptable, "Accept %q allows none of the media types of this answer: %s",
			accept, strings.Join(offers, ", "))
	}
	return best, nil
}

type acceptRange struct {
	typ string // lower case, e.g. image/png, image/*, */*
	q   float64
}

// parseAccept reads the media ranges of an Accept header; a range that
// does not parse, or whose q is not a number in [0, 1], is left out.
func parseAccept(h string) []acceptRange {
	var out []acceptRange
	for part := range strings.SplitSeq(h, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		typ, sub, ok := strings.Cut(mt, "/")
		if err != nil || !ok || typ == "" || sub == "" || typ == "*" && sub != "*" {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		out = append(out, acceptRange{typ: mt, q: q})
	}
	return out
}
