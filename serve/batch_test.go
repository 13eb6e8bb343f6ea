package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"rewardvision/api"
	"rewardvision/models/ortrun"
	"rewardvision/models/runner"
)

// ownRegistry loads the shipped repository for one test (batchers and
// reloads change a registry's models, so such tests do not share one).
func ownRegistry(tb testing.TB, dir string) *Registry {
	tb.Helper()
	opts := testOptions
	// Reloading tests: no ORT arena, which a closed session would keep (reload_test.go).
	opts.NoArena = true
	reg, err := LoadRegistry(dir, loadORT(tb), ortrun.Device{Kind: "cpu"}, opts, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	if err := reg.WarmUp(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return reg
}

// TestBatchingGolden: concurrent requests batched together (greedy and
// seeded samples mixed in one batch) get the golden answers of requests
// served alone, and the batch-size histogram shows batches of several.
func TestBatchingGolden(t *testing.T) {
	reg := ownRegistry(t, shippedRepo)
	s, ts := newServer(t, reg, Config{MaxInflight: 1, Batch: BatchConfig{MaxBatchSize: 8, MaxQueueDelay: 50 * time.Millisecond}})
	t.Cleanup(func() { reg.Close() })
	cases := []struct{ name, path, image string }{
		{"detect-shapes", "/v1/detect?image_id=1", "testdata/images/shapes-det.png"},
		{"detect-shapes-sample", "/v1/detect?image_id=1&decoding=sample&temperature=0.7&top_p=0.95&seed=3", "testdata/images/shapes-det.png"},
		{"caption-shapes", "/v1/caption?image_id=2", "testdata/images/shapes-cap.png"},
		{"caption-shapes-samples", "/v1/caption?image_id=2&num_samples=3&seed=1&top_k=20", "testdata/images/shapes-cap.png"},
	}
	const copies = 4
	var wg sync.WaitGroup
	errs := make(chan error, len(cases)*copies)
	for _, tc := range cases {
		want := readFile(t, filepath.Join("testdata", "golden", tc.name+".json"))
		img := readFile(t, tc.image)
		for range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.Post(ts.URL+tc.path, "image/png", bytes.NewReader(img))
				if err != nil {
					errs <- err
					return
				}
				var v any = &api.DetectResponse{}
				if strings.Contains(tc.path, "caption") {
					v = &api.CaptionResponse{}
				}
				err = json.NewDecoder(resp.Body).Decode(v)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("%s: status %d, %v", tc.name, resp.StatusCode, err)
					return
				}
				zeroTiming(v)
				got, _ := json.MarshalIndent(v, "", "  ")
				if !bytes.Equal(append(got, '\n'), want) {
					errs <- fmt.Errorf("%s batched:\n%s\nwant:\n%s", tc.name, got, want)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// One slot and a 50 ms delay: the 16 requests ran in far fewer calls.
	calls := 0
	var images float64
	mfs, err := s.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "rewardvision_batch_size" {
			continue
		}
		for _, m := range mf.GetMetric() {
			calls += int(m.GetHistogram().GetSampleCount())
			images += m.GetHistogram().GetSampleSum()
		}
	}
	// 8 detect images, 4 + 4·3 caption images.
	if images != 24 {
		t.Errorf("batches held %g images, want 24", images)
	}
	if calls >= 16 || calls < 3 {
		t.Errorf("%d batches for 16 requests: want batching (3 to 15)", calls)
	}
}

// TestBatchingCancel: a request whose client goes away while queued or
// running returns at once; the others of its batch are answered.
func TestBatchingCancel(t *testing.T) {
	reg := ownRegistry(t, shippedRepo)
	_, ts := newServer(t, reg, Config{MaxInflight: 1, Batch: BatchConfig{MaxBatchSize: 4, MaxQueueDelay: 100 * time.Millisecond}})
	t.Cleanup(func() { reg.Close() })
	img := detImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	statuses := make([]int, 3)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := context.Background()
			if i == 0 {
				c = ctx
			}
			req, _ := http.NewRequestWithContext(c, http.MethodPost, ts.URL+"/v1/detect", bytes.NewReader(img))
			req.Header.Set("Content-Type", "image/png")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses[i] = -1
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	if statuses[0] != -1 || statuses[1] != 200 || statuses[2] != 200 {
		t.Errorf("statuses %v, want [-1 (canceled) 200 200]", statuses)
	}
}

// TestBatcherIdleRelease: a batcher reports the size of its decoder
// buffers while it decodes, and frees them once it has had nothing to
// decode for IdleRelease.
func TestBatcherIdleRelease(t *testing.T) {
	m, pixels, opts := greedyInput(t, sharedRegistry(t), "caption")
	var mu sync.Mutex
	var held []float64 // the reported total after each change
	total := 0.0
	record := func(delta float64) { mu.Lock(); total += delta; held = append(held, total); mu.Unlock() }
	reported := func() []float64 { mu.Lock(); defer mu.Unlock(); return slices.Clone(held) }
	b := newBatcher(m.Runner, BatchConfig{MaxBatchSize: 4, IdleRelease: 50 * time.Millisecond}, newLimiter(1, 4),
		prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sizes"}), prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rows"}), record)
	for range 2 {
		if _, res := b.generate(context.Background(), pixels, 1, opts); res.err != nil {
			t.Fatal(res.err)
		}
	}
	got := reported()
	if len(got) == 0 || slices.Min(got) <= 0 {
		t.Fatalf("held %v while decoding, want sizes > 0", got)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if got = reported(); got[len(got)-1] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("held %v: not freed 10 s after the last request", got)
		}
	}
	b.close()
}

