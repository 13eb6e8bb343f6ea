package arch

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	good := DetectionConfig(113, 41)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(c *Config)
		wantErr string
	}{
		{"patch", func(c *Config) { c.PatchSize = 7 }, "does not divide image_size"},
		{"heads", func(c *Config) { c.Heads = 5 }, "does not divide width"},
		{"zero width", func(c *Config) { c.Width = 0 }, "width = 0"},
		{"huge", func(c *Config) { c.SeqLen = 1 << 40 }, "seq_len"},
		{"vocab", func(c *Config) { c.VocabSize = 2 }, "cannot hold PAD"},
		{"odd stem", func(c *Config) { c.StemChannels = 4; c.PatchSize = 1; c.ImageSize = 63 }, "even patch_size"},
	}
	for _, tc := range tests {
		c := good
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestDerived(t *testing.T) {
	c := CaptionConfig(50, 20)
	if !c.TiedHead || c.NumPatches() != 64 || c.HeadDim() != 32 {
		t.Errorf("caption config %v: tied %v, patches %d, head dim %d", c, c.TiedHead, c.NumPatches(), c.HeadDim())
	}
	if got := c.String(); !strings.HasPrefix(got, `{"image_size":64,`) {
		t.Errorf("String() = %s", got)
	}
}
