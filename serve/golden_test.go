package serve

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/api"
	"rewardvision/internal/testfix"
	"rewardvision/models/ortrun"
)

// zeroTiming clears the fields that change from run to run.
func zeroTiming(v any) {
	switch b := v.(type) {
	case *api.DetectResponse:
		b.Timing = api.Timing{}
	case *api.CaptionResponse:
		b.Timing = api.Timing{}
	}
}

// TestGolden pins the server's answers for the shipped models on the
// test images and on two real COCO photos of the coco-det/real2 fixture
// (the repository copies 439180 only, so 142238 needs the shared fixtures;
// the shipped models were trained on the synthetic world, so what they say
// about a photo is only pinned, not meaningful).
func TestGolden(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	type golden struct {
		name, path, image string
		fixture           bool
	}
	cases := []golden{
		{"detect-shapes", "/v1/detect?image_id=1", "testdata/images/shapes-det.png", false},
		{"detect-shapes-sample", "/v1/detect?image_id=1&decoding=sample&temperature=0.7&top_p=0.95&seed=3", "testdata/images/shapes-det.png", false},
		{"caption-shapes", "/v1/caption?image_id=2", "testdata/images/shapes-cap.png", false},
		{"caption-shapes-samples", "/v1/caption?image_id=2&num_samples=3&seed=1&top_k=20", "testdata/images/shapes-cap.png", false},
		{"detect-coco-439180", "/v1/detect?image_id=439180", "coco-det/real2/images/000000439180.jpg", true},
		{"caption-coco-142238", "/v1/caption?image_id=142238", "coco-det/real2/images/000000142238.jpg", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.image
			if tc.fixture {
				path = testfix.Path(t, tc.image)
			}
			resp := post(t, ts.URL+tc.path, "application/octet-stream", readFile(t, path))
			var v any = &api.DetectResponse{}
			if strings.Contains(tc.path, "caption") {
				v = &api.CaptionResponse{}
			}
			decodeJSON(t, resp, v)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			zeroTiming(v)
			got, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			testfix.Golden(t, filepath.Join("testdata", "golden", tc.name+".json"), append(got, '\n'), *update)
		})
	}
}

// TestReadyBeforeWarmUp: a fresh registry is live but not ready until
// every model ran once.
func TestReadyBeforeWarmUp(t *testing.T) {
	reg, err := LoadRegistry(shippedRepo, loadORT(t), ortrun.Device{Kind: "cpu"}, testOptions, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	s, ts := newServer(t, reg, Config{})
	status := func(path string) int {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if h, r := status("/healthz"), status("/readyz"); h != 200 || r != 503 {
		t.Errorf("before warm-up: healthz %d, readyz %d", h, r)
	}
	if err := s.WarmUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := status("/readyz"); r != 200 {
		t.Errorf("after warm-up: readyz %d", r)
	}
}

func TestLoadRegistryErrors(t *testing.T) {
	rt := loadORT(t)
	empty := t.TempDir()
	broken := abRepo(t)
	if err := writeFileString(filepath.Join(broken, "detection-reward", "1", "model.json"), "{}"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{
		{filepath.Join(empty, "missing"), "model repository"},
		{empty, "no entries"},
		{broken, filepath.Join("detection-reward", "1")},
	} {
		reg, err := LoadRegistry(tc.dir, rt, ortrun.Device{Kind: "cpu"}, testOptions, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			if reg != nil {
				reg.Close()
			}
			t.Errorf("%s: error %v, want %q", tc.dir, err, tc.want)
		}
	}
}

func writeFileString(path, s string) error {
	return writeFile(path, []byte(s))
}
