package colorize

// PSNRCap is the PSNR (dB) an output identical to its ground truth scores
// in Score instead of +Inf, so that means, intervals and JSON stay finite.
const PSNRCap = 100

// Scores are one colorization scored against its ground-truth colour image.
type Scores struct {
	PSNR, SSIM         float64
	Colorfulness       float64 // M3 of the output
	ColorfulnessGT     float64 // M3 of the ground truth
	Similarity, Reward float64 // of ColorizationReward (default weight)
}

// Score scores out against gt: PSNR (capped at PSNRCap), SSIM, both
// colourfulnesses, and ColorizationReward with gt as the luminance
// reference and DefaultSimilarityWeight. Training's validation and batch
// eval both score with it.
func Score(out, gt *RGB) (Scores, error) {
	p, err := PSNR(out, gt)
	if err != nil {
		return Scores{}, err
	}
	ss, err := SSIM(out, gt)
	if err != nil {
		return Scores{}, err
	}
	r, err := ColorizationReward(out, gt, DefaultSimilarityWeight)
	if err != nil {
		return Scores{}, err
	}
	return Scores{PSNR: min(p, PSNRCap), SSIM: ss, Colorfulness: r.Colorfulness, ColorfulnessGT: Colorfulness(gt),
		Similarity: r.Similarity, Reward: r.Total}, nil
}
