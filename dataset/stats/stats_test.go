package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/dataset/shapes"
	"rewardvision/internal/testfix"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testfix.Golden(t, filepath.Join("testdata", name), got, *update)
}

// TestGoldenShapesSplit pins the stats of a small generated split: any
// change to the generator's output shows up here.
func TestGoldenShapesSplit(t *testing.T) {
	dir := t.TempDir()
	if _, err := shapes.Generate(context.Background(), shapes.DefaultConfig(),
		shapes.Options{Out: dir, N: 20, Seed: 1, Split: "val", Workers: 2}); err != nil {
		t.Fatal(err)
	}
	files, err := SplitFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Compute(files)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := st.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden(t, "shapes20.txt", text.Bytes())
	js, _ := json.MarshalIndent(st, "", "  ")
	golden(t, "shapes20.json", append(js, '\n'))
	in := st.Instances
	sum := 0
	for _, n := range in.ObjectsPerImage {
		sum += n
	}
	if sum != 20 || in.Small+in.Medium+in.Large != in.Objects || st.Captions.Captions != 100 {
		t.Errorf("inconsistent stats: %+v", in)
	}
}

func TestRealFixtures(t *testing.T) {
	st, err := Compute(Files{
		Instances: testfix.Path(t, "coco-det/real2/gt.json"),
		Panoptic:  testfix.Path(t, "panoptic/real2/gt.json"),
		Captions:  testfix.Path(t, "captions/small/refs.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	in := st.Instances
	if in.Images != 2 || in.Objects != 47 || in.CrowdRegions != 3 || in.Small+in.Medium+in.Large != 47 {
		t.Errorf("instances %+v", in)
	}
	if p := st.Panoptic; p.Segments != 50 || p.ThingSegments+p.StuffSegments != 50 || p.VoidFraction <= 0 || p.VoidFraction >= 1 {
		t.Errorf("panoptic %+v", p)
	}
	if c := st.Captions; c.Captions != 25 || c.Images != 5 || c.PerImage != 5 || c.Vocabulary == 0 {
		t.Errorf("captions %+v", c)
	}
}

func TestErrors(t *testing.T) {
	if _, err := SplitFiles(t.TempDir()); err == nil || !strings.Contains(err.Error(), "holds none") {
		t.Errorf("empty folder: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"annotations":7}`), 0o644)
	for _, f := range []Files{{Instances: bad}, {Panoptic: bad}, {Captions: "missing.json"}} {
		if _, err := Compute(f); err == nil {
			t.Errorf("%+v: no error", f)
		}
	}
}
