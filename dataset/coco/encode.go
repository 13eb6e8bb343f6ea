package coco

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// field is one top-level key and its value; a nil value (or nil slice or
// RawMessage) omits the key.
type field struct {
	key   string
	value any
}

// lines is a list written one element per line, so big files stay
// greppable and diffable.
type lines[T any] []T

func listOf[T any](s []T) any {
	if s == nil {
		return lines[T]{}
	}
	return lines[T](s)
}

// marshal is json.Marshal without HTML escaping: compressed RLE strings
// contain '<' and '>', which pycocotools writes as they are.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// lineList is implemented by lines: encoding/json would compact the
// newlines away, so the stream writes these itself.
type lineList interface{ appendLines([]byte) ([]byte, error) }

func (l lines[T]) appendLines(out []byte) ([]byte, error) {
	if len(l) == 0 {
		return append(out, '[', ']'), nil
	}
	out = append(out, '[', '\n')
	for i := range l {
		b, err := marshal(l[i])
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		if i > 0 {
			out = append(out, ',', '\n')
		}
		out = append(out, b...)
	}
	return append(out, '\n', ']'), nil
}

// objectStream writes {head fields, "list": [elements...], tail fields}.
type objectStream struct {
	w      *bufio.Writer
	list   string
	tail   []field
	n      int
	err    error
	closed bool
}

func newObjectStream(w io.Writer, head []field, list string, tail []field) (*objectStream, error) {
	s := &objectStream{w: bufio.NewWriterSize(w, 1<<16), list: list, tail: tail}
	s.w.WriteByte('{')
	s.writeFields(head)
	fmt.Fprintf(s.w, "%q:[", list)
	return s, s.err
}

func marshalField(v any) ([]byte, error) {
	if l, ok := v.(lineList); ok {
		return l.appendLines(nil)
	}
	return marshal(v)
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer:
		return rv.IsNil()
	}
	return false
}

func (s *objectStream) writeFields(fs []field) {
	for _, f := range fs {
		if s.err != nil || isNil(f.value) {
			continue
		}
		b, err := marshalField(f.value)
		if err != nil {
			s.err = fmt.Errorf("write %q: %w", f.key, err)
			return
		}
		fmt.Fprintf(s.w, "%q:", f.key)
		s.w.Write(b)
		s.w.WriteByte(',')
	}
}

func (s *objectStream) add(v any) error {
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return errors.New("write after close")
	}
	b, err := marshal(v)
	if err != nil {
		s.err = fmt.Errorf("write %s[%d]: %w", s.list, s.n, err)
		return s.err
	}
	if s.n > 0 {
		s.w.WriteByte(',')
	}
	s.w.WriteByte('\n')
	_, s.err = s.w.Write(b)
	s.n++
	return s.err
}

func (s *objectStream) close() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	if s.err != nil {
		return s.err
	}
	if s.n > 0 {
		s.w.WriteByte('\n')
	}
	s.w.WriteString("]")
	for _, f := range s.tail {
		if isNil(f.value) {
			continue
		}
		b, err := marshalField(f.value)
		if err != nil {
			s.err = fmt.Errorf("write %q: %w", f.key, err)
			return s.err
		}
		fmt.Fprintf(s.w, ",%q:", f.key)
		s.w.Write(b)
	}
	s.w.WriteString("}\n")
	s.err = s.w.Flush()
	return s.err
}
