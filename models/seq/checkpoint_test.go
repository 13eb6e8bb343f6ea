package seq

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"

	"rewardvision/models/codec"
)

// TestCheckpointRoundTrip trains a few steps, saves, reloads into a new
// model and checks outputs are identical, then that checkpoints of another
// config are refused with the differences named.
func TestCheckpointRoundTrip(t *testing.T) {
	c, _ := codec.NewDetection(16, 3, 2)
	cfg := tinyConfig(c.VocabSize(), c.SeqLen())
	dir := filepath.Join(t.TempDir(), "ckpt")
	m := newTestModel(t, cfg, 3)
	if err := m.OpenCheckpoints(dir, 2); err != nil {
		t.Fatal(err)
	}
	batch, _ := overfitData(t, cfg, c, 4, 5)
	for range 3 {
		if _, err := m.TrainStep(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.SaveCheckpoint(); err != nil {
		t.Fatal(err)
	}
	want, err := m.Logits(batch.Images, batch.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	wantGen, err := m.Generate(batch.Images, GenerateOptions{Temperature: 1, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}

	loaded, err := Load(testBackend(t), dir, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Logits(batch.Images, batch.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tensors.MustCopyFlatData[float32](got), tensors.MustCopyFlatData[float32](want)) {
		t.Fatal("reloaded model gives different logits")
	}
	gotGen, err := loaded.Generate(batch.Images, GenerateOptions{Temperature: 1, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := range wantGen.Tokens {
		if !slices.Equal(gotGen.Tokens[i], wantGen.Tokens[i]) || !slices.Equal(gotGen.LogProbs[i], wantGen.LogProbs[i]) {
			t.Fatalf("reloaded model samples differently for image %d", i)
		}
	}
	if loaded.GlobalStep() != 3 || loaded.Cfg != cfg {
		t.Fatalf("reloaded global step %d, config %s", loaded.GlobalStep(), loaded.Cfg)
	}

	// A fresh model of the same config resumes from the directory.
	resumed := newTestModel(t, cfg, 99)
	if err := resumed.OpenCheckpoints(dir, 0); err != nil {
		t.Fatal(err)
	}
	got, err = resumed.Logits(batch.Images, batch.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tensors.MustCopyFlatData[float32](got), tensors.MustCopyFlatData[float32](want)) {
		t.Fatal("resumed model gives different logits")
	}

	// Another config: refused, naming the differences, weights untouched.
	other := cfg
	other.Width, other.Heads = 64, 4
	if _, err := Load(testBackend(t), dir, &other); err == nil ||
		!strings.Contains(err.Error(), "width 32 (expected 64)") || !strings.Contains(err.Error(), "heads 2 (expected 4)") {
		t.Fatalf("Load with another config: %v", err)
	}
	o := newTestModel(t, other, 1)
	before, err := o.Logits(batch.Images, batch.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.OpenCheckpoints(dir, 0); err == nil || !strings.Contains(err.Error(), "is of another model") {
		t.Fatalf("OpenCheckpoints with another config: %v", err)
	}
	after, err := o.Logits(batch.Images, batch.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tensors.MustCopyFlatData[float32](before), tensors.MustCopyFlatData[float32](after)) {
		t.Fatal("a refused checkpoint changed the model's weights")
	}
}

func TestLoadErrors(t *testing.T) {
	tmp := t.TempDir()
	// A checkpoint of some other GoMLX model: no config parameter.
	foreign := filepath.Join(tmp, "foreign")
	ctx := context.New()
	ctx.VariableWithValue("w", []float32{1, 2})
	h, err := checkpoints.Build(ctx).Dir(foreign).Done()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(tmp, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ dir, wantErr string }{
		{dir: filepath.Join(tmp, "missing"), wantErr: "not found"},
		{dir: file, wantErr: "not found"},
		{dir: empty, wantErr: "no checkpoints"},
		{dir: foreign, wantErr: "not a rewardvision sequence model"},
	}
	for _, tc := range tests {
		if _, err := Load(testBackend(t), tc.dir, nil); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Load(%s): %v, want an error containing %q", filepath.Base(tc.dir), err, tc.wantErr)
		}
	}
	m := newTestModel(t, tinyConfig(10, 5), 1)
	if err := m.SaveCheckpoint(); err == nil {
		t.Error("SaveCheckpoint without OpenCheckpoints succeeded")
	}
	if err := m.OpenCheckpoints(foreign, 0); err == nil || !strings.Contains(err.Error(), "not a rewardvision") {
		t.Errorf("OpenCheckpoints(foreign): %v", err)
	}
	if err := m.OpenCheckpoints(file, 0); err == nil {
		t.Error("OpenCheckpoints on a file succeeded")
	}
}
