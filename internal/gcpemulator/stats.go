package gcpemulator

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/calllog"
)

// introspectionPrefix is where the emulator's own API lives; it is not part of Google's.
const introspectionPrefix = "/_emulator/"

// Call is one entry of the call log. It never holds a request body (passwords).
type Call struct {
	Time time.Time `json:"time"`
	// Method is the HTTP method and path template, e.g.
	// "GET /v1/projects/{project}/instances/{instance}".
	Method   string `json:"method"`
	Instance string `json:"instance,omitempty"`
	Code     int    `json:"code"`
}

// Stats counts API calls by method template and errors by HTTP status, with the call log.
type Stats = calllog.Stats[Call]

// record counts one answered call.
func (e *Emulator) record(method, instance string, code int) {
	errCode := ""
	if code >= 400 {
		errCode = strconv.Itoa(code)
	}
	e.calls.Record(method, errCode, false, Call{Time: e.cfg.Now().UTC(), Method: method, Instance: instance, Code: code})
	fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: %s %s %d\n", method, instance, code)
}

// Stats returns a copy of the counters and the call log.
func (e *Emulator) Stats() Stats { return e.calls.Stats() }

// ResetStats clears the counters and the call log.
func (e *Emulator) ResetStats() { e.calls.Reset() }

// Faults makes the API misbehave on purpose, to test clients' retries.
type Faults struct {
	// ThrottleRate is the fraction of API calls answered 429 RESOURCE_EXHAUSTED
	// (rateLimitExceeded).
	ThrottleRate float64 `json:"throttleRate"`
	// UnavailableRate is the fraction of API calls answered 503 UNAVAILABLE (backendError).
	UnavailableRate float64 `json:"unavailableRate"`
	// Latency is added to every API call.
	Latency time.Duration `json:"latency"`
}

// SetFaults replaces the injected faults.
func (e *Emulator) SetFaults(f Faults) {
	e.mu.Lock()
	e.faults = f
	e.mu.Unlock()
}

// injectFault applies the configured latency and errors to one API call.
func (e *Emulator) injectFault(ctx context.Context) *apiError {
	e.mu.Lock()
	f := e.faults
	e.mu.Unlock()
	if f.Latency > 0 {
		_ = sleep(ctx, f.Latency)
	}
	if f.ThrottleRate > 0 && rand.Float64() < f.ThrottleRate {
		return errorf(http.StatusTooManyRequests, "rateLimitExceeded", "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'sqladmin.googleapis.com'.")
	}
	if f.UnavailableRate > 0 && rand.Float64() < f.UnavailableRate {
		return errorf(http.StatusServiceUnavailable, "backendError", "The service is currently unavailable.")
	}
	return nil
}

// Tamper changes an instance behind the API's back, as Google's side can: its state
// (RUNNABLE, MAINTENANCE, SUSPENDED, FAILED). It reports whether the instance exists.
func (e *Emulator) Tamper(project, name, state string) (bool, error) {
	switch state {
	case stateRunnable, stateMaintenance, stateSuspended, stateFailed:
	default:
		return false, fmt.Errorf("tamper: state %q is not one of RUNNABLE, MAINTENANCE, SUSPENDED, FAILED", state)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.instances[instanceKey{project, name}]
	if ok {
		in.state = state
	}
	return ok, nil
}

// serveIntrospection answers GET /_emulator/stats, POST /_emulator/reset-stats,
// POST /_emulator/faults ({"throttleRate":0.1,"unavailableRate":0,"latency":"150ms"}) and
// POST /_emulator/tamper ({"project","instance","state"}); POST /_emulator/grow-storage
// is storage.go's. The call log does not count them.
func (e *Emulator) serveIntrospection(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == introspectionPrefix+"stats" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, e.Stats())
	case r.URL.Path == introspectionPrefix+"reset-stats" && r.Method == http.MethodPost:
		e.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == introspectionPrefix+"faults" && r.Method == http.MethodPost:
		var f struct {
			ThrottleRate    float64 `json:"throttleRate"`
			UnavailableRate float64 `json:"unavailableRate"`
			Latency         string  `json:"latency"`
		}
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		var lat time.Duration
		if f.Latency != "" {
			var err error
			if lat, err = time.ParseDuration(f.Latency); err != nil {
				http.Error(w, "faults: latency: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		if f.ThrottleRate < 0 || f.ThrottleRate > 1 || f.UnavailableRate < 0 || f.UnavailableRate > 1 || lat < 0 {
			http.Error(w, "faults: rates are between 0 and 1, latency >= 0", http.StatusBadRequest)
			return
		}
		e.SetFaults(Faults{ThrottleRate: f.ThrottleRate, UnavailableRate: f.UnavailableRate, Latency: lat})
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == introspectionPrefix+"tamper" && r.Method == http.MethodPost:
		var t struct{ Project, Instance, State string }
		if err := json.NewDecoder(r.Body).Decode(&t); err != nil {
			http.Error(w, "tamper: "+err.Error(), http.StatusBadRequest)
			return
		}
		ok, err := e.Tamper(t.Project, t.Instance, t.State)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !ok {
			http.Error(w, "tamper: no such instance", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}