// observed records what a batcher observes.
type observed struct {
	mu   sync.Mutex
	vals []float64
}

func (o *observed) Observe(v float64) { o.mu.Lock(); o.vals = append(o.vals, v); o.mu.Unlock() }

func (o *observed) sum() float64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0.0
	for _, v := range o.vals {
		n += v
	}
	return n
}

// TestBatcherSkipsCanceled: requests whose context has ended before the
// encoder stage takes them are answered with the context's error and
// cost no encoding; a live request behind them is encoded alone.
func TestBatcherSkipsCanceled(t *testing.T) {
	m, pixels, opts := greedyInput(t, sharedRegistry(t), "caption")
	sizes := &observed{}
	b := newBatcher(m.Runner, BatchConfig{MaxBatchSize: 8}, newLimiter(1, 8), sizes, &observed{}, func(float64) {})
	defer b.close()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	// A canceled request reaches the queue or not at random (generate's
	// select); over 3 rounds of 5, some do.
	const rounds = 3
	for range rounds {
		b.limit.slots <- struct{}{} // hold the slot while the requests queue
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				if _, res := b.generate(canceled, pixels, 1, opts); !errors.Is(res.err, context.Canceled) {
					t.Errorf("canceled request: %v, want context.Canceled", res.err)
				}
			})
		}
		wg.Wait()
		<-b.limit.slots
		if _, res := b.generate(context.Background(), pixels, 1, opts); res.err != nil {
			t.Fatal(res.err)
		}
	}
	if got := sizes.sum(); got != rounds {
		t.Errorf("%g images encoded, want %d (the live requests only)", got, rounds)
	}
}

