package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestDriftIsRepaired changes things behind the operator's back, as a person with the AWS
// console or a psql prompt would, and checks that the next resync puts them back: the Secret
// and the spec are the truth. The test harness resyncs every 2 seconds.
func TestDriftIsRepaired(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "drift")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "drifting"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"data": {"app"}}
	db.Spec.Tags = map[string]string{"team": "payments"}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	ready := waitReady(t, db)
	id := ready.Status.Cloud.Identifier

	t.Run("PasswordChangedInTheDatabase", func(t *testing.T) {
		conn, err := loginWith(ctx, string(secretData(t, ns, "drifting.rds.master")["uri"]), "")
		if err != nil {
			t.Fatal(err)
		}
		// The operator may be setting the role's password at the same moment, from a pass
		// that read the object before it was Ready: PostgreSQL then refuses one of two
		// concurrent ALTER ROLEs (XX000, tuple concurrently updated), or the operator's lands
		// last and the drift is gone before any check could see it. Either way, drift again.
		refused := func(ctx context.Context) (bool, error) {
			got := &v1.RDSDatabase{}
			if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
				return false, err
			}
			c := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionAccessVerified)
			return c != nil && c.Reason == v1.ReasonPasswordRefused, nil
		}
		var drifted time.Time
		for attempt := 1; ; attempt++ {
			_, err := conn.Exec(ctx, "ALTER ROLE app PASSWORD 'Changed-Behind-The-Back-1'")
			if err != nil && (sqlState(err) != "XX000" || attempt == 5) {
				t.Fatal(err)
			}
			drifted = time.Now()
			if err == nil && harness.WaitFor(ctx, 10*stack.Resync(), refused) == nil {
				break
			}
			if attempt == 5 {
				t.Fatalf("the changed password was never seen refused in 5 attempts")
			}
			if logsIn(ctx, string(secretData(t, ns, "drifting.rds.app")["uri"]), "") != nil {
				t.Fatalf("app's Secret no longer logs in, yet AccessVerified never said PasswordRefused")
			}
			t.Logf("attempt %d: the operator set the password back before its check saw the drift; drifting again", attempt)
		}
		conn.Close(ctx)
		waitCondition(t, db, v1.ConditionAccessVerified, v1.ReasonAllLogIn)
		t.Logf("password drift found and repaired in %s (resync every 2s)", time.Since(drifted).Round(100*time.Millisecond))
		if err := logsIn(ctx, string(secretData(t, ns, "drifting.rds.app")["uri"]), ""); err != nil {
			t.Fatalf("app cannot log in with its Secret after the repair: %v", err)
		}
		got := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			t.Fatal(err)
		}
		for _, u := range got.Status.Users {
			if !u.OK || u.LastChecked.IsZero() {
				t.Errorf("status.users: %+v", u)
			}
		}
	})

	t.Run("MasterPasswordChangedInTheCloud", func(t *testing.T) {
		api, err := stack.RDS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = api.ModifyDBInstance(ctx, &awsrds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String(id), MasterUserPassword: aws.String("Reset-In-The-Console-1"), ApplyImmediately: aws.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			return logsIn(ctx, string(secretData(t, ns, "drifting.rds.master")["uri"]), "") == nil, nil
		})
		if err != nil {
			t.Fatalf("the master password in the Secret was not set again through RDS: %v", err)
		}
	})

	t.Run("DeletedUserSecretIsRecreatedAndApplied", func(t *testing.T) {
		old := secretData(t, ns, "drifting.rds.app")
		if err := stack.Client.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "drifting.rds.app"}}); err != nil {
			t.Fatal(err)
		}
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			sec := &corev1.Secret{}
			if err := stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "drifting.rds.app"}, sec); err != nil {
				return false, client.IgnoreNotFound(err)
			}
			if len(sec.Data["uri"]) == 0 || string(sec.Data["password"]) == string(old["password"]) {
				return false, nil
			}
			return logsIn(ctx, string(sec.Data["uri"]), "") == nil, nil
		})
		if err != nil {
			t.Fatalf("the app Secret was not recreated with a new working password: %v", err)
		}
	})

	t.Run("ClassRetentionAndTagsChangedInTheCloud", func(t *testing.T) {
		err := stack.Emulator.Tamper(id, func(tp *emulator.Tampering) {
			tp.DBInstanceClass = "db.m7g.xlarge"
			tp.BackupRetentionPeriod = 1
			delete(tp.Tags, "team")
		})
		if err != nil {
			t.Fatal(err)
		}
		api, err := stack.RDS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			out, err := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
			if err != nil || len(out.DBInstances) != 1 {
				return false, err
			}
			in := out.DBInstances[0]
			team := ""
			for _, tag := range in.TagList {
				if aws.ToString(tag.Key) == "team" {
					team = aws.ToString(tag.Value)
				}
			}
			return aws.ToString(in.DBInstanceClass) == "db.t4g.micro" && aws.ToInt32(in.BackupRetentionPeriod) == 7 && team == "payments", nil
		})
		if err != nil {
			t.Errorf("class, retention and tags were not put back: %v", err)
		}
	})

	t.Run("DatabaseDeletedInTheCloudIsReported", func(t *testing.T) {
		stack.Emulator.ResetStats()
		if err := stack.Emulator.Tamper(id, func(tp *emulator.Tampering) { tp.Delete = true }); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, db, v1.ConditionProvisioned, v1.ReasonCloudDatabaseMissing)
		if !eventSays(t, ns, db.Name, v1.ReasonCloudDatabaseMissing, id) {
			t.Errorf("no %s Event", v1.ReasonCloudDatabaseMissing)
		}
		time.Sleep(3 * time.Second) // longer than a resync: nothing is created behind the report
		if n := stack.Emulator.Stats().Calls["CreateDBInstance"]; n != 0 {
			t.Errorf("an empty database was created in place of the deleted one (%d creates)", n)
		}
		got := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			t.Fatal(err)
		}
		if c := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionReady); c == nil || c.Status != metav1.ConditionFalse {
			t.Errorf("Ready = %+v with the cloud database gone", c)
		}
	})
}
