package rds

import (
	"errors"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// TestErrorKinds: RDS's error codes are classified once, here, into the kinds the
// controller acts on (docs/rds-emulator-errors.md, "Quotas", for the quota and capacity
// codes).
func TestErrorKinds(t *testing.T) {
	cases := []struct {
		reason, code string
		want         error
	}{
		{"The account's DB instance quota refuses a new instance: another place may make it.", "InstanceQuotaExceeded", cloud.ErrNoCapacity},
		{"The account's DB cluster quota refuses a new Aurora cluster.", "DBClusterQuotaExceededFault", cloud.ErrNoCapacity},
		{"The account's storage quota, across all its instances, refuses the storage asked for.", "StorageQuotaExceeded", cloud.ErrNoCapacity},
		{"The instance class is not available in the zone: no capacity there.", "InsufficientDBInstanceCapacity", cloud.ErrNoCapacity},
		{"An Aurora cluster without the capacity for the operation.", "InsufficientDBClusterCapacityFault", cloud.ErrNoCapacity},
		{"Not enough storage in the subnet group's zones for an Aurora cluster.", "InsufficientStorageClusterCapacity", cloud.ErrNoCapacity},
		{"A state that forbids the request for now is waited out.", "InvalidDBInstanceState", cloud.ErrBusy},
		{"Throttling passes by itself.", "Throttling", cloud.ErrTransient},
		{"A snapshot quota refuses a snapshot, not a database: the request (or the account) must change.", "SnapshotQuotaExceeded", nil},
		{"A refused value needs the request to change.", "InvalidParameterValue", nil},
	}
	kinds := []error{cloud.ErrBusy, cloud.ErrTransient, cloud.ErrUnsupported, cloud.ErrNoCapacity}
	for _, tc := range cases {
		err := wrap("create db instance x", &smithy.GenericAPIError{Code: tc.code, Message: "m"})
		var ce *cloud.Error
		if !errors.As(err, &ce) || ce.Code != tc.code || ce.Kind != tc.want {
			t.Errorf("%s\nwrap(%s) = %+v; want code %s of kind %v", tc.reason, tc.code, ce, tc.code, tc.want)
			continue
		}
		for _, kind := range kinds {
			if errors.Is(err, kind) != (tc.want == kind) {
				t.Errorf("%s\nerrors.Is(wrap(%s), %v) = %t", tc.reason, tc.code, kind, errors.Is(err, kind))
			}
		}
	}
}
