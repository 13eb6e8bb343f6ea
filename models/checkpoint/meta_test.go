package checkpoint

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"rewardvision/models/seq"
	"rewardvision/models/task"
)

func validDetection() *Meta {
	return &Meta{
		Task: task.Detection, Variant: task.MLE,
		Model:     seq.DetectionConfig(2+100+2, 41),
		Input:     Input{Size: 64, Channels: 3, Std: [3]float32{1, 1, 1}, Letterbox: true},
		Detection: &DetectionCodec{Bins: 100, NumClasses: 2, MaxBoxes: 8},
		Labels:    []Label{{0, 1, "circle"}, {1, 2, "square"}},
		Decoding:  Decoding{MaxTokens: 41},
		Prov:      Provenance{Data: "shapes", Seed: 1, Steps: 10, Commit: "abc", Metrics: map[string]float64{"AP": 0.5}},
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := validDetection()
	m.Model.VocabSize = 1 + 2 + 100 + 2 // any valid config round-trips
	if err := Save(dir, m); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Meta)
		want   string
	}{
		{"unknown task", func(m *Meta) { m.Task = "pose" }, `unknown task "pose"`},
		{"unknown variant", func(m *Meta) { m.Variant = "rl" }, `unknown variant "rl"`},
		{"detection without codec", func(m *Meta) { m.Detection = nil }, "without a detection codec"},
		{"labels mismatch", func(m *Meta) { m.Labels = m.Labels[:1] }, "2 classes but 1 labels"},
		{"captioning without vocab", func(m *Meta) { m.Task = task.Captioning }, "without a vocab_file"},
		{"input size", func(m *Meta) { m.Input.Size = 96 }, "does not match the model"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := validDetection()
			tc.mutate(m)
			err := m.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
			if err := Save(t.TempDir(), m); err == nil {
				t.Error("Save accepted invalid metadata")
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "meta.json") {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, MetaFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "meta.json") {
		t.Errorf("bad JSON: %v", err)
	}
}

func TestInputNormalize(t *testing.T) {
	in := Input{Size: 1, Channels: 3, Mean: [3]float32{0.5, 0.25, 0}, Std: [3]float32{0.5, 0.25, 1}, Pad: 0.5}
	got := in.Normalize(nil, []uint8{255, 0, 51})
	want := []float32{1, -1, 0.2}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("channel %d: %g, want %g", i, got[i], want[i])
		}
	}
	if c := in.PadColor(); c != [3]uint8{128, 128, 128} {
		t.Errorf("pad colour %v", c)
	}
}
