package azureemulator

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Server operation kinds, which tell what the Location URL answers at the end, and
// statuses, as the async operation resource words them.
const (
	opCreate  = "create"
	opUpdate  = "update"
	opDelete  = "delete"
	opRestart = "restart"

	statusInProgress = "InProgress"
	statusSucceeded  = "Succeeded"
	statusFailed     = "Failed"
)

// operation is a long-running operation, polled the Azure way: its Azure-AsyncOperation
// URL answers its status, its Location URL 202 while it runs and then its result.
type operation struct {
	id       string
	p        *provider
	sub      string
	location string
	status   string
	start    time.Time
	end      time.Time
	err      *armError
	// result is what the Location URL answers once the operation succeeded. It runs
	// under mu.
	result func() (int, any)
}

// newOperation starts an operation on a server, which is busy with it until it ends. It
// runs under mu.
func (e *Emulator) newOperation(s *server, kind string) *operation {
	op := e.newChildOperation(s, nil)
	switch kind {
	case opCreate, opUpdate:
		op.result = func() (int, any) {
			if e.servers[serverKey{s.p, s.name}] != s {
				return http.StatusNoContent, nil
			}
			return http.StatusOK, e.view(s)
		}
	case opDelete:
		op.result = func() (int, any) { return http.StatusNoContent, nil }
	default:
		op.result = func() (int, any) { return http.StatusOK, nil }
	}
	s.op = op
	return op
}

// newChildOperation starts an operation on a server's databases or firewall rules, which
// leaves the server free; result is the Location URL's final answer. It runs under mu.
func (e *Emulator) newChildOperation(s *server, result func() (int, any)) *operation {
	op := &operation{
		id: newUUID(), p: s.p, sub: s.sub, location: s.spec.location,
		status: statusInProgress, start: e.cfg.Now(), result: result,
	}
	e.operations[op.id] = op
	return op
}

// headers are the polling headers of an operation's first answer.
func (op *operation) headers(c *call) http.Header {
	return http.Header{
		"Azure-Asyncoperation": {op.url(c, "azureAsyncOperation")},
		"Location":             {op.url(c, "operationResults")},
	}
}

// url is one of the operation's polling URLs, under the provider's location.
func (op *operation) url(c *call, kind string) string {
	q := url.Values{"api-version": {c.apiVersion}}
	return c.base + "/subscriptions/" + op.sub + "/providers/" + op.p.namespace + "/locations/" + op.location +
		"/" + kind + "/" + op.id + "?" + q.Encode()
}

// finish ends an operation, failed when err is set, and frees its server. It runs under mu.
func (e *Emulator) finish(op *operation, s *server, err *armError) {
	op.end = e.cfg.Now()
	op.status = statusSucceeded
	if err != nil {
		op.status = statusFailed
		op.err = err
	}
	if s != nil && s.op == op {
		s.op = nil
	}
}

// findOperation finds the operation a polling URL names. It runs under mu.
func (e *Emulator) findOperation(c *call) (*operation, error) {
	op := e.operations[c.v("operationId")]
	if op == nil || op.p != c.p || !strings.EqualFold(op.sub, c.v("subscriptionId")) || !strings.EqualFold(op.location, c.v("location")) {
		return nil, errorf(http.StatusNotFound, "OperationNotFound", "The operation '%s' could not be found.", c.v("operationId"))
	}
	return op, nil
}

// getOperationStatus answers the Azure-AsyncOperation URL.
func (e *Emulator) getOperationStatus(c *call) (*reply, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	op, err := e.findOperation(c)
	if err != nil {
		return nil, err
	}
	st := &OperationStatus{
		ID:        c.r.URL.Path,
		Name:      op.id,
		Status:    op.status,
		StartTime: timestamp(op.start),
		EndTime:   timestamp(op.end),
	}
	if op.err != nil {
		st.Error = op.err.detail()
	}
	return &reply{status: http.StatusOK, body: st}, nil
}

// getOperationResult answers the Location URL: 202 while the operation runs, then its
// result, or its error with the error's status.
func (e *Emulator) getOperationResult(c *call) (*reply, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	op, err := e.findOperation(c)
	if err != nil {
		return nil, err
	}
	switch op.status {
	case statusInProgress:
		return &reply{status: http.StatusAccepted, header: http.Header{"Location": {op.url(c, "operationResults")}}}, nil
	case statusFailed:
		return nil, op.err
	}
	status, body := op.result()
	return &reply{status: status, body: body}, nil
}
