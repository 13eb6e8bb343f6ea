package runner_test

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/codec"
	"rewardvision/models/repo"
	"rewardvision/models/runner"
)

// trainedImages are the images detectionEntry trains on (0, 1 and 2
// boxes): a trained model's greedy rows end at different steps there.
func trainedImages(r *runner.Runner) []float32 {
	cfg := r.Manifest.Architecture
	return tensors.MustCopyFlatData[float32](randImages(rand.New(rand.NewPCG(1, 2)), cfg, 3))
}

// TestGenerateBatchMatchesSingles: rows leave the batch as they finish
// (the cache is compacted), and each row decodes as it does alone.
func TestGenerateBatchMatchesSingles(t *testing.T) {
	dir, m := trainedEntry(t)
	r := openRunner(t, dir)
	per := 16 * 16 * 3
	images := append(trainedImages(r), tensors.MustCopyFlatData[float32](randImages(rand.New(rand.NewPCG(5, 5)), m.Cfg, 2))...)
	n := len(images) / per
	opts := runner.GenerateOptions{GrammarMask: r.GrammarMask(), KeepLogits: true}
	all, err := r.Generate(images, n, opts)
	if err != nil {
		t.Fatal(err)
	}
	lengths := map[int]bool{}
	for b := range n {
		one, err := r.Generate(images[b*per:(b+1)*per], 1, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(all.Tokens[b], one.Tokens[0]) {
			t.Errorf("image %d: in a batch %v, alone %v", b, all.Tokens[b], one.Tokens[0])
		}
		if d := maxDiff(all.Logits[b], one.Logits[0]); d > 1e-5 {
			t.Errorf("image %d: logits differ by %g", b, d)
		}
		lengths[len(all.Tokens[b])] = true
		if len(all.LogProbs[b]) != len(all.Tokens[b]) || len(all.Logits[b]) != len(all.Tokens[b])*m.Cfg.VocabSize {
			t.Errorf("image %d: %d tokens, %d log-probs, %d logits", b, len(all.Tokens[b]), len(all.LogProbs[b]), len(all.Logits[b]))
		}
	}
	if len(lengths) < 2 {
		t.Errorf("all rows have the same length %v: the compaction path was not exercised", lengths)
	}
	// The trained images decode to their targets: 0, 1 and 2 boxes.
	for b, want := range []int{1, 6, 11} {
		if len(all.Tokens[b]) != want || all.Tokens[b][want-1] != codec.EOS {
			t.Errorf("trained image %d: %v, want %d tokens ending in EOS", b, all.Tokens[b], want)
		}
	}
	if all.Steps != 11 {
		t.Errorf("%d steps, want 11 (the longest row)", all.Steps)
	}
}

// TestGreedyLogProbs: greedy log-probabilities are those of the masked
// softmax at temperature 1, and sampling is reproducible by seed.
func TestGreedyLogProbs(t *testing.T) {
	dir, _ := detectionEntry(t, 5)
	r := openRunner(t, dir)
	images := trainedImages(r)
	mask := r.GrammarMask()
	g, err := r.Generate(images, 3, runner.GenerateOptions{GrammarMask: mask, KeepLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	v := r.Manifest.Tokens.VocabSize
	for b := range 3 {
		for s, tok := range g.Tokens[b] {
			row := g.Logits[b][s*v : (s+1)*v]
			m := math.Inf(-1)
			for i, l := range row {
				m = max(m, float64(l+mask[s*v+i]))
			}
			sum := 0.0
			for i, l := range row {
				sum += math.Exp(float64(l+mask[s*v+i]) - m)
			}
			want := float64(row[tok]+mask[s*v+int(tok)]) - m - math.Log(sum)
			if math.Abs(want-float64(g.LogProbs[b][s])) > 1e-5 {
				t.Errorf("image %d step %d: log-prob %g, want %g", b, s, g.LogProbs[b][s], want)
			}
			if mask[s*v+int(tok)] != 0 {
				t.Errorf("image %d step %d: token %d is outside the grammar", b, s, tok)
			}
		}
	}
	a, err := r.Generate(images, 3, runner.GenerateOptions{Temperature: 1, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Generate(images, 3, runner.GenerateOptions{Temperature: 1, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if !slices.Equal(a.Tokens[i], b.Tokens[i]) {
			t.Errorf("same seed, different samples: %v vs %v", a.Tokens[i], b.Tokens[i])
		}
	}
	short, err := r.Generate(images, 3, runner.GenerateOptions{Temperature: 1, Seed: 9, MaxTokens: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if len(short.Tokens[i]) > 2 || !slices.Equal(short.Tokens[i], a.Tokens[i][:len(short.Tokens[i])]) {
			t.Errorf("MaxTokens 2: %v (full %v)", short.Tokens[i], a.Tokens[i])
		}
	}
}

// TestConcurrentGenerate: one Runner serves parallel calls (go test -race).
func TestConcurrentGenerate(t *testing.T) {
	dir, _ := detectionEntry(t, 5)
	r := openRunner(t, dir)
	images := trainedImages(r)
	want, err := r.Generate(images, 3, runner.GenerateOptions{Temperature: 1, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				got, err := r.Generate(images, 3, runner.GenerateOptions{Temperature: 1, Seed: 4})
				if err != nil {
					errs <- err
					return
				}
				for b := range 3 {
					if !slices.Equal(got.Tokens[b], want.Tokens[b]) {
						t.Errorf("concurrent call: image %d %v, want %v", b, got.Tokens[b], want.Tokens[b])
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestGenerateErrors(t *testing.T) {
	dir, _ := detectionEntry(t, 1)
	r := openRunner(t, dir)
	good := trainedImages(r)
	nan := slices.Clone(good)
	nan[16*16*3+5] = float32(math.NaN())
	tests := []struct {
		name   string
		images []float32
		n      int
		opts   runner.GenerateOptions
		want   string
	}{
		{"no images", nil, 0, runner.GenerateOptions{}, "batch of 0"},
		{"short data", good[:100], 1, runner.GenerateOptions{}, "100 values for 1 images of 16x16x3"},
		{"count mismatch", good, 2, runner.GenerateOptions{}, "for 2 images"},
		{"nan pixel", nan, 3, runner.GenerateOptions{}, "image 1 has a non-finite value (element 5)"},
		{"nan temperature", good, 3, runner.GenerateOptions{Temperature: math.NaN()}, "temperature"},
		{"max tokens", good, 3, runner.GenerateOptions{MaxTokens: 99}, "max tokens 99: want 0..16"},
		{"negative max tokens", good, 3, runner.GenerateOptions{MaxTokens: -1}, "max tokens -1"},
		{"mask length", good, 3, runner.GenerateOptions{GrammarMask: make([]float32, 7)}, "grammar mask has 7 values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Generate(tc.images, tc.n, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestStep(t *testing.T) {
	dir, _ := detectionEntry(t, 1)
	r := openRunner(t, dir)
	images := trainedImages(r)
	cross, err := r.Encode(images, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer cross.Close()
	cache, err := r.NewCache(3)
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.Generate(images, 3, runner.GenerateOptions{MaxTokens: 4, KeepLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	tokens := []int32{codec.BOS, codec.BOS, codec.BOS}
	v := r.Manifest.Tokens.VocabSize
	for s := range 4 {
		logits, next, err := r.Step(tokens, cross, cache)
		if err != nil {
			t.Fatal(err)
		}
		cache.Close()
		cache = next
		if cache.Len != s+1 {
			t.Fatalf("cache length %d after step %d", cache.Len, s)
		}
		for b := range 3 {
			if len(want.Tokens[b]) > s {
				if d := maxDiff(logits[b*v:(b+1)*v], want.Logits[b][s*v:(s+1)*v]); d > 1e-5 {
					t.Errorf("step %d image %d: logits differ by %g", s, b, d)
				}
			}
			tokens[b] = want.Tokens[b][min(s, len(want.Tokens[b])-1)]
		}
	}
	cache.Close()
	for _, tc := range []struct {
		tokens []int32
		want   string
	}{
		{[]int32{1, 1}, "2 tokens, 3 encoded images"},
		{[]int32{1, 99, 1}, "token 99 of row 1"},
	} {
		empty, _ := r.NewCache(3)
		if _, _, err := r.Step(tc.tokens, cross, empty); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Step(%v): %v, want %q", tc.tokens, err, tc.want)
		}
		empty.Close()
	}
}

// TestPredictDetection: boxes come back in the source image's pixels.
func TestPredictDetection(t *testing.T) {
	dir, _ := trainedEntry(t)
	r := openRunner(t, dir)
	// The trained images as 32×24 pictures: letterboxed to 16×12 + padding.
	src := image.NewNRGBA(image.Rect(0, 0, 32, 24))
	rng := rand.New(rand.NewPCG(8, 8))
	for i := range src.Pix {
		src.Pix[i] = uint8(rng.IntN(256))
	}
	preds, err := r.Predict([]image.Image{src, src}, r.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(preds) != 2 || !slices.Equal(preds[0].Tokens, preds[1].Tokens) {
		t.Fatalf("predictions %+v", preds)
	}
	prep, err := r.Preprocess([]image.Image{src})
	if err != nil {
		t.Fatal(err)
	}
	if lb := prep[0].Letterbox; lb.W != 16 || lb.H != 12 {
		t.Fatalf("letterbox %+v", lb)
	}
	raw, err := r.Detection().Decode(preds[0].Tokens, nil, 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != len(preds[0].Boxes) {
		t.Fatalf("%d boxes, raw decode %d", len(preds[0].Boxes), len(raw))
	}
	for i, b := range preds[0].Boxes {
		want := [4]float64{raw[i].XMin * 2, raw[i].YMin * 2, min(raw[i].XMax*2, 32), min(raw[i].YMax*2, 24)}
		got := [4]float64{b.XMin, b.YMin, b.XMax, b.YMax}
		for k := range 4 {
			if math.Abs(got[k]-want[k]) > 1e-9 {
				t.Errorf("box %d: %v, want %v", i, got, want)
				break
			}
		}
		if b.Score <= 0 || b.Score > 1 || b.Class != raw[i].Class {
			t.Errorf("box %d: score %g class %d", i, b.Score, b.Class)
		}
	}
	if _, err := r.Predict([]image.Image{src, nil}, r.DefaultOptions()); err == nil || !strings.Contains(err.Error(), "image 1 is nil") {
		t.Errorf("nil image: %v", err)
	}
	if _, err := r.Predict([]image.Image{image.NewGray(image.Rect(0, 0, 0, 5))}, r.DefaultOptions()); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty image: %v", err)
	}
	gray := image.NewGray(image.Rect(0, 0, 20, 20))
	gray.Set(3, 3, color.Gray{Y: 200})
	if _, err := r.Predict([]image.Image{gray}, r.DefaultOptions()); err != nil {
		t.Errorf("gray image: %v", err)
	}
}

// TestOpenErrors: a damaged entry fails at Open, naming what is wrong.
func TestOpenErrors(t *testing.T) {
	dir, _ := detectionEntry(t, 1)
	rt := loadORT(t)
	edit := func(f func(m map[string]any)) func(t *testing.T, d string) {
		return func(t *testing.T, d string) {
			m := readJSON(t, filepath.Join(d, repo.ManifestFile))
			f(m)
			writeJSON(t, filepath.Join(d, repo.ManifestFile), m)
		}
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   string
	}{
		{"missing model.json", func(t *testing.T, d string) { os.Remove(filepath.Join(d, repo.ManifestFile)) }, "model.json"},
		{"not JSON", func(t *testing.T, d string) { os.WriteFile(filepath.Join(d, repo.ManifestFile), []byte("{"), 0o644) }, "unexpected EOF"},
		{"unknown field", edit(func(m map[string]any) { m["colour"] = "blue" }), `unknown field "colour"`},
		{"other format", edit(func(m map[string]any) { m["format"] = "triton" }), `format "triton"`},
		{"missing graph", edit(func(m map[string]any) { delete(m["graphs"].(map[string]any), "encoder") }), `no "encoder" graph`},
		{"file outside", edit(func(m map[string]any) {
			m["graphs"].(map[string]any)["encoder"].(map[string]any)["file"] = "../x.onnx"
		}), `file "../x.onnx"`},
		{"zero std", edit(func(m map[string]any) { m["input"].(map[string]any)["std"] = []any{0.2, 0, 0.2} }), "input std[1] = 0"},
		{"wrong offsets", edit(func(m map[string]any) {
			m["tokens"].(map[string]any)["detection"].(map[string]any)["class_offset"] = 5
		}), "detection offsets"},
		{"unknown box order", edit(func(m map[string]any) {
			m["tokens"].(map[string]any)["detection"].(map[string]any)["box_tokens"] = []any{"xmin", "ymin", "xmax", "ymax", "class"}
		}), `box tokens ["xmin" "ymin" "xmax" "ymax" "class"]`},
		{"bad dim", edit(func(m map[string]any) {
			m["graphs"].(map[string]any)["encoder"].(map[string]any)["inputs"].([]any)[0].(map[string]any)["dims"] = []any{-3}
		}), "dimension -3"},
		{"missing input", edit(func(m map[string]any) {
			g := m["graphs"].(map[string]any)["decoder_step"].(map[string]any)
			g["inputs"] = g["inputs"].([]any)[1:]
		}), `decoder_step graph lacks input "token"`},
		{"replaced file", func(t *testing.T, d string) {
			os.WriteFile(filepath.Join(d, "encoder.onnx"), []byte("garbage"), 0o644)
		}, "encoder.onnx has sha256"},
		{"missing file", func(t *testing.T, d string) { os.Remove(filepath.Join(d, "decoder_step.onnx")) }, "decoder_step.onnx"},
		{"corrupt onnx, no checksum", func(t *testing.T, d string) {
			os.WriteFile(filepath.Join(d, "encoder.onnx"), []byte("garbage"), 0o644)
			edit(func(m map[string]any) { m["graphs"].(map[string]any)["encoder"].(map[string]any)["sha256"] = "" })(t, d)
		}, "encoder graph encoder.onnx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := copyDir(t, dir)
			tc.damage(t, d)
			r, err := runner.Open(d, rt, cpu)
			if err == nil {
				r.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	// model.json itself may be given.
	r, err := runner.Open(filepath.Join(dir, repo.ManifestFile), rt, cpu)
	if err != nil {
		t.Fatal(err)
	}
	if r.Detection().ClassFirst {
		t.Error("pix2seq box tokens opened as class-first")
	}
	r.Close()
}

// TestClassFirstLayout: an entry whose model.json lists the class-first
// box order decodes and constrains generation in that order.
func TestClassFirstLayout(t *testing.T) {
	dir, _ := detectionEntry(t, 1)
	m := readJSON(t, filepath.Join(dir, repo.ManifestFile))
	m["tokens"].(map[string]any)["detection"].(map[string]any)["box_tokens"] = []any{"class", "ymin", "xmin", "ymax", "xmax"}
	writeJSON(t, filepath.Join(dir, repo.ManifestFile), m)
	r := openRunner(t, dir)
	c := r.Detection()
	if !c.ClassFirst {
		t.Fatal("class-first box tokens not picked up")
	}
	src := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	// Sampled sequences (seeded) go well past the first box; the grammar
	// mask follows the layout: every box starts with its class.
	boxes := 0
	for seed := range uint64(8) {
		opts := r.DefaultOptions()
		opts.Temperature, opts.Seed = 1, seed
		preds, err := r.Predict([]image.Image{src}, opts)
		if err != nil {
			t.Fatal(err)
		}
		for i, tok := range preds[0].Tokens {
			if tok == codec.EOS {
				break
			}
			if isClass := c.IsClass(tok); isClass != (i%5 == 0) {
				t.Fatalf("token %d at position %d in %v breaks the class-first grammar", tok, i, preds[0].Tokens)
			}
		}
		boxes += len(preds[0].Boxes)
	}
	if boxes == 0 {
		t.Fatal("no box in 8 sampled sequences: the test checked nothing")
	}
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}
