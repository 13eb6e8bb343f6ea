// Package ordered runs work items on a bounded number of goroutines and
// delivers the results in item order, with a bounded number of results
// waiting, so output never depends on the number of workers.
package ordered

import (
	"context"
	"io"
	"sync"
)

type result[T any] struct {
	i   int
	v   T
	err error
}

type job[T any] struct {
	i  int
	ch chan result[T]
}

// Stream yields work(ctx, 0..n-1) in order. At most window results are
// computed ahead of the consumer (plus one per worker in progress).
type Stream[T any] struct {
	ctx     context.Context
	cancel  context.CancelFunc
	pending chan chan result[T]
	wg      sync.WaitGroup
	done    bool
}

// Start launches the workers. workers and window are clamped to 1..n:
// more goroutines or buffered slots than items would only cost memory and
// start-up time (a --workers 100000000 took minutes and ignored SIGTERM).
func Start[T any](ctx context.Context, n, workers, window int, work func(ctx context.Context, i int) (T, error)) *Stream[T] {
	workers, window = min(max(1, workers), max(1, n)), min(max(1, window), max(1, n))
	ctx, cancel := context.WithCancel(ctx)
	s := &Stream[T]{ctx: ctx, cancel: cancel, pending: make(chan chan result[T], window)}
	jobs := make(chan job[T])
	s.wg.Add(1 + workers)
	go func() {
		defer s.wg.Done()
		defer close(jobs)
		defer close(s.pending)
		for i := 0; i < n; i++ {
			ch := make(chan result[T], 1)
			select {
			case s.pending <- ch:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job[T]{i, ch}:
			case <-ctx.Done():
				// the consumer sees the context error on this slot
				ch <- result[T]{i: i, err: ctx.Err()}
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		go func() {
			defer s.wg.Done()
			for j := range jobs {
				if err := ctx.Err(); err != nil {
					j.ch <- result[T]{i: j.i, err: err}
					continue
				}
				v, err := work(ctx, j.i)
				j.ch <- result[T]{j.i, v, err}
			}
		}()
	}
	return s
}

// Next returns the next item's index and value, io.EOF after the last one,
// or the item's error (the stream should then be closed).
func (s *Stream[T]) Next() (int, T, error) {
	var zero T
	if s.done {
		return 0, zero, io.EOF
	}
	ch, ok := <-s.pending
	if !ok {
		s.done = true
		if err := s.ctx.Err(); err != nil {
			return 0, zero, err
		}
		return 0, zero, io.EOF
	}
	r := <-ch
	return r.i, r.v, r.err
}

// Close stops the workers and waits for them. Safe to call more than once.
func (s *Stream[T]) Close() {
	s.cancel()
	// drain so the dispatcher is not blocked on a full pending queue
	go func() {
		for range s.pending {
		}
	}()
	s.wg.Wait()
	s.done = true
}

// Run calls work for 0..n-1 on workers goroutines and sink with each result
// in index order; the first error stops everything and is returned.
func Run[T any](ctx context.Context, n, workers, window int, work func(ctx context.Context, i int) (T, error), sink func(i int, v T) error) error {
	s := Start(ctx, n, workers, window, work)
	defer s.Close()
	for {
		i, v, err := s.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := sink(i, v); err != nil {
			return err
		}
	}
}
