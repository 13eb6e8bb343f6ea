package loader

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"rewardvision/dataset/coco"
	"rewardvision/dataset/shapes"
	"rewardvision/internal/testfix"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var (
	splitOnce sync.Once
	splitDir  string
	splitErr  error
)

// shapesSplit generates a small split once for the package's tests.
func shapesSplit(t testing.TB) string {
	t.Helper()
	splitOnce.Do(func() {
		splitDir, splitErr = os.MkdirTemp("", "loader-test")
		if splitErr == nil {
			_, splitErr = shapes.Generate(context.Background(), shapes.DefaultConfig(),
				shapes.Options{Out: splitDir, N: 30, Seed: 5, Split: "val", Workers: 2})
		}
	})
	if splitErr != nil {
		t.Fatal(splitErr)
	}
	return splitDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if splitDir != "" {
		os.RemoveAll(splitDir)
	}
	os.Exit(code)
}

func drain(t *testing.T, recs []Record, cfg Config) []Sample {
	t.Helper()
	it, err := New(context.Background(), recs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	out, err := All(it)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ids(ss []Sample) []int64 {
	out := make([]int64, len(ss))
	for i, s := range ss {
		out[i] = s.Record.ImageID
	}
	return out
}

func TestShapesSplitSamples(t *testing.T) {
	dir := shapesSplit(t)
	recs, err := LoadSplit(dir, false, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 30 {
		t.Fatalf("%d records", len(recs))
	}
	one := drain(t, recs, Config{Size: 64, Seed: 1, Shuffle: true, Workers: 1})
	four := drain(t, recs, Config{Size: 64, Seed: 1, Shuffle: true, Workers: 4, Prefetch: 3})
	if !reflect.DeepEqual(one, four) {
		t.Fatal("1 and 4 workers gave different samples")
	}
	for k, s := range one {
		if s.Position != k || len(s.Record.Captions) != shapes.NumCaptions || len(s.Boxes) != len(s.Record.Annotations) {
			t.Fatalf("sample %d: position %d, %d captions, %d boxes", k, s.Position, len(s.Record.Captions), len(s.Boxes))
		}
		// 64×64 sources are copied unscaled
		f, _ := os.Open(s.Record.Path)
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		rgba := img.(*image.RGBA)
		for i := 0; i < 64*64; i++ {
			if !bytes.Equal(rgba.Pix[4*i:4*i+3], s.Pixels[3*i:3*i+3]) {
				t.Fatalf("%s: pixel %d differs", s.Record.Path, i)
			}
		}
		for i, a := range s.Record.Annotations {
			if s.Boxes[i] != a.BBox {
				t.Fatalf("box %v, want %v unscaled", s.Boxes[i], a.BBox)
			}
		}
		m, err := coco.ReadIDMap(s.Record.PanopticPath)
		if err != nil || !reflect.DeepEqual(m.IDs, s.Panoptic) {
			t.Fatalf("panoptic ids differ from the PNG (%v)", err)
		}
	}
}

func TestOrderShardsPartition(t *testing.T) {
	const n = 103
	for _, shuffle := range []bool{false, true} {
		seen := map[int]int{}
		for shard := 0; shard < 4; shard++ {
			o := Order(n, 9, 0, shuffle, shard, 4)
			if len(o) < n/4 || len(o) > n/4+1 {
				t.Errorf("shard %d has %d items", shard, len(o))
			}
			for _, i := range o {
				seen[i]++
			}
		}
		if len(seen) != n {
			t.Fatalf("shuffle %v: shards cover %d of %d", shuffle, len(seen), n)
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("record %d in %d shards", i, c)
			}
		}
	}
	if !reflect.DeepEqual(Order(n, 9, 0, true, 0, 1), Order(n, 9, 0, true, 0, 1)) {
		t.Error("same seed, different order")
	}
	if reflect.DeepEqual(Order(n, 9, 0, true, 0, 1), Order(n, 10, 0, true, 0, 1)) {
		t.Error("seeds 9 and 10 gave the same order")
	}
	if reflect.DeepEqual(Order(n, 9, 0, true, 0, 1), Order(n, 9, 1, true, 0, 1)) {
		t.Error("epochs 0 and 1 gave the same order")
	}
	plain := Order(n, 9, 0, false, 0, 1)
	if !sort.IntsAreSorted(plain) || len(plain) != n {
		t.Error("unshuffled order is not the file order")
	}
	// the iterator follows Order, shard by shard
	recs, err := LoadSplit(shapesSplit(t), false, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var all []int64
	for shard := 0; shard < 3; shard++ {
		got := ids(drain(t, recs, Config{Size: 64, Seed: 2, Shuffle: true, Shard: shard, NumShards: 3, Workers: 3}))
		for k, i := range Order(len(recs), 2, 0, true, shard, 3) {
			if got[k] != recs[i].ImageID {
				t.Fatalf("shard %d position %d: image %d, Order says %d", shard, k, got[k], recs[i].ImageID)
			}
		}
		all = append(all, got...)
	}
	if len(all) != len(recs) {
		t.Fatalf("shards yielded %d of %d", len(all), len(recs))
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []Config{{Size: 0}, {Size: 64, Shard: 2, NumShards: 2}, {Size: 64, Shard: -1}} {
		if _, err := New(context.Background(), nil, cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestLetterbox(t *testing.T) {
	for _, tc := range []struct{ w, h, size, W, H int }{
		{640, 427, 64, 64, 43},
		{360, 640, 64, 36, 64},
		{64, 64, 64, 64, 64},
		{32, 16, 64, 64, 32},
		{1000, 1, 64, 64, 1},
	} {
		lb := NewLetterbox(tc.w, tc.h, tc.size)
		if lb.W != tc.W || lb.H != tc.H {
			t.Errorf("%dx%d → %dx%d, want %dx%d", tc.w, tc.h, lb.W, lb.H, tc.W, tc.H)
		}
		b := coco.BBox{10, 5, 20, 8}
		back := lb.Unbox(lb.Box(b))
		for i := range b {
			if d := back[i] - b[i]; d > 1e-9 || d < -1e-9 {
				t.Errorf("%dx%d: Unbox(Box(%v)) = %v", tc.w, tc.h, b, back)
			}
		}
	}
}

func TestRealJPEG(t *testing.T) {
	ds, err := coco.LoadInstances(testfix.Local(t, "coco-det/real2/gt.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(testfix.Local(t, "coco-det/real2/images/000000439180.jpg"))
	// the other photo is not copied into testdata/fixtures: its record is skipped
	recs, _, err := FromInstances(ds, dir, coco.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	it, err := New(context.Background(), recs, Config{Size: 64, SkipBad: true, Pad: [3]uint8{1, 2, 3}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	got, err := All(it)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || it.Skipped() != 1 {
		t.Fatalf("%d samples, %d skipped; want 1 and 1", len(got), it.Skipped())
	}
	s := got[0]
	if s.Letterbox != (Letterbox{SrcW: 640, SrcH: 360, Size: 64, W: 64, H: 36}) {
		t.Errorf("letterbox %+v", s.Letterbox)
	}
	if len(s.Boxes) != 32 || s.Boxes[0] != (coco.BBox{20, 16, 5.3, 14}) {
		t.Errorf("%d boxes, first %v; want 32, [20 16 5.3 14]", len(s.Boxes), s.Boxes[0])
	}
	for y := 36; y < 64; y++ {
		for x := 0; x < 64; x++ {
			if p := s.Pixels[3*(y*64+x):][:3]; p[0] != 1 || p[1] != 2 || p[2] != 3 {
				t.Fatalf("padding pixel (%d,%d) = %v", x, y, p)
			}
		}
	}
	if s.Panoptic != nil {
		t.Error("panoptic ids without a panoptic file")
	}
}

// exifJPEG encodes img as JPEG with an EXIF APP1 segment carrying the
// given orientation tag.
func exifJPEG(t *testing.T, img image.Image, orientation uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8)) // IFD offset
	binary.Write(&tiff, binary.BigEndian, uint16(1)) // one entry
	binary.Write(&tiff, binary.BigEndian, uint16(0x0112))
	binary.Write(&tiff, binary.BigEndian, uint16(3)) // SHORT
	binary.Write(&tiff, binary.BigEndian, uint32(1))
	binary.Write(&tiff, binary.BigEndian, orientation)
	binary.Write(&tiff, binary.BigEndian, uint16(0))
	binary.Write(&tiff, binary.BigEndian, uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xff, 0xe1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	src := buf.Bytes()
	out := append([]byte{}, src[:2]...) // SOI
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, src[2:]...)
}

func TestEXIFOrientation(t *testing.T) {
	// 16×8: left half red, right half blue. Orientation 6 means "rotate 90°
	// clockwise to display": the shown image is 8×16, red on top.
	img := image.NewNRGBA(image.Rect(0, 0, 16, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 16; x++ {
			c := color.NRGBA{230, 20, 20, 255}
			if x >= 8 {
				c = color.NRGBA{20, 20, 230, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "rot.jpg")
	if err := os.WriteFile(path, exifJPEG(t, img, 6), 0o644); err != nil {
		t.Fatal(err)
	}
	recs := []Record{{ImageID: 1, Path: path, Width: 8, Height: 16,
		Annotations: []coco.Annotation{{BBox: coco.BBox{0, 0, 8, 8}}}}}
	got := drain(t, recs, Config{Size: 16})
	s := got[0]
	if s.Letterbox.W != 8 || s.Letterbox.H != 16 {
		t.Fatalf("letterbox %+v, want 8x16 content", s.Letterbox)
	}
	top, bottom := s.Pixels[3*(2*16+4):][:3], s.Pixels[3*(13*16+4):][:3]
	if top[0] < 150 || top[2] > 100 || bottom[2] < 150 || bottom[0] > 100 {
		t.Errorf("top %v bottom %v: want red above blue", top, bottom)
	}
	// the JSON giving the unrotated size is a mismatch
	recs[0].Width, recs[0].Height = 16, 8
	it, _ := New(context.Background(), recs, Config{Size: 16})
	defer it.Close()
	if _, err := it.Next(); err == nil || !strings.Contains(err.Error(), "after EXIF orientation") {
		t.Errorf("err = %v", err)
	}
}

func TestBadImages(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.png")
	var buf bytes.Buffer
	png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, 4, 4)))
	os.WriteFile(good, buf.Bytes(), 0o644)
	corrupt := filepath.Join(dir, "corrupt.png")
	os.WriteFile(corrupt, buf.Bytes()[:len(buf.Bytes())/2], 0o644)
	notImage := filepath.Join(dir, "text.png")
	os.WriteFile(notImage, []byte("hello"), 0o644)
	huge := filepath.Join(dir, "huge.png")
	hdr := append([]byte{}, buf.Bytes()[:33]...)
	binary.BigEndian.PutUint32(hdr[16:], 1<<20) // IHDR width
	binary.BigEndian.PutUint32(hdr[20:], 1<<20)
	binary.BigEndian.PutUint32(hdr[29:], crc32.ChecksumIEEE(hdr[12:29]))
	os.WriteFile(huge, hdr, 0o644)
	badPan := filepath.Join(dir, "pan.png")
	os.WriteFile(badPan, []byte("\x89PNG\r\n\x1a\nbroken"), 0o644)

	for _, tc := range []struct {
		name string
		rec  Record
		want string
	}{
		{"missing", Record{ImageID: 7, Path: filepath.Join(dir, "nope.png")}, "nope.png (image id 7, record 1)"},
		{"corrupt png", Record{ImageID: 7, Path: corrupt}, "corrupt.png (image id 7"},
		{"not an image", Record{ImageID: 7, Path: notImage}, "undecodable image: not JPEG, PNG, GIF, WebP or BMP"},
		{"huge header", Record{ImageID: 7, Path: huge}, "too large"},
		{"size mismatch", Record{ImageID: 7, Path: good, Width: 5, Height: 4}, "JSON says 5x4"},
		{"corrupt panoptic", Record{ImageID: 7, Path: good, PanopticPath: badPan}, "pan.png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := []Record{{ImageID: 1, Path: good}, tc.rec, {ImageID: 2, Path: good}}
			it, _ := New(context.Background(), recs, Config{Size: 8, Workers: 2})
			s, err := it.Next()
			if err != nil || s.Record.ImageID != 1 {
				t.Fatalf("first: %v", err)
			}
			_, err = it.Next()
			it.Close()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var logs bytes.Buffer
			it, _ = New(context.Background(), recs, Config{Size: 8, Workers: 2, SkipBad: true,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			defer it.Close()
			got, err := All(it)
			if err != nil || len(got) != 2 || it.Skipped() != 1 {
				t.Fatalf("skip-bad: %d samples, %d skipped, %v", len(got), it.Skipped(), err)
			}
			if !strings.Contains(logs.String(), tc.want) {
				t.Errorf("warning %q does not name the record", logs.String())
			}
		})
	}
}

func TestUnknownImageAnnotation(t *testing.T) {
	ds := &coco.Instances{
		Images:     []coco.Image{{ID: 1, FileName: "a.png"}},
		Categories: []coco.Category{{ID: 1, Name: "circle"}},
		Annotations: []coco.Annotation{
			{ID: 1, ImageID: 1, CategoryID: 1},
			{ID: 2, ImageID: 42, CategoryID: 1},
		},
	}
	_, _, err := FromInstances(ds, "x", coco.IndexOptions{Source: "inst.json"})
	if err == nil || !strings.Contains(err.Error(), "inst.json: annotations[1] (id 2): image_id 42") {
		t.Fatalf("err = %v", err)
	}
	recs, ix, err := FromInstances(ds, "x", coco.IndexOptions{SkipBad: true, Logger: quiet})
	if err != nil || len(recs) != 1 || len(recs[0].Annotations) != 1 || ix.SkippedAnnotations != 1 {
		t.Fatalf("skip-bad: %v, %d records, index %+v", err, len(recs), ix)
	}
	caps := &coco.Captions{Annotations: []coco.Caption{{ID: 1, ImageID: 1, Caption: "a"}, {ID: 2, ImageID: 9, Caption: "b"}}}
	if _, err := AttachCaptions(recs, caps, coco.IndexOptions{}); err == nil || !strings.Contains(err.Error(), "unknown image id 9") {
		t.Errorf("captions err = %v", err)
	}
	if n, err := AttachCaptions(recs, caps, coco.IndexOptions{SkipBad: true, Logger: quiet}); err != nil || n != 1 {
		t.Errorf("captions skip-bad: %d, %v", n, err)
	}
	pan := &coco.Panoptic{Images: []coco.Image{{ID: 3}}, Annotations: []coco.PanopticAnnotation{{ImageID: 3, FileName: "3.png"}}}
	if _, err := AttachPanoptic(recs, pan, "p", coco.IndexOptions{}); err == nil || !strings.Contains(err.Error(), "no panoptic annotation") {
		t.Errorf("panoptic err = %v", err)
	}
	if out, err := AttachPanoptic(recs, pan, "p", coco.IndexOptions{SkipBad: true, Logger: quiet}); err != nil || len(out) != 0 {
		t.Errorf("panoptic skip-bad: %d records, %v", len(out), err)
	}
}

func TestLetterboxIDsNearest(t *testing.T) {
	m := coco.NewIDMap(4, 2)
	copy(m.IDs, []uint32{1, 2, 3, 4, 5, 6, 7, 8})
	got := letterboxIDs(m, NewLetterbox(4, 2, 8))
	want := []uint32{
		1, 1, 2, 2, 3, 3, 4, 4,
		1, 1, 2, 2, 3, 3, 4, 4,
		5, 5, 6, 6, 7, 7, 8, 8,
		5, 5, 6, 6, 7, 7, 8, 8,
	}
	if !reflect.DeepEqual(got[:32], want) {
		t.Errorf("got %v", got[:32])
	}
	for _, v := range got[32:] {
		if v != 0 {
			t.Fatal("padding is not void")
		}
	}
}

func TestLoadSplitCounts(t *testing.T) {
	gen := func(t *testing.T) string {
		dir := t.TempDir()
		if _, err := shapes.Generate(context.Background(), shapes.DefaultConfig(), shapes.Options{Out: dir, N: 4, Seed: 8, Split: "val", Workers: 1}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	clean := gen(t)
	recs, n, err := LoadSplitCounts(clean, false, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := coco.LoadInstances(filepath.Join(clean, "instances.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := SplitCounts{Images: 4, Annotations: len(ds.Annotations), PanopticAnnotations: 4, Captions: 4 * shapes.NumCaptions}
	if len(recs) != 4 || n != want || n.Skipped() != 0 {
		t.Fatalf("%d records, counts %+v; want 4, %+v", len(recs), n, want)
	}

	for _, tc := range []struct {
		name string
		edit func(t *testing.T, dir string)
		want string
		skip SplitCounts // the Skipped* fields
		recs int
	}{
		{"unknown image annotation", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "instances.json")
			ds, _ := coco.LoadInstances(p)
			a := ds.Annotations[0]
			a.ID, a.ImageID = 9999, 777
			ds.Annotations = append(ds.Annotations, a)
			if err := coco.SaveInstances(p, ds); err != nil {
				t.Fatal(err)
			}
		}, "(id 9999): image_id 777 is not in images", SplitCounts{SkippedAnnotations: 1}, 4},
		{"no panoptic annotation", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "panoptic.json")
			pan, _ := coco.LoadPanoptic(p)
			pan.Annotations = pan.Annotations[1:]
			if err := coco.SavePanoptic(p, pan); err != nil {
				t.Fatal(err)
			}
			// the dropped image's captions then belong to no record
		}, "image id 1 (record 0) has no panoptic annotation", SplitCounts{SkippedNoPanoptic: 1, SkippedCaptions: shapes.NumCaptions}, 3},
		{"caption of unknown image", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "captions.json")
			c, _ := coco.LoadCaptions(p)
			c.Annotations = append(c.Annotations, coco.Caption{ID: 9999, ImageID: 777, Caption: "a ghost"})
			if err := coco.SaveCaptions(p, c); err != nil {
				t.Fatal(err)
			}
		}, "caption of unknown image id 777", SplitCounts{SkippedCaptions: 1}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := gen(t)
			tc.edit(t, dir)
			if _, err := LoadSplit(dir, false, quiet); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			recs, n, err := LoadSplitCounts(dir, true, quiet)
			if err != nil {
				t.Fatal(err)
			}
			got := SplitCounts{SkippedImages: n.SkippedImages, SkippedAnnotations: n.SkippedAnnotations, SkippedPanoptic: n.SkippedPanoptic,
				SkippedNoPanoptic: n.SkippedNoPanoptic, SkippedCaptions: n.SkippedCaptions}
			if len(recs) != tc.recs || got != tc.skip || n.Skipped() != tc.skip.Skipped() || n.Images != 4 {
				t.Errorf("%d records, counts %+v; want %d records, skipped %+v", len(recs), n, tc.recs, tc.skip)
			}
		})
	}
}
