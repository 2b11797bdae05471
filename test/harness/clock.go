package harness

import (
	"sync"
	"time"
)

// offsetClock is the real clock moved forward by what Advance added, so a test can let a
// backup schedule's hours pass in a moment while everything else keeps real time.
type offsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now implements clock.PassiveClock.
func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Since implements clock.PassiveClock.
func (c *offsetClock) Since(t time.Time) time.Duration {
	return c.Now().Sub(t)
}

// Advance moves the operator's backup clock forward by d.
func (s *Stack) Advance(d time.Duration) {
	s.clock.mu.Lock()
	s.clock.offset += d
	s.clock.mu.Unlock()
}
