package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"rewardvision/dataset/shapes"
)

// TestMain lets tests run the binary in a child process (the test binary
// itself with RV_TEST_MAIN=1), because ONNX Runtime can be loaded only once
// per process and each CLI case needs a fresh one.
func TestMain(m *testing.M) {
	if os.Getenv("RV_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runCLI runs `rewardvision args...` in a child process.
func runCLI(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "RV_TEST_MAIN=1", "ONNXRUNTIME_LIB="), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// cliCase is one run of the binary: its exit code, and text its stdout
// and stderr must hold.
type cliCase struct {
	name     string
	env      []string
	args     []string
	code     int
	inStdout string
	inStderr string
}

func TestCLIExitCodes(t *testing.T) {
	tests := []cliCase{
		{"help", nil, []string{"--help"}, 0, "Commands:", ""},
		{"no subcommand", nil, nil, 2, "", "missing subcommand"},
		{"unknown subcommand", nil, []string{"frobnicate"}, 2, "", `rewardvision: unknown subcommand "frobnicate"`},
		{"unknown nested subcommand, one prefix", nil, []string{"eval", "frobnicate"}, 2, "", `rewardvision: eval: unknown subcommand "frobnicate"`},
		{"help of a command group", nil, []string{"help", "eval"}, 0, "Usage: rewardvision eval <command>", ""},
		{"help of a command", nil, []string{"help", "eval", "coco"}, 0, "Usage: rewardvision eval coco --gt F", ""},
		{"version help", nil, []string{"version", "--help"}, 0, "--ort-lib", ""},
		{"unknown flag", nil, []string{"version", "--nope"}, 2, "", "flag provided but not defined: -nope"},
		{"bad log format", nil, []string{"--log-format", "xml", "version"}, 2, "", "--log-format"},
		{"bad log level from env", []string{"RV_LOG_LEVEL=loud"}, []string{"version"}, 2, "", "--log-level"},
		{"wrong ort-lib", nil, []string{"version", "--ort-lib", "/no/such.so"}, 1, "", "cannot load ONNX Runtime from /no/such.so"},
		{"wrong ort-lib from env", []string{"ONNXRUNTIME_LIB=/no/env.so"}, []string{"version"}, 1, "", "env ONNXRUNTIME_LIB"},
		{"unknown device", nil, []string{"version", "--device", "tpu"}, 2, "", `--device "tpu"`},
		{"unknown device from env", []string{"RV_DEVICE=banana"}, []string{"version"}, 2, "", `env RV_DEVICE: --device "banana"`},
		{"serve: a port out of range", nil, []string{"serve", "--addr", ":99999"}, 2, "", `--addr ":99999"`},
		{"serve: no port", nil, []string{"serve", "--addr", "localhost"}, 2, "", "missing port in address"},
		{"serve: bad address from env", []string{"RV_ADDR=127.0.0.1:nosuchsvc"}, []string{"serve"}, 2, "", "env RV_ADDR: --addr"},
		{"version", nil, []string{"version"}, 0, "onnxruntime:         1.24.1", ""},
		{"device auto falls back", nil, []string{"version", "--device", "auto"}, 0, "device:              cpu", "CUDA unavailable"},
		{"device from env", []string{"RV_DEVICE=cuda:2"}, []string{"version"}, 1, "", "cuda:2"},
	}
	tests = append(tests, panopticCLICases(t)...)
	tests = append(tests, sweepCLICases(t)...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// What the command writes (--out, --to; export's --repo) must not
			// be left behind by a failure, and must be there after a
			// success; an output path that exists before (a file, a
			// folder) is the case's input and stays as it was.
			outPath := ""
			for i, a := range tc.args[:max(0, len(tc.args)-1)] {
				if a == "--out" || a == "--to" || a == "--repo" && tc.args[0] == "export" {
					outPath = tc.args[i+1]
				}
			}
			before, errBefore := os.Stat(outPath)
			out, errOut, code := runCLI(t, tc.env, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if outPath != "" {
				after, errAfter := os.Stat(outPath)
				switch {
				case errBefore == nil && (errAfter != nil || after.IsDir() != before.IsDir() || !after.IsDir() && after.Size() != before.Size()):
					t.Errorf("the run changed %s, which existed before it", outPath)
				case errBefore != nil && code != 0 && errAfter == nil:
					t.Errorf("the failed run left %s behind", outPath)
				case errBefore != nil && code == 0 && errAfter != nil:
					t.Errorf("the run wrote no %s: %v", outPath, errAfter)
				}
			}
			if !strings.Contains(out, tc.inStdout) {
				t.Errorf("stdout %q lacks %q", out, tc.inStdout)
			}
			if !strings.Contains(errOut, tc.inStderr) {
				t.Errorf("stderr %q lacks %q", errOut, tc.inStderr)
			}
			if strings.Contains(errOut, "rewardvision: rewardvision") {
				t.Errorf("stderr prefixes the program name twice: %s", errOut)
			}
			if strings.Contains(errOut, "panic") || strings.Contains(errOut, "goroutine ") {
				t.Errorf("stderr shows a panic: %s", errOut)
			}
		})
	}
}

func TestVersionJSON(t *testing.T) {
	out, errOut, code := runCLI(t, nil, "version", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version --json is not JSON: %v\n%s", err, out)
	}
	if v.ORTVersion != "1.24.1" || v.ORTSource != "project" || !strings.HasSuffix(v.ORTPath, "third_party/onnxruntime/libonnxruntime.so.1.24.1") {
		t.Errorf("ORT = %s from %s (%s); want 1.24.1 from the project folder", v.ORTVersion, v.ORTPath, v.ORTSource)
	}
	found := false
	for _, p := range v.Providers {
		found = found || p == "CPUExecutionProvider"
	}
	if !found {
		t.Errorf("providers %v lack CPUExecutionProvider", v.Providers)
	}
}

func TestJSONLogs(t *testing.T) {
	_, errOut, code := runCLI(t, nil, "version", "--device", "auto", "--log-format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rec map[string]any
	line := strings.SplitN(strings.TrimSpace(errOut), "\n", 2)[0]
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("log line is not JSON: %q", line)
	}
	if rec["level"] != "WARN" || rec["msg"] != "CUDA unavailable, running on CPU" {
		t.Errorf("log record = %v", rec)
	}
}

// TestPinnedModules guards against a dependency silently pulling in another
// onnxruntime_go (v1.13 speaks an older C API and fails at run time).
func TestPinnedModules(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build info")
	}
	want := map[string]string{
		"github.com/yalue/onnxruntime_go": "v1.27.0",
		"github.com/gin-gonic/gin":        "v1.12.0",
		"github.com/gomlx/gomlx":          "v0.26.0",
	}
	for _, d := range bi.Deps {
		if v, ok := want[d.Path]; ok {
			if d.Version != v || d.Replace != nil {
				t.Errorf("%s %s (replace %v), want %s", d.Path, d.Version, d.Replace, v)
			}
			delete(want, d.Path)
		}
	}
	if _, ok := want["github.com/yalue/onnxruntime_go"]; ok {
		t.Error("the binary does not link github.com/yalue/onnxruntime_go")
	}
}

