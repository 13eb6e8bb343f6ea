package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"rewardvision/dataset/shapes"
	"rewardvision/internal/testfix"
)

// sweepCLICases are the cases that scripts/cli-sweep.sh (the bad-input
// sweep of issue 20, re-run) found crashing, losing data or failing
// unclearly, each as its fix wants it.
func sweepCLICases(t *testing.T) []cliCase {
	t.Helper()
	dir := t.TempDir()
	at, write := caseFiles(t, dir)
	cfg, err := shapes.Preset("detection")
	if err != nil {
		t.Fatal(err)
	}
	split := at("split")
	if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: split, N: 2, Seed: 3, Split: "val", Workers: 1}); err != nil {
		t.Fatal(err)
	}
	data := at("data") // train/ and val/ for the training commands
	for _, sp := range []string{"train", "val"} {
		if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: filepath.Join(data, sp), N: 2, Seed: 4, Split: sp, Workers: 1}); err != nil {
			t.Fatal(err)
		}
	}
	garbage := write(at("garbage.bin"), []byte("\x08\x01\x12\x04ORT?\x00\x00"))
	badSplit := at("bad-split")
	copyTree(t, split, badSplit)
	badAnn := write(filepath.Join(badSplit, "instances.json"), []byte("\x08\x01garbage"))
	log := write(at("log.jsonl"), mustRead(t, "../../assets/checkpoints/detection-mle/log.jsonl"))
	const (
		ckpt  = "../../assets/checkpoints/detection-mle"
		entry = "../../assets/models/detection-mle/1"
	)
	cocoGT, cocoDT := testfix.Path(t, "coco-det/small/gt.json"), testfix.Path(t, "coco-det/small/dets.json")
	img := "../../serve/testdata/images/shapes-det.png"
	input := write(at("input.png"), mustRead(t, img))
	evalRun := []string{"eval", "run", "--task", "detection", "--data", split, "--model", entry}
	lines := write(at("lines.txt"), []byte("A cat on a mat.\n"))
	// A port that is taken: serve then stops after loading the models
	// (and logging its start-up warnings) instead of serving.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { taken.Close() })
	gen := []string{"data", "gen", "--out", at("gen"), "--n", "2"}
	mle := func(taskName string, flags ...string) []string {
		return append([]string{"train", "mle", "--task", taskName, "--data", data, "--out", at("mle-" + taskName), "--steps", "1", "--warmup", "0"}, flags...)
	}
	return []cliCase{
		// crashes: out of memory
		{"sweep: eval coco, a huge --workers is clamped", nil, []string{"eval", "coco", "--gt", cocoGT, "--dt", cocoDT, "--workers", "100000000"}, 0, "Average Precision", ""},
		{"sweep: bench serve, a huge --concurrency", nil, []string{"bench", "serve", "--concurrency", "1000000"}, 2, "", `--concurrency "1000000": want integers in 1..4096`},
		{"sweep: bench serve --unbatched without batching", nil, []string{"bench", "serve", "--repo", "../../assets/models", "--unbatched", "--tasks", "detect", "--duration", "1s"}, 2, "", "--unbatched applies with batching only"},
		{"sweep: predict /dev/zero stops at the body limit", nil, []string{"predict", "--task", "detect", "/dev/zero"}, 1, "", "/dev/zero: larger than the 20 MB limit (raise it with --max-body-mb)"},
		// data loss
		{"sweep: train ship onto a data split", nil, []string{"train", "ship", "--from", ckpt, "--to", split}, 1, "", "not a shipped folder (no meta.json)"},
		{"sweep: train ship --val bad leaves no --to", nil, []string{"train", "ship", "--from", ckpt, "--to", at("shipped"), "--val", badSplit}, 1, "", badAnn},
		{"sweep: train reward, a wrong --ort-lib leaves no --out", nil, []string{"train", "reward", "--init", ckpt, "--data", data, "--out", at("reward-ort"), "--steps", "1", "--warmup", "0", "--ort-lib", at("nope.so")}, 1, "", "rollouts need ONNX Runtime"},
		{"sweep: train validate --results over the split's annotations", nil, []string{"train", "validate", "--ckpt", ckpt, "--val", split, "--results", filepath.Join(split, "instances.json")}, 2, "", "is inside the --val split"},
		{"sweep: train validate --eval-n -1", nil, []string{"train", "validate", "--ckpt", ckpt, "--val", split, "--eval-n", "-1"}, 2, "", "--eval-n -1: want ≥ 0"},
		{"sweep: predict --server with --repo", nil, []string{"predict", "--task", "detect", "--server", "http://127.0.0.1:1", "--repo", "../../assets/models", img}, 2, "", "--repo sets up in-process models"},
		{"sweep: predict --out over its input", nil, []string{"predict", "--task", "detect", "--out", input, input}, 2, "", "over the input image"},
		{"sweep: train reward --task nope", nil, []string{"train", "reward", "--init", ckpt, "--data", data, "--out", at("reward-task"), "--task", "nope"}, 2, "", `--task must be one of detection, captioning, colorization, panoptic, got "nope"`},
		{"sweep: train plot --out over its --log", nil, []string{"train", "plot", "--log", log, "--out", log}, 2, "", "is the log itself"},
		{"sweep: eval run --out a data split", nil, append(evalRun, "--out", split), 1, "", "not an eval run folder"},
		{"sweep: train mle --out a data split", nil, []string{"train", "mle", "--task", "detection", "--data", data, "--out", filepath.Join(data, "train"), "--steps", "2", "--warmup", "1"}, 1, "", "holds a data split (instances.json)"},
		{"sweep: train reward --out a data split", nil, []string{"train", "reward", "--init", ckpt, "--data", data, "--out", filepath.Join(data, "val"), "--steps", "1", "--warmup", "0"}, 1, "", "holds a data split (instances.json)"},
		{"sweep: train vq --out a data split", nil, []string{"train", "vq", "--data", data, "--out", filepath.Join(data, "val"), "--k", "4"}, 1, "", "holds a data split (instances.json)"},
		{"sweep: train vq --out the folder of splits", nil, []string{"train", "vq", "--data", data, "--out", data, "--k", "4"}, 1, "", "holds a data split (train/instances.json)"},
		{"sweep: train mle --bins 1", nil, []string{"train", "mle", "--task", "detection", "--data", data, "--out", at("bins"), "--bins", "1"}, 2, "", "bins 1: want 0 (one per pixel) or 2..4096"},
		{"sweep: train mle --max-boxes -1 is named", nil, []string{"train", "mle", "--task", "detection", "--data", data, "--out", at("boxes"), "--max-boxes", "-1"}, 2, "", "max-boxes -1: want 0..100"},
		{"sweep: eval run --train-ann missing, before any output", nil, append(evalRun, "--train-ann", at("nope.json"), "--out", at("run")), 1, "", "training annotations: load " + at("nope.json")},
		// flags accepted without effect or replaced by defaults
		{"sweep: predict --max-pixels 0", nil, []string{"predict", "--task", "detect", img, "--max-pixels", "0"}, 2, "", "--max-pixels 0: want ≥ 1"},
		{"sweep: serve --max-body-mb -1", nil, []string{"serve", "--addr", "127.0.0.1:0", "--max-body-mb", "-1"}, 2, "", "--max-body-mb -1"},
		{"sweep: serve --timeout 0", nil, []string{"serve", "--addr", "127.0.0.1:0", "--timeout", "0"}, 2, "", "--timeout 0s: want > 0"},
		{"sweep: serve --ab names a variant the repository lacks", nil, []string{"serve", "--addr", "127.0.0.1:0", "--repo", "../../assets/models", "--ab", "detection=nosuch:100"}, 2, "", "--ab"},
		{"sweep: serve --preferred-batch-sizes without batching", nil, []string{"serve", "--addr", "127.0.0.1:0", "--preferred-batch-sizes", "4"}, 2, "", "applies with batching only"},
		{"sweep: serve --watch -1s", nil, []string{"serve", "--addr", "127.0.0.1:0", "--watch", "-1s"}, 2, "", "--watch -1s"},
		{"sweep: eval colorfulness has no JSON limit", nil, []string{"eval", "colorfulness", img, "--max-json-mb", "5"}, 2, "", "flag provided but not defined: -max-json-mb"},
		{"sweep: eval run --server with --device", nil, []string{"eval", "run", "--task", "detection", "--data", split, "--model", "mle", "--out", at("srv"), "--server", "http://127.0.0.1:1", "--device", "cpu"}, 2, "", "with --server the server runs them"},
		// left by the first re-run (docs/hardening-sweep.md): negative
		// counts, empty list items, flags without effect
		{"sweep: data gen --workers -1", nil, append(gen, "--workers", "-1"), 2, "", "rewardvision: data gen: --workers -1: want ≥ 0 (0: one per CPU)"},
		{"sweep: data gen RV_WORKERS=-1", []string{"RV_WORKERS=-1"}, gen, 2, "", "env RV_WORKERS: data gen: --workers -1"},
		{"sweep: data gen --shapes with an empty item", nil, append(gen, "--shapes", "circle,,square"), 2, "", `rewardvision: data gen: --shapes "circle,,square": item 2 is empty`},
		{"sweep: data gen --colors with a trailing comma", nil, append(gen, "--colors", "red,blue,"), 2, "", `data gen: --colors "red,blue,": item 3 is empty`},
		{"sweep: data gen --stuff with an empty item", nil, append(gen, "--max-stuff", "1", "--stuff", ",sky"), 2, "", `data gen: --stuff ",sky": item 1 is empty`},
		{"sweep: data gen --shapes, spaces around items", nil, []string{"data", "gen", "--shapes", "circle, square", "--print-config"}, 0, `"circle"`, ""},
		{"sweep: bench serve --tasks with an empty item", nil, []string{"bench", "serve", "--tasks", "detect,,caption"}, 2, "", `--tasks "detect,,caption": item 2 is empty`},
		{"sweep: bench serve --tasks empty", nil, []string{"bench", "serve", "--tasks", ""}, 2, "", `--tasks: want at least one of detect, caption, colorize`},
		{"sweep: serve --preferred-batch-sizes with an empty item", nil, []string{"serve", "--addr", "127.0.0.1:0", "--max-batch-size", "4", "--preferred-batch-sizes", "2,,4"}, 2, "", `--preferred-batch-sizes: "2,,4": item 2 is empty`},
		{"sweep: eval captions --tokenize with --json", nil, []string{"eval", "captions", "--tokenize", lines, "--json"}, 2, "", "eval captions: --json has no effect with --tokenize " + lines},
		{"sweep: eval captions --tokenize with --strict", nil, []string{"eval", "captions", "--tokenize", lines, "--strict"}, 2, "", "eval captions: --strict has no effect with --tokenize"},
		{"sweep: eval captions --tokenize, RV_EVAL_STRICT is no error", []string{"RV_EVAL_STRICT=1"}, []string{"eval", "captions", "--tokenize", lines}, 0, "a cat on a mat", ""},
		{"sweep: eval run --images with --data", nil, append(evalRun, "--images", dir, "--out", at("images-run")), 2, "", "eval run: --images " + dir + ": no effect with --data"},
		{"sweep: eval run --threads -1", nil, append(evalRun, "--threads", "-1", "--out", at("threads-run")), 2, "", "eval run: --threads -1: want ≥ 0 (0: one per core)"},
		{"sweep: train mle --max-len with --task detection", nil, mle("detection", "--max-len", "5"), 2, "", "train mle: --max-len 5 is for --task captioning, not detection"},
		{"sweep: train mle --bins with --task captioning", nil, mle("captioning", "--bins", "10"), 2, "", "train mle: --bins 10 is for --task detection, not captioning"},
		{"sweep: train mle --box-order with --task captioning", nil, mle("captioning", "--box-order", "class"), 2, "", "train mle: --box-order class is for --task detection, not captioning"},
		{"sweep: serve --model-batching names a model the repository lacks", nil, []string{"serve", "--addr", taken.Addr().String(), "--repo", "../../assets/models", "--model-batching", "nosuch:max=2"}, 1, "", "--model-batching names a model the repository lacks"},
		{"sweep: train reward, a wrong RV_ORT_LIB is named", []string{"RV_ORT_LIB=" + at("nope-env.so")}, []string{"train", "reward", "--init", ckpt, "--data", data, "--out", at("reward-ort-env"), "--steps", "1", "--warmup", "0"}, 1, "", "(env RV_ORT_LIB)"},
		// unclear messages
		{"sweep: an env value names its variable (global flag)", []string{"RV_LOG_FORMAT=xml"}, []string{"version"}, 2, "", `env RV_LOG_FORMAT: --log-format "xml"`},
		{"sweep: an env value names its variable (command flag)", []string{"RV_WORKERS=-4"}, []string{"data", "check", split}, 2, "", "env RV_WORKERS: data check: --workers"},
		{"sweep: eval panoptic RV_WORKERS=-4", []string{"RV_WORKERS=-4"}, []string{"eval", "panoptic", "--gt-json", testfix.Path(t, "panoptic/small/gt.json"), "--pred-json", testfix.Path(t, "panoptic/small/pred.json")}, 2, "", "env RV_WORKERS: eval panoptic: --workers -4: want ≥ 0"},
		{"sweep: train vq RV_WORKERS=-4", []string{"RV_WORKERS=-4"}, []string{"train", "vq", "--data", data, "--out", at("vq-workers"), "--k", "4"}, 2, "", "env RV_WORKERS: train vq: --workers -4: want ≥ 1"},
		{"sweep: an env value names its variable, not when the flag is given", []string{"RV_WORKERS=1"}, []string{"data", "check", split, "--workers", "-4"}, 2, "", "rewardvision: data check: --workers"},
		{"sweep: eval run --task from env", []string{"RV_TASK=nope"}, append(evalRun[:2:2], "--data", split, "--model", entry, "--out", at("task")), 2, "", `env RV_TASK: eval run: --task "nope"`},
		{"sweep: eval run --model a file that is not model.json", nil, []string{"eval", "run", "--task", "detection", "--data", split, "--model", garbage, "--out", at("garbage-run")}, 1, "", "a file, but not a model.json"},
		{"sweep: eval run names a bad annotation file once", nil, []string{"eval", "run", "--task", "detection", "--data", badSplit, "--model", entry, "--out", at("bad-run")}, 1, "", "rewardvision: load " + badAnn + ": near byte 0"},
		{"sweep: eval panoptic --pred-json missing is named", nil, []string{"eval", "panoptic", "--gt-json", testfix.Path(t, "panoptic/small/gt.json"), "--pred-json", at("nope.json")}, 1, "", "open " + at("nope.json")},
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
