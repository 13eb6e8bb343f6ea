package cocoeval

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestNumberMatchesStrconv(t *testing.T) {
	cases := []string{"0", "-0", "1", "12.5", "0.1", "0.30000000000000004", "123.45", "-7.25e-3", "1E5", "1e+22",
		"1e23", "9007199254740993", "123456789012345678901234567890", "4.9e-324", "2.2250738585072014e-308",
		"0.000001234", "1.7976931348623157e308", "100000000000000000000000", "3.14159265358979323846264338327950288"}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 20000 {
		v := rng.Float64() * math.Pow(10, float64(rng.IntN(12)-4))
		cases = append(cases, strconv.FormatFloat(v, 'f', rng.IntN(8), 64), strconv.FormatFloat(-v, 'g', -1, 64))
	}
	for _, c := range cases {
		s := &scanner{data: []byte(c)}
		got, err := s.number()
		want, werr := strconv.ParseFloat(c, 64)
		if werr != nil {
			t.Fatalf("bad case %q", c)
		}
		if err != nil || math.Float64bits(got) != math.Float64bits(want) || s.pos != len(c) {
			t.Errorf("number(%q) = %v (%v, pos %d), want %v", c, got, err, s.pos, want)
		}
	}
}

func TestNumberErrors(t *testing.T) {
	for _, c := range []string{"", "-", "01", ".5", "1.", "1e", "1e+", "+1", "1e400", "-1e400", "NaN", "Infinity", "0x10"} {
		s := &scanner{data: []byte(c)}
		if v, err := s.number(); err == nil && s.pos == len(c) {
			t.Errorf("number(%q) = %v, want an error", c, v)
		}
	}
}

func TestScannerSkipAndStrings(t *testing.T) {
	good := []string{`{"a": [1, -2.5e3, "x\"y", true, false, null, {}], "b": {"c": []}}`, `"\u00e9\n"`, `[]`, `  7 `}
	for _, c := range good {
		s := &scanner{data: []byte(c)}
		if err := s.skipValue(); err != nil {
			t.Errorf("skip %q: %v", c, err)
		} else if err := s.end(); err != nil {
			t.Errorf("skip %q left input: %v", c, err)
		}
	}
	bad := []string{`{"a" 1}`, `{"a": 1,}`, `[1,]`, `[1 2]`, `{1: 2}`, `"abc`, "\"a\x01\"", `tru`, `[`, `{"a": 01}`, `"\x"`}
	for _, c := range bad {
		s := &scanner{data: []byte(c)}
		if err := s.skipValue(); err == nil {
			if err := s.end(); err == nil {
				t.Errorf("skip %q succeeded", c)
			}
		}
	}
	s := &scanner{data: []byte(`"caf\u00e9"`)}
	if b, err := s.str(); err != nil || string(b) != "café" {
		t.Errorf("escaped string = %q, %v", b, err)
	}
	line, col := lineCol([]byte("ab\ncd\nef"), 7)
	if line != 3 || col != 2 {
		t.Errorf("lineCol = %d:%d, want 3:2", line, col)
	}
}