// TestBatcherBadImages: a request with a non-finite pixel or the wrong
// number of values fails alone with runner.ErrBadInput before it is
// queued (nothing encoded, no count left behind), and the batcher goes
// on serving.
func TestBatcherBadImages(t *testing.T) {
	m, pixels, opts := greedyInput(t, sharedRegistry(t), "caption")
	sizes := &observed{}
	lim := newLimiter(1, 8)
	b := newBatcher(m.Runner, BatchConfig{MaxBatchSize: 8}, lim, sizes, &observed{}, func(float64) {})
	defer b.close()
	nan := slices.Clone(pixels)
	nan[7] = float32(math.NaN())
	for name, bad := range map[string][]float32{"NaN": nan, "short": pixels[1:]} {
		if _, res := b.generate(context.Background(), bad, 1, opts); !errors.Is(res.err, runner.ErrBadInput) {
			t.Errorf("%s: %v, want runner.ErrBadInput", name, res.err)
		}
	}
	if w, r, busy := lim.waiting.Load(), lim.running.Load(), b.busy.Load(); w != 0 || r != 0 || busy != 0 || sizes.sum() != 0 {
		t.Errorf("after bad requests: waiting %d, running %d, busy rows %d, %g images encoded; want all 0", w, r, busy, sizes.sum())
	}
	if _, res := b.generate(context.Background(), pixels, 1, opts); res.err != nil {
		t.Fatal(res.err)
	}
}

// TestBatchingJoinsMidFlight: a request arriving while another is being
// decoded joins its decoder batch at the next step over HTTP, and both
// get the answers of requests served alone. The test holds the only
// inference slot between two decoder steps of the first request (a
// colorization: 65 steps) while the second arrives.
func TestBatchingJoinsMidFlight(t *testing.T) {
	reg := ownRegistry(t, colorRepo(t))
	t.Cleanup(func() { reg.Close() })
	needColorize(t, reg)
	alone, _ := newServer(t, reg, Config{})
	s, ts := newServer(t, reg, Config{MaxInflight: 1, Batch: BatchConfig{MaxBatchSize: 8}})
	reqs := []struct {
		query  string
		upload []byte
	}{
		{"decoding=sample&seed=5", colorUpload(t, 40, 96, false)},
		{"", colorUpload(t, 96, 40, false)},
	}
	type answer struct {
		i   int
		png []byte
		err error
	}
	answers := make(chan answer, len(reqs))
	post := func(i int) {
		go func() {
			resp, err := http.Post(ts.URL+"/v1/colorize?"+reqs[i].query, "image/png", bytes.NewReader(reqs[i].upload))
			if err != nil {
				answers <- answer{i: i, err: err}
				return
			}
			defer resp.Body.Close()
			var got api.ColorizeResponse
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
				answers <- answer{i: i, err: fmt.Errorf("status %d, %v", resp.StatusCode, err)}
				return
			}
			answers <- answer{i: i, png: got.PNG}
		}()
	}
	// waitFor waits until cond holds.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s after 10 s", what)
			}
		}
	}
	queued := func() bool { return s.limit.waiting.Load() == 1 }
	held := false
	hold := func() { s.limit.slots <- struct{}{}; held = true }
	release := func() { <-s.limit.slots; held = false }
	t.Cleanup(func() { // a failed test lets the batcher finish
		if held {
			release()
		}
	})

	hold()
	post(0)
	waitFor("first request queued", queued)
	release() // the first request is encoded and its decoding starts;
	waitFor("decoder step", func() bool { return s.BatchStats().DecoderSteps > 0 })
	hold() // the slot comes back to the test between two of its steps
	post(1)
	waitFor("second request queued", queued)
	release()
	for range reqs {
		a := <-answers
		if a.err != nil {
			t.Fatalf("request %d: %v", a.i, a.err)
		}
		q, err := url.ParseQuery(reqs[a.i].query)
		if err != nil {
			t.Fatal(err)
		}
		res, err := alone.Predict(context.Background(), Request{Task: api.TaskColorize, Image: reqs[a.i].upload, Params: q})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.png, res.Body.(*api.ColorizeResponse).PNG) {
			t.Errorf("request %d: the PNG differs from the one served alone", a.i)
		}
	}
	// Two encoder calls; decoder steps that ran both requests, and (both
	// decode the same number of steps) some that ran the first alone.
	st := s.BatchStats()
	if st.EncoderCalls != 2 || st.Images != 2 || st.Rows <= float64(st.DecoderSteps) || st.Rows >= float64(2*st.DecoderSteps) {
		t.Errorf("%d encoder calls of %g images, %d decoder steps of %g rows: want the second request joining the first's steps", st.EncoderCalls, st.Images, st.DecoderSteps, st.Rows)
	}
}

