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

// TestEncodeGroupsErrors: bad group sizes, images that do not match
// them, and an encoding that does not match its group are ErrBadInput.
func TestEncodeGroupsErrors(t *testing.T) {
	dir, _ := trainedEntry(t)
	r := openRunner(t, dir)
	images := trainedImages(r) // 3 images
	per := len(images) / 3
	one, two := images[:per], images[per:]
	for _, tc := range []struct {
		images [][]float32
		sizes  []int
	}{
		{[][]float32{images, nil}, []int{3, 0}}, // an empty group
		{[][]float32{one, two}, []int{2, 1}},    // sizes that do not match the images
		{[][]float32{one, two}, []int{-1, 2}},   // a negative size
		{[][]float32{one, two}, []int{1}},       // fewer sizes than groups
		{nil, nil},                              // no groups
	} {
		if _, err := r.EncodeGroups(tc.images, tc.sizes); !errors.Is(err, runner.ErrBadInput) {
			t.Errorf("sizes %v: %v, want ErrBadInput", tc.sizes, err)
		}
	}
	encs, err := r.EncodeGroups([][]float32{one, two}, []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if encs[0].Len() != 1 || encs[1].Len() != 2 {
		t.Fatalf("encodings of %d and %d images, want 1 and 2", encs[0].Len(), encs[1].Len())
	}
	b := r.NewBatch()
	defer b.Close()
	for _, tc := range []struct {
		enc *runner.Encoding
		n   int
	}{{encs[1], 1}, {encs[0], 2}, {nil, 1}} {
		if _, err := b.AddEncoded(tc.enc, runner.Group{N: tc.n}); !errors.Is(err, runner.ErrBadInput) {
			t.Errorf("encoding of %d images for a group of %d: %v, want ErrBadInput", tc.enc.Len(), tc.n, err)
		}
	}
	if b.Rows() != 0 {
		t.Errorf("%d rows after refused groups, want 0", b.Rows())
	}
}

// TestBatchJoinsMidFlight: groups join a running continuous batch at
// several steps (two at the same step, one after the batch emptied;
// some encoded ahead with EncodeGroups and added with AddEncoded) with
// greedy and seeded sampling mixed, and each gets what a call of its own
// gives; the cache stays as long as the longest running group.
func TestBatchJoinsMidFlight(t *testing.T) {
	dir, m := trainedEntry(t)
	r := openRunner(t, dir)
	per := 16 * 16 * 3
	images := append(trainedImages(r), tensors.MustCopyFlatData[float32](randImages(rand.New(rand.NewPCG(7, 7)), m.Cfg, 4))...)
	mask := r.GrammarMask()
	type arrival struct {
		step, first int // joins before this step; its first image
		g           runner.Group
		encoded     bool // encoded ahead (EncodeGroups, AddEncoded), not at its join
	}
	arrivals := []arrival{
		{0, 0, runner.Group{N: 1, Opts: runner.GenerateOptions{GrammarMask: mask}}, false},
		{0, 3, runner.Group{N: 2, Opts: runner.GenerateOptions{GrammarMask: mask, Temperature: 1, Seed: 11}}, true},
		{2, 2, runner.Group{N: 1, Opts: runner.GenerateOptions{GrammarMask: mask, Temperature: 0.7, Seed: 3, TopK: 3}}, true},
		{2, 1, runner.Group{N: 2, Opts: runner.GenerateOptions{GrammarMask: mask, MaxTokens: 3}}, false},
		{5, 5, runner.Group{N: 1, Opts: runner.GenerateOptions{GrammarMask: mask, Temperature: 1, Seed: 5, TopP: 0.8}}, false},
		{9, 1, runner.Group{N: 1, Opts: runner.GenerateOptions{GrammarMask: mask, KeepLogits: true}}, true},
		{14, 4, runner.Group{N: 3, Opts: runner.GenerateOptions{GrammarMask: mask, Temperature: 1, Seed: 7}}, true},
		{60, 0, runner.Group{N: 3, Opts: runner.GenerateOptions{GrammarMask: mask, Temperature: 1, Seed: 2}}, false},
	}
	// The encoded arrivals are encoded ahead in one call, as a server's
	// encoder stage does, and split per group.
	var pixels [][]float32
	var sizes []int
	for _, a := range arrivals {
		if a.encoded {
			pixels = append(pixels, images[a.first*per:(a.first+a.g.N)*per])
			sizes = append(sizes, a.g.N)
		}
	}
	encs, err := r.EncodeGroups(pixels, sizes)
	if err != nil {
		t.Fatal(err)
	}
	b := r.NewBatch()
	defer b.Close()
	members := make([]*runner.Member, len(arrivals))
	finishedAt := slices.Repeat([]int{-1}, len(arrivals))
	index := map[*runner.Member]int{}
	next, joinedRows := 0, 0
	for s := 0; next < len(arrivals) || b.Rows() > 0; s++ {
		for ; next < len(arrivals) && arrivals[next].step == s; next++ {
			a := arrivals[next]
			var mb *runner.Member
			var err error
			if a.encoded {
				mb, err = b.AddEncoded(encs[0], a.g)
				encs = encs[1:]
			} else {
				mb, err = b.Add(images[a.first*per:(a.first+a.g.N)*per], a.g)
			}
			if err != nil {
				t.Fatal(err)
			}
			members[next], index[mb] = mb, next
		}
		res, err := b.Step()
		if err != nil {
			t.Fatal(err)
		}
		joinedRows += res.Joined
		for _, f := range res.Finished {
			finishedAt[index[f]] = s
		}
		want := 0
		for i, a := range arrivals[:next] {
			if f := finishedAt[i]; f == -1 || f == s {
				want = max(want, s-a.step+1)
			}
		}
		if res.Rows > 0 && res.CacheLen != want {
			t.Errorf("step %d: cache of %d positions, want %d (the longest running group's steps)", s, res.CacheLen, want)
		}
	}
	if joinedRows != 14 {
		t.Errorf("%d rows joined, want 14", joinedRows)
	}
	for i, a := range arrivals {
		want, err := r.Generate(images[a.first*per:(a.first+a.g.N)*per], a.g.N, a.g.Opts)
		if err != nil {
			t.Fatal(err)
		}
		res := members[i].Result()
		if res.Err != nil || res.Gen == nil {
			t.Fatalf("group %d: %v", i, res.Err)
		}
		got := res.Gen
		if got.Steps != want.Steps {
			t.Errorf("group %d (joined at step %d): %d steps, want %d", i, a.step, got.Steps, want.Steps)
		}
		for k := range a.g.N {
			if !slices.Equal(got.Tokens[k], want.Tokens[k]) {
				t.Errorf("group %d row %d (joined at step %d): %v, alone %v", i, k, a.step, got.Tokens[k], want.Tokens[k])
			}
			if d := maxDiff(got.LogProbs[k], want.LogProbs[k]); d > 1e-4 {
				t.Errorf("group %d row %d: log-probs differ by %g", i, k, d)
			}
			if a.g.Opts.KeepLogits {
				if d := maxDiff(got.Logits[k], want.Logits[k]); d > 1e-4 {
					t.Errorf("group %d row %d: logits differ by %g", i, k, d)
				}
			}
		}
	}
}

// TestBatchCancelMidFlight: a group whose context ends leaves at the next
// step with the context's error; the others finish as they would alone.
func TestBatchCancelMidFlight(t *testing.T) {
	dir, _ := trainedEntry(t)
	r := openRunner(t, dir)
	images := trainedImages(r)
	per := 16 * 16 * 3
	opts := runner.GenerateOptions{GrammarMask: r.GrammarMask(), Temperature: 1, Seed: 4}
	ctx, cancel := context.WithCancel(context.Background())
	b := r.NewBatch()
	defer b.Close()
	gone, err := b.Add(images[:2*per], runner.Group{Ctx: ctx, N: 2, Opts: opts})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Step(); err != nil {
		t.Fatal(err)
	}
	stay, err := b.Add(images[2*per:], runner.Group{N: 1, Opts: opts})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Step(); err != nil {
		t.Fatal(err)
	}
	cancel()
	res, err := b.Step()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Finished) == 0 || res.Finished[0] != gone || res.Rows != 1 {
		t.Fatalf("step after cancel: finished %v, %d rows; want the canceled group out and 1 row", res.Finished, res.Rows)
	}
	if err := gone.Result().Err; !errors.Is(err, context.Canceled) {
		t.Errorf("canceled group: %v, want context.Canceled", err)
	}
	for b.Rows() > 0 {
		if _, err := b.Step(); err != nil {
			t.Fatal(err)
		}
	}
	want, err := r.Generate(images[2*per:], 1, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := stay.Result(); got.Err != nil || !slices.Equal(got.Gen.Tokens[0], want.Tokens[0]) {
		t.Errorf("remaining group: %v %v, alone %v", got.Err, got.Gen, want.Tokens[0])
	}
	if _, err := b.Add(images[:per], runner.Group{N: 1, Opts: runner.GenerateOptions{TopK: -1}}); !errors.Is(err, runner.ErrBadInput) {
		t.Errorf("bad options: %v, want ErrBadInput", err)
	}
}
