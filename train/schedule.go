package train

import (
	"fmt"
	"math"
)

// Schedule is the learning rate: linear warmup from Peak/Warmup to Peak
// over the first Warmup steps, then cosine decay to Final at step Total.
type Schedule struct {
	Peak   float64 // learning rate at the end of warmup
	Warmup int     // warmup steps (0: none)
	Total  int     // steps of the whole run
	Final  float64 // learning rate at step Total and after
}

// Validate reports a schedule that cannot be followed.
func (s Schedule) Validate() error {
	switch {
	case !(s.Peak > 0) || math.IsInf(s.Peak, 0) || s.Peak > 10:
		return fmt.Errorf("learning rate %g: want 0 < lr ≤ 10", s.Peak)
	case s.Warmup < 0 || s.Total < 1 || s.Warmup > s.Total:
		return fmt.Errorf("schedule: warmup %d, steps %d: want 0 ≤ warmup ≤ steps, steps ≥ 1", s.Warmup, s.Total)
	case !(s.Final >= 0) || s.Final > s.Peak:
		return fmt.Errorf("schedule: final learning rate %g, want 0 ≤ final ≤ %g", s.Final, s.Peak)
	}
	return nil
}

// At returns the learning rate of step index step (0 = the first step).
func (s Schedule) At(step int) float64 {
	if step < s.Warmup {
		// (step+1)/Warmup: the first step already moves, the last warmup
		// step reaches Peak.
		return s.Peak * float64(step+1) / float64(s.Warmup)
	}
	if step >= s.Total {
		return s.Final
	}
	span := s.Total - s.Warmup
	p := float64(step-s.Warmup) / float64(span)
	return s.Final + (s.Peak-s.Final)*0.5*(1+math.Cos(math.Pi*p))
}
