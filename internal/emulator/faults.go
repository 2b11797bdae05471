package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// faultsJSON is Faults as the introspection API reads and writes it: the latency is a
// Go duration string such as "150ms".
type faultsJSON struct {
	ThrottleEvery int     `json:"throttleEvery"`
	ErrorRate     float64 `json:"errorRate"`
	Latency       string  `json:"latency,omitempty"`
}

// MarshalJSON writes the latency as a duration string.
func (f Faults) MarshalJSON() ([]byte, error) {
	j := faultsJSON{ThrottleEvery: f.ThrottleEvery, ErrorRate: f.ErrorRate}
	if f.Latency != 0 {
		j.Latency = f.Latency.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the latency as a duration string ("150ms").
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Faults{ThrottleEvery: j.ThrottleEvery, ErrorRate: j.ErrorRate}
	if j.Latency != "" {
		d, err := time.ParseDuration(j.Latency)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		f.Latency = d
	}
	if f.ThrottleEvery < 0 || f.ErrorRate < 0 || f.ErrorRate > 1 || f.Latency < 0 {
		return fmt.Errorf("faults out of range: throttleEvery >= 0, 0 <= errorRate <= 1, latency >= 0")
	}
	return nil
}

// SetFaults replaces the injected faults.
func (e *Emulator) SetFaults(f Faults) {
	e.mu.Lock()
	e.faults = f
	e.faultCalls = 0
	e.mu.Unlock()
}

// injectFault applies the configured latency, throttling and errors to one API call.
func (e *Emulator) injectFault(ctx context.Context, action string) *apiError {
	e.mu.Lock()
	f := e.faults
	e.faultCalls++
	n := e.faultCalls
	e.mu.Unlock()
	if f.Latency > 0 {
		_ = sleep(ctx, f.Latency)
	}
	if f.ThrottleEvery > 0 && n%f.ThrottleEvery == 0 {
		return newError(codeThrottling, "Rate exceeded")
	}
	if f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
		return newError(codeInternalFailure, "An internal error occurred while processing %s.", action)
	}
	return nil
}
