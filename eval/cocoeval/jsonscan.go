package cocoeval

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// scanner is a small pull parser for the COCO JSON shapes. encoding/json
// with reflection spends most of a large results file in allocation and
// reflection; this walks the bytes once, allocates only what the records
// keep, and lets the loaders skip values they do not need (polygons of the
// ground truth in a bbox evaluation) without decoding them.
type scanner struct {
	data []byte
	pos  int
}

// maxDepth bounds nesting in skipped values, so hostile input cannot
// exhaust the stack.
const maxDepth = 512

// syntaxError is a JSON error at a byte offset; the loaders turn the offset
// into line:column and add the file and record.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

func (s *scanner) errorf(format string, args ...any) error {
	return &syntaxError{off: s.pos, msg: fmt.Sprintf(format, args...)}
}

// lineCol converts a byte offset of data to 1-based line and column.
func lineCol(data []byte, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off && i < len(data); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

func (s *scanner) skipWS() {
	for s.pos < len(s.data) && s.data[s.pos] <= ' ' {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.skipWS()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func describe(c byte) string {
	if c == 0 {
		return "end of input"
	}
	return fmt.Sprintf("%q", c)
}

func (s *scanner) expect(c byte) error {
	if got := s.peek(); got != c {
		return s.errorf("want %q, found %s", c, describe(got))
	}
	s.pos++
	return nil
}

// end checks that only whitespace follows the top-level value.
func (s *scanner) end() error {
	if c := s.peek(); c != 0 {
		return s.errorf("unexpected %s after the top-level value", describe(c))
	}
	return nil
}

// objectKey reads the next key of an object whose '{' was consumed: ok is
// false at the closing '}'. first says whether no key was read yet.
func (s *scanner) objectKey(first bool) (key []byte, ok bool, err error) {
	c := s.peek()
	if c == '}' {
		s.pos++
		return nil, false, nil
	}
	if !first {
		if c != ',' {
			return nil, false, s.errorf("want ',' or '}' in object, found %s", describe(c))
		}
		s.pos++
		c = s.peek()
	}
	if c != '"' {
		return nil, false, s.errorf("want a string key, found %s", describe(c))
	}
	key, err = s.str()
	if err != nil {
		return nil, false, err
	}
	if err := s.expect(':'); err != nil {
		return nil, false, err
	}
	return key, true, nil
}

// arrayNext advances to the next element of an array whose '[' was
// consumed: false at the closing ']'.
func (s *scanner) arrayNext(first bool) (bool, error) {
	c := s.peek()
	if c == ']' {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.errorf("want ',' or ']' in array, found %s", describe(c))
		}
		s.pos++
		if s.peek() == ']' {
			return false, s.errorf("trailing ',' in array")
		}
	}
	return true, nil
}

// str reads a string and returns its contents; without escapes the result
// aliases the input.
func (s *scanner) str() ([]byte, error) {
	if err := s.expect('"'); err != nil {
		return nil, err
	}
	start := s.pos
	escaped := false
	// Fast path: plain characters.
	for s.pos < len(s.data) && !strSpecial[s.data[s.pos]] {
		s.pos++
	}
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			if !escaped {
				return s.data[start : s.pos-1], nil
			}
			var out string
			if err := json.Unmarshal(s.data[start-1:s.pos], &out); err != nil {
				return nil, &syntaxError{off: start - 1, msg: "bad string: " + err.Error()}
			}
			return []byte(out), nil
		case c == '\\':
			escaped = true
			s.pos += 2
		case c < 0x20:
			return nil, s.errorf("control character %q in string", c)
		default:
			s.pos++
		}
	}
	return nil, &syntaxError{off: start - 1, msg: "unterminated string"}
}

