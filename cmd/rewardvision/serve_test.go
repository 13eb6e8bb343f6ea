package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"rewardvision/api"
)

const testRepo = "../../assets/models"
const testImage = "../../serve/testdata/images/shapes-det.png"

// goldenDetections are the server's pinned detections for testImage.
func goldenDetections(t *testing.T) []api.Detection {
	t.Helper()
	var g api.DetectResponse
	data, err := os.ReadFile("../../serve/testdata/golden/detect-shapes.json")
	if err == nil {
		err = json.Unmarshal(data, &g)
	}
	if err != nil {
		t.Fatal(err)
	}
	return g.Detections
}

func decodeDetect(t *testing.T, stdout string) api.DetectResponse {
	t.Helper()
	var r api.DetectResponse
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("predict output %q: %v", stdout, err)
	}
	return r
}

// TestPredictInProcess: predict runs the handler's code path, so it gives
// the server's golden answer, and --out draws it.
func TestPredictInProcess(t *testing.T) {
	out := filepath.Join(t.TempDir(), "drawn.png")
	stdout, stderr, code := runCLI(t, nil, "predict", "--task", "detect", "--repo", testRepo, "--image-id", "1", "--out", out, testImage)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := decodeDetect(t, stdout)
	if want := goldenDetections(t); len(got.Detections) != len(want) || got.Detections[0] != want[0] {
		t.Errorf("in-process detections %v, the server's golden %v", got.Detections, want)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() != 256 {
		t.Errorf("--out image: %v, %v", img.Bounds(), err)
	}

	for _, bad := range [][]string{
		{"predict", "--task", "faces", testImage},
		{"predict", "--task", "detect"},
		{"predict", "--task", "caption", "--out", out, testImage},
	} {
		if _, _, code := runCLI(t, nil, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	_, stderr, code = runCLI(t, nil, "predict", "--task", "detect", "--repo", testRepo, "--top-k", "-3", testImage)
	if code != 2 || !strings.Contains(stderr, "top_k") {
		t.Errorf("bad top-k: exit %d (want 2, a usage error), %s", code, stderr)
	}
}

// writeUpload writes a w×h RGB PNG (a gradient) for predict to read.
func writeUpload(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkColorizeOut checks predict's JSON answer for a colorize request and
// that out holds its PNG, of the upload's size.
func checkColorizeOut(t *testing.T, answer []byte, out string, w, h int) {
	t.Helper()
	var r api.ColorizeResponse
	if err := json.Unmarshal(answer, &r); err != nil {
		t.Fatalf("predict output %q: %v", answer, err)
	}
	if r.Model.Task != "colorization" || r.Image.Width != w || r.Image.Height != h {
		t.Errorf("answer %+v %+v", r.Model, r.Image)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, r.PNG) {
		t.Errorf("%s is not the answer's PNG", out)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		t.Errorf("%s: %v, %v; want %dx%d", out, img.Bounds(), err, w, h)
	}
}

// TestPredictColorize: predict --task colorize prints the JSON answer and
// --out writes its PNG (a folder of them for several images).
func TestPredictColorize(t *testing.T) {
	dir := t.TempDir()
	wide, tall := filepath.Join(dir, "wide.png"), filepath.Join(dir, "tall.png")
	writeUpload(t, wide, 96, 40)
	writeUpload(t, tall, 30, 70)
	out := filepath.Join(dir, "out.png")
	stdout, stderr, code := runCLI(t, nil, "predict", "--task", "colorize", "--repo", testRepo, "--variant", "reward", "--decoding", "sample", "--seed", "3", "--out", out, wide)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkColorizeOut(t, []byte(stdout), out, 96, 40)
	if !strings.Contains(stdout, `"variant": "reward"`) || !strings.Contains(stdout, `"seed": 3`) {
		t.Errorf("variant or seed not applied: %.300s", stdout)
	}

	folder := filepath.Join(dir, "colorized")
	stdout, stderr, code = runCLI(t, nil, "predict", "--task", "colorize", "--repo", testRepo, "--out", folder, wide, tall)
	if code != 0 {
		t.Fatalf("two images: exit %d: %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	for _, c := range []struct {
		name string
		w, h int
	}{{"wide", 96, 40}, {"tall", 30, 70}} {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		checkColorizeOut(t, raw, filepath.Join(folder, c.name+".png"), c.w, c.h)
	}
	if _, stderr, code := runCLI(t, nil, "predict", "--task", "caption", "--repo", testRepo, "--out", out, wide); code != 2 || !strings.Contains(stderr, "--task caption has none") {
		t.Errorf("--out with caption: exit %d, %s", code, stderr)
	}
}

// TestServeBinary starts `rewardvision serve` on a free loopback port,
// runs predict --server against it, and stops it with SIGTERM (exit 0).
func TestServeBinary(t *testing.T) {
	cmd, addr := startServe(t, nil, "--repo", testRepo)

	stdout, stderr, code := runCLI(t, nil, "predict", "--task", "detect", "--server", addr, "--image-id", "1", testImage)
	if code != 0 {
		t.Fatalf("predict --server: exit %d: %s", code, stderr)
	}
	got := decodeDetect(t, stdout)
	if want := goldenDetections(t); len(got.Detections) != len(want) || got.Detections[0] != want[0] {
		t.Errorf("--server detections %v, golden %v", got.Detections, want)
	}
	out := filepath.Join(t.TempDir(), "colorized.png")
	stdout, stderr, code = runCLI(t, nil, "predict", "--task", "colorize", "--server", addr, "--out", out, testImage)
	if code != 0 {
		t.Fatalf("predict --task colorize --server: exit %d: %s", code, stderr)
	}
	checkColorizeOut(t, []byte(stdout), out, 64, 64)
	// Panoptic through the server: the answer and the drawn overlay (the
	// image scaled up to 256 px, a legend to its right).
	overlay := filepath.Join(t.TempDir(), "overlay.png")
	stdout, stderr, code = runCLI(t, nil, "predict", "--task", "panoptic", "--server", addr, "--out", overlay, testImage)
	if code != 0 {
		t.Fatalf("predict --task panoptic --server: exit %d: %s", code, stderr)
	}
	var pan api.PanopticResponse
	if err := json.Unmarshal([]byte(stdout), &pan); err != nil || pan.Model.Name != "panoptic-mle" || len(pan.SegmentsInfo) == 0 || len(pan.PNG) == 0 {
		t.Errorf("panoptic answer %+v (%v)", pan, err)
	}
	f, err := os.Open(overlay)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width != 256+150 || cfg.Height != 256 {
		t.Errorf("overlay %dx%d (%v), want 406x256", cfg.Width, cfg.Height, err)
	}

	stopServe(t, cmd)
}

func TestBenchServe(t *testing.T) {
	stdout, stderr, code := runCLI(t, nil, "bench", "serve", "--repo", testRepo, "--duration", "1s", "--concurrency", "1,2",
		"--tasks", "detect", "--detect-image", testImage)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "bare ORT img/s") || !strings.Contains(lines[0], "ratio") {
		t.Fatalf("table %q", stdout)
	}
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 9 || f[0] != "detect" || f[1] != []string{"1", "2"}[i] || f[7] == "0" {
			t.Errorf("row %q", l)
		} else if v, err := strconv.ParseFloat(f[8], 64); err != nil || v <= 0 {
			t.Errorf("cpu ms/req %q, want > 0", f[8])
		}
	}
	if _, _, code := runCLI(t, nil, "bench", "serve", "--concurrency", "0"); code != 2 {
		t.Errorf("--concurrency 0: exit %d, want 2", code)
	}
}

// stopServe sends SIGTERM to a `rewardvision serve` child and checks that
// it drains and exits 0 within 20 s.
func stopServe(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("serve did not stop within 20 s of SIGTERM")
	}
}

// startServe runs `rewardvision serve --addr 127.0.0.1:0 --log-format json
// args...` as a child with env added, and returns it with the address its
// "listening" log line names. The child is killed when the test ends.
func startServe(t *testing.T, env []string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	cmd.Env = append(append(os.Environ(), "RV_TEST_MAIN=1", "ONNXRUNTIME_LIB="), env...)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := bufio.NewScanner(errPipe)
	var addr string
	var logLines []string
	for addr == "" && lines.Scan() {
		logLines = append(logLines, lines.Text())
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(lines.Bytes(), &rec) == nil && rec.Msg == "listening" {
			addr = rec.Addr
		}
	}
	if addr == "" {
		t.Fatalf("no listening line in %v", logLines)
	}
	go io.Copy(io.Discard, errPipe)
	return cmd, addr
}
