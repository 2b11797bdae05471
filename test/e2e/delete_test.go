package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestDeletionPolicies deletes a Ready database under each policy and checks what is left in
// the cloud and in the cluster: the Secrets always stay, the Service always goes.
func TestDeletionPolicies(t *testing.T) {
	ctx := context.Background()
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, policy := range []v1.DeletionPolicy{v1.DeletionSnapshot, v1.DeletionDelete, v1.DeletionRetain} {
		t.Run(string(policy), func(t *testing.T) {
			t.Parallel()
			ns := namespace(t, "delete-"+strings.ToLower(string(policy)))
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "doomed"}}
			db.Spec.DeletionPolicy = policy
			db.Spec.Users = map[string]v1.UserRoles{"app": {}}
			db.Spec.Databases = map[string]v1.DatabaseUsers{"data": {"app"}}
			if err := stack.Client.Create(ctx, db); err != nil {
				t.Fatal(err)
			}
			ready := waitReady(t, db)
			id := naming.Identifier(ns, db.Name)
			if err := stack.Client.Delete(ctx, ready); err != nil {
				t.Fatal(err)
			}
			waitGone(t, ready)

			for _, name := range []string{"doomed.rds.master", "doomed.rds.app"} {
				if len(secretData(t, ns, name)["password"]) == 0 {
					t.Errorf("secret %s lost its password on delete", name)
				}
			}
			svc := &corev1.Service{}
			if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "doomed-rds"}, svc); !apierrors.IsNotFound(err) {
				t.Errorf("service doomed-rds still exists after delete (err %v)", err)
			}

			_, derr := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
			var notFound *types.DBInstanceNotFoundFault
			instanceGone := errors.As(derr, &notFound)
			snaps, err := api.DescribeDBSnapshots(ctx, &awsrds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(id), SnapshotType: aws.String("manual")})
			if err != nil {
				t.Fatal(err)
			}
			switch policy {
			case v1.DeletionSnapshot:
				want := naming.FinalSnapshotIdentifier(id, string(ready.UID))
				if !instanceGone || len(snaps.DBSnapshots) != 1 || aws.ToString(snaps.DBSnapshots[0].DBSnapshotIdentifier) != want {
					t.Errorf("Snapshot: instance gone %v (%v), snapshots %d, want exactly %s", instanceGone, derr, len(snaps.DBSnapshots), want)
				}
				if !eventSays(t, ns, "doomed", v1.EventDeleteRequested, want) {
					t.Errorf("no %s Event names the final snapshot %s", v1.EventDeleteRequested, want)
				}
			case v1.DeletionDelete:
				if !instanceGone || len(snaps.DBSnapshots) != 0 {
					t.Errorf("Delete: instance gone %v (%v), snapshots %d, want gone and none", instanceGone, derr, len(snaps.DBSnapshots))
				}
			case v1.DeletionRetain:
				if derr != nil || len(snaps.DBSnapshots) != 0 {
					t.Errorf("Retain: describe error %v, snapshots %d: want the instance left alone", derr, len(snaps.DBSnapshots))
				}
			}
		})
	}
}

// TestForeignDatabaseIsNotTouched puts a cloud database with the object's identifier but
// another owner tag in the cloud first: the operator must neither adopt, modify nor delete it.
func TestForeignDatabaseIsNotTouched(t *testing.T) {
	ctx := context.Background()
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t, "foreign")
	id := naming.Identifier(ns, "taken")
	_, err = api.CreateDBInstance(ctx, &awsrds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t4g.micro"),
		AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("someone"), MasterUserPassword: aws.String("Someone-Else-1"),
		Tags: []types.Tag{{Key: aws.String(v1.TagOwner), Value: aws.String("other/owner")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stack.Emulator.ResetStats()

	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "taken"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		got := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			return false, err
		}
		for _, c := range got.Status.Conditions {
			if c.Type == v1.ConditionProvisioned && c.Reason == v1.ReasonOwnedByOther {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no OwnedByOther condition: %v", err)
	}
	if err := stack.Client.Delete(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitGone(t, db)

	out, err := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil || len(out.DBInstances) != 1 {
		t.Fatalf("the foreign database is gone: %v", err)
	}
	if st := aws.ToString(out.DBInstances[0].DBInstanceStatus); st == "deleting" {
		t.Errorf("the foreign database is being deleted")
	}
	for _, c := range stack.Emulator.Stats().Log { // refused calls count too: not even tried
		// A create may be sent before the shared view of the cloud lists a database made
		// since its last refresh; RDS refuses it and nothing changes.
		refusedCreate := c.Action == "CreateDBInstance" && c.Code == "DBInstanceAlreadyExists"
		if c.ID == id && c.Action != "DescribeDBInstances" && !refusedCreate {
			t.Errorf("the operator called %s on a database it does not own (answer %q)", c.Action, c.Code)
		}
	}
}

// eventSays reports whether an Event with reason on the named object mentions text, waiting
// a few seconds for it: Events are sent asynchronously.
func eventSays(t *testing.T, namespace, name, reason, text string) bool {
	t.Helper()
	err := harness.WaitFor(context.Background(), 10*time.Second, func(ctx context.Context) (bool, error) {
		var list eventsv1.EventList
		if err := stack.Client.List(ctx, &list, client.InNamespace(namespace)); err != nil {
			return false, err
		}
		for _, e := range list.Items {
			if e.Regarding.Name == name && e.Reason == reason && strings.Contains(e.Note, text) {
				return true, nil
			}
		}
		return false, nil
	})
	return err == nil
}
