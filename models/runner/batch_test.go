package runner_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/runner"
)

// TestGenerateGroupsMatchesCalls: groups with their own options (greedy,
// sampled with seeds, top-k, a shorter max_tokens) batched together give
// each group what a call of its own gives.
func TestGenerateGroupsMatchesCalls(t *testing.T) {
	dir, m := trainedEntry(t)
	r := openRunner(t, dir)
	per := 16 * 16 * 3
	images := append(trainedImages(r), tensors.MustCopyFlatData[float32](randImages(rand.New(rand.NewPCG(7, 7)), m.Cfg, 4))...)
	mask := r.GrammarMask()
	groups := []runner.Group{
		{N: 1, Opts: runner.GenerateOptions{GrammarMask: mask}},
		{N: 2, Opts: runner.GenerateOptions{GrammarMask: mask, Temperature: 1, Seed: 11}},
		{N: 1, Opts: runner.GenerateOptions{GrammarMask: mask, Temperature: 0.7, Seed: 3, TopK: 3}},
		{N: 2, Opts: runner.GenerateOptions{GrammarMask: mask, MaxTokens: 3}},
		{N: 1, Opts: runner.GenerateOptions{GrammarMask: mask, Temperature: 1, Seed: 5, TopP: 0.8}},
	}
	res, err := r.GenerateGroups(images, slices.Clone(groups))
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	for i, g := range groups {
		want, err := r.Generate(images[off*per:(off+g.N)*per], g.N, g.Opts)
		if err != nil {
			t.Fatal(err)
		}
		off += g.N
		if res[i].Err != nil {
			t.Fatalf("group %d: %v", i, res[i].Err)
		}
		got := res[i].Gen
		if got.Steps != want.Steps {
			t.Errorf("group %d: %d steps, want %d", i, got.Steps, want.Steps)
		}
		for b := range g.N {
			if !slices.Equal(got.Tokens[b], want.Tokens[b]) {
				t.Errorf("group %d row %d: batched %v, alone %v", i, b, got.Tokens[b], want.Tokens[b])
			}
			if d := maxDiff(got.LogProbs[b], want.LogProbs[b]); d > 1e-4 {
				t.Errorf("group %d row %d: log-probs differ by %g", i, b, d)
			}
		}
	}
}

// TestGenerateGroupsErrors: a group with bad options or a canceled
// context fails alone; the others are decoded.
func TestGenerateGroupsErrors(t *testing.T) {
	dir, _ := trainedEntry(t)
	r := openRunner(t, dir)
	images := trainedImages(r) // 3 images
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := r.GenerateGroups(images, []runner.Group{
		{N: 1, Opts: runner.GenerateOptions{TopK: -1}},
		{N: 1, Ctx: canceled},
		{N: 1, Opts: runner.GenerateOptions{GrammarMask: r.GrammarMask()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, runner.ErrBadInput) {
		t.Errorf("bad options: %v, want ErrBadInput", res[0].Err)
	}
	if !errors.Is(res[1].Err, context.Canceled) {
		t.Errorf("canceled group: %v, want context.Canceled", res[1].Err)
	}
	if res[2].Err != nil || len(res[2].Gen.Tokens[0]) != 11 {
		t.Errorf("third group: %v %v, want the trained image's 11 tokens", res[2].Err, res[2].Gen)
	}
	if _, err := r.GenerateGroups(images, []runner.Group{{N: 2}}); !errors.Is(err, runner.ErrBadInput) {
		t.Errorf("3 images for 2 rows: %v, want ErrBadInput", err)
	}
}
