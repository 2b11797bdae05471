package azureemulator

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/calllog"
)

// Call is one entry of the call log. It never holds a request body (passwords).
type Call struct {
	Time time.Time `json:"time"`
	// Method is the HTTP method and path template, e.g. "GET /subscriptions/{subscriptionId}/
	// resourceGroups/{resourceGroupName}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{serverName}".
	Method string `json:"method"`
	Server string `json:"server,omitempty"`
	Status int    `json:"status"`
	// Error is the ARM error code of a refused call.
	Error string `json:"error,omitempty"`
	// Retry is set when the call repeats an x-ms-client-request-id seen before: a
	// client's SDK retrying an attempt.
	Retry bool `json:"retry,omitempty"`
}

// Stats counts API calls by method template and errors by ARM error code, with the call
// log.
type Stats = calllog.Stats[Call]

// record counts one answered call.
func (e *Emulator) record(r *http.Request, method, serverName string, status int, code string) {
	retry := e.requestIDs.seen(r.Header.Get("x-ms-client-request-id"))
	e.calls.Record(method, code, retry, Call{Time: e.cfg.Now().UTC(), Method: method, Server: serverName, Status: status, Error: code, Retry: retry})
	fmt.Fprintf(e.cfg.Log, "azure-emulator: %s %s %d %s\n", method, serverName, status, code)
}

// Stats returns a copy of the counters and the call log.
func (e *Emulator) Stats() Stats { return e.calls.Stats() }

// ResetStats clears the counters and the call log.
func (e *Emulator) ResetStats() { e.calls.Reset() }

// recentIDs remembers the latest client request IDs, to tell a retry from a new request.
// The zero value is ready to use.
type recentIDs struct {
	mu    sync.Mutex
	ids   map[string]bool
	order []string
}

// maxRecentIDs bounds recentIDs.
const maxRecentIDs = 10000

// seen records id and reports whether it was recorded before; "" is never seen.
func (r *recentIDs) seen(id string) bool {
	if id == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids[id] {
		return true
	}
	if r.ids == nil {
		r.ids = map[string]bool{}
	}
	r.ids[id] = true
	r.order = append(r.order, id)
	if len(r.order) > maxRecentIDs {
		delete(r.ids, r.order[0])
		r.order = r.order[1:]
	}
	return false
}

// Faults makes the API misbehave on purpose, to test clients' retries and error handling.
type Faults struct {
	// ThrottleRate is the fraction of API calls answered 429 SubscriptionRequestsThrottled.
	ThrottleRate float64 `json:"throttleRate"`
	// UnavailableRate is the fraction of API calls answered 503 ServiceUnavailable.
	UnavailableRate float64 `json:"unavailableRate"`
	// Latency is added to every API call.
	Latency time.Duration `json:"latency"`
	// RetryAfter is what a throttled call's Retry-After header says, in whole seconds
	// (rounded up); zero means one second.
	RetryAfter time.Duration `json:"retryAfter"`
	// QuotaExceeded refuses every server creation as Azure refuses one over the
	// subscription's vCore quota: 409 QuotaExceeded.
	QuotaExceeded bool `json:"quotaExceeded"`
	// FailOperations accepts every server creation and update and then fails its
	// operation (500 InternalServerError in the operation's error, the server as it was, a
	// new one gone), as Azure's operations fail when it cannot finish what it took.
	FailOperations bool `json:"failOperations"`
}

func checkFaults(f Faults) error {
	if f.ThrottleRate < 0 || f.ThrottleRate > 1 || f.UnavailableRate < 0 || f.UnavailableRate > 1 || f.Latency < 0 || f.RetryAfter < 0 {
		return errors.New("faults: rates are between 0 and 1; latency and retryAfter are not negative")
	}
	return nil
}

// SetFaults replaces the injected faults.
func (e *Emulator) SetFaults(f Faults) error {
	if err := checkFaults(f); err != nil {
		return err
	}
	e.mu.Lock()
	e.faults = f
	e.mu.Unlock()
	return nil
}

// injectFault applies the configured latency and errors to one API call; method tells
// ARM's throttling bucket (read, write, delete).
func (e *Emulator) injectFault(ctx context.Context, method, sub string) error {
	e.mu.Lock()
	f := e.faults
	e.mu.Unlock()
	if f.Latency > 0 && !runFor(ctx, time.Now(), f.Latency) {
		return ctx.Err() // the client went away; nobody reads the answer
	}
	if f.ThrottleRate > 0 && rand.Float64() < f.ThrottleRate {
		kind := "write"
		switch method {
		case http.MethodGet:
			kind = "read"
		case http.MethodDelete:
			kind = "delete"
		}
		secs := int((f.RetryAfter + time.Second - 1) / time.Second)
		return errThrottled(kind, sub, max(secs, 1))
	}
	if f.UnavailableRate > 0 && rand.Float64() < f.UnavailableRate {
		return errUnavailable()
	}
	return nil
}
