package cli

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Progress reports count, rate and ETA of a long job: a self-rewriting line
// on a terminal, a structured log line every Every otherwise.
type Progress struct {
	Name     string
	Total    int // 0 when unknown
	Out      io.Writer
	Terminal bool
	Every    time.Duration
	Logger   *slog.Logger

	mu       sync.Mutex
	done     int
	start    time.Time
	lastShow time.Time
	now      func() time.Time
}

// NewProgress starts a progress reporter for total items (0 if unknown).
func NewProgress(name string, total int, out io.Writer, terminal bool, logger *slog.Logger) *Progress {
	p := &Progress{Name: name, Total: total, Out: out, Terminal: terminal, Every: 10 * time.Second, Logger: logger, now: time.Now}
	p.start = p.now()
	return p
}

// Add records n more finished items and reports when it is time to.
func (p *Progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	t := p.now()
	every := p.Every
	if p.Terminal {
		every = 200 * time.Millisecond
	}
	if t.Sub(p.lastShow) < every && p.done != p.Total {
		return
	}
	p.lastShow = t
	p.report(t, false)
}

// Done prints the final line.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.report(p.now(), true)
}

func (p *Progress) report(t time.Time, final bool) {
	el := t.Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.done) / el
	}
	eta := time.Duration(0)
	if p.Total > 0 && rate > 0 {
		eta = time.Duration(float64(p.Total-p.done) / rate * float64(time.Second)).Round(time.Second)
	}
	if p.Terminal {
		line := fmt.Sprintf("\r%s: %d", p.Name, p.done)
		if p.Total > 0 {
			line += fmt.Sprintf("/%d (%.0f%%)", p.Total, 100*float64(p.done)/float64(p.Total))
		}
		line += fmt.Sprintf("  %.1f/s", rate)
		if p.Total > 0 && !final {
			line += fmt.Sprintf("  ETA %s", eta)
		}
		if final {
			line += fmt.Sprintf("  in %s\n", time.Duration(el*float64(time.Second)).Round(time.Millisecond))
		}
		fmt.Fprintf(p.Out, "%s\033[K", line)
		return
	}
	if p.Logger != nil {
		p.Logger.Info("progress", "job", p.Name, "done", p.done, "total", p.Total,
			"rate_per_s", rate, "eta_s", eta.Seconds(), "final", final)
	}
}
