package localstack

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints the stack's progress lines, each stamped with the time since start, so a
// user watching local-up can tell a slow step from a stuck one.
type progress struct {
	mu    sync.Mutex
	out   io.Writer
	start time.Time
}

func newProgress(out io.Writer) *progress {
	return &progress{out: out, start: time.Now()}
}

// logf prints one progress line.
func (p *progress) logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "[local-stack %.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

// every prints msg at each interval until the returned function is called; it keeps a step
// that cannot report progress itself (envtest's Start) from sitting silent.
func (p *progress) every(interval time.Duration, msg string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.logf("%s", msg)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
