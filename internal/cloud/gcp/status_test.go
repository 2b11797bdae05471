package gcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/googleapi"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

func TestPhaseOf(t *testing.T) {
	cases := []struct {
		reason   string
		state    string
		changing bool
		want     cloud.Phase
	}{
		{"A new instance is being made.", "PENDING_CREATE", false, cloud.PhaseCreating},
		{"A RUNNABLE instance serves and accepts changes.", "RUNNABLE", false, cloud.PhaseAvailable},
		{"A RUNNABLE instance with a patch of the provider's still running is changing: Cloud SQL's state does not say so.", "RUNNABLE", true, cloud.PhaseChanging},
		{"Maintenance is a change in progress that ends by itself.", "MAINTENANCE", false, cloud.PhaseChanging},
		{"An instance being deleted.", "PENDING_DELETE", false, cloud.PhaseDeleting},
		{"A running operation does not hide that the instance is being deleted.", "PENDING_DELETE", true, cloud.PhaseDeleting},
		{"A suspended instance (billing, or stopped by Google) serves nothing until resumed.", "SUSPENDED", false, cloud.PhaseStopped},
		{"A failed instance needs a person.", "FAILED", false, cloud.PhaseFailed},
		{"A state Cloud SQL does not know needs a person.", "UNKNOWN_STATE", false, cloud.PhaseFailed},
		{"A state word this provider does not know is taken as a change in progress.", "REPAIRING", false, cloud.PhaseChanging},
	}
	for _, tc := range cases {
		if got := phaseOf(tc.state, tc.changing); got != tc.want {
			t.Errorf("%s\nphaseOf(%q, %t) = %s; want %s", tc.reason, tc.state, tc.changing, got, tc.want)
		}
	}
}

