package train

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"rewardvision/dataset/shapes"
	"rewardvision/models/codec"
)

// TestShippedCodebookOracle: the shipped stage-I codebook, on the first 40
// images of the validation split it was measured on (data gen is a function
// of preset, seed and split, so they are regenerated here), reaches the
// oracle its vq.json and the README claim for all 500, within what 40
// images vary, and its codes cover a stated share of the codebook.
func TestShippedCodebookOracle(t *testing.T) {
	dir := filepath.Join("..", "assets", "checkpoints", "colorization-vq")
	cb, err := codec.LoadChroma(filepath.Join(dir, CodebookFile))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, VQFile))
	if err != nil {
		t.Fatal(err)
	}
	var meta VQMeta
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	cfg, err := shapes.Preset("captioning") // provenance.world of the codebook
	if err != nil {
		t.Fatal(err)
	}
	val := filepath.Join(t.TempDir(), "val")
	if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: val, N: 40, Seed: 2, Split: "val", Workers: 2}); err != nil {
		t.Fatal(err)
	}
	s, err := loadSplit(context.Background(), val, "colorization", cb.Size, 2, false, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	got, used, err := vqOracle(cb, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	gray, err := scoreColorizations(grayOutputs(s.pixels), s.pixels, cb.Size)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("40 images: oracle PSNR %.2f SSIM %.3f M3 %.1f (claimed on 500: %.2f, %.3f, %.1f); gray %.2f dB; codes used %.2f",
		got.PSNR, got.SSIM, got.Colorfulness, meta.Oracle.PSNR, meta.Oracle.SSIM, meta.Oracle.Colorfulness, gray.PSNR, used)
	if meta.Oracle.PSNR < 25 || meta.Oracle.SSIM < 0.82 {
		t.Errorf("vq.json claims PSNR %.2f, SSIM %.3f; the README says 25.57 dB, 0.830", meta.Oracle.PSNR, meta.Oracle.SSIM)
	}
	if d := got.PSNR - meta.Oracle.PSNR; d < -1 || d > 1 {
		t.Errorf("oracle PSNR on 40 images %.2f, %.2f dB from the claimed %.2f", got.PSNR, d, meta.Oracle.PSNR)
	}
	if d := got.SSIM - meta.Oracle.SSIM; d < -0.03 || d > 0.03 {
		t.Errorf("oracle SSIM on 40 images %.3f, claimed %.3f", got.SSIM, meta.Oracle.SSIM)
	}
	if got.PSNR < gray.PSNR+8 {
		t.Errorf("oracle %.2f dB is not 8 dB above gray %.2f", got.PSNR, gray.PSNR)
	}
	// 40 images have 2,560 patches; they use 84% of the 512 codes (all
	// 500 use every code): at least three quarters.
	if used < 0.75 {
		t.Errorf("codes used %.2f, want ≥ 0.75", used)
	}
}
