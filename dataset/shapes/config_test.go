package shapes

import (
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
	for name, want := range map[string]Config{"full": def, "captioning": capt, "detection": det} {
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
	if got := strings.Join(PresetNames(), ","); got != "captioning,detection,full" {
		t.Errorf("PresetNames = %s", got)
	}
	if _, err := Preset("hard"); err == nil || !strings.Contains(err.Error(), `preset "hard"`) {
		t.Errorf("unknown preset: %v", err)
	}
}
