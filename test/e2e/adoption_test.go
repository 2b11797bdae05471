package e2e

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestRetainedDatabaseIsAdoptedAgain deletes an object with deletionPolicy Retain and applies
// it again: the cloud database, still tagged with this object as its owner, is taken over
// (no second create), and the Secrets that stayed still log in.
func TestRetainedDatabaseIsAdoptedAgain(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "adopt")
	newDB := func() *v1.RDSDatabase {
		db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kept"}}
		db.Spec.DeletionPolicy = v1.DeletionRetain
		db.Spec.Users = map[string]v1.UserRoles{"app": {}}
		return db
	}
	db := newDB()
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	first := waitReady(t, db)
	id := first.Status.Cloud.Identifier
	if err := stack.Client.Delete(ctx, first); err != nil {
		t.Fatal(err)
	}
	waitGone(t, first)

	again := newDB()
	if err := stack.Client.Create(ctx, again); err != nil {
		t.Fatal(err)
	}
	waitReady(t, again)
	if n := callsFor(id)["CreateDBInstance"]; n != 1 {
		t.Errorf("CreateDBInstance went through %d times for one retained database, want 1", n)
	}
	for _, name := range []string{"kept.rds.master", "kept.rds.app"} {
		if err := logsIn(ctx, string(secretData(t, ns, name)["uri"]), ""); err != nil {
			t.Errorf("%s does not log in to the adopted database: %v", name, err)
			continue
		}
	}
}

// TestCloudRefusalIsReported asks for something AWS refuses (an engine version it no longer
// offers): the object says so in a condition with AWS's error code, and an Event.
func TestCloudRefusalIsReported(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "refused")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hopeful"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Type, db.Spec.Version = v1.TypeMySQL, "5.7" // RDS no longer makes MySQL 5.7 databases
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	var msg string
	err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		got := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionProvisioned)
		if c != nil && c.Reason == v1.ReasonCloudError {
			msg = c.Message
			return got.Status.Phase == v1.PhaseError, nil
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no CloudError condition: %v", err)
	}
	if !strings.Contains(msg, "InvalidParameterCombination") || !strings.Contains(msg, "Cannot find version 5.7") {
		t.Errorf("the condition does not name AWS's error code and message: %q", msg)
	}
	if !eventSays(t, ns, db.Name, v1.ReasonCloudError, "InvalidParameterCombination") {
		t.Errorf("no %s Event names InvalidParameterCombination", v1.ReasonCloudError)
	}
	if err := stack.Client.Delete(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitGone(t, db)
}
