package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// readOnlyActions are the calls the operator may make about a cloud database it does not
// own; a CreateDBInstance AWS refuses because the database exists changes nothing either.
var readOnlyActions = map[string]bool{"DescribeDBInstances": true, "ListTagsForResource": true, "DescribeDBSnapshots": true}

// TestForeignDatabasesAreNeverTouched puts a cloud database in the emulator under the very
// identifier the operator derives for an object, first tagged with another owner, then with
// no tags at all. The object is applied, changed and deleted under each deletion policy: the
// operator reports OwnedByOther naming the owner tag it found, and never modifies, tags,
// untags, snapshots or deletes that database, which is still there, unchanged, at the end.
func TestForeignDatabasesAreNeverTouched(t *testing.T) {
	cases := map[string]struct {
		reason string
		tags   []types.Tag
		owner  string
	}{
		"OtherOwner": {
			reason: "A database another object (or another cluster) owns is not ours.",
			tags:   []types.Tag{{Key: aws.String(v1.TagOwner), Value: aws.String("elsewhere/orders")}, {Key: aws.String("team"), Value: aws.String("theirs")}},
			owner:  "elsewhere/orders",
		},
		"NoTags": {
			reason: "A database made by hand, with no owner tag at all, is not ours either.",
			owner:  "",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			api, err := stack.RDS(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ns := namespace(t, "fgn")
			const object = "orders"
			id := naming.Identifier(ns, object)
			_, err = api.CreateDBInstance(ctx, &awsrds.CreateDBInstanceInput{
				DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t4g.micro"),
				AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("someone"), MasterUserPassword: aws.String("Someone-Else-1"),
				BackupRetentionPeriod: aws.Int32(3), Tags: tc.tags,
			})
			if err != nil {
				t.Fatal(err)
			}
			created := time.Now().UTC() // every call about id from now on is the operator's
			t.Cleanup(func() {
				_, _ = api.DeleteDBInstance(context.Background(), &awsrds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)})
			})
			before := waitAvailable(t, api, id)

			for _, policy := range []v1.DeletionPolicy{v1.DeletionSnapshot, v1.DeletionDelete, v1.DeletionRetain} {
				db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: object}}
				db.Spec.DeletionPolicy = policy
				db.Spec.Users = map[string]v1.UserRoles{"app": {}}
				db.Spec.Tags = map[string]string{"team": "ours"}
				if err := stack.Client.Create(ctx, db); err != nil {
					t.Fatal(err)
				}
				msg := waitOwnedByOther(t, db)
				if !strings.Contains(msg, id) || !strings.Contains(msg, `owner tag is "`+tc.owner+`"`) || !strings.Contains(msg, "will not touch it") {
					t.Errorf("%s\n%s: the condition does not name the database and the owner tag it found: %q", tc.reason, policy, msg)
				}
				// A change asks for a modification and a tag the database lacks: neither is sent.
				if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) {
					s.Size, s.InstanceClass, s.Backup.Retention = "50GB", "db.r6g.large", "14d"
					s.Tags = map[string]string{"team": "ours", "cost-center": "42"}
				}); err != nil {
					t.Fatal(err)
				}
				waitOwnedByOther(t, db)
				if err := stack.Client.Delete(ctx, db); err != nil {
					t.Fatal(err)
				}
				waitGone(t, db)
				if policy != v1.DeletionRetain && !eventSays(t, ns, object, v1.ReasonOwnedByOther, "Not deleting cloud database "+id) {
					t.Errorf("%s\n%s: no Event says the foreign database was not deleted", tc.reason, policy)
				}
			}

			for _, c := range stack.Emulator.Stats().Log { // refused calls count too: not even tried
				switch {
				case !c.Time.After(created) || !strings.Contains(c.ID, id) || readOnlyActions[c.Action]:
				case c.Action == "CreateDBInstance" && c.Code == "DBInstanceAlreadyExists":
					// The shared view of the cloud may not list the database yet; a create
					// then changes nothing, and the next look finds the owner tag.
					t.Logf("a CreateDBInstance for %s was refused with %s", c.ID, c.Code)
				default:
					t.Errorf("%s\nthe operator called %s on %s (answer %q)", tc.reason, c.Action, c.ID, c.Code)
				}
			}
			after := waitAvailable(t, api, id)
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("%s\nthe foreign database changed: -before +after:\n%s", tc.reason, diff)
			}
			snaps, err := api.DescribeDBSnapshots(ctx, &awsrds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(id)})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range snaps.DBSnapshots {
				if aws.ToString(s.SnapshotType) != "automated" {
					t.Errorf("%s\na snapshot %s of the foreign database was taken", tc.reason, aws.ToString(s.DBSnapshotIdentifier))
				}
			}
		})
	}
}

// foreignState is what must not change about a foreign database.
type foreignState struct {
	Status, Class, Version string
	Storage, Retention     int32
	Tags                   map[string]string
}

// waitAvailable waits until the cloud database id is available and returns its state.
func waitAvailable(t *testing.T, api *awsrds.Client, id string) foreignState {
	t.Helper()
	var st foreignState
	err := harness.WaitFor(context.Background(), readyTimeout, func(ctx context.Context) (bool, error) {
		out, err := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		if err != nil {
			return false, err
		}
		in := out.DBInstances[0]
		st = foreignState{
			Status: aws.ToString(in.DBInstanceStatus), Class: aws.ToString(in.DBInstanceClass), Version: aws.ToString(in.EngineVersion),
			Storage: aws.ToInt32(in.AllocatedStorage), Retention: aws.ToInt32(in.BackupRetentionPeriod), Tags: map[string]string{},
		}
		for _, tag := range in.TagList {
			st.Tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		return st.Status == "available", nil
	})
	if err != nil {
		t.Fatalf("the foreign database %s is not available: %v (last seen %+v)", id, err, st)
	}
	return st
}

// waitOwnedByOther waits until db reports OwnedByOther for its current generation and
// returns the condition's message.
func waitOwnedByOther(t *testing.T, db *v1.RDSDatabase) string {
	t.Helper()
	var msg string
	err := harness.WaitFor(context.Background(), readyTimeout, func(ctx context.Context) (bool, error) {
		got := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionProvisioned)
		if c == nil || c.Reason != v1.ReasonOwnedByOther || c.ObservedGeneration != got.Generation {
			return false, nil
		}
		msg = c.Message
		return got.Status.Phase == v1.PhaseError, nil
	})
	if err != nil {
		t.Fatalf("%s never reported %s for its current generation: %v", db.Name, v1.ReasonOwnedByOther, err)
	}
	return msg
}
