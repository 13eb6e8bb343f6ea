package shapes

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestPresets: each preset is valid and differs from the defaults in
// exactly the knobs the README names; an unknown name is an error.
func TestPresets(t *testing.T) {
	def := DefaultConfig()
	capt, det := def, def
	capt.MaxObjects, capt.MinObjectSize, capt.CrowdProb = 4, 0.18, 0
	det.MaxObjects, det.MinObjectSize, det.CrowdProb, det.MaxRotation, det.MaxOcclusion = 3, 0.3, 0, 0, 0
	det.Texture, det.Lighting, det.Noise, det.ColorJitter, det.MaxStuff = 0, 0, 0, 0, 1
	det.Shapes = strings.Split("circle,square,triangle,star,cross,arrow", ",")
	det.Colors = strings.Split("red,green,blue,yellow,white,cyan", ",")
	det.Stuff, det.ClassColors = []string{"road"}, true
	pan := capt
	pan.ClassColors = true
	for name, want := range map[string]Config{"full": def, "captioning": capt, "detection": det, "panoptic": pan} {
		got, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("preset %s = %+v, want %+v", name, got, want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
	if got := strings.Join(PresetNames(), ","); got != "captioning,detection,full,panoptic" {
		t.Errorf("PresetNames = %s", got)
	}
	if _, err := Preset("hard"); err == nil || !strings.Contains(err.Error(), `preset "hard"`) {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestLoadConfigLayers(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	det, err := Preset("detection")
	if err != nil {
		t.Fatal(err)
	}
	// The preset alone.
	if c, err := LoadConfig("detection", ""); err != nil || c.MaxObjects != det.MaxObjects || !c.ClassColors {
		t.Fatalf("LoadConfig(detection) = %+v, %v", c, err)
	}
	// A file overrides only the fields it names.
	c, err := LoadConfig("detection", write("over.json", `{"max_objects": 2, "size": 32}`))
	if err != nil || c.MaxObjects != 2 || c.Size != 32 || c.MinObjectSize != det.MinObjectSize || !c.ClassColors {
		t.Fatalf("override = %+v, %v", c, err)
	}
	for _, tc := range []struct{ name, preset, path, want string }{
		{"unknown field", "full", write("bad.json", `{"max_objectz": 2}`), `unknown field "max_objectz"`},
		{"missing file", "full", filepath.Join(dir, "none.json"), "config: open"},
		{"unknown preset", "hard", "", `preset "hard"`},
	} {
		if _, err := LoadConfig(tc.preset, tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}
