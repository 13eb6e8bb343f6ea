package seq

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestConfigValidate(t *testing.T) {
	good := DetectionConfig(113, 41)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(c *Config)
		wantErr string
	}{
		{name: "patch", edit: func(c *Config) { c.PatchSize = 7 }, wantErr: "does not divide image_size"},
		{name: "heads", edit: func(c *Config) { c.Heads = 5 }, wantErr: "does not divide width"},
		{name: "zero width", edit: func(c *Config) { c.Width = 0 }, wantErr: "width = 0"},
		{name: "negative depth", edit: func(c *Config) { c.DecDepth = -1 }, wantErr: "dec_depth = -1"},
		{name: "huge", edit: func(c *Config) { c.SeqLen = 1 << 40 }, wantErr: "seq_len"},
		{name: "vocab", edit: func(c *Config) { c.VocabSize = 2 }, wantErr: "cannot hold PAD"},
	}
	for _, tc := range tests {
		c := good
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
		}
		if _, err := New(testBackend(t), c, Options{}); err == nil {
			t.Errorf("%s: New accepted the config", tc.name)
		}
	}
}

// TestParamCount checks Config.ParamCount against the variables a built
// model actually has, for the default configs and tiny ones.
func TestParamCount(t *testing.T) {
	tiedTiny := tinyConfig(13, 9)
	tiedTiny.TiedHead = true
	stem := tinyConfig(13, 9)
	stem.StemChannels = 6
	tests := []struct {
		name string
		cfg  Config
		want int // 0: only compare with the variables
	}{
		{name: "detection default (100 bins, 10 classes, 8 boxes)", cfg: DetectionConfig(113, 41), want: 684881},
		{name: "caption default (~150 words, 20 tokens)", cfg: CaptionConfig(154, 20)},
		{name: "tiny", cfg: tinyConfig(13, 9)},
		{name: "tiny tied", cfg: tiedTiny},
		{name: "tiny with a convolution stem", cfg: stem},
	}
	for _, tc := range tests {
		m := newTestModel(t, tc.cfg, 1)
		images := randImages(rand.New(rand.NewPCG(1, 1)), tc.cfg, 1)
		inputs := tensors.FromFlatDataAndDimensions(make([]int32, tc.cfg.SeqLen), 1, tc.cfg.SeqLen)
		if _, err := m.Logits(images, inputs); err != nil {
			t.Fatal(err)
		}
		got := 0
		for v := range m.Context().IterVariables() {
			if v.Trainable {
				got += v.Shape().Size()
			}
		}
		if got != tc.cfg.ParamCount() || tc.want != 0 && got != tc.want {
			t.Errorf("%s: %d trainable parameters, ParamCount %d, want %d", tc.name, got, tc.cfg.ParamCount(), tc.want)
		}
		t.Logf("%s: %d parameters", tc.name, got)
	}
}