func TestParsePreferredSizes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{{"", "[]"}, {"4, 2,4,8", "[2 4 8]"}, {"0", "error"}, {"x", "error"}, {"2,,4", "error"}, {"2,", "error"}} {
		got, err := ParsePreferredSizes(tc.in)
		s := fmt.Sprint(got)
		if got == nil {
			s = "[]"
		}
		if err != nil {
			s = "error"
		}
		if s != tc.want {
			t.Errorf("%q: %s, want %s", tc.in, s, tc.want)
		}
	}
}

func TestParseModelBatching(t *testing.T) {
	base := BatchConfig{MaxBatchSize: 4, MaxQueueDelay: time.Millisecond}
	for _, tc := range []struct{ in, want string }{
		{"", "map[]"},
		{"detection-mle:max=16,delay_us=2000,preferred=8+16; captioning-mle:max=1",
			"map[captioning-mle:{1 1ms [] 0s map[]} detection-mle:{16 2ms [8 16] 0s map[]}]"},
		{"a:preferred=2", "map[a:{4 1ms [2] 0s map[]}]"},
		{"a:max=0", "error: model batching a: max=0: want ≥ 1"},
		{"a:delay_us=-1", "error: model batching a: delay_us=-1: want ≥ 0"},
		{"a:size=2", "error: model batching a: size=2: unknown key (max, delay_us, preferred)"},
		{"a:max=2;a:max=3", "error: model batching: a given twice"},
		{"max=2", `error: model batching "max=2": want NAME:max=N,delay_us=N,preferred=A+B`},
	} {
		got, err := ParseModelBatching(tc.in, base)
		s := fmt.Sprint(got)
		if err != nil {
			s = "error: " + err.Error()
		}
		if s != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.in, s, tc.want)
		}
	}
}

// TestPerModelBatching: an override turns batching on for one model only.
func TestPerModelBatching(t *testing.T) {
	reg := ownRegistry(t, shippedRepo)
	t.Cleanup(func() { reg.Close() })
	per, err := ParseModelBatching("detection-mle:max=8", BatchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newServer(t, reg, Config{Batch: BatchConfig{PerModel: per}})
	for _, m := range s.reg.Models() {
		if got, want := m.batch != nil, m.Ref.Name == "detection-mle"; got != want {
			t.Errorf("%s: batcher %v, want %v", m.Ref.Name, got, want)
		}
		if m.batch != nil && m.batch.cfg.MaxBatchSize != 8 {
			t.Errorf("%s: %+v", m.Ref.Name, m.batch.cfg)
		}
	}
	if cap(s.limit.admit) != s.cfg.MaxInflight+s.cfg.MaxQueue+s.cfg.MaxInflight*7 {
		t.Errorf("admission %d for queue %d and %d slots of 8", cap(s.limit.admit), s.cfg.MaxQueue, s.cfg.MaxInflight)
	}
}

// TestUnknownModels: serve warns at start-up about --model-batching
// names that no loaded model has (a reload may add one, so no error).
func TestUnknownModels(t *testing.T) {
	models := []*Model{
		{Ref: api.ModelRef{Name: "detection-mle"}, Dir: filepath.Join("repo", "det", "1")},
		{Ref: api.ModelRef{Name: "captioning-mle"}, Dir: filepath.Join("repo", "captioning-mle", "2")},
	}
	per, err := ParseModelBatching("det:max=2;detection-mle:max=4;nosuch:max=2;captioning-mle:max=2;also-not:max=3", BatchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	got := BatchConfig{PerModel: per}.UnknownModels(models)
	if fmt.Sprint(got) != "[also-not nosuch]" {
		t.Errorf("UnknownModels = %v, want [also-not nosuch]", got)
	}
	if got := (BatchConfig{}).UnknownModels(models); got != nil {
		t.Errorf("no per-model settings: %v, want none", got)
	}
}
