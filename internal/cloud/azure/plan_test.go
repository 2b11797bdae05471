package azure

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

func desiredPG() cloud.Desired {
	return cloud.Desired{
		Identifier: "shop-orders", Engine: enginePostgres, EngineVersion: "16.4", InstanceClass: "Standard_B1ms",
		AllocatedStorageGiB: 32, BackupRetentionDays: 7, MasterUser: "sysadmin",
	}
}

func instancePG() cloud.Instance {
	return cloud.Instance{
		Identifier: "shop-orders", Engine: enginePostgres, EngineVersion: "16", InstanceClass: "Standard_B1ms",
		AllocatedStorageGiB: 32, BackupRetentionDays: 7, AutoMinorVersionUpgrade: true, StorageEncrypted: true,
	}
}

func TestPlan(t *testing.T) {
	p := &Provider{}
	i64, i128 := int32(64), int32(128)
	cases := []struct {
		name     string
		desired  func(*cloud.Desired)
		in       func(*cloud.Instance)
		keep     bool
		want     cloud.Changes
		adjusted bool
		reason   string
	}{
		{
			name:   "AsDesired",
			reason: "Azure runs 16.4 as version 16: a server as desired must get no Update, or every pass would send one",
		},
		{
			name:    "StorageToTheNextSize",
			desired: func(d *cloud.Desired) { d.AllocatedStorageGiB = 50 },
			want:    cloud.Changes{AllocatedStorageGiB: &i64}, adjusted: true,
			reason: "PostgreSQL flexible servers come in fixed sizes: 50 GiB is 64, and the plan says it raised it",
		},
		{
			name:    "StorageNeverShrinks",
			desired: func(d *cloud.Desired) { d.AllocatedStorageGiB = 32 },
			in:      func(in *cloud.Instance) { in.AllocatedStorageGiB = 128 },
			reason:  "Azure refuses to shrink storage: a smaller size asked for plans nothing",
		},
		{
			name:    "StorageGrows",
			desired: func(d *cloud.Desired) { d.AllocatedStorageGiB = 128 },
			want:    cloud.Changes{AllocatedStorageGiB: &i128},
			reason:  "a larger size is one PATCH",
		},
		{
			name:    "MajorVersion",
			desired: func(d *cloud.Desired) { d.EngineVersion = "17" },
			want:    cloud.Changes{EngineVersion: strPtr("17")},
			reason:  "another major is a change, planned for Update to refuse (no in-place upgrade in the API version spoken), so the user is told",
		},
		{
			name:    "MajorVersionKept",
			desired: func(d *cloud.Desired) { d.EngineVersion = "17" },
			keep:    true,
			reason:  "keepVersion leaves the version alone",
		},
		{
			name:    "SKU",
			desired: func(d *cloud.Desired) { d.InstanceClass = "Standard_D2ds_v4" },
			want:    cloud.Changes{InstanceClass: strPtr("Standard_D2ds_v4")},
			reason:  "a SKU change is a PATCH of the sku",
		},
		{
			name:    "HighAvailability",
			desired: func(d *cloud.Desired) { d.MultiAZ = true },
			want:    cloud.Changes{MultiAZ: boolPtr(true)},
			reason:  "multiAZ is zone-redundant high availability",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, in := desiredPG(), instancePG()
			if tc.desired != nil {
				tc.desired(&d)
			}
			if tc.in != nil {
				tc.in(&in)
			}
			pl := p.Plan(d, in, tc.keep)
			if diff := cmp.Diff(tc.want, pl.Changes); diff != "" {
				t.Errorf("%s\nchanges, -want +got:\n%s", tc.reason, diff)
			}
			if (pl.Adjusted != "") != tc.adjusted {
				t.Errorf("%s\nAdjusted = %q", tc.reason, pl.Adjusted)
			}
			if pl.Changes.Empty() != (len(pl.Described) == 0) {
				t.Errorf("%s\nDescribed %q does not match the changes", tc.reason, pl.Described)
			}
		})
	}
}

func TestUpdateRefusesWhatAzureLacks(t *testing.T) {
	cases := []struct {
		name    string
		changes cloud.Changes
		field   cloud.Field
		reason  string
	}{
		{name: "Version", changes: cloud.Changes{EngineVersion: strPtr("17")}, field: cloud.FieldEngineVersion, reason: "no in-place upgrade in the API version spoken: the user must be told which field"},
		{name: "StorageType", changes: cloud.Changes{StorageType: strPtr("gp3")}, field: cloud.FieldStorage, reason: "flexible servers have one storage type"},
		{name: "SecurityGroups", changes: cloud.Changes{SecurityGroupIDs: []string{"sg-1"}}, field: cloud.FieldSecurityGroup, reason: "Azure has firewall rules, not security groups"},
		{name: "DeletionProtection", changes: cloud.Changes{DeletionProtection: boolPtr(true)}, reason: "Azure protects with locks, which the provider does not make"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := updateOf("update", tc.changes)
			var ce *cloud.Error
			if !errors.Is(err, cloud.ErrUnsupported) || !errors.As(err, &ce) || ce.Field != tc.field {
				t.Errorf("%s\nupdateOf = %v; want ErrUnsupported naming field %q", tc.reason, err, tc.field)
			}
		})
	}
	u, err := updateOf("update", cloud.Changes{InstanceClass: strPtr("Standard_E2ds_v4"), MasterPassword: strPtr("x")})
	if err != nil || *u.Tier != "MemoryOptimized" || *u.Password != "x" {
		t.Errorf("a SKU and password change must be one PATCH with the SKU's tier: %+v, %v", u, err)
	}
}

