package runner_test

import (
	"testing"

	"rewardvision/models/runner"
	"rewardvision/models/task"
)

func TestNormalize(t *testing.T) {
	in := task.Input{Size: 1, Channels: 3, Mean: [3]float32{0.5, 0.25, 0}, Std: [3]float32{0.5, 0.25, 1}, Pad: 0.5}
	got := runner.Normalize(nil, []uint8{255, 0, 51}, in)
	want := []float32{1, -1, 0.2}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("channel %d: %g, want %g", i, got[i], want[i])
		}
	}
	if c := runner.PadColor(in); c != [3]uint8{128, 128, 128} {
		t.Errorf("pad colour %v", c)
	}
}