func TestErrorClassification(t *testing.T) {
	apiErr := func(code int, reason, message string) error {
		return fmt.Errorf("call: %w", &googleapi.Error{Code: code, Message: message, Errors: []googleapi.ErrorItem{{Reason: reason, Message: message}}})
	}
	cases := []struct {
		reason string
		err    error
		want   *cloud.Error
	}{
		{
			reason: "429 rateLimitExceeded is throttling: retried with backoff.",
			err:    apiErr(429, "rateLimitExceeded", "Quota exceeded for quota metric 'Queries'"),
			want:   &cloud.Error{Op: "op", Code: "rateLimitExceeded", Message: "Quota exceeded for quota metric 'Queries'", Kind: cloud.ErrTransient},
		},
		{
			reason: "503 backendError is a failed request: retried with backoff.",
			err:    apiErr(503, "backendError", "The service is currently unavailable."),
			want:   &cloud.Error{Op: "op", Code: "backendError", Message: "The service is currently unavailable.", Kind: cloud.ErrTransient},
		},
		{
			reason: "409 operationInProgress means the instance is busy with another operation: waited out.",
			err:    apiErr(409, "operationInProgress", "Operation failed because another operation was already in progress."),
			want:   &cloud.Error{Op: "op", Code: "operationInProgress", Message: "Operation failed because another operation was already in progress.", Kind: cloud.ErrBusy},
		},
		{
			reason: "400 for an instance that is not running is its state, not the request: waited out.",
			err:    apiErr(400, "invalid", "Invalid request since instance is not running."),
			want:   &cloud.Error{Op: "op", Code: "invalid", Message: "Invalid request since instance is not running.", Kind: cloud.ErrBusy},
		},
		{
			reason: "400 errorReplicationMasterInvalidOperation is a primary's read replicas, which the caller deletes first: waited out.",
			err:    apiErr(400, "errorReplicationMasterInvalidOperation", "The requested operation is not valid for a replication master instance."),
			want:   &cloud.Error{Op: "op", Code: "errorReplicationMasterInvalidOperation", Message: "The requested operation is not valid for a replication master instance.", Kind: cloud.ErrBusy},
		},
		{
			reason: "Any other 400 needs the request to change.",
			err:    apiErr(400, "invalid", "Invalid request: Invalid Tier (db-huge)."),
			want:   &cloud.Error{Op: "op", Code: "invalid", Message: "Invalid request: Invalid Tier (db-huge)."},
		},
		{
			reason: "409 instanceAlreadyExists is no state that passes.",
			err:    apiErr(409, "instanceAlreadyExists", "The Cloud SQL instance already exists."),
			want:   &cloud.Error{Op: "op", Code: "instanceAlreadyExists", Message: "The Cloud SQL instance already exists."},
		},
		{
			reason: "403 errorMaxInstancePerLabel is the project's instance limit: no capacity, which a class's fallback may serve.",
			err:    apiErr(403, "errorMaxInstancePerLabel", "Failed to create instance because the project has reached the max instance per project limit."),
			want: &cloud.Error{Op: "op", Code: "errorMaxInstancePerLabel", Kind: cloud.ErrNoCapacity,
				Message: "Failed to create instance because the project has reached the max instance per project limit."},
		},
		{
			reason: "429 is throttling even when its words say quota: the request rate, not the project's instances.",
			err:    apiErr(429, "rateLimitExceeded", "Quota exceeded for quota metric 'Instance create requests'"),
			want:   &cloud.Error{Op: "op", Code: "rateLimitExceeded", Message: "Quota exceeded for quota metric 'Instance create requests'", Kind: cloud.ErrTransient},
		},
		{
			reason: "403 notAuthorized needs a person to grant access.",
			err:    apiErr(403, "notAuthorized", "The client is not authorized to make this request."),
			want:   &cloud.Error{Op: "op", Code: "notAuthorized", Message: "The client is not authorized to make this request."},
		},
		{
			reason: "An error without a reason is named by its HTTP status; Google failing the request (5xx) may succeed later.",
			err:    &googleapi.Error{Code: 500, Message: "Internal error encountered."},
			want:   &cloud.Error{Op: "op", Code: "HTTP500", Message: "Internal error encountered.", Kind: cloud.ErrTransient},
		},
		{
			reason: "A request that got no answer (the network) may succeed later.",
			err:    fmt.Errorf("Get \"https://sqladmin.googleapis.com/v1/...\": %w", errors.New("connection refused")),
			want:   &cloud.Error{Op: "op", Code: "RequestError", Message: "Get \"https://sqladmin.googleapis.com/v1/...\": connection refused", Kind: cloud.ErrTransient},
		},
		{
			reason: "A cancelled call is a request that got no answer.",
			err:    context.Canceled,
			want:   &cloud.Error{Op: "op", Code: "RequestError", Message: "context canceled", Kind: cloud.ErrTransient},
		},
	}
	for _, tc := range cases {
		got := wrap("op", tc.err)
		var ce *cloud.Error
		if !errors.As(got, &ce) {
			t.Errorf("%s\nwrap = %T; want *cloud.Error", tc.reason, got)
			continue
		}
		if diff := cmp.Diff(*tc.want, *ce, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
			t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
		}
		for _, kind := range []error{cloud.ErrBusy, cloud.ErrTransient, cloud.ErrUnsupported, cloud.ErrNoCapacity} {
			if errors.Is(got, kind) != (tc.want.Kind == kind) {
				t.Errorf("%s\nerrors.Is(err, %v) = %t", tc.reason, kind, errors.Is(got, kind))
			}
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	notFound := &googleapi.Error{Code: http.StatusNotFound, Errors: []googleapi.ErrorItem{{Reason: "instanceDoesNotExist"}}}
	exists := &googleapi.Error{Code: http.StatusConflict, Errors: []googleapi.ErrorItem{{Reason: reasonAlreadyExists}}}
	cases := []struct {
		reason string
		got    bool
		want   bool
	}{
		{"A 404 is not found, wrapped or not.", isNotFound(fmt.Errorf("x: %w", notFound)), true},
		{"A 409 is not a 404.", isNotFound(exists), false},
		{"A network error is not a 404.", isNotFound(errors.New("connection refused")), false},
		{"hasReason matches status and reason.", hasReason(exists, http.StatusConflict, reasonAlreadyExists), true},
		{"hasReason wants the status too.", hasReason(exists, http.StatusBadRequest, reasonAlreadyExists), false},
		{"hasReason wants the reason too.", hasReason(exists, http.StatusConflict, reasonOperationInProgress), false},
		{"An unsupported request is ErrUnsupported.", errors.Is(unsupported("op", "no"), cloud.ErrUnsupported), true},
		{"An invalid request is of no kind: it must change.", errors.Is(invalid("op", "no"), cloud.ErrBusy) || errors.Is(invalid("op", "no"), cloud.ErrTransient) || errors.Is(invalid("op", "no"), cloud.ErrUnsupported), false},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s\ngot %t; want %t", tc.reason, tc.got, tc.want)
		}
	}
}
