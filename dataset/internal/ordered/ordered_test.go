package ordered

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

func TestOrderAndBound(t *testing.T) {
	for _, workers := range []int{1, 3, 8} {
		for _, window := range []int{1, 4} {
			var inFlight, peak atomic.Int64
			consumed := atomic.Int64{}
			work := func(ctx context.Context, i int) (int, error) {
				// started but not consumed yet
				n := int64(i) - consumed.Load() + 1
				if n > peak.Load() {
					peak.Store(n)
				}
				inFlight.Add(1)
				time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
				inFlight.Add(-1)
				return i * i, nil
			}
			var got []int
			err := Run(context.Background(), 50, workers, window, work, func(i, v int) error {
				if v != i*i {
					t.Fatalf("item %d = %d", i, v)
				}
				got = append(got, i)
				consumed.Add(1)
				return nil
			})
			if err != nil || len(got) != 50 {
				t.Fatalf("workers %d: err %v, %d items", workers, err, len(got))
			}
			for k, i := range got {
				if k != i {
					t.Fatalf("workers %d: out of order at %d: %d", workers, k, i)
				}
			}
			// window results queued, one being consumed, plus the dispatcher's
			// next slot
			if p := peak.Load(); p > int64(window+2) {
				t.Errorf("workers %d window %d: %d items ahead of the consumer", workers, window, p)
			}
		}
	}
}

func TestErrorStops(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int64
	err := Run(context.Background(), 1000, 2, 2, func(ctx context.Context, i int) (int, error) {
		calls.Add(1)
		if i == 5 {
			return 0, boom
		}
		return i, nil
	}, func(i, v int) error { return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if c := calls.Load(); c > 20 {
		t.Errorf("%d items computed after the error", c)
	}
	err = Run(context.Background(), 10, 2, 2, func(ctx context.Context, i int) (int, error) { return i, nil },
		func(i, v int) error {
			if i == 3 {
				return boom
			}
			return nil
		})
	if !errors.Is(err, boom) {
		t.Fatalf("sink err = %v", err)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := Start(ctx, 1000, 2, 2, func(ctx context.Context, i int) (int, error) { return i, nil })
	if _, _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	var err error
	for k := 0; k < 1000 && err == nil; k++ {
		_, _, err = s.Next()
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	s.Close()
	s.Close()
	if _, _, err := s.Next(); err != io.EOF {
		t.Fatalf("after close: %v", err)
	}
}

func TestEmpty(t *testing.T) {
	s := Start(context.Background(), 0, 2, 2, func(ctx context.Context, i int) (int, error) { return i, nil })
	defer s.Close()
	if _, _, err := s.Next(); err != io.EOF {
		t.Fatalf("err = %v", err)
	}
}

// TestHugeWorkers: absurd worker and window counts are clamped to the
// items, so starting costs nothing and every item still comes in order.
func TestHugeWorkers(t *testing.T) {
	var started atomic.Int64
	sum := 0
	err := Run(context.Background(), 3, 100_000_000, 200_000_000, func(ctx context.Context, i int) (int, error) {
		started.Add(1)
		return i * i, nil
	}, func(i, v int) error {
		if v != i*i {
			t.Errorf("item %d: %d", i, v)
		}
		sum += v
		return nil
	})
	if err != nil || sum != 5 || started.Load() != 3 {
		t.Fatalf("err %v, sum %d, started %d", err, sum, started.Load())
	}
}
