package runner_test

import (
	"context"
	"errors"
	"image"
	"math"
	"testing"

	"rewardvision/models/runner"
)

// TestErrorKinds: caller mistakes are ErrBadInput naming the parameter,
// never ErrEngine; a cancelled context stops generation with its error.
func TestErrorKinds(t *testing.T) {
	dir, _ := detectionEntry(t, 1)
	r := openRunner(t, dir)
	good := trainedImages(r)
	tests := []struct {
		name      string
		images    []float32
		n         int
		opts      runner.GenerateOptions
		wantParam string
	}{
		{"nan temperature", good, 3, runner.GenerateOptions{Temperature: math.NaN()}, "temperature"},
		{"negative top_k", good, 3, runner.GenerateOptions{Temperature: 1, TopK: -1}, "top_k"},
		{"top_p above 1", good, 3, runner.GenerateOptions{Temperature: 1, TopP: 1.5}, "top_p"},
		{"nan top_p", good, 3, runner.GenerateOptions{Temperature: 1, TopP: math.NaN()}, "top_p"},
		{"max tokens", good, 3, runner.GenerateOptions{MaxTokens: 99}, "max_tokens"},
		{"no images", nil, 0, runner.GenerateOptions{}, "images"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.GenerateContext(context.Background(), tc.images, tc.n, tc.opts)
			var ie *runner.InputError
			if !errors.Is(err, runner.ErrBadInput) || errors.Is(err, runner.ErrEngine) || !errors.As(err, &ie) || ie.Param != tc.wantParam {
				t.Fatalf("error %v (%T), want a bad-input error naming %q", err, err, tc.wantParam)
			}
		})
	}
	if _, err := r.PredictContext(context.Background(), []image.Image{image.NewRGBA(image.Rect(0, 0, 0, 5))}, runner.GenerateOptions{}); !errors.Is(err, runner.ErrBadInput) {
		t.Errorf("empty image: error %v, want ErrBadInput", err)
	}
}

func TestGenerateContextCanceled(t *testing.T) {
	dir, _ := detectionEntry(t, 1)
	r := openRunner(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.GenerateContext(ctx, trainedImages(r), 3, runner.GenerateOptions{})
	if !errors.Is(err, context.Canceled) || errors.Is(err, runner.ErrBadInput) || errors.Is(err, runner.ErrEngine) {
		t.Fatalf("error %v, want context.Canceled only", err)
	}
	// The old entry point still works and agrees with the context one.
	a, err := r.Generate(trainedImages(r), 3, runner.GenerateOptions{Temperature: 1, Seed: 5, TopK: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.GenerateContext(context.Background(), trainedImages(r), 3, runner.GenerateOptions{Temperature: 1, Seed: 5, TopK: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Tokens {
		if len(a.Tokens[i]) != len(b.Tokens[i]) {
			t.Fatalf("row %d: %v vs %v with the same seed", i, a.Tokens[i], b.Tokens[i])
		}
		for j := range a.Tokens[i] {
			if a.Tokens[i][j] != b.Tokens[i][j] {
				t.Fatalf("row %d: %v vs %v with the same seed", i, a.Tokens[i], b.Tokens[i])
			}
		}
	}
}

// EngineError wraps the runtime's error and is ErrEngine.
func TestEngineError(t *testing.T) {
	inner := errors.New("boom")
	err := error(&runner.EngineError{Op: "encoder graph", Err: inner})
	if !errors.Is(err, runner.ErrEngine) || !errors.Is(err, inner) || errors.Is(err, runner.ErrBadInput) || err.Error() != "encoder graph: boom" {
		t.Fatalf("engine error %v misclassified", err)
	}
}
