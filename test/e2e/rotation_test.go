package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestPasswordRotation rotates a user's and the master's password by annotating the object,
// then proves by logging in that the new passwords work and the old ones do not. It also
// stops the operator between the steps of a rotation and checks that the next operator
// finishes it without losing a password or sending the master password twice.
func TestPasswordRotation(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "rotation")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "rotating"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"data": {"app"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitReady(t, db)

	t.Run("UserAndMaster", func(t *testing.T) {
		oldApp := secretData(t, ns, "rotating.rds.app")
		oldMaster := secretData(t, ns, "rotating.rds.master")
		stack.Emulator.ResetStats()
		if err := annotate(ctx, db, map[string]string{v1.AnnotationRotatePrefix + "app": "1", v1.AnnotationRotatePrefix + v1.RotateMaster: "1"}); err != nil {
			t.Fatal(err)
		}
		waitRotated(t, ns, "rotating.rds.app", "1")
		waitRotated(t, ns, "rotating.rds.master", "1")
		for name, old := range map[string]map[string][]byte{"rotating.rds.app": oldApp, "rotating.rds.master": oldMaster} {
			now := secretData(t, ns, name)
			if string(now["password"]) == string(old["password"]) {
				t.Errorf("%s: the password did not change", name)
			}
			if _, kept := now["password-previous"]; kept {
				t.Errorf("%s: password-previous is still there after the new password was verified", name)
			}
			if err := logsIn(ctx, string(now["uri"]), ""); err != nil {
				t.Errorf("%s: the new password does not log in: %v", name, err)
			}
			if err := logsIn(ctx, string(old["uri"]), ""); sqlState(err) != "28P01" {
				t.Errorf("%s: the old password still logs in (or fails oddly): %v", name, err)
			}
			if !eventSays(t, ns, db.Name, v1.EventPasswordRotated, name) {
				t.Errorf("no %s Event for %s", v1.EventPasswordRotated, name)
			}
		}
		if n := stack.Emulator.Stats().Operations("ModifyDBInstance"); n != 1 {
			t.Errorf("ModifyDBInstance sent %d times for one master rotation, want 1", n)
		}
	})

	t.Run("CrashAfterTheSecretWasWritten", func(t *testing.T) {
		stack.StopOperator()
		// What the operator writes in step 1, as if it was killed right after.
		newPassword := "Written-Then-Crashed-1"
		startedRotation(t, ns, "rotating.rds.app", newPassword, "2")
		if err := annotate(ctx, db, map[string]string{v1.AnnotationRotatePrefix + "app": "2"}); err != nil {
			t.Fatal(err)
		}
		if err := stack.StartOperator(); err != nil {
			t.Fatal(err)
		}
		waitRotated(t, ns, "rotating.rds.app", "2")
		now := secretData(t, ns, "rotating.rds.app")
		if string(now["password"]) != newPassword {
			t.Errorf("the password written before the crash was replaced instead of applied")
		}
		if err := logsIn(ctx, string(now["uri"]), ""); err != nil {
			t.Fatalf("the password written before the crash does not log in: %v", err)
		}
	})

	t.Run("CrashAfterTheMasterPasswordWasSent", func(t *testing.T) {
		api, err := stack.RDS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stack.StopOperator()
		newPassword := "Sent-Then-Crashed-2"
		startedRotation(t, ns, "rotating.rds.master", newPassword, "2")
		current := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), current); err != nil {
			t.Fatal(err)
		}
		// Step 2 done too: the cloud has the new password.
		if _, err := api.ModifyDBInstance(ctx, &awsrds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String(current.Status.Cloud.Identifier), MasterUserPassword: aws.String(newPassword), ApplyImmediately: aws.Bool(true),
		}); err != nil {
			t.Fatal(err)
		}
		if err := annotate(ctx, db, map[string]string{v1.AnnotationRotatePrefix + v1.RotateMaster: "2"}); err != nil {
			t.Fatal(err)
		}
		stack.Emulator.ResetStats()
		if err := stack.StartOperator(); err != nil {
			t.Fatal(err)
		}
		waitRotated(t, ns, "rotating.rds.master", "2")
		if n := stack.Emulator.Stats().Operations("ModifyDBInstance"); n != 0 {
			t.Errorf("the master password was sent again (%d ModifyDBInstance) though the cloud had it", n)
		}
		if err := logsIn(ctx, string(secretData(t, ns, "rotating.rds.master")["uri"]), ""); err != nil {
			t.Fatalf("the master cannot log in after the restart: %v", err)
		}
	})
}

// annotate merges annotations into the object.
func annotate(ctx context.Context, db *v1.RDSDatabase, annotations map[string]string) error {
	cur := &v1.RDSDatabase{}
	if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
		return err
	}
	patch := client.MergeFrom(cur.DeepCopy())
	if cur.Annotations == nil {
		cur.Annotations = map[string]string{}
	}
	for k, v := range annotations {
		cur.Annotations[k] = v
	}
	return stack.Client.Patch(ctx, cur, patch)
}

// startedRotation writes to a Secret what the operator writes in a rotation's first step.
func startedRotation(t *testing.T, namespace, name, newPassword, token string) *corev1.Secret {
	t.Helper()
	sec := &corev1.Secret{}
	if err := stack.Client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, sec); err != nil {
		t.Fatal(err)
	}
	sec.Data["password-previous"] = sec.Data["password"]
	sec.Data["password"] = []byte(newPassword)
	sec.Annotations[v1.AnnotationRotationPending] = token
	if err := stack.Client.Update(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
	return sec
}

// waitRotated waits until the Secret records the rotation token as done.
func waitRotated(t *testing.T, namespace, name, token string) {
	t.Helper()
	err := harness.WaitFor(context.Background(), readyTimeout, func(ctx context.Context) (bool, error) {
		sec := &corev1.Secret{}
		if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, sec); err != nil {
			return false, err
		}
		return sec.Annotations[v1.AnnotationRotated] == token && sec.Annotations[v1.AnnotationRotationPending] == "", nil
	})
	if err != nil {
		t.Fatalf("secret %s never recorded rotation %s: %v", name, token, err)
	}
}
