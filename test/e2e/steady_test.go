package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestSteadyStateAndGuards checks what happens after Ready: reconciles of an unchanged object
// write nothing and only read the cloud (no Modify, no flapping); a deleted master Secret is
// made anew and its new password set through RDS.
func TestSteadyStateAndGuards(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "steady")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "steady"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"data": {"app"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	ready := waitReady(t, db)

	t.Run("UnchangedObjectWritesNothing", func(t *testing.T) {
		versions := func() map[string]string {
			out := map[string]string{}
			get := func(name string, o client.Object) {
				if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, o); err != nil {
					t.Fatal(err)
				}
				out[name] = o.GetResourceVersion()
			}
			get("steady-rds", &corev1.Service{})
			get("steady.rds.master", &corev1.Secret{})
			get("steady.rds.app", &corev1.Secret{})
			return out
		}
		before := versions()
		stack.Emulator.ResetStats()
		// Poke the object ten times (a label change triggers a reconcile), as ten resyncs.
		for i := 0; i < 10; i++ {
			if err := patchLabel(ctx, ready, "poked", fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
		}
		after := versions()
		for name, rv := range before {
			if after[name] != rv {
				t.Errorf("%s was written by a reconcile of an unchanged object", name)
			}
		}
		err := harness.WaitFor(ctx, 10*time.Second, func(ctx context.Context) (bool, error) {
			got := &v1.RDSDatabase{}
			err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got)
			return err == nil && len(got.Status.Users) > 0 && got.Status.Users[0].LastChecked.After(ready.Status.Users[0].LastChecked.Time), err
		})
		if err != nil {
			t.Fatalf("no reconcile since Ready (no access check): the test proves nothing: %v", err)
		}
		for action, n := range callsFor(ready.Status.Cloud.Identifier) {
			if action != "DescribeDBInstances" {
				t.Errorf("an unchanged object caused %d %s calls", n, action)
			}
		}
	})

	t.Run("DeletedMasterSecretIsRecreatedAndApplied", func(t *testing.T) {
		master := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "steady.rds.master"}}
		if err := stack.Client.Delete(ctx, master); err != nil {
			t.Fatal(err)
		}
		// The old password is gone with the Secret: a new one is written first, then set
		// through RDS, then verified.
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			sec := &corev1.Secret{}
			if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(master), sec); err != nil {
				return false, client.IgnoreNotFound(err)
			}
			return sec.Annotations[v1.AnnotationRotationPending] == "" && len(sec.Data["uri"]) > 0, nil
		})
		if err != nil {
			t.Fatalf("the master Secret was not recreated and applied: %v", err)
		}
		if err := logsIn(ctx, string(secretData(t, ns, "steady.rds.master")["uri"]), ""); err != nil {
			t.Fatalf("the master cannot log in with the recreated Secret: %v", err)
		}
		if !eventSays(t, ns, db.Name, v1.EventMasterSecretRecreated, "steady.rds.master") {
			t.Errorf("no %s Event", v1.EventMasterSecretRecreated)
		}
	})
}

// patchLabel sets a label on obj with a merge patch.
func patchLabel(ctx context.Context, obj client.Object, key, value string) error {
	patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[key] = value
	obj.SetLabels(labels)
	return stack.Client.Patch(ctx, obj, patch)
}

// waitCondition waits until db has condition condType with reason.
func waitCondition(t *testing.T, db *v1.RDSDatabase, condType, reason string) {
	t.Helper()
	got := &v1.RDSDatabase{}
	err := harness.WaitFor(context.Background(), readyTimeout, func(ctx context.Context) (bool, error) {
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(got.Status.Conditions, condType)
		return c != nil && c.Reason == reason, nil
	})
	if err != nil {
		t.Fatalf("%s never got %s=%s: %v; conditions %+v", db.Name, condType, reason, err, got.Status.Conditions)
	}
}