func TestServerVersion(t *testing.T) {
	cases := []struct {
		engine, version, want string
		fails                 bool
		reason                string
	}{
		{engine: enginePostgres, version: "16.4", want: "16", reason: "Azure takes PostgreSQL's major; the minor is Azure's"},
		{engine: enginePostgres, version: "17", want: "17", reason: "a major alone is the version"},
		{engine: engineMySQL, version: "8.0.40", want: "8.0.21", reason: "Azure names MySQL 8.0 8.0.21"},
		{engine: engineMySQL, version: "5.7", want: "5.7", reason: "5.7 is 5.7"},
		{engine: engineMySQL, version: "8.4", fails: true, reason: "a MySQL Azure does not run is refused before the call"},
		{engine: enginePostgres, version: "latest", fails: true, reason: "not a version number"},
	}
	for _, tc := range cases {
		got, err := serverVersion(tc.engine, tc.version)
		if (err != nil) != tc.fails || got != tc.want {
			t.Errorf("%s\nserverVersion(%s, %s) = %q, %v", tc.reason, tc.engine, tc.version, got, err)
		}
	}
}

func strPtr(s string) *string { return &s }
func boolPtr(b bool) *bool    { return &b }

// TestNoCredentialsConfigured: with no Azure credential configured at all (no Workload
// Identity, no environment credential, no managed identity), New fails, so the class
// cannot be served and its new objects go to its fallback (SPEC §6), rather than a
// provider whose every call fails.
func TestNoCredentialsConfigured(t *testing.T) {
	for _, k := range []string{"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_USERNAME", "AZURE_CLIENT_CERTIFICATE_PATH", "IDENTITY_ENDPOINT", "MSI_ENDPOINT"} {
		t.Setenv(k, "")
	}
	// No instance metadata service answers here: the managed identity probe is refused.
	t.Setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:1")
	_, err := New(Config{SubscriptionID: testSubscription, ResourceGroup: testResourceGroup, Location: testLocation, Endpoint: "https://management.example.invalid"})
	if err == nil || !strings.Contains(err.Error(), "no credentials configured") {
		t.Fatalf("New without any credential = %v; want no credentials configured", err)
	}
}

// fakeOp is an operation with function fields.
type fakeOp struct {
	poll func() error
	done bool
	err  error
}

func (f *fakeOp) Poll(context.Context) (*http.Response, error) {
	if f.poll != nil {
		return nil, f.poll()
	}
	return nil, nil
}
func (f *fakeOp) Done() bool                    { return f.done }
func (f *fakeOp) outcome(context.Context) error { return f.err }

func TestSettle(t *testing.T) {
	failed := &azcore.ResponseError{StatusCode: 200, ErrorCode: "InternalServerError"}
	gone := &azcore.ResponseError{StatusCode: 404, ErrorCode: "OperationNotFound"}
	cases := []struct {
		name       string
		op         *fakeOp
		age        time.Duration
		wantKind   error
		wantCode   string
		wantForget bool
		reason     string
	}{
		{name: "Running", op: &fakeOp{}, wantKind: cloud.ErrBusy, reason: "a change still running makes the next wait, quietly"},
		{name: "Succeeded", op: &fakeOp{done: true}, wantForget: true, reason: "a change that succeeded is forgotten and the next goes"},
		{name: "Failed", op: &fakeOp{done: true, err: failed}, wantCode: "InternalServerError", wantForget: true,
			reason: "a change Azure took and failed is reported once, with Azure's code"},
		{name: "OperationGone", op: &fakeOp{poll: func() error { return gone }}, wantForget: true,
			reason: "an operation Azure no longer knows must not block every later change: the state word tells the rest"},
		{name: "TooOld", op: &fakeOp{}, age: 25 * time.Hour, wantForget: true,
			reason: "an operation older than Azure keeps its status is not asked after"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &Provider{ops: map[string]pending{"orders": {what: "update flexible server orders", op: tc.op, at: time.Now().Add(-tc.age)}}}
			err := p.settle(context.Background(), "update", "orders")
			var ce *cloud.Error
			switch {
			case tc.wantKind != nil && !errors.Is(err, tc.wantKind):
				t.Errorf("%s\nsettle = %v; want %v", tc.reason, err, tc.wantKind)
			case tc.wantCode != "" && (!errors.As(err, &ce) || ce.Code != tc.wantCode):
				t.Errorf("%s\nsettle = %v; want code %s", tc.reason, err, tc.wantCode)
			case tc.wantKind == nil && tc.wantCode == "" && err != nil:
				t.Errorf("%s\nsettle = %v; want nil", tc.reason, err)
			}
			if _, kept := p.ops["orders"]; kept == tc.wantForget {
				t.Errorf("%s\nthe operation kept: %t", tc.reason, kept)
			}
		})
	}
}
