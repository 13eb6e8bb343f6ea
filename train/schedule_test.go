package train

import (
	"math"
	"testing"
)

func TestScheduleValues(t *testing.T) {
	s := Schedule{Peak: 1e-3, Warmup: 4, Total: 12}
	want := []float64{
		0.25e-3, 0.5e-3, 0.75e-3, 1e-3, // warmup: (step+1)/4
		1e-3,                               // cosine start, p = 0
		0.5e-3 * (1 + math.Cos(math.Pi/8)), // p = 1/8
		0.5e-3 * (1 + math.Cos(math.Pi/4)),
		0.5e-3 * (1 + math.Cos(3*math.Pi/8)),
		0.5e-3, // p = 1/2
		0.5e-3 * (1 + math.Cos(5*math.Pi/8)),
		0.5e-3 * (1 + math.Cos(6*math.Pi/8)),
		0.5e-3 * (1 + math.Cos(7*math.Pi/8)),
		0, 0, // at and past Total: Final
	}
	for step, w := range want {
		if got := s.At(step); math.Abs(got-w) > 1e-15 {
			t.Errorf("At(%d) = %.17g, want %.17g", step, got, w)
		}
	}
	f := Schedule{Peak: 2, Warmup: 0, Total: 2, Final: 0.5}
	for step, w := range []float64{2, 1.25, 0.5, 0.5} {
		if got := f.At(step); math.Abs(got-w) > 1e-15 {
			t.Errorf("no warmup, final 0.5: At(%d) = %g, want %g", step, got, w)
		}
	}
}

func TestScheduleValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Schedule
		ok   bool
	}{
		{"fine", Schedule{Peak: 1e-3, Warmup: 10, Total: 100}, true},
		{"warmup is everything", Schedule{Peak: 1e-3, Warmup: 100, Total: 100}, true},
		{"zero lr", Schedule{Peak: 0, Total: 10}, false},
		{"NaN lr", Schedule{Peak: math.NaN(), Total: 10}, false},
		{"Inf lr", Schedule{Peak: math.Inf(1), Total: 10}, false},
		{"huge lr", Schedule{Peak: 1e6, Total: 10}, false},
		{"negative warmup", Schedule{Peak: 1, Warmup: -1, Total: 10}, false},
		{"warmup past total", Schedule{Peak: 1, Warmup: 11, Total: 10}, false},
		{"no steps", Schedule{Peak: 1, Total: 0}, false},
		{"final above peak", Schedule{Peak: 1, Total: 10, Final: 2}, false},
		{"NaN final", Schedule{Peak: 1, Total: 10, Final: math.NaN()}, false},
	} {
		if err := tc.s.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
