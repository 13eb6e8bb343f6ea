package colorize

import (
	"math"
	"testing"
)

func TestScore(t *testing.T) {
	gt := NewRGB(16, 12)
	out := NewRGB(16, 12)
	for i := range gt.Pix {
		gt.Pix[i] = uint8(i * 7)
		out.Pix[i] = uint8(i*7 + i%5)
	}
	// Identical: PSNR capped, SSIM 1, similarity 0, reward = M3.
	s, err := Score(gt, gt)
	if err != nil {
		t.Fatal(err)
	}
	if s.PSNR != PSNRCap || s.SSIM != 1 || s.Similarity != 0 || s.Reward != Colorfulness(gt) || s.ColorfulnessGT != s.Colorfulness {
		t.Errorf("identical images: %+v", s)
	}
	// Otherwise each field is its metric.
	s, err = Score(out, gt)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := PSNR(out, gt)
	ss, _ := SSIM(out, gt)
	r, _ := ColorizationReward(out, gt, DefaultSimilarityWeight)
	want := Scores{PSNR: p, SSIM: ss, Colorfulness: r.Colorfulness, ColorfulnessGT: Colorfulness(gt), Similarity: r.Similarity, Reward: r.Total}
	if s != want || math.IsInf(p, 0) {
		t.Errorf("Score = %+v, want %+v", s, want)
	}
	if _, err := Score(NewRGB(2, 2), gt); err == nil {
		t.Error("sizes differ: want an error")
	}
}
