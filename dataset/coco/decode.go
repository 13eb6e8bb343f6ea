package coco

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"rewardvision/internal/readlimit"
)

// fieldFunc decodes the value of one top-level key from dec.
type fieldFunc func(dec *json.Decoder) error

// openMaybeGzip opens path and unwraps gzip when the file starts with the
// gzip magic bytes, whatever its name.
func openMaybeGzip(path string) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return readlimit.Reader(zr, readlimit.JSON(), "JSON"), func() error { zr.Close(); return f.Close() }, nil
	}
	return readlimit.Reader(br, readlimit.JSON(), "JSON"), f.Close, nil
}

// loadFile opens path and runs read on it, naming the file in errors.
func loadFile(path string, read func(io.Reader) error) error {
	r, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	defer closeFn()
	if err := read(r); err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	return nil
}

// walkObject reads one top-level JSON object, handing the value of every
// key in fields to its function and skipping the others token by token.
func walkObject(dec *json.Decoder, fields map[string]fieldFunc) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxErr(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if d == '[' {
			return errors.New("top-level value is a list, want an object (is this a results file?)")
		}
		return fmt.Errorf("top-level value is %v, want an object", tok)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxErr(dec, err)
		}
		key, _ := tok.(string)
		fn, ok := fields[key]
		if !ok || seen[key] {
			if err := skipValue(dec); err != nil {
				return fmt.Errorf("%q: %w", key, err)
			}
			continue
		}
		seen[key] = true
		if err := fn(dec); err != nil {
			var ee *elemError
			if errors.As(err, &ee) {
				return fmt.Errorf("%s%w", key, err) // annotations[12] (near byte …): …
			}
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return syntaxErr(dec, err)
	}
	// Anything after the object is a broken file, not a second dataset.
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the top-level object at byte %d", dec.InputOffset())
	}
	return nil
}

// decodeArray reads a JSON list, calling elem(i) to decode element i from
// dec. A null list is accepted as empty.
func decodeArray(dec *json.Decoder, elem func(i int) error) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxErr(dec, err)
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("want a list, got %v", tok)
	}
	for i := 0; dec.More(); i++ {
		if err := elem(i); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return syntaxErr(dec, err)
}

// elemError names the list element a decoding error is in.
type elemError struct {
	index  int
	offset int64
	err    error
}

func (e *elemError) Error() string {
	return fmt.Sprintf("[%d] (near byte %d): %v", e.index, e.offset, e.err)
}

func (e *elemError) Unwrap() error { return e.err }

// decodeList decodes a list of T, naming the element in errors.
func decodeList[T any](dec *json.Decoder, dst *[]T) error {
	return decodeArray(dec, func(i int) error {
		var v T
		if err := dec.Decode(&v); err != nil {
			if err == io.EOF {
				err = errors.New("unexpected end of file")
			}
			return &elemError{i, dec.InputOffset(), err}
		}
		*dst = append(*dst, v)
		return nil
	})
}

func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return syntaxErr(dec, err)
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func syntaxErr(dec *json.Decoder, err error) error {
	if err == nil {
		return nil
	}
	if err == io.EOF {
		return fmt.Errorf("unexpected end of file at byte %d", dec.InputOffset())
	}
	return fmt.Errorf("near byte %d: %w", dec.InputOffset(), err)
}

// rawField decodes a value into a compacted json.RawMessage, so that it
// is written back exactly as it was read.
func rawField(dst *json.RawMessage) fieldFunc {
	return func(dec *json.Decoder) error {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return err
		}
		*dst = buf.Bytes()
		return nil
	}
}

// listField decodes a list of T.
func listField[T any](dst *[]T) fieldFunc {
	return func(dec *json.Decoder) error { return decodeList(dec, dst) }
}
