package coco

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"testing"

	"rewardvision/internal/testfix"
)

// FuzzReadInstances checks that no input makes the reader or the index
// panic, and that whatever reads also writes and reads back the same.
func FuzzReadInstances(f *testing.F) {
	f.Add([]byte(`{"images":[{"id":1,"width":4,"height":3}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"segmentation":{"size":[3,4],"counts":[12]}}],"categories":[{"id":1,"name":"a"}]}`))
	f.Add([]byte(`{"annotations":[{"segmentation":[[1,2,3,4,5,6]],"bbox":[1,2,3,4]}]}`))
	f.Add([]byte(`{"annotations":[{"segmentation":{"size":[2,2],"counts":"04"},"bbox":[1,2,3,4]}]}`))
	if b, err := os.ReadFile(testfix.Find("coco-det/real2/gt.json")); err == nil {
		f.Add(b[:4096])
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := ReadInstances(bytes.NewReader(data))
		if err != nil {
			return
		}
		_, _ = NewIndex(ds, IndexOptions{})
		_, _ = NewIndex(ds, IndexOptions{SkipBad: true, Logger: quiet})
		var buf bytes.Buffer
		if err := WriteInstances(&buf, ds); err != nil {
			t.Fatalf("write: %v", err)
		}
		if _, err := ReadInstances(&buf); err != nil {
			t.Fatalf("read back: %v", err)
		}
	})
}

// FuzzDecodeIDMap checks the PNG reader never panics.
func FuzzDecodeIDMap(f *testing.F) {
	var buf bytes.Buffer
	m := NewIDMap(3, 2)
	m.IDs[1] = 70000
	_ = EncodeIDMap(&buf, m)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = DecodeIDMap(bytes.NewReader(data))
	})
}
