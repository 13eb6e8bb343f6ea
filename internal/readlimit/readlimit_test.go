package readlimit

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReaderLimit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		data    string
		limit   int64
		kind    string
		want    string // data read when no error
		tooBig  bool
		notJSON bool
	}{
		{"under", "abc", 4, "image", "abc", false, false},
		{"exactly the limit", "abcd", 4, "image", "abcd", false, false},
		{"one byte over", "abcde", 4, "image", "", true, false},
		{"json object", " \n{\"a\": 1}", 64, "JSON", " \n{\"a\": 1}", false, false},
		{"json list", "[1, 2]", 64, "JSON", "[1, 2]", false, false},
		{"json over", "[" + strings.Repeat(" ", 10), 8, "JSON", "", true, false},
		{"zeros", "\x00\x00\x00", 64, "JSON", "", false, true},
		{"text after space", "  hello", 64, "JSON", "", false, true},
		{"empty json", "", 64, "JSON", "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadAll(strings.NewReader(tc.data), tc.limit, tc.kind)
			switch {
			case tc.tooBig:
				var le *Error
				if !errors.Is(err, ErrTooLarge) || !errors.As(err, &le) || le.Limit != tc.limit {
					t.Fatalf("err = %v, want an *Error of limit %d", err, tc.limit)
				}
			case tc.notJSON:
				if !errors.Is(err, ErrNotJSON) {
					t.Fatalf("err = %v, want ErrNotJSON", err)
				}
			default:
				if err != nil || string(got) != tc.want {
					t.Fatalf("ReadAll = %q, %v; want %q", got, err, tc.want)
				}
			}
		})
	}
}

// An endless input stops at the limit, having read one byte past it.
func TestReaderEndless(t *testing.T) {
	cr := &countReader{r: io.MultiReader(strings.NewReader("["), zeros{})}
	_, err := ReadAll(cr, 1<<20, "JSON")
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if cr.n != 1<<20+1 {
		t.Errorf("read %d bytes, want the limit + 1", cr.n)
	}
	if msg := err.Error(); !strings.Contains(msg, "1 MB limit") || !strings.Contains(msg, "--max-json-mb") {
		t.Errorf("message %q should name the limit and its flag", msg)
	}
}

func TestSetDefaults(t *testing.T) {
	defer SetJSON(0)
	SetJSON(5)
	if JSON() != 5 {
		t.Fatalf("JSON() = %d after SetJSON(5)", JSON())
	}
	SetJSON(0)
	if JSON() != DefaultJSON {
		t.Fatalf("SetJSON(0) left %d, want the default", JSON())
	}
	SetImage(-1)
	if Image() != DefaultImage {
		t.Fatalf("SetImage(-1) left %d, want the default", Image())
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
