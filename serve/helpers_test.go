package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"rewardvision/models/ortrun"
	"rewardvision/models/repo"
	"rewardvision/models/runner"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// shippedRepo is the model repository the product ships.
const shippedRepo = "../assets/models"

var (
	ortOnce sync.Once
	ortRT   *ortrun.Runtime
	ortErr  error

	regOnce sync.Once
	shared  *Registry
	regErr  error
)

func loadORT(tb testing.TB) *ortrun.Runtime {
	tb.Helper()
	ortOnce.Do(func() { ortRT, ortErr = ortrun.Load("") })
	if ortErr != nil {
		tb.Fatalf("ONNX Runtime (make ort installs it): %v", ortErr)
	}
	return ortRT
}

// testOptions keep ORT to one thread per operator: tests run in parallel
// with others on two cores.
var testOptions = runner.Options{IntraOpThreads: 1}

// sharedRegistry loads the shipped repository once, warmed up.
func sharedRegistry(tb testing.TB) *Registry {
	tb.Helper()
	rt := loadORT(tb)
	regOnce.Do(func() {
		shared, regErr = LoadRegistry(shippedRepo, rt, ortrun.Device{Kind: "cpu"}, testOptions, slog.New(slog.DiscardHandler))
		if regErr == nil {
			regErr = shared.WarmUp(context.Background())
		}
	})
	if regErr != nil {
		tb.Fatal(regErr)
	}
	return shared
}

// newServer makes a server over reg (the shared one when nil) and an
// httptest server for it.
func newServer(tb testing.TB, reg *Registry, cfg Config) (*Server, *httptest.Server) {
	tb.Helper()
	if reg == nil {
		reg = sharedRegistry(tb)
	}
	s, err := New(reg, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(ts.Close)
	return s, ts
}

// abRepo makes a repository with the shipped entries plus copies of them
// as "reward" variants (same graphs, model.json's variant changed), so
// A/B routing has two variants per task.
func abRepo(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	for _, name := range []string{"detection-mle", "captioning-mle"} {
		src := filepath.Join(shippedRepo, name, "1")
		copyDir(tb, src, filepath.Join(dir, name, "1"))
		rname := strings.Replace(name, "-mle", "-reward", 1)
		dst := filepath.Join(dir, rname, "1")
		copyDir(tb, src, dst)
		m, _, err := repo.Load(dst)
		if err != nil {
			tb.Fatal(err)
		}
		m.Name, m.Variant = rname, "reward"
		data, err := m.Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, repo.ManifestFile), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func copyDir(tb testing.TB, src, dst string) {
	tb.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		tb.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

var (
	abOnce sync.Once
	abReg  *Registry
	abErr  error
)

// abRegistry loads abRepo once, warmed up.
func abRegistry(tb testing.TB) *Registry {
	tb.Helper()
	rt := loadORT(tb)
	abOnce.Do(func() {
		// The registry reads graphs and vocabularies at load, so the
		// first caller's temporary directory may go with that test.
		dir := abRepo(tb)
		abReg, abErr = LoadRegistry(dir, rt, ortrun.Device{Kind: "cpu"}, testOptions, slog.New(slog.DiscardHandler))
		if abErr == nil {
			abErr = abReg.WarmUp(context.Background())
		}
	})
	if abErr != nil {
		tb.Fatal(abErr)
	}
	return abReg
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func detImage(tb testing.TB) []byte { return readFile(tb, "testdata/images/shapes-det.png") }
func capImage(tb testing.TB) []byte { return readFile(tb, "testdata/images/shapes-cap.png") }

func decodePNG(tb testing.TB, data []byte) image.Image {
	tb.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// post sends a raw-body upload.
func post(tb testing.TB, url, contentType string, body []byte, header ...string) *http.Response {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

// multipartBody builds a form with the image in field "image" and fields.
func multipartBody(tb testing.TB, img []byte, fields ...string) (string, []byte) {
	tb.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := w.WriteField(fields[i], fields[i+1]); err != nil {
			tb.Fatal(err)
		}
	}
	if img != nil {
		fw, err := w.CreateFormFile("image", "photo.png")
		if err != nil {
			tb.Fatal(err)
		}
		fw.Write(img)
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// decodeJSON reads a response body into v and closes it.
func decodeJSON(tb testing.TB, resp *http.Response, v any) {
	tb.Helper()
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		tb.Fatalf("status %d, body %s: %v", resp.StatusCode, data, err)
	}
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }
