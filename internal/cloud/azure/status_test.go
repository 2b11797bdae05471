package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/azureemulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// TestErrorKinds: ARM's answers are classified once, here, into the kinds the controller
// acts on.
func TestErrorKinds(t *testing.T) {
	armErr := func(status int, code, message string) error {
		body := fmt.Sprintf(`{"error":{"code":%q,"message":%q}}`, code, message)
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: httptest.NewRequest(http.MethodPut, "https://management.azure.com/x", nil)}
		return &azcore.ResponseError{StatusCode: status, ErrorCode: code, RawResponse: resp}
	}
	cases := []struct {
		reason string
		err    error
		want   cloud.Error
	}{
		{reason: "409 QuotaExceeded is the subscription's vCore quota: no capacity, which a class's fallback may serve.",
			err:  armErr(409, "QuotaExceeded", "Operation could not be completed as it results in exceeding approved Standard BS Family Cores quota."),
			want: cloud.Error{Op: "op", Code: "QuotaExceeded", Message: "Operation could not be completed as it results in exceeding approved Standard BS Family Cores quota.", Kind: cloud.ErrNoCapacity}},
		{reason: "429 is throttling: retried with backoff.",
			err:  armErr(429, "TooManyRequests", "Too many requests."),
			want: cloud.Error{Op: "op", Code: "TooManyRequests", Message: "Too many requests.", Kind: cloud.ErrTransient}},
		{reason: "A server busy with another operation is waited out.",
			err:  armErr(409, "ServerIsBusy", "Cannot complete operation while server 'x' is busy processing another operation."),
			want: cloud.Error{Op: "op", Code: "ServerIsBusy", Message: "Cannot complete operation while server 'x' is busy processing another operation.", Kind: cloud.ErrBusy}},
		{reason: "Another refusal needs the request to change.",
			err:  armErr(400, "InvalidParameterValue", "Invalid value given for parameter StorageSizeGB."),
			want: cloud.Error{Op: "op", Code: "InvalidParameterValue", Message: "Invalid value given for parameter StorageSizeGB."}},
	}
	for _, tc := range cases {
		var ce *cloud.Error
		if got := wrap("op", tc.err); !errors.As(got, &ce) {
			t.Errorf("%s\nwrap = %T; want *cloud.Error", tc.reason, got)
			continue
		}
		if diff := cmp.Diff(tc.want, *ce, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
			t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
		}
		for _, kind := range []error{cloud.ErrBusy, cloud.ErrTransient, cloud.ErrUnsupported, cloud.ErrNoCapacity} {
			if errors.Is(ce, kind) != (tc.want.Kind == kind) {
				t.Errorf("%s\nerrors.Is(err, %v) = %t", tc.reason, kind, errors.Is(ce, kind))
			}
		}
	}
}

// TestCreateOverQuota: a create Azure refuses over the subscription's quota is
// ErrNoCapacity and leaves no server.
func TestCreateOverQuota(t *testing.T) {
	ctx := context.Background()
	em, url := serve(t, azureemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t, url)
	if err := em.SetFaults(azureemulator.Faults{QuotaExceeded: true}); err != nil {
		t.Fatal(err)
	}
	if err := p.Create(ctx, desiredAzure("orders", nil)); !errors.Is(err, cloud.ErrNoCapacity) {
		t.Fatalf("Create over the quota = %v; want an ErrNoCapacity error", err)
	}
	if obs, err := p.Observe(ctx, "orders"); err != nil || obs.Exists {
		t.Errorf("a refused create made a server: %+v, %v", obs, err)
	}
}
