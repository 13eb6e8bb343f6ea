package serve

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"rewardvision/api"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(1, 1)
	ctx := context.Background()
	if err := l.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	// One waits (the queue), the next is refused at once.
	waited := make(chan error, 1)
	go func() { waited <- l.acquire(ctx) }()
	for l.waiting.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	if err := l.acquire(ctx); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("third acquire: %v, want ErrOverloaded", err)
	}
	l.release()
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	// A waiter whose context ends leaves the queue.
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := l.acquire(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire with a deadline: %v", err)
	}
	if l.waiting.Load() != 0 || len(l.admit) != 1 {
		t.Fatalf("after a timed-out wait: %d waiting, %d admitted", l.waiting.Load(), len(l.admit))
	}
	l.release()
	if len(l.admit) != 0 || len(l.slots) != 0 || l.running.Load() != 0 {
		t.Fatal("limiter not empty after releases")
	}
}

// TestOverloadTimeoutCancel drives the limits through HTTP, holding the
// only inference slot so requests queue behind it.
func TestOverloadTimeoutCancel(t *testing.T) {
	s, ts := newServer(t, nil, Config{MaxInflight: 1, MaxQueue: 1, RequestTimeout: 300 * time.Millisecond})
	if err := s.limit.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	det := detImage(t)

	// Queued behind the held slot until the request's time limit: 504.
	timedOut := make(chan *http.Response, 1)
	go func() { timedOut <- post(t, ts.URL+"/v1/detect", "image/png", det) }()
	for s.limit.waiting.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	// Queue full: 503 with Retry-After, at once.
	resp := post(t, ts.URL+"/v1/detect", "image/png", det)
	if resp.Header.Get("Retry-After") != "1" {
		t.Errorf("503 without Retry-After: %v", resp.Header)
	}
	if e := errorOf(t, resp, 503); e.Code != api.CodeOverloaded {
		t.Errorf("overload: %+v", e)
	}
	if e := errorOf(t, <-timedOut, 504); e.Code != api.CodeTimeout {
		t.Errorf("timeout: %+v", e)
	}

	// A client that goes away stops waiting: the queue empties at once.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/detect", bytes.NewReader(det))
	req.Header.Set("Content-Type", "image/png")
	done := make(chan error, 1)
	go func() {
		_, err := http.DefaultClient.Do(req)
		done <- err
	}()
	for s.limit.waiting.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("client error %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for s.limit.waiting.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := s.limit.waiting.Load(); n != 0 {
		t.Errorf("%d requests still waiting after their client left", n)
	}
	s.limit.release()
	// And the server serves again.
	detect(t, ts.URL+"/v1/detect", "image/png", det)
}

// TestDrain: cancelling Serve's context lets a request in flight finish,
// fails /readyz meanwhile, and returns nil.
func TestDrain(t *testing.T) {
	s, err := New(sharedRegistry(t), Config{MaxInflight: 1, DrainTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	if err := s.limit.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	inflight := make(chan *http.Response, 1)
	go func() { inflight <- post(t, url+"/v1/detect", "image/png", detImage(t)) }()
	for s.limit.waiting.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	stop()
	for !s.draining.Load() {
		time.Sleep(time.Millisecond)
	}
	rr := httptest.NewRecorder()
	s.Handler().ServeHTTP(rr, httptest.NewRequest("GET", "/readyz", nil))
	if rr.Code != 503 || !strings.Contains(rr.Body.String(), "shutting down") {
		t.Errorf("/readyz while draining: %d %s", rr.Code, rr.Body.String())
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	s.limit.release()
	var out api.DetectResponse
	resp := <-inflight
	decodeJSON(t, resp, &out)
	if resp.StatusCode != 200 || len(out.Detections) == 0 {
		t.Errorf("request in flight during drain: %d %+v", resp.StatusCode, out)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
