package e2e

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
)

// TestThrottledCloudStillConverges makes the emulator answer every second call with AWS's
// Throttling error (and fail some with 500s): the SDK's retryer and the controller's backoff
// must still bring a database to Ready, with no duplicate create.
func TestThrottledCloudStillConverges(t *testing.T) {
	ctx := context.Background()
	stack.Emulator.ResetStats()
	stack.Emulator.SetFaults(emulator.Faults{ThrottleEvery: 2, ErrorRate: 0.1})
	t.Cleanup(func() { stack.Emulator.SetFaults(emulator.Faults{}) })

	ns := namespace(t, "throttled")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "patient"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, db)
	stats := stack.Emulator.Stats()
	if stats.Errors["Throttling"] == 0 {
		t.Fatal("the emulator throttled nothing: the test proves nothing")
	}
	if n := callsFor(got.Status.Cloud.Identifier)["CreateDBInstance"]; n != 1 {
		t.Errorf("CreateDBInstance went through %d times, want 1", n)
	}
	t.Logf("Ready through %d Throttling and %d InternalFailure answers", stats.Errors["Throttling"], stats.Errors["InternalFailure"])
}
