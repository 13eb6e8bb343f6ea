package export

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"

	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/onnx"
	"rewardvision/models/repo"
	"rewardvision/models/runner"
	"rewardvision/models/seq"
)

// TestExportVerify exports small trained checkpoints of each task and
// checks the ONNX Runtime model against the GoMLX checkpoint: encoder
// outputs and every step's logits within 1e-4, identical greedy tokens and
// identical decoded boxes or captions.
func TestExportVerify(t *testing.T) {
	rt := loadORT(t)
	for _, tc := range []struct {
		name string
		make func(testing.TB, string, int) (*checkpoint.Meta, *seq.Model)
	}{
		{"detection", detectionCheckpoint},
		{"detection, convolution stem, class first", stemClassFirstCheckpoint},
		{"captioning", captionCheckpoint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ckpt := t.TempDir()
			meta, _ := tc.make(t, ckpt, 8)
			repoDir := t.TempDir()
			res, err := FromCheckpoint(Options{Checkpoint: ckpt, Repo: repoDir, Backend: testBackend(t), Commit: "c0ffee"})
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(repoDir, meta.Task+"-mle", "1"); res.Dir != want {
				t.Errorf("entry dir %s, want %s", res.Dir, want)
			}
			rep, err := Verify(res.Dir, res.Model, rt, VerifyOptions{Images: 3, Seed: 5, Device: cpu, Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() || rep.MaxLogitDiff > 1e-4 || rep.MaxCrossDiff > 1e-4 {
				t.Errorf("verify failed: max |logit diff| %g, cross %g, tokens agree %v", rep.MaxLogitDiff, rep.MaxCrossDiff, rep.TokensAgree)
			}
			if rep.Steps < 3 {
				t.Errorf("only %d steps compared", rep.Steps)
			}
			for _, ic := range rep.Images {
				if !ic.TokensAgree || ic.ORTDecoded != ic.GoDecoded {
					t.Errorf("image %d: ORT %v %s, GoMLX %v %s", ic.Index, ic.ORTTokens, ic.ORTDecoded, ic.GoTokens, ic.GoDecoded)
				}
				t.Logf("image %d: %v → %s", ic.Index, ic.ORTTokens, ic.ORTDecoded)
			}
			t.Logf("max |logit diff| %.3g over %d steps, cross %.3g; greedy ORT %v, GoMLX %v", rep.MaxLogitDiff, rep.Steps, rep.MaxCrossDiff, rep.ORT, rep.GoMLX)
		})
	}
}

// TestSampledMatchesGoMLX: sampling at temperature 1 with the same seed
// draws the same tokens in ONNX Runtime (noise drawn in Go) as in GoMLX
// (noise fed to the graph), with the same log-probabilities.
func TestSampledMatchesGoMLX(t *testing.T) {
	rt := loadORT(t)
	ckpt := t.TempDir()
	_, m := detectionCheckpoint(t, ckpt, 4)
	res, err := FromCheckpoint(Options{Checkpoint: ckpt, Repo: t.TempDir(), Backend: testBackend(t)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.OpenWith(res.Dir, rt, cpu, runner.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 4
	images := randImages(rand.New(rand.NewPCG(3, 4)), m.Cfg, n)
	flat := tensors.MustCopyFlatData[float32](images)
	for _, seed := range []uint64{1, 2, 3} {
		for _, mask := range [][]float32{nil, r.GrammarMask()} {
			og, err := r.Generate(flat, n, runner.GenerateOptions{Temperature: 1, Seed: seed, GrammarMask: mask})
			if err != nil {
				t.Fatal(err)
			}
			gg, err := m.Generate(images, seq.GenerateOptions{Temperature: 1, Seed: seed, Mask: mask})
			if err != nil {
				t.Fatal(err)
			}
			for b := range n {
				want := codec.UpToEOS(gg.Tokens[b])
				if !slices.Equal(og.Tokens[b], want) {
					t.Errorf("seed %d mask %v image %d: ORT sampled %v, GoMLX %v", seed, mask != nil, b, og.Tokens[b], want)
					continue
				}
				for s := range want {
					if d := math.Abs(float64(og.LogProbs[b][s] - gg.LogProbs[b][s])); d > 1e-4 {
						t.Errorf("seed %d image %d step %d: log-prob %g vs %g", seed, b, s, og.LogProbs[b][s], gg.LogProbs[b][s])
					}
				}
			}
		}
	}
}

func TestExistingEntryNeedsForce(t *testing.T) {
	ckpt := t.TempDir()
	detectionCheckpoint(t, ckpt, 0)
	repoDir := t.TempDir()
	opts := Options{Checkpoint: ckpt, Repo: repoDir, Name: "det", Version: 3, Backend: testBackend(t)}
	first, err := FromCheckpoint(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FromCheckpoint(opts); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second export: %v, want ErrExists mentioning --force", err)
	}
	opts.Force, opts.Variant = true, "reward"
	second, err := FromCheckpoint(opts)
	if err != nil {
		t.Fatal(err)
	}
	if second.Dir != first.Dir || second.Manifest.Variant != "reward" {
		t.Fatalf("forced export: dir %s variant %s", second.Dir, second.Manifest.Variant)
	}
	m, _, err := repo.Load(second.Dir)
	if err != nil || m.Variant != "reward" {
		t.Fatalf("reload: %v, variant %v", err, m)
	}
	if st, err := os.Stat(second.Dir); err != nil {
		t.Error(err)
	} else if st.Mode().Perm() != 0o755 {
		t.Errorf("entry directory mode %v, want 0755", st.Mode())
	}
	entries, _ := os.ReadDir(filepath.Join(repoDir, "det"))
	if len(entries) != 1 || entries[0].Name() != "3" {
		t.Errorf("repository holds %v, want only the entry (no temporary directories)", entries)
	}
}

func TestExportErrors(t *testing.T) {
	ckpt := t.TempDir()
	meta, m := detectionCheckpoint(t, ckpt, 0)

	// A checkpoint missing a variable the decoder reads.
	partial := t.TempDir()
	var gone string
	for v := range m.Context().IterVariables() {
		if strings.HasPrefix(v.Scope(), "/decoder/block1/mlp") {
			gone = v.ScopeAndName()
			if err := m.Context().DeleteVariable(v.Scope(), v.Name()); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if gone == "" {
		t.Fatal("no decoder MLP variable found")
	}
	h, err := checkpoints.Build(m.Context()).Dir(partial).Done()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Save(partial, meta); err != nil {
		t.Fatal(err)
	}

	// meta.json of another architecture than the checkpoint.
	other := t.TempDir()
	detectionCheckpoint(t, other, 0)
	wrong := *meta
	wrong.Model.Width, wrong.Model.Heads = 64, 4
	if err := checkpoint.Save(other, &wrong); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"missing variable", Options{Checkpoint: partial}, []string{"decoder_step graph", "no variable " + gone}},
		{"no meta.json", Options{Checkpoint: t.TempDir()}, []string{"meta.json"}},
		{"architecture mismatch", Options{Checkpoint: other}, []string{"width 32 (expected 64)"}},
		{"bad variant", Options{Checkpoint: ckpt, Variant: "best"}, []string{`variant "best"`}},
		{"bad name", Options{Checkpoint: ckpt, Name: "../x"}, []string{`name "../x"`}},
		{"bad version", Options{Checkpoint: ckpt, Version: -2}, []string{"version -2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Repo = t.TempDir()
			tc.opts.Backend = testBackend(t)
			_, err := FromCheckpoint(tc.opts)
			if err == nil {
				t.Fatal("export succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if entries, _ := os.ReadDir(tc.opts.Repo); len(entries) > 0 && tc.name != "missing variable" {
				t.Errorf("failed export left %v behind", entries)
			}
		})
	}
}

// poolLayer is a model layer using an op (ReduceWindow) the exporter lacks.
func poolLayer(x *graph.Node) *graph.Node { return graph.MaxPool(x).Window(2).Done() }

func TestUnsupportedOpNamesOpAndLayer(t *testing.T) {
	spec := onnx.Spec{Name: "encoder", Outputs: []string{"y"},
		Inputs: []onnx.Input{{Name: "image", DType: dtypes.Float32, Dims: []onnx.Dim{onnx.Dynamic("batch"), onnx.Fixed(8), onnx.Fixed(8), onnx.Fixed(3)}}}}
	fn := func(_ *context.Context, in []*graph.Node) []*graph.Node { return []*graph.Node{poolLayer(in[0])} }
	_, err := Trace(context.New(), []RoleGraph{{Role: "encoder", File: "encoder.onnx", Spec: spec, Fn: fn}})
	if err == nil {
		t.Fatal("trace succeeded")
	}
	for _, w := range []string{"export encoder graph", "op ReduceWindow is not supported", "export.poolLayer"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	var ue *onnx.UnsupportedOpError
	if !errors.As(err, &ue) {
		t.Errorf("error %v is not an *onnx.UnsupportedOpError", err)
	}
}

// TestManifestGolden pins model.json's shape (checksums, sizes and the
// temporary checkpoint path masked).
func TestManifestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(testing.TB, string, int) (*checkpoint.Meta, *seq.Model)
	}{
		{"detection", detectionCheckpoint},
		{"captioning", captionCheckpoint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ckpt := t.TempDir()
			tc.make(t, ckpt, 0)
			res, err := FromCheckpoint(Options{Checkpoint: ckpt, Repo: t.TempDir(), Backend: testBackend(t), Commit: "c0ffee"})
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(res.Dir, repo.ManifestFile))
			if err != nil {
				t.Fatal(err)
			}
			got := maskVolatile(string(data), ckpt)
			golden := filepath.Join("testdata", tc.name+".model.golden.json")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("model.json differs from %s (go test -update to accept):\n%s", golden, got)
			}
			if _, err := repo.Parse(data); err != nil {
				t.Errorf("written model.json does not parse: %v", err)
			}
		})
	}
}

var (
	shaRE   = regexp.MustCompile(`"sha256": "[0-9a-f]{64}"`)
	bytesRE = regexp.MustCompile(`"bytes": [0-9]+`)
)

func maskVolatile(s, ckpt string) string {
	s = shaRE.ReplaceAllString(s, `"sha256": "…"`)
	s = bytesRE.ReplaceAllString(s, `"bytes": 0`)
	return strings.ReplaceAll(s, ckpt, "CHECKPOINT")
}
