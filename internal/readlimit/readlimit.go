// Package readlimit bounds how much of one input file a loader reads, so
// an endless or huge input (/dev/zero, a disk image given by mistake)
// fails with a clear error instead of exhausting memory. The limits are
// per kind of file; the eval and data commands set them from
// --max-json-mb and --max-image-mb.
package readlimit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// Defaults: COCO's largest annotation file (instances_train2017.json) is
// 448 MB, so 2 GiB leaves room; a 16k × 8k PNG is well under 512 MB.
const (
	DefaultJSON  = 2 << 30
	DefaultImage = 512 << 20
)

var jsonLimit, imageLimit atomic.Int64

func init() {
	jsonLimit.Store(DefaultJSON)
	imageLimit.Store(DefaultImage)
}

// JSON and Image are the current limits in bytes; SetJSON and SetImage
// change them (values < 1 restore the default).
func JSON() int64  { return jsonLimit.Load() }
func Image() int64 { return imageLimit.Load() }

func SetJSON(n int64) {
	if n < 1 {
		n = DefaultJSON
	}
	jsonLimit.Store(n)
}

func SetImage(n int64) {
	if n < 1 {
		n = DefaultImage
	}
	imageLimit.Store(n)
}

// ErrTooLarge is wrapped by every over-limit error.
var ErrTooLarge = errors.New("input too large")

// Error says which limit an input passed.
type Error struct {
	Kind  string // "JSON" or "image"
	Limit int64
}

func (e *Error) Error() string {
	flag := "--max-json-mb"
	if e.Kind == "image" {
		flag = "--max-image-mb"
	}
	return fmt.Sprintf("%s input larger than the %d MB limit (raise it with %s)", e.Kind, e.Limit>>20, flag)
}

func (e *Error) Unwrap() error { return ErrTooLarge }

// Reader reads r up to limit bytes; a read past that fails with *Error.
// A "JSON" reader also fails at once when the first byte that is not
// white space opens neither an object nor a list (binary data, /dev/zero),
// so such an input is not read up to the limit first.
func Reader(r io.Reader, limit int64, kind string) io.Reader {
	return &reader{r: r, left: limit, limit: limit, kind: kind, sniffed: kind != "JSON"}
}

// ErrNotJSON is returned (wrapped) by a JSON reader on a non-JSON start.
var ErrNotJSON = errors.New("not JSON")

type reader struct {
	r           io.Reader
	left, limit int64
	kind        string
	sniffed     bool
}

func (l *reader) Read(p []byte) (int, error) {
	n, err := l.read(p)
	if !l.sniffed {
		for i, c := range p[:n] {
			switch c {
			case ' ', '\t', '\n', '\r':
				continue
			case '{', '[':
				l.sniffed = true
			default:
				l.sniffed = true
				return i, fmt.Errorf("%w: byte %d is 0x%02x, want '{' or '['", ErrNotJSON, l.limit-l.left-int64(n)+int64(i), c)
			}
			break
		}
	}
	return n, err
}

func (l *reader) read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a file of exactly the limit from a larger one.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, &Error{Kind: l.kind, Limit: l.limit}
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// ReadAll is io.ReadAll of Reader(r, limit, kind).
func ReadAll(r io.Reader, limit int64, kind string) ([]byte, error) {
	return io.ReadAll(Reader(r, limit, kind))
}

// ReadFile reads a whole file under limit, naming it in errors.
func ReadFile(path string, limit int64, kind string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := ReadAll(f, limit, kind)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}
