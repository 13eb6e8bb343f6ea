package repo

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

func validManifest() *Manifest {
	cfg := seq.Config{ImageSize: 16, Channels: 3, PatchSize: 4, Width: 32, EncDepth: 1, DecDepth: 1,
		Heads: 2, MLPRatio: 2, VocabSize: 3 + 8 + 2, SeqLen: 11}
	g := Graph{File: "g.onnx", Inputs: []Tensor{{Name: "x", DType: "float32", Dims: []Dim{{Name: "batch"}, {Size: 3}}}},
		Outputs: []Tensor{{Name: "y", DType: "float32"}}}
	return &Manifest{
		Format: Format, Name: "det", Version: 2, Task: task.Detection, Variant: task.Reward, Architecture: cfg,
		Input: checkpoint.Input{Size: 16, Channels: 3, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.2, 0.2, 0.2}, Pad: 0.5},
		Tokens: Tokens{VocabSize: 13, MaxLen: 11, PAD: 0, BOS: 1, EOS: 2,
			Detection: &DetectionTokens{Bins: 8, NumClasses: 2, MaxBoxes: 2, CoordOffset: 3, ClassOffset: 11, BoxTokens: codec.CoordsFirstOrder}},
		Labels: []checkpoint.Label{{Index: 0, CategoryID: 1, Name: "a"}, {Index: 1, CategoryID: 2, Name: "b"}},
		Graphs: map[string]Graph{RoleEncoder: g, RoleDecoderStep: g, RoleCodeDecoder: g},
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := validManifest()
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"dims": [
            "batch",
            3
          ]`) {
		t.Errorf("dims are not written as names and numbers:\n%s", data)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := got.Marshal()
	if string(again) != string(data) {
		t.Errorf("round trip changed the manifest:\n%s\n%s", data, again)
	}
	if _, ok := got.Graphs[RoleCodeDecoder].Input("x"); !ok {
		t.Error("input x not found")
	}
	if _, err := Parse(append(data, []byte(`{"x":1}`)...)); err == nil {
		t.Error("data after the manifest accepted")
	}
	if EntryDir("/r", "det", 2) != "/r/det/2" {
		t.Errorf("EntryDir = %s", EntryDir("/r", "det", 2))
	}
}

func TestDimJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Dim
		err  bool
	}{
		{`7`, Dim{Size: 7}, false},
		{`"past_len"`, Dim{Name: "past_len"}, false},
		{`0`, Dim{}, false},
		{`-1`, Dim{}, true},
		{`""`, Dim{}, true},
		{`1.5`, Dim{}, true},
		{`null`, Dim{}, true},
		{`[1]`, Dim{}, true},
	} {
		var d Dim
		err := json.Unmarshal([]byte(tc.in), &d)
		if (err != nil) != tc.err || (!tc.err && d != tc.want) {
			t.Errorf("%s: %+v, %v", tc.in, d, err)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(m *Manifest)
		want string
	}{
		{"format", func(m *Manifest) { m.Format = "v0" }, `format "v0"`},
		{"old format", func(m *Manifest) { m.Format = "rewardvision.model/v1" }, "re-export the entry"},
		{"name", func(m *Manifest) { m.Name = "a/b" }, `name "a/b"`},
		{"version", func(m *Manifest) { m.Version = 0 }, "version 0"},
		{"task", func(m *Manifest) { m.Task = "segmentation" }, `unknown task "segmentation"`},
		{"panoptic without codes", func(m *Manifest) { m.Task = task.Panoptic }, "panoptic task without a codebook"},
		{"variant", func(m *Manifest) { m.Variant = "rl" }, `unknown variant "rl"`},
		{"input size", func(m *Manifest) { m.Input.Size = 32 }, "does not match the model"},
		{"nan mean", func(m *Manifest) { m.Input.Mean[2] = float32(math.NaN()) }, "input mean[2]"},
		{"pad", func(m *Manifest) { m.Input.Pad = 2 }, "input pad 2"},
		{"vocab", func(m *Manifest) { m.Tokens.VocabSize = 14 }, "vocab_size 14"},
		{"specials", func(m *Manifest) { m.Tokens.EOS = 5 }, "pad/bos/eos 0/1/5"},
		{"no layout", func(m *Manifest) { m.Tokens.Detection = nil }, "detection codec"},
		{"too many boxes", func(m *Manifest) { m.Tokens.Detection.MaxBoxes = 3; m.Architecture.SeqLen = 11 }, "3 boxes need 16 tokens, max_len is 11"},
		{"labels", func(m *Manifest) { m.Labels = m.Labels[:1] }, "2 classes but 1 labels"},
		{"temperature", func(m *Manifest) { m.Decoding.Temperature = math.Inf(1) }, "decoding temperature"},
		{"max tokens", func(m *Manifest) { m.Decoding.MaxTokens = 12 }, "decoding max_tokens 12: want 0..11"},
		{"no decoder", func(m *Manifest) { delete(m.Graphs, RoleDecoderStep) }, `no "decoder_step" graph`},
		{"no outputs", func(m *Manifest) { g := m.Graphs[RoleEncoder]; g.Outputs = nil; m.Graphs[RoleEncoder] = g }, "graph encoder: no inputs or outputs"},
		{"colorization max tokens below the codes", func(m *Manifest) {
			m.Task, m.Tokens.Detection, m.Labels = task.Colorization, nil, nil
			m.Tokens.Codes = &CodeTokens{Grid: 2, Codes: 10, CodeOffset: 3, CodebookFile: "codebook.json"}
			m.Architecture.SeqLen, m.Tokens.MaxLen = 5, 5
			m.Graphs[RoleCodeDecoder] = m.Graphs[RoleEncoder]
			m.Decoding.MaxTokens = 3
		}, "decoding max_tokens 3: a colorization output needs all 4 codes"},
		{"caption vocab", func(m *Manifest) {
			m.Task, m.Tokens.Detection, m.Labels, m.Tokens.VocabFile = task.Captioning, nil, nil, "/etc/vocab.json"
		}, "vocab_file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := validManifest()
			tc.edit(m)
			err := m.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if err := validManifest().Validate(); err != nil {
		t.Fatal(err)
	}
}
