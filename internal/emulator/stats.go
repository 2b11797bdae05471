package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// introspectionPrefix is where the emulator's own (non-AWS) API lives.
const introspectionPrefix = "/_emulator/"

// maxLogEntries bounds the call log; older entries are dropped.
const maxLogEntries = 10000

// Call is one entry of the call log. It never holds a password or any other parameter.
type Call struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	ID     string    `json:"id"`
	Code   string    `json:"code"`
}

// Stats counts API calls by action and errors by code, with the call log.
type Stats struct {
	Calls  map[string]int `json:"calls"`
	Errors map[string]int `json:"errors"`
	Log    []Call         `json:"log"`
}

type statsState struct {
	calls  map[string]int
	errors map[string]int
	log    []Call
	total  int
}

func newStatsState() statsState {
	return statsState{calls: map[string]int{}, errors: map[string]int{}}
}

// record counts one answered call.
func (e *Emulator) record(action, id, code string) {
	e.mu.Lock()
	e.stats.calls[action]++
	if code != "" {
		e.stats.errors[code]++
	}
	e.stats.log = append(e.stats.log, Call{Time: time.Now().UTC(), Action: action, ID: id, Code: code})
	if len(e.stats.log) > maxLogEntries {
		e.stats.log = e.stats.log[len(e.stats.log)-maxLogEntries:]
	}
	e.mu.Unlock()
	if code == "" {
		code = "OK"
	}
	fmt.Fprintf(e.cfg.Log, "rds-emulator: %s %s %s\n", action, id, code)
}

// Stats returns a copy of the counters and the call log.
func (e *Emulator) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Stats{Calls: map[string]int{}, Errors: map[string]int{}, Log: append([]Call{}, e.stats.log...)}
	for k, v := range e.stats.calls {
		s.Calls[k] = v
	}
	for k, v := range e.stats.errors {
		s.Errors[k] = v
	}
	return s
}

// ResetStats clears the counters and the call log.
func (e *Emulator) ResetStats() {
	e.mu.Lock()
	e.stats = newStatsState()
	e.mu.Unlock()
}

// serveIntrospection answers GET /_emulator/stats, POST /_emulator/reset-stats,
// POST /_emulator/faults, POST /_emulator/maintenance and POST /_emulator/tamper. None of
// them is an API call: the call log does not count them.
func (e *Emulator) serveIntrospection(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == introspectionPrefix+"stats" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(e.Stats())
	case r.URL.Path == introspectionPrefix+"reset-stats" && r.Method == http.MethodPost:
		e.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == introspectionPrefix+"faults" && r.Method == http.MethodPost:
		var f Faults
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		e.SetFaults(f)
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == introspectionPrefix+"maintenance" && r.Method == http.MethodPost:
		e.serveMaintenance(w)
	case r.URL.Path == introspectionPrefix+"tamper" && r.Method == http.MethodPost:
		e.serveTamper(w, r)
	default:
		http.NotFound(w, r)
	}
}
