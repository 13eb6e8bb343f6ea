package seq

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestGenerateFromCross: with GenerateOptions.Cross, Generate decodes from
// the given encoder outputs, not from its images: another batch's outputs
// give that batch's tokens and logits. Outputs of the wrong count or shape
// are errors.
func TestGenerateFromCross(t *testing.T) {
	cfg := tinyConfig(12, 6)
	m := newTestModel(t, cfg, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := randImages(rng, cfg, 2), randImages(rng, cfg, 2)
	want, err := m.Generate(b, GenerateOptions{KeepLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	crossB, err := m.Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Generate(a, GenerateOptions{KeepLogits: true, Cross: crossB})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Tokens {
		if !slices.Equal(got.Tokens[i], want.Tokens[i]) {
			t.Errorf("image %d: tokens %v, want b's %v", i, got.Tokens[i], want.Tokens[i])
		}
	}
	if !slices.Equal(got.Logits[0], want.Logits[0]) {
		t.Error("first step's logits differ from b's")
	}
	one := randImages(rng, cfg, 1)
	for _, tc := range []struct {
		name  string
		cross []*tensors.Tensor
		want  string
	}{
		{"too few", crossB[:1], "1 tensors, want 4"},
		{"other batch", crossB, "shape"},
	} {
		if _, err := m.Generate(one, GenerateOptions{Cross: tc.cross}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
