package emulator

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// TestQuotas: the account's DB instance and DB cluster quotas refuse a create over them as
// RDS does (code, HTTP status and words), count every kind of DB instance, never hide an
// existing instance from a retried create, and change at run time through SetQuotas and
// POST /_emulator/quotas.
func TestQuotas(t *testing.T) {
	e, c := start(t, Config{NoEngine: true, Quotas: Quotas{DBInstances: 2, DBClusters: 1}})
	ctx := context.Background()
	noRetry := func(o *rds.Options) { o.RetryMaxAttempts = 1 }
	if _, err := c.CreateDBInstance(ctx, createInput("first"), noRetry); err != nil {
		t.Fatalf("the first DB instance is within the quota: %v", err)
	}
	if _, err := c.CreateDBCluster(ctx, clusterInput("shop", "aurora-postgresql"), noRetry); err != nil {
		t.Fatalf("the first DB cluster is within the quota: %v", err)
	}
	waitStatus(t, c, "first", "available", time.Minute)

	type answer struct {
		Code, Message string
		Status        int
	}
	overInstances := answer{Code: "InstanceQuotaExceeded", Message: "DB Instance quota exceeded", Status: http.StatusBadRequest}
	// The cases run in order: each starts from what the ones before left.
	cases := []struct {
		name, reason string
		call         func() error
		want         answer
	}{
		{name: "SecondInstance", reason: "A second DB instance is within a quota of two.",
			call: func() error { _, err := c.CreateDBInstance(ctx, createInput("second"), noRetry); return err }},
		{name: "ThirdInstance", reason: "A third DB instance is over the quota: 400 InstanceQuotaExceeded in RDS's words, and nothing made.",
			call: func() error { _, err := c.CreateDBInstance(ctx, createInput("third"), noRetry); return err },
			want: overInstances},
		{name: "ReadReplica", reason: "A read replica is a DB instance and counts as one.",
			call: func() error {
				_, err := c.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{
					DBInstanceIdentifier: aws.String("first-replica"), SourceDBInstanceIdentifier: aws.String("first")}, noRetry)
				return err
			},
			want: overInstances},
		{name: "AuroraInstance", reason: "An Aurora cluster's instance counts as a DB instance too (RDS's quota note).",
			call: func() error {
				_, err := c.CreateDBInstance(ctx, clusterInstanceInput("shop-1", "shop", "aurora-postgresql"), noRetry)
				return err
			},
			want: overInstances},
		{name: "RetryOfAnExistingInstance", reason: "A create retried for an instance that exists is DBInstanceAlreadyExists, never the quota: a client retrying its own create learns that it was made.",
			call: func() error { _, err := c.CreateDBInstance(ctx, createInput("first"), noRetry); return err },
			want: answer{Code: "DBInstanceAlreadyExists", Message: "DB instance already exists", Status: http.StatusBadRequest}},
		{name: "SecondCluster", reason: "A second DB cluster is over a quota of one: 403 DBClusterQuotaExceededFault, as RDS's model gives it.",
			call: func() error {
				_, err := c.CreateDBCluster(ctx, clusterInput("other", "aurora-postgresql"), noRetry)
				return err
			},
			want: answer{Code: "DBClusterQuotaExceededFault", Message: "DB cluster quota exceeded", Status: http.StatusForbidden}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var got answer
			var ae smithy.APIError
			if errors.As(err, &ae) {
				got = answer{Code: ae.ErrorCode(), Message: ae.ErrorMessage(), Status: httpStatus(err)}
			} else if err != nil {
				t.Fatalf("%s\nnot an API error: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
	if got := held(e); got != 2 {
		t.Errorf("the refused creates made something: the account holds %d DB instances, want 2", got)
	}

	t.Run("ControlAPI", func(t *testing.T) {
		serve := func(method, body string) (int, string) {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(method, "/_emulator/quotas", strings.NewReader(body)))
			return rec.Code, strings.TrimSpace(rec.Body.String())
		}
		if code, body := serve(http.MethodGet, ""); code != http.StatusOK || body != `{"dbInstances":2,"dbClusters":1}` {
			t.Errorf("GET /_emulator/quotas = %d %s; want the quotas set at start", code, body)
		}
		if code, body := serve(http.MethodPost, `{"dbInstances":0,"dbClusters":1}`); code != http.StatusOK || body != `{"dbInstances":0,"dbClusters":1}` {
			t.Fatalf("POST /_emulator/quotas = %d %s", code, body)
		}
		if _, err := c.CreateDBInstance(ctx, createInput("third"), noRetry); err != nil {
			t.Errorf("with no DB instance quota the third instance is made: %v", err)
		}
		if code, _ := serve(http.MethodPost, `{"dbInstances":-1}`); code != http.StatusBadRequest {
			t.Errorf("a negative quota: status %d, want 400", code)
		}
		if diff := cmp.Diff(Quotas{DBClusters: 1}, e.Quotas()); diff != "" {
			t.Errorf("a refused POST changed the quotas: -want +got:\n%s", diff)
		}
	})

	t.Run("LoweredBelowWhatIsHeld", func(t *testing.T) {
		if err := e.SetQuotas(Quotas{DBInstances: 1}); err != nil {
			t.Fatal(err)
		}
		_, err := c.CreateDBInstance(ctx, createInput("fourth"), noRetry)
		if diff := cmp.Diff("InstanceQuotaExceeded", errorCode(err)); diff != "" {
			t.Errorf("a quota lowered below the 3 instances held refuses the next create: -want +got:\n%s", diff)
		}
		if got := held(e); got != 3 {
			t.Errorf("a lowered quota keeps what the account holds: %d DB instances, want 3", got)
		}
		if err := e.SetQuotas(Quotas{}); err != nil {
			t.Fatal(err)
		}
	})

	if _, err := New(Config{NoEngine: true, Quotas: Quotas{DBInstances: -1}}); err == nil {
		t.Error("New took a negative quota")
	}
}

// held is how many DB instances the account holds.
func held(e *Emulator) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.instances)
}
