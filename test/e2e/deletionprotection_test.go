package e2e

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestDeletionProtection: a database with spec.deletionProtection is protected in the
// cloud; deleting its object is refused, with the reason, and nothing is deleted; turning
// the protection off in the spec lets the deletion go on, the cloud's protection turned off
// first.
func TestDeletionProtection(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "protect")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ledger"}}
	db.Spec.Size = "20GB"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.DeletionProtection = ptr.To(true)
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, db)
	if got.Status.Cloud == nil || !got.Status.Cloud.DeletionProtection {
		t.Fatalf("status.cloud = %+v, want deletionProtection true as the cloud reports it", got.Status.Cloud)
	}
	id := naming.Identifier(ns, db.Name)
	deletesBefore := stack.Emulator.Stats().Operations("DeleteDBInstance")

	if err := stack.Client.Delete(ctx, got); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, db, v1.ConditionProvisioned, v1.ReasonDeletionProtected)
	cur := &v1.RDSDatabase{}
	if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
		t.Fatalf("the protected object went: %v", err)
	}
	if n := stack.Emulator.Stats().Operations("DeleteDBInstance"); n != deletesBefore {
		t.Errorf("%d DeleteDBInstance calls while protected, want none", n-deletesBefore)
	}

	// The team decides to let it go.
	if err := update(ctx, cur, func(s *v1.RDSDatabaseSpec) { s.DeletionProtection = ptr.To(false) }); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cur)
	var order []string
	for _, c := range stack.Emulator.Stats().Log {
		if c.ID == id && (c.Action == "ModifyDBInstance" || c.Action == "DeleteDBInstance") {
			order = append(order, c.Action)
		}
	}
	if len(order) < 2 || order[len(order)-2] != "ModifyDBInstance" || order[len(order)-1] != "DeleteDBInstance" {
		t.Errorf("calls on %s: %v; want the protection turned off (ModifyDBInstance), then the delete", id, order)
	}
}

// TestMaintenanceSettings: the maintenance window and automatic minor version upgrades the
// spec asks for are set at create and changed in place, and status.cloud shows them as RDS
// reports them.
func TestMaintenanceSettings(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "maint")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
	db.Spec.Size = "20GB"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.MaintenanceWindow = "sun:05:00-sun:05:30"
	db.Spec.AutoMinorVersionUpgrade = ptr.To(false)
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, db)
	if c := got.Status.Cloud; c == nil || c.MaintenanceWindow != "sun:05:00-sun:05:30" || c.AutoMinorVersionUpgrade {
		t.Fatalf("status.cloud = %+v, want window sun:05:00-sun:05:30 and no automatic minor upgrades", c)
	}
	if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) {
		s.MaintenanceWindow, s.AutoMinorVersionUpgrade = "wed:06:00-wed:06:30", ptr.To(true)
	}); err != nil {
		t.Fatal(err)
	}
	err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		cur := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
			return false, err
		}
		c := cur.Status.Cloud
		return c != nil && c.MaintenanceWindow == "wed:06:00-wed:06:30" && c.AutoMinorVersionUpgrade, nil
	})
	if err != nil {
		t.Fatalf("the new window and minor upgrades never showed: %v", err)
	}
	// A window overlapping the backup window is RDS's to refuse: said in a condition.
	if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) { s.MaintenanceWindow = "sun:03:00-sun:04:00" }); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, db, v1.ConditionProvisioned, v1.ReasonCloudError)
	cur := &v1.RDSDatabase{}
	if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
		t.Fatal(err)
	}
	if c := meta.FindStatusCondition(cur.Status.Conditions, v1.ConditionProvisioned); c == nil || !strings.Contains(c.Message, "must not overlap") {
		t.Errorf("Provisioned = %+v, want RDS's refusal of the overlapping windows", c)
	}
	// Gone, it retries nothing: other tests count the stack's ModifyDBInstance calls.
	if err := stack.Client.Delete(ctx, cur); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cur)
}
