package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rewardvision/api"
)

// TestClientRoundTrip drives every client method against the server.
func TestClientRoundTrip(t *testing.T) {
	splits, _ := ParseSplits("caption=mle:1,reward:1")
	_, ts := newServer(t, abRegistry(t), Config{Splits: splits})
	c, err := api.NewClient(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	det := api.Image{Data: detImage(t)}
	capt := api.Image{Data: capImage(t)}

	d, err := c.Detect(ctx, det, api.DetectOptions{RequestOptions: api.RequestOptions{Variant: "reward", ImageID: 3},
		MaxDetections: api.Ptr(2), ScoreThreshold: api.Ptr(0.1)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Model.Variant != "reward" || len(d.Detections) != 2 || d.Detections[0].ImageID != 3 || d.Image.Format != "png" {
		t.Errorf("detect: %+v", d)
	}
	dc, err := c.DetectCompare(ctx, det, api.DetectOptions{})
	if err != nil || len(dc.Results) != 2 {
		t.Fatalf("detect compare: %+v %v", dc, err)
	}
	cp, err := c.Caption(ctx, capt, api.CaptionOptions{RequestOptions: api.RequestOptions{ClientID: "alice"},
		DecodeOptions: api.DecodeOptions{Temperature: api.Ptr(0.8), TopP: api.Ptr(0.9), Seed: api.Ptr(uint64(5))}, NumSamples: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := splits[api.TaskCaption].pick(api.TaskCaption, "alice"); cp.Model.Variant != want || len(cp.Candidates) != 2 ||
		cp.Decoding != (api.Decoding{Method: api.Sample, Temperature: 0.8, TopP: 0.9, Seed: 5}) {
		t.Errorf("caption: %+v (alice's variant: %s)", cp, want)
	}
	cc, err := c.CaptionCompare(ctx, capt, api.CaptionOptions{DecodeOptions: api.DecodeOptions{Decoding: api.Greedy}})
	if err != nil || len(cc.Results) != 2 || cc.Results[0].Caption != cc.Results[1].Caption {
		t.Fatalf("caption compare: %+v %v", cc, err)
	}
	ms, err := c.Models(ctx)
	if err != nil || len(ms.Models) != 4 {
		t.Fatalf("models: %+v %v", ms, err)
	}
	if err := c.Health(ctx); err != nil {
		t.Error(err)
	}
	if err := c.Ready(ctx); err != nil {
		t.Error(err)
	}

	// Errors come back typed.
	_, err = c.Detect(ctx, det, api.DetectOptions{DecodeOptions: api.DecodeOptions{TopK: api.Ptr(-2)}})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != api.CodeBadParameter || ae.Param != "top_k" || ae.RequestID == "" {
		t.Errorf("bad top_k: %v", err)
	}
	_, err = c.Panoptic(ctx, det, api.PanopticOptions{})
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Message != "no model for task panoptic" {
		t.Errorf("panoptic: %v", err)
	}
	_, err = c.Colorize(ctx, det, api.ColorizeOptions{})
	if !errors.As(err, &ae) || ae.Status != 404 || !strings.Contains(ae.Message, "no model for task colorize") {
		t.Errorf("colorize: %v", err)
	}
	// A cancelled context stops the call.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Detect(cctx, det, api.DetectOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: %v", err)
	}
}

// TestConcurrentClients: 32 clients at once get exactly the answers they
// get alone (greedy decoding is deterministic), under -race in make test.
func TestConcurrentClients(t *testing.T) {
	_, ts := newServer(t, nil, Config{MaxInflight: 4, MaxQueue: 64})
	c, _ := api.NewClient(ts.URL, nil)
	ctx := context.Background()
	det, capt := api.Image{Data: detImage(t)}, api.Image{Data: capImage(t)}
	wantDet, err := c.Detect(ctx, det, api.DetectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantCap, err := c.Caption(ctx, capt, api.CaptionOptions{NumSamples: 2, DecodeOptions: api.DecodeOptions{Seed: api.Ptr(uint64(9))}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32*4)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 4 {
				if (i+j)%2 == 0 {
					got, err := c.Detect(ctx, det, api.DetectOptions{})
					if err != nil || fmt.Sprint(got.Detections) != fmt.Sprint(wantDet.Detections) {
						errs <- fmt.Errorf("client %d detect: %v %v", i, got, err)
					}
				} else {
					got, err := c.Caption(ctx, capt, api.CaptionOptions{NumSamples: 2, DecodeOptions: api.DecodeOptions{Seed: api.Ptr(uint64(9))}})
					if err != nil || fmt.Sprint(got.Candidates) != fmt.Sprint(wantCap.Candidates) {
						errs <- fmt.Errorf("client %d caption: %v %v", i, got, err)
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

// rssKB is this process's resident set (Linux), or 0.
func rssKB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// TestLoadLoopback: 2,000 detection requests at concurrency 16 over
// loopback, no errors, and no memory growth beyond warm-up: RSS after
// 2,000 requests within 64 MB of RSS after 500.
func TestLoadLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("load test (-short)")
	}
	const total, conc, warm = 2000, 16, 500
	_, ts := newServer(t, nil, Config{MaxQueue: conc})
	c, _ := api.NewClient(ts.URL, nil)
	img := api.Image{Data: detImage(t), ContentType: "image/png"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := func(n int) error {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		next := make(chan int)
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range next {
					if _, err := c.Detect(ctx, img, api.DetectOptions{}); err != nil {
						mu.Lock()
						first = cmpOr(first, err)
						mu.Unlock()
					}
				}
			}()
		}
		for i := range n {
			next <- i
		}
		close(next)
		wg.Wait()
		return first
	}
	start := time.Now()
	if err := run(warm); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	rss500 := rssKB()
	if err := run(total - warm); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	rss2000 := rssKB()
	el := time.Since(start)
	t.Logf("%d requests at concurrency %d in %v (%.0f req/s); RSS after %d: %d MB, after %d: %d MB",
		total, conc, el.Round(time.Millisecond), float64(total)/el.Seconds(), warm, rss500>>10, total, rss2000>>10)
	if rss500 == 0 {
		t.Skip("no /proc/self/status: RSS not measured")
	}
	if growth := rss2000 - rss500; growth > 64<<10 {
		t.Errorf("RSS grew by %d MB between request %d and %d", growth>>10, warm, total)
	}
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// TestClientColorize: the client's colorize methods against the server,
// both answer forms: JSON (the PNG decoded from base64) and the bare PNG.
func TestClientColorize(t *testing.T) {
	reg := sharedRegistry(t)
	needColorize(t, reg)
	_, ts := newServer(t, reg, Config{})
	c, err := api.NewClient(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	upload := colorUpload(t, 96, 40, true)
	img := api.Image{Data: upload}

	r, err := c.Colorize(ctx, img, api.ColorizeOptions{RequestOptions: api.RequestOptions{ImageID: 9}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Model.Name != "colorization-mle" || r.ImageID != 9 || r.Image != (api.ImageInfo{Width: 96, Height: 40, Format: "png"}) {
		t.Errorf("colorize: %+v %+v", r.Model, r.Image)
	}
	checkColorized(t, "client", upload, decodePNG(t, r.PNG))

	p, err := c.ColorizePNG(ctx, img, api.ColorizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.PNG, r.PNG) || p.Model != "colorization-mle/1" || p.Variant != "mle" {
		t.Errorf("bare PNG: model %q variant %q, same image %v", p.Model, p.Variant, bytes.Equal(p.PNG, r.PNG))
	}

	seed := api.DecodeOptions{Seed: api.Ptr(uint64(4)), TopK: api.Ptr(20)}
	cmp, err := c.ColorizeCompare(ctx, img, api.ColorizeOptions{DecodeOptions: seed})
	if err != nil || len(cmp.Results) != 2 {
		t.Fatalf("compare: %+v %v", cmp, err)
	}
	for i, v := range []string{"mle", "reward"} {
		got := cmp.Results[i]
		if got.Model.Variant != v || got.Decoding != (api.Decoding{Method: api.Sample, Temperature: 1, TopK: 20, Seed: 4}) {
			t.Errorf("compare %d: %+v %+v", i, got.Model, got.Decoding)
		}
		// The same options for one variant give that variant's image.
		one, err := c.ColorizePNG(ctx, img, api.ColorizeOptions{RequestOptions: api.RequestOptions{Variant: v}, DecodeOptions: seed})
		if err != nil || !bytes.Equal(one.PNG, got.PNG) || one.Variant != v {
			t.Errorf("variant %s alone: %v, same image %v", v, err, err == nil && bytes.Equal(one.PNG, got.PNG))
		}
	}

	var ae *api.Error
	bad := api.Image{Data: []byte("not an image"), ContentType: "image/png"}
	for _, call := range []func() error{
		func() error { _, err := c.Colorize(ctx, bad, api.ColorizeOptions{}); return err },
		func() error { _, err := c.ColorizePNG(ctx, bad, api.ColorizeOptions{}); return err },
	} {
		if err := call(); !errors.As(err, &ae) || ae.Status != 400 || ae.Code != api.CodeBadRequest || ae.RequestID == "" {
			t.Errorf("bad image: %v", err)
		}
	}
	_, err = c.Colorize(ctx, img, api.ColorizeOptions{RequestOptions: api.RequestOptions{Variant: "tuned"}})
	if !errors.As(err, &ae) || ae.Status != 404 {
		t.Errorf("unknown variant: %v", err)
	}
}
