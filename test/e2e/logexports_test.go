package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestLogShipping: spec.logs.exports turns on RDS's log shipping at create, a change is one
// ModifyDBInstance, and the list, compared as a set whatever its order, costs no call over
// the resyncs after it (ACK users report exports flapping). The provider's plan counts logs
// still being turned on or off as done (rds TestPlan LogsPendingCountAsDone).
func TestLogShipping(t *testing.T) {
	ctx := context.Background()
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t, "logs")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shipped"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Logs = &v1.Logs{Exports: []string{"postgresql"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	ready := waitReady(t, db)
	id := ready.Status.Cloud.Identifier
	shipped := func() []string {
		out, err := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		return out.DBInstances[0].EnabledCloudwatchLogsExports
	}
	if got := shipped(); !slices.Equal(got, []string{"postgresql"}) {
		t.Errorf("created shipping %v, want [postgresql]", got)
	}
	if !slices.Equal(ready.Status.Cloud.LogExports, []string{"postgresql"}) {
		t.Errorf("status.cloud.logExports = %v", ready.Status.Cloud.LogExports)
	}
	modifies := func() int {
		n := 0
		for _, c := range stack.Emulator.Stats().Log {
			if c.ID == id && c.Action == "ModifyDBInstance" && c.Attempt <= 1 {
				n++
			}
		}
		return n
	}
	before := modifies()

	if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Logs.Exports = []string{"upgrade", "postgresql"} }); err != nil {
		t.Fatal(err)
	}
	err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		got := slices.Sorted(slices.Values(shipped()))
		return slices.Equal(got, []string{"postgresql", "upgrade"}), nil
	})
	if err != nil {
		t.Fatalf("upgrade was never shipped: %v", err)
	}
	// Several resyncs after the change (each logs in as every user and stamps the time):
	// none asks again.
	changed := time.Now()
	err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		got := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			return false, err
		}
		return len(got.Status.Users) > 0 && got.Status.Users[0].LastChecked.Time.After(changed.Add(3*stack.Resync())), nil
	})
	if err != nil {
		t.Fatalf("no resync since the change: the test proves nothing: %v", err)
	}
	if n := modifies() - before; n != 1 {
		t.Errorf("the change took %d ModifyDBInstance calls, want 1 and none on the resyncs after it", n)
	}
	got := &v1.RDSDatabase{}
	if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Status.Cloud.LogExports, []string{"postgresql", "upgrade"}) {
		t.Errorf("status.cloud.logExports = %v, want postgresql and upgrade", got.Status.Cloud.LogExports)
	}
}
