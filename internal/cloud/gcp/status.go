package gcp

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Cloud SQL's instance states (DatabaseInstance.state).
const (
	statePendingCreate = "PENDING_CREATE"
	stateRunnable      = "RUNNABLE"
	statePendingDelete = "PENDING_DELETE"
)

// phases maps Cloud SQL's instance states to phases. A state not listed (Cloud SQL adds
// some now and then) is taken as a change in progress: looked at again soon, relied on
// for nothing.
var phases = map[string]cloud.Phase{
	statePendingCreate: cloud.PhaseCreating,
	stateRunnable:      cloud.PhaseAvailable,
	"MAINTENANCE":      cloud.PhaseChanging,
	statePendingDelete: cloud.PhaseDeleting,
	"SUSPENDED":        cloud.PhaseStopped,
	"FAILED":           cloud.PhaseFailed,
	"UNKNOWN_STATE":    cloud.PhaseFailed,
}

// phaseOf is the phase of an instance in Cloud SQL state word state. changing is true
// while an operation the provider started on it runs (instances.patch answers at once and
// changes the instance afterwards, during which the instance stays RUNNABLE).
func phaseOf(state string, changing bool) cloud.Phase {
	p, ok := phases[state]
	if !ok {
		return cloud.PhaseChanging
	}
	if p == cloud.PhaseAvailable && changing {
		return cloud.PhaseChanging
	}
	return p
}

// Backup states (Backup.state, BackupRun.status).
const backupSuccessful = "SUCCESSFUL"

// Error reasons of Cloud SQL the provider acts on.
const (
	reasonAlreadyExists       = "instanceAlreadyExists"
	reasonOperationInProgress = "operationInProgress"
	reasonStaleData           = "staleData"
	// reasonMaxInstances (403) refuses an instance over the project's instance limit
	// (docs/cloudsql-facts.md).
	reasonMaxInstances = "errorMaxInstancePerLabel"
)

// kindOf classifies a Cloud SQL error: a state of the instance that forbids the request
// for now (another operation running on it, the instance not running, or read replicas
// a primary still has), a throttled or failed request, or the project's instance limit.
// Others need the request to change.
func kindOf(code int, reason, message string) error {
	switch {
	case code == http.StatusTooManyRequests, code >= http.StatusInternalServerError:
		// Throttled, or Google failed the request (500, 502, 503, 504): it may succeed later.
		return cloud.ErrTransient
	case code == http.StatusConflict && reason == reasonOperationInProgress:
		return cloud.ErrBusy
	case code == http.StatusBadRequest && strings.Contains(message, "instance is not running"):
		return cloud.ErrBusy
	case code == http.StatusBadRequest && reason == reasonReplicationMaster:
		return cloud.ErrBusy
	case code == http.StatusForbidden && reason == reasonMaxInstances:
		return cloud.ErrNoCapacity
	}
	return nil
}

// wrap turns an error of Google's client into a *cloud.Error carrying Cloud SQL's error
// reason, so that the controller can name it in a condition without knowing the client. A
// request that got no answer (the network, a timeout) is transient.
func wrap(op string, err error) error {
	var g *googleapi.Error
	if !errors.As(err, &g) {
		return &cloud.Error{Op: op, Code: "RequestError", Message: err.Error(), Kind: cloud.ErrTransient}
	}
	reason, message := reasonOf(g), g.Message
	if message == "" && len(g.Errors) > 0 {
		message = g.Errors[0].Message
	}
	return &cloud.Error{Op: op, Code: reason, Message: message, Kind: kindOf(g.Code, reason, message)}
}

// reasonOf is the reason of Google's error (instanceDoesNotExist, invalid...), or its HTTP
// status when it has none.
func reasonOf(g *googleapi.Error) string {
	for _, e := range g.Errors {
		if e.Reason != "" {
			return e.Reason
		}
	}
	return fmt.Sprintf("HTTP%d", g.Code)
}

// isNotFound reports whether err is Google's 404.
func isNotFound(err error) bool {
	var g *googleapi.Error
	return errors.As(err, &g) && g.Code == http.StatusNotFound
}

// hasReason reports whether err is Google's error with the HTTP status code and reason.
func hasReason(err error, code int, reason string) bool {
	var g *googleapi.Error
	return errors.As(err, &g) && g.Code == code && reasonOf(g) == reason
}

// unsupported is the error of a request this cloud cannot serve: asking again never helps.
func unsupported(op, what string) error {
	return &cloud.Error{Op: op, Code: "Unsupported", Message: what, Kind: cloud.ErrUnsupported}
}

// invalid is the error of a request that must change before Cloud SQL can serve it.
func invalid(op, what string) error {
	return &cloud.Error{Op: op, Code: "InvalidParameterValue", Message: what}
}