// panopticCLICases are the panoptic surface's bad and odd inputs, as a new
// user gives them: train vq and train mle --task panoptic, export of a
// panoptic checkpoint, predict --task panoptic and eval run --task
// panoptic. Each gets a clear error naming what is wrong (exit 2 for a
// flag, 1 for a failure) and leaves no output behind. The cases that run
// a panoptic entry use the shipped one (assets/models/panoptic-mle).
func panopticCLICases(t *testing.T) []cliCase {
	t.Helper()
	dir := t.TempDir()
	at, write := caseFiles(t, dir)
	read := func(path string) []byte {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	// A small split pair of the captioning world (panoptic.json, at most 4
	// objects), and copies with one thing wrong.
	cfg, err := shapes.Preset("captioning")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		split string
		n     int
	}{{"train", 4}, {"val", 3}} {
		if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: at("data", s.split), N: s.n, Seed: 5, Split: s.split, Workers: 1}); err != nil {
			t.Fatal(err)
		}
	}
	data, val := at("data"), at("data", "val")
	noPan := at("nopan")
	for _, split := range []string{"train", "val"} {
		copyTree(t, at("data", split), filepath.Join(noPan, split))
		if err := os.Remove(filepath.Join(noPan, split, "panoptic.json")); err != nil {
			t.Fatal(err)
		}
	}
	gtPNG := func(split, id string) string { return filepath.Join(split, "panoptic", "00000000000"+id+".png") }
	corruptGT, swappedGT, sizeGT := at("gt-corrupt"), at("gt-swapped"), at("gt-size")
	for _, d := range []string{corruptGT, swappedGT, sizeGT} {
		copyTree(t, val, d)
	}
	write(gtPNG(corruptGT, "1"), read(gtPNG(val, "1"))[:60]) // the header, no pixels
	write(gtPNG(swappedGT, "1"), read(gtPNG(val, "2")))
	write(gtPNG(swappedGT, "2"), read(gtPNG(val, "1")))

	// Images: odd sizes, a PNG header claiming 10¹⁰ pixels, a truncated
	// PNG, zero bytes, not an image.
	encode := func(w, h int) []byte {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = uint8(i * 7)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	img1x1, img5000x20 := write(at("1x1.png"), encode(1, 1)), write(at("5000x20.png"), encode(5000, 20))
	write(gtPNG(sizeGT, "1"), read(img5000x20))
	good := write(at("good.png"), encode(64, 64))
	truncated := write(at("truncated.png"), read(good)[:100])
	empty := write(at("empty.png"), nil)
	garbage := write(at("garbage.png"), []byte("not an image"))
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 100000), 100000)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	chunk := func(typ string, body []byte) []byte {
		c := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
		c = append(append(c, typ...), body...)
		return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(append([]byte(typ), body...)))
	}
	bomb := write(at("bomb.png"), append(append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...), chunk("IEND", nil)...))

	// Stage-I codes: the shipped panoptic and colorization ones, and
	// broken or mismatched panoptic codes.
	const panVQ, colVQ = "../../assets/checkpoints/panoptic-vq", "../../assets/checkpoints/colorization-vq"
	code := read(filepath.Join(panVQ, "codebook.json"))
	truncCode := write(at("vq", "truncated.json"), code[:len(code)/2])
	notJSON := write(at("vq", "notjson.json"), []byte("codes: 512\n"))
	emptyCode := write(at("vq", "empty.json"), nil)
	code32 := write(at("vq", "size32.json"), bytes.Replace(code, []byte(`"size":64`), []byte(`"size":32`), 1))
	huge := at("vq", "huge.json") // 200 MB of zeros, sparse
	if f, err := os.Create(huge); err != nil || f.Truncate(200<<20) != nil || f.Close() != nil {
		t.Fatalf("sparse file: %v", err)
	}
	aFile := write(at("a-file"), []byte("not a folder\n"))
	fakeRun := at("fake-run") // a training run's folder: train vq must not replace its code
	write(filepath.Join(fakeRun, "checkpoint-n0000000-20260101-000000-step-00000002.json"), []byte("{}"))

	// A tiny panoptic training run, and copies of it with its code missing,
	// corrupt, of the other task, of another size, huge.
	mle := []string{"train", "mle", "--task", "panoptic", "--data", data, "--steps", "2", "--warmup", "1", "--batch", "4",
		"--eval-every", "2", "--eval-n", "2", "--ckpt-every", "2", "--width", "16", "--enc-depth", "1", "--dec-depth", "1",
		"--heads", "2", "--patch", "16", "--log-format", "json"}
	args := func(base []string, extra ...string) []string { return append(slices.Clone(base), extra...) }
	run := at("run")
	mustRun(t, args(mle, "--vq", panVQ, "--out", run)...)
	ckpt := func(name string, code []byte) string {
		d := at("ckpt-" + name)
		copyTree(t, run, d)
		if code == nil {
			if err := os.Remove(filepath.Join(d, "codebook.json")); err != nil {
				t.Fatal(err)
			}
		} else {
			write(filepath.Join(d, "codebook.json"), code)
		}
		return d
	}
	noCode, corruptCode := ckpt("nocode", nil), ckpt("corrupt", code[:100])
	chromaCode, sizeCode := ckpt("chroma", read(filepath.Join(colVQ, "codebook.json"))), ckpt("size32", read(code32))
	hugeCode := ckpt("huge", []byte{})
	if err := os.Truncate(filepath.Join(hugeCode, "codebook.json"), 200<<20); err != nil {
		t.Fatal(err)
	}

	vq := []string{"train", "vq", "--task", "panoptic", "--data", data, "--workers", "1"}
	cases := []cliCase{
		{"train vq panoptic: --sub", nil, args(vq, "--out", at("o"), "--sub", "2"), 2, "", "train vq: --sub and --iters are for --task colorization"},
		{"train vq panoptic: --iters", nil, args(vq, "--out", at("o"), "--iters", "3"), 2, "", "train vq: --sub and --iters are for --task colorization"},
		{"train vq panoptic: --k 0", nil, args(vq, "--out", at("o"), "--k", "0"), 2, "", "train vq: --k 0: want k ≥ 1, at most 65533"},
		{"train vq panoptic: --k past the vocabulary", nil, args(vq, "--out", at("o"), "--k", "70000"), 2, "", "train vq: --k 70000: want k ≥ 1, at most 65533"},
		{"train vq panoptic: --ranks 0", nil, args(vq, "--out", at("o"), "--ranks", "0"), 2, "", "train vq: --ranks 0: want 1..4096"},
		{"train vq panoptic: --ranks huge", nil, args(vq, "--out", at("o"), "--ranks", "100000000"), 2, "", "train vq: --ranks 100000000: want 1..4096"},
		{"train vq panoptic: --refits -1", nil, args(vq, "--out", at("o"), "--refits", "-1"), 2, "", "train vq: --refits -1: want ≥ 0"},
		{"train vq panoptic: --patch 7", nil, args(vq, "--out", at("o"), "--patch", "7"), 2, "", "train vq: --patch 7: want a divisor of the image size, 64"},
		{"train vq panoptic: --images -1", nil, args(vq, "--out", at("o"), "--images", "-1"), 2, "", "train vq: --images -1: want ≥ 0"},
		{"train vq panoptic: --eval-n -1", nil, args(vq, "--out", at("o"), "--eval-n", "-1"), 2, "", "train vq: --eval-n -1: want ≥ 0"},
		{"train vq panoptic: labels past int16", nil, args(vq, "--out", at("o"), "--ranks", "4096"), 1, "", "more than 32767 labels"},
		{"train vq panoptic: no panoptic.json", nil, []string{"train", "vq", "--task", "panoptic", "--data", noPan, "--out", at("o")}, 1, "",
			"has no panoptic annotation (want panoptic.json"},
		{"train vq panoptic: --out a file", nil, args(vq, "--out", aFile), 1, "", "create " + aFile + ": it is a file, not a folder"},
		{"train vq panoptic: --out under a file", nil, args(vq, "--out", filepath.Join(aFile, "vq")), 1, "", aFile + " is a file, not a folder"},
		{"train vq panoptic: --out a training run", nil, args(vq, "--out", fakeRun), 1, "", fakeRun + " holds a training run (checkpoints)"},

		{"train mle panoptic: no --vq", nil, args(mle, "--out", at("o")), 2, "", "train mle: --task panoptic needs --vq"},
		{"train mle panoptic: --vq the colorization codebook", nil, args(mle, "--out", at("o"), "--vq", colVQ), 1, "",
			"--vq: load panoptic code: " + colVQ + "/codebook.json is not a panoptic code but a colorization codebook"},
		{"train mle panoptic: --vq vq.json", nil, args(mle, "--out", at("o"), "--vq", filepath.Join(panVQ, "vq.json")), 1, "",
			`vq.json is not a panoptic code (it has no "codes")`},
		{"train mle panoptic: --vq truncated", nil, args(mle, "--out", at("o"), "--vq", truncCode), 1, "", "load panoptic code " + truncCode + ": unexpected end of JSON input"},
		{"train mle panoptic: --vq not JSON", nil, args(mle, "--out", at("o"), "--vq", notJSON), 1, "", "load panoptic code: read " + notJSON + ": not JSON: byte 0 is 0x63"},
		{"train mle panoptic: --vq empty", nil, args(mle, "--out", at("o"), "--vq", emptyCode), 1, "", "load panoptic code " + emptyCode + ": unexpected end of JSON input"},
		{"train mle panoptic: --vq 200 MB of zeros", nil, args(mle, "--out", at("o"), "--vq", huge), 1, "", "load panoptic code: read " + huge + ": not JSON: byte 0 is 0x00"},
		{"train mle panoptic: --vq of 32² images", nil, args(mle, "--out", at("o"), "--vq", code32), 1, "", "--vq " + code32 + ": the codebook codes 32² images, the model reads 64²"},
		{"train mle panoptic: --vq missing", nil, args(mle, "--out", at("o"), "--vq", at("vq", "none")), 1, "", "no such file or directory"},
		{"train mle panoptic: --patch 7", nil, args(mle, "--out", at("o"), "--vq", panVQ, "--patch", "7"), 2, "", "train mle: model config: patch_size 7 does not divide image_size 64"},
		{"train mle panoptic: --heads 3", nil, args(mle, "--out", at("o"), "--vq", panVQ, "--heads", "3"), 2, "", "train mle: model config: heads 3 does not divide width 16"},
		{"train mle panoptic: --out a file", nil, args(mle, "--out", aFile, "--vq", panVQ), 1, "", "create " + aFile + ": it is a file, not a folder"},
		{"train mle panoptic: resume with a code of 32² images", nil, args(mle, "--out", sizeCode, "--resume", "--steps", "4"), 1, "",
			"resume: " + sizeCode + "/codebook.json: the codebook codes 32² images, the model reads 64²"},
		{"train mle colorization: --vq the panoptic code", nil, []string{"train", "mle", "--task", "colorization", "--data", data, "--out", at("o"), "--vq", panVQ}, 1, "",
			"codebook.json is not a chroma codebook but a panoptic code"},

		{"export panoptic: no codebook.json", nil, []string{"export", "--ckpt", noCode, "--repo", at("repo")}, 1, "",
			"export: the panoptic checkpoint's stage-I code: load panoptic code: open " + noCode + "/codebook.json: no such file or directory"},
		{"export panoptic: codebook.json corrupt", nil, []string{"export", "--ckpt", corruptCode, "--repo", at("repo")}, 1, "",
			"load panoptic code " + corruptCode + "/codebook.json: unexpected end of JSON input"},
		{"export panoptic: codebook.json of colorization", nil, []string{"export", "--ckpt", chromaCode, "--repo", at("repo")}, 1, "",
			"is not a panoptic code but a colorization codebook"},
		{"export panoptic: codebook.json of 32² images", nil, []string{"export", "--ckpt", sizeCode, "--repo", at("repo")}, 1, "",
			"(512 codes, grid 4, 32²) does not match meta.json (512 codes, grid 8, 64²)"},
		{"export panoptic: codebook.json of 200 MB", nil, []string{"export", "--ckpt", hugeCode, "--repo", at("repo")}, 1, "", "not JSON: byte 0 is 0x00"},

		{"predict: --out with --task caption", nil, []string{"predict", "--task", "caption", good, "--out", at("cap.png")}, 2, "", "--task caption has none"},
		{"predict panoptic: --score-threshold", nil, []string{"predict", "--task", "panoptic", good, "--score-threshold", "0.5"}, 2, "",
			"predict: --score-threshold is for --task detect; --task panoptic has no use for it"},
		{"predict panoptic: --num-samples", nil, []string{"predict", "--task", "panoptic", good, "--num-samples", "2"}, 2, "",
			"predict: --num-samples is for --task caption"},
		{"predict panoptic: --top-k -1", nil, []string{"predict", "--task", "panoptic", good, "--top-k", "-1"}, 2, "", `parameter top_k: "-1": want an integer ≥ 0`},
		{"predict panoptic: --out a folder, one image", nil, []string{"predict", "--task", "panoptic", good, "--out", dir}, 2, "",
			"predict: --out " + dir + " is a folder; with one image --out names the PNG file"},
		{"predict panoptic: --out a file, two images", nil, []string{"predict", "--task", "panoptic", good, good, "--out", aFile}, 2, "",
			"predict: --out " + aFile + " is a file; with 2 images --out names the folder"},
		{"predict panoptic: --out under a file", nil, []string{"predict", "--task", "panoptic", good, "--out", filepath.Join(aFile, "x.png")}, 1, "",
			"--out " + filepath.Join(aFile, "x.png") + ": " + aFile + " is a file, not a folder"},
		{"predict panoptic: a missing image", nil, []string{"predict", "--task", "panoptic", at("none.png")}, 1, "", "open " + at("none.png") + ": no such file or directory"},
	}
	if _, err := os.Stat(panopticMLE); err != nil {
		t.Fatalf("the shipped panoptic entry: %v", err)
	}
	repoDir := at("models")
	copyTree(t, panopticMLE, filepath.Join(repoDir, "panoptic-mle", "1"))
	predict := []string{"predict", "--task", "panoptic", "--repo", repoDir}
	evalRun := []string{"eval", "run", "--task", "panoptic", "--model", panopticMLE}
	return append(cases, []cliCase{
		{"predict panoptic: a truncated PNG", nil, args(predict, truncated), 1, "", truncated + ": undecodable png image"},
		{"predict panoptic: a 0-byte file", nil, args(predict, empty), 1, "", empty + ": empty image"},
		{"predict panoptic: not an image", nil, args(predict, garbage), 1, "", garbage + ": undecodable image: not JPEG, PNG, GIF, WebP or BMP"},
		{"predict panoptic: 10¹⁰ pixels declared", nil, args(predict, bomb), 1, "", "png image of 100000x100000 = 10000000000 pixels is too large"},
		{"predict panoptic: 1×1", nil, args(predict, img1x1, "--out", at("out", "1x1.png")), 0, `"width": 1,`, ""},
		{"predict panoptic: 5000×20 into new folders", nil, args(predict, img5000x20, "--out", at("out", "a", "b", "5000x20.png")), 0, `"width": 5000,`, ""},
		{"predict panoptic: a bad image among several", nil, args(predict, good, truncated, good, "--out", at("out", "several")), 1, "", truncated + ": undecodable png image"},
		{"predict panoptic: --variant nope", nil, args(predict, good, "--variant", "nope"), 2, "", `predict: --variant "nope": the repository ` + repoDir + " serves [mle] for --task panoptic"},
		{"predict panoptic: --out unwritable", nil, args(predict, good, "--out", "/proc/rv-test.png"), 1, "", "--out /proc/rv-test.png: write /proc/rv-test.png"},

		{"eval run panoptic: no panoptic.json", nil, args(evalRun, "--data", filepath.Join(noPan, "val"), "--out", at("ev")), 1, "",
			"rewardvision: load " + noPan + "/val/panoptic.json: open " + noPan + "/val/panoptic.json: no such file or directory"},
		{"eval run panoptic: a corrupt ground-truth PNG", nil, args(evalRun, "--data", corruptGT, "--out", at("ev")), 1, "",
			"ground truth of image id 1: read id map " + gtPNG(corruptGT, "1") + ": png: invalid format: not enough pixel data"},
		{"eval run panoptic: ground-truth PNGs swapped", nil, args(evalRun, "--data", swappedGT, "--out", at("ev")), 1, "",
			"which its segments_info lacks (another image's PNG?)"},
		{"eval run panoptic: a ground-truth PNG of another size", nil, args(evalRun, "--data", sizeGT, "--out", at("ev")), 1, "",
			"ground truth of image id 1: " + gtPNG(sizeGT, "1") + " is 5000x20, the image 64x64"},
		{"eval run panoptic: --train-ann", nil, args(evalRun, "--data", val, "--out", at("ev"), "--train-ann", filepath.Join(data, "train", "instances.json")), 2, "",
			"eval run: --train-ann: the panoptic reward uses no training annotations"},
		{"eval run panoptic: --out a file", nil, args(evalRun, "--data", val, "--out", aFile), 1, "", "--out " + aFile + " is a file, not a folder"},
	}...)
}

// caseFiles gives the CLI case tables a path under dir (at) and a writer
// that makes the file's folders first (write returns the path).
func caseFiles(t *testing.T, dir string) (at func(...string) string, write func(string, []byte) string) {
	at = func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	write = func(path string, data []byte) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return at, write
}
