package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/calllog"
)

// introspectionPrefix is where the emulator's own (non-AWS) API lives.
const introspectionPrefix = "/_emulator/"

// Call is one entry of the call log. It never holds a password or any other parameter.
type Call struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	ID     string    `json:"id"`
	Code   string    `json:"code"`
	// Attempt is which attempt of its call this request was, as an AWS SDK says in its
	// amz-sdk-request header ("attempt=2; max=3"); 0 when the client did not say.
	Attempt int `json:"attempt,omitempty"`
}

// Stats counts API calls by action and errors by code, with the call log.
type Stats = calllog.Stats[Call]

// record counts one answered call; r is its request.
func (e *Emulator) record(r *http.Request, action, id, code string) {
	attempt := sdkAttempt(r.Header.Get("amz-sdk-request"))
	e.calls.Record(action, code, attempt > 1, Call{Time: time.Now().UTC(), Action: action, ID: id, Code: code, Attempt: attempt})
	if code == "" {
		code = "OK"
	}
	fmt.Fprintf(e.cfg.Log, "rds-emulator: %s %s %s\n", action, id, code)
}

// sdkAttempt reads the attempt number out of an amz-sdk-request header value, e.g.
// "attempt=2; max=3"; 0 when there is none.
func sdkAttempt(header string) int {
	for _, field := range strings.Split(header, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(field), "attempt="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

// Stats returns a copy of the counters and the call log.
func (e *Emulator) Stats() Stats { return e.calls.Stats() }

// ResetStats clears the counters and the call log, and the count of calls the injected
// throttling counts from.
func (e *Emulator) ResetStats() {
	e.calls.Reset()
	e.mu.Lock()
	e.faultCalls = 0
	e.mu.Unlock()
}

// serveIntrospection answers GET /_emulator/stats, POST /_emulator/reset-stats,
// POST /_emulator/faults, POST /_emulator/maintenance, GET and POST /_emulator/account,
// GET and POST /_emulator/quotas, POST /_emulator/tamper and POST /_emulator/fill-storage.
// None of
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
	case r.URL.Path == introspectionPrefix+"account" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		e.serveAccount(w, r)
	case r.URL.Path == introspectionPrefix+"quotas" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		e.serveQuotas(w, r)
	case r.URL.Path == introspectionPrefix+"ca.pem" && r.Method == http.MethodGet:
		e.serveCA(w)
	case r.URL.Path == introspectionPrefix+"s3":
		e.ServeS3Info(w, r)
	case r.URL.Path == introspectionPrefix+"tamper" && r.Method == http.MethodPost:
		e.serveTamper(w, r)
	case r.URL.Path == introspectionPrefix+"fill-storage" && r.Method == http.MethodPost:
		e.serveFillStorage(w, r)
	default:
		http.NotFound(w, r)
	}
}
