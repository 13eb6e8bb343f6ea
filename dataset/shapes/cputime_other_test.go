//go:build !unix

package shapes

import "time"

// cpuTime is unavailable here; the images/cpu-s metric then reads +Inf.
func cpuTime() time.Duration { return 0 }