// strSpecial marks the bytes a string scan must stop at.
var strSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// number reads a JSON number. Short decimals (the usual COCO boxes and
// scores) take the exact fast path: an integer mantissa below 2^53 times or
// divided by an exact power of ten is correctly rounded by one IEEE
// operation. Anything else goes to strconv.ParseFloat. Values that overflow
// float64 are an error.
func (s *scanner) number() (float64, error) {
	s.skipWS()
	start := s.pos
	d := s.data
	p := s.pos
	neg := p < len(d) && d[p] == '-'
	if neg {
		p++
	}
	var mant uint64
	exact := true // mant holds every significant digit
	exp10 := 0
	intStart := p
	for ; p < len(d); p++ {
		c := d[p] - '0'
		if c > 9 {
			break
		}
		if mant < 1e18 {
			mant = mant*10 + uint64(c)
		} else {
			exact = false
			exp10++
		}
	}
	if p == intStart || (d[intStart] == '0' && p-intStart > 1) {
		return 0, s.errorf("bad number %q", clip(d[start:min(len(d), p+1)]))
	}
	if p < len(d) && d[p] == '.' {
		p++
		fracStart := p
		for ; p < len(d); p++ {
			c := d[p] - '0'
			if c > 9 {
				break
			}
			if mant < 1e18 {
				mant = mant*10 + uint64(c)
				exp10--
			} else {
				exact = false
			}
		}
		if p == fracStart {
			return 0, s.errorf("bad number %q: no digits after '.'", clip(d[start:min(len(d), p+1)]))
		}
	}
	if p < len(d) && (d[p] == 'e' || d[p] == 'E') {
		p++
		eneg := false
		if p < len(d) && (d[p] == '+' || d[p] == '-') {
			eneg = d[p] == '-'
			p++
		}
		expStart := p
		e := 0
		for ; p < len(d); p++ {
			c := d[p] - '0'
			if c > 9 {
				break
			}
			if e < 100000 {
				e = e*10 + int(c)
			}
		}
		if p == expStart {
			return 0, s.errorf("bad number %q: no exponent digits", clip(d[start:min(len(d), p+1)]))
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	s.pos = p
	if exact && mant < 1<<53 && exp10 >= -22 && exp10 <= 22 {
		v := float64(mant)
		if exp10 < 0 {
			v /= pow10[-exp10]
		} else {
			v *= pow10[exp10]
		}
		if neg {
			v = -v
		}
		if !math.IsInf(v, 0) {
			return v, nil
		}
	}
	v, err := strconv.ParseFloat(string(d[start:p]), 64)
	if err != nil {
		s.pos = start
		return 0, s.errorf("number %s out of range", clip(d[start:p]))
	}
	return v, nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// maxID bounds ids to integers that float64 (and so Python's JSON) keeps
// exact.
const maxID = 1 << 53

// integer reads a number that must be integral (ids, sizes). Python's json
// gives 3.0 for "3.0" and pycocotools then treats it as 3, so integral
// floats are accepted.
func (s *scanner) integer() (int, error) {
	start := s.pos
	v, err := s.number()
	if err != nil {
		return 0, err
	}
	if v != math.Trunc(v) || v < -maxID || v > maxID {
		s.pos = start
		return 0, s.errorf("want an integer, found %v", v)
	}
	return int(v), nil
}

// boolish reads iscrowd: 0/1 (or any integer, non-zero = true), true/false.
func (s *scanner) boolish() (bool, error) {
	switch s.peek() {
	case 't', 'f':
		lit, err := s.literal()
		return lit == "true", err
	}
	v, err := s.integer()
	return v != 0, err
}

// literal reads true, false or null.
func (s *scanner) literal() (string, error) {
	s.skipWS()
	for _, lit := range []string{"true", "false", "null"} {
		if len(s.data)-s.pos >= len(lit) && string(s.data[s.pos:s.pos+len(lit)]) == lit {
			s.pos += len(lit)
			return lit, nil
		}
	}
	return "", s.errorf("unexpected %s", describe(s.peek()))
}

// isNull consumes a null if one is next.
func (s *scanner) isNull() bool {
	if s.peek() == 'n' && len(s.data)-s.pos >= 4 && string(s.data[s.pos:s.pos+4]) == "null" {
		s.pos += 4
		return true
	}
	return false
}

// skipValue validates and skips one value of any kind.
func (s *scanner) skipValue() error { return s.skip(0) }

func (s *scanner) skip(depth int) error {
	if depth > maxDepth {
		return s.errorf("nesting deeper than %d", maxDepth)
	}
	switch c := s.peek(); c {
	case '{':
		s.pos++
		for first := true; ; first = false {
			_, ok, err := s.objectKey(first)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
		}
	case '[':
		s.pos++
		for first := true; ; first = false {
			ok, err := s.arrayNext(first)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
		}
	case '"':
		_, err := s.str()
		return err
	case 't', 'f', 'n':
		_, err := s.literal()
		return err
	case 0:
		return s.errorf("unexpected end of input")
	default:
		if c != '-' && (c < '0' || c > '9') {
			return s.errorf("unexpected %s", describe(c))
		}
		return s.skipNumber()
	}
}

// skipNested skips an array or object by matching brackets, without
// checking what lies between them: the ground truth's segmentations are
// most of its bytes and only a segm evaluation reads them, strictly, then.
func (s *scanner) skipNested() error {
	start := s.pos
	d := s.data
	depth := 0
	for p := s.pos; p < len(d); p++ {
		switch d[p] {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				s.pos = p + 1
				return nil
			}
		case '"':
			s.pos = p
			if _, err := s.str(); err != nil {
				return err
			}
			p = s.pos - 1
		}
	}
	s.pos = start
	return s.errorf("unterminated %q", d[start])
}

// skipNumber checks the JSON number grammar without converting.
func (s *scanner) skipNumber() error {
	d := s.data
	p := s.pos
	if p < len(d) && d[p] == '-' {
		p++
	}
	q := p
	for p < len(d) && d[p] >= '0' && d[p] <= '9' {
		p++
	}
	ok := p > q && !(d[q] == '0' && p-q > 1)
	if ok && p < len(d) && d[p] == '.' {
		p++
		q = p
		for p < len(d) && d[p] >= '0' && d[p] <= '9' {
			p++
		}
		ok = p > q
	}
	if ok && p < len(d) && (d[p] == 'e' || d[p] == 'E') {
		p++
		if p < len(d) && (d[p] == '+' || d[p] == '-') {
			p++
		}
		q = p
		for p < len(d) && d[p] >= '0' && d[p] <= '9' {
			p++
		}
		ok = p > q
	}
	if !ok {
		return s.errorf("bad number %q", clip(d[s.pos:min(len(d), p+1)]))
	}
	s.pos = p
	return nil
}

// numbers reads an array of numbers, appending to dst.
func (s *scanner) numbers(dst []float64) ([]float64, error) {
	if err := s.expect('['); err != nil {
		return dst, err
	}
	for first := true; ; first = false {
		ok, err := s.arrayNext(first)
		if err != nil || !ok {
			return dst, err
		}
		v, err := s.number()
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
}
