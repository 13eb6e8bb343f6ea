package serve

import (
	"context"
	"fmt"
	"sync/atomic"
)

// limiter bounds concurrent inferences and the requests waiting for one.
// A request beyond both is refused at once (503 with Retry-After) rather
// than queued without bound: under overload a fast "no" lets the client
// or the load balancer go elsewhere.
type limiter struct {
	admit   chan struct{} // running + waiting, capacity slots+queue
	slots   chan struct{} // running, capacity slots
	waiting atomic.Int64
	running atomic.Int64
	onWait  func(n int64) // metrics hooks; may be nil
	onRun   func(n int64)
}

func newLimiter(slots, queue int) *limiter {
	return &limiter{admit: make(chan struct{}, slots+queue), slots: make(chan struct{}, slots)}
}

// acquire waits for an inference slot; release must follow a nil error.
func (l *limiter) acquire(ctx context.Context) error {
	select {
	case l.admit <- struct{}{}:
	default:
		return errorf(ErrOverloaded, "%d inferences running and %d waiting", cap(l.slots), cap(l.admit)-cap(l.slots))
	}
	l.note(l.onWait, l.waiting.Add(1))
	select {
	case l.slots <- struct{}{}:
		l.note(l.onWait, l.waiting.Add(-1))
		l.note(l.onRun, l.running.Add(1))
		return nil
	case <-ctx.Done():
		l.note(l.onWait, l.waiting.Add(-1))
		<-l.admit
		return fmt.Errorf("waiting for an inference slot: %w", ctx.Err())
	}
}

func (l *limiter) release() {
	l.note(l.onRun, l.running.Add(-1))
	<-l.slots
	<-l.admit
}

func (l *limiter) note(f func(int64), n int64) {
	if f != nil {
		f(n)
	}
}
