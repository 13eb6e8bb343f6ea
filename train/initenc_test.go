package train

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	"rewardvision/models/backend"
	"rewardvision/models/seq"
)

// TestInitEncoder: --init-encoder copies every encoder variable of another
// task's run (captioning into detection) and nothing else, and refuses an
// encoder of another shape.
func TestInitEncoder(t *testing.T) {
	src := tinyConfig(t, "captioning", 2)
	res, err := Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	srcVars := loadVars(t, src.OutDir)

	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := res.Meta.Model
	cfg.VocabSize, cfg.SeqLen, cfg.TiedHead = 40, 9, false // another task's decoder
	m, err := seq.New(be, cfg, seq.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	n, err := initEncoder(m, res.Meta.Input, src.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	copied := 0
	for v := range m.Context().IterVariables() {
		if v.Scope() == "/" {
			continue // the model's random state
		}
		if err := v.MustValue().ConstBytes(func(b []byte) {
			if !slices.Equal(b, srcVars[v.ScopeAndName()]) {
				t.Errorf("%s differs from the source run's", v.ScopeAndName())
			}
		}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(v.Scope(), encoderScope) {
			t.Errorf("copied %s, outside the encoder", v.ScopeAndName())
		}
		copied++
	}
	want := 0
	for name := range srcVars {
		if strings.HasPrefix(name, encoderScope+"/") && !strings.Contains(name, "optimizer") && !strings.Contains(name, "adam") {
			want++
		}
	}
	if n != copied || n != want || n == 0 {
		t.Errorf("initEncoder reported %d variables, the model holds %d, the source's encoder %d", n, copied, want)
	}

	wide := cfg
	wide.Width, wide.Heads = 32, 2
	m2, err := seq.New(be, wide, seq.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := initEncoder(m2, res.Meta.Input, src.OutDir); err == nil || !strings.Contains(err.Error(), "width 16 (this model 32)") {
		t.Errorf("another width: err %v", err)
	}
	gray := res.Meta.Input
	gray.Gray = true
	if _, err := initEncoder(m, gray, src.OutDir); err == nil || !strings.Contains(err.Error(), "prepares its input otherwise") {
		t.Errorf("another input: err %v", err)
	}
	if _, err := initEncoder(m, res.Meta.Input, t.TempDir()); err == nil || !strings.Contains(err.Error(), "no checkpoints") {
		t.Errorf("empty folder: err %v", err)
	}
}

// TestRunInitEncoder: a run with InitEncoder starts from the source's
// encoder (after one small step it is still close to it, where a random
// start is far) and records the option, which a resume must repeat.
func TestRunInitEncoder(t *testing.T) {
	src := tinyConfig(t, "captioning", 2)
	if _, err := Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	srcVars := loadVars(t, src.OutDir)
	dist := func(dir string) float64 {
		var worst float64
		for name, b := range loadVars(t, dir) {
			if !strings.HasPrefix(name, encoderScope+"/block0/attn") || strings.Contains(name, "adam") {
				continue
			}
			a := srcVars[name]
			for i := 0; i+4 <= len(b); i += 4 {
				x := math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))
				y := math.Float32frombits(binary.LittleEndian.Uint32(a[i:]))
				worst = max(worst, math.Abs(float64(x-y)))
			}
		}
		return worst
	}
	run := func(init string) Config {
		c := tinyConfig(t, "detection", 1)
		c.LR, c.Warmup, c.Seed, c.InitEncoder = 1e-4, 0, 11, init // another seed: another random encoder
		if _, err := Run(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	warm, cold := run(src.OutDir), run("")
	if d := dist(warm.OutDir); d > 1e-3 {
		t.Errorf("warm-started encoder is %g from the source's after one step at lr 1e-4", d)
	}
	if d := dist(cold.OutDir); d < 1e-2 {
		t.Errorf("a random encoder is only %g from the source's: the test cannot tell them apart", d)
	}
	warm.Steps, warm.Resume, warm.InitEncoder = 2, true, ""
	if _, err := Run(context.Background(), warm); err == nil || !strings.Contains(err.Error(), "init-encoder") {
		t.Errorf("resume without --init-encoder: err %v", err)
	}
}
