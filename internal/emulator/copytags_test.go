package emulator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ownerTag and lateTag tag the databases of the CopyTagsToSnapshot tests: ownerTag from
// creation on, lateTag added once the database is available (after its first automated
// snapshot), so a snapshot shows which tags it copied and when.
var (
	ownerTag = types.Tag{Key: aws.String("matrixmind.cloud/owner"), Value: aws.String("team-a/orders")}
	lateTag  = types.Tag{Key: aws.String("stage"), Value: aws.String("late")}
)

// snapshotTagList reads a snapshot's tags with ListTagsForResource on its ARN.
func snapshotTagList(t *testing.T, c *rds.Client, arn string) map[string]string {
	t.Helper()
	out, err := c.ListTagsForResource(context.Background(), &rds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource %s: %v", arn, err)
	}
	return tagMap(out.TagList)
}

func TestInstanceSnapshotsCopyTags(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	both := map[string]string{"matrixmind.cloud/owner": "team-a/orders", "stage": "late"}
	cases := map[string]struct {
		reason string
		// copyTags is CreateDBInstance's CopyTagsToSnapshot; modify, when set, is sent
		// with ModifyDBInstance (without ApplyImmediately) before the snapshot.
		copyTags, modify *bool
		// take is the snapshot looked at: final (DeleteDBInstance), manual
		// (CreateDBSnapshot with requestTags) or automated (the first backup).
		take        string
		requestTags []types.Tag
		want        map[string]string
	}{
		"FinalCopiesTags": {
			reason:   "With CopyTagsToSnapshot the final snapshot gets the instance's tags as they are at the delete.",
			copyTags: aws.Bool(true), take: "final", want: both,
		},
		"FinalWithoutCopy": {
			reason: "By default tags aren't copied: the final snapshot has none.",
			take:   "final", want: nil,
		},
		"ManualCopiesTags": {
			reason:   "A CreateDBSnapshot without tags copies the instance's current tags when CopyTagsToSnapshot is on.",
			copyTags: aws.Bool(true), take: "manual", want: both,
		},
		"ManualRequestTagsWin": {
			reason:   "Tags given with CreateDBSnapshot win: the instance's tags are not copied, not even merged.",
			copyTags: aws.Bool(true), take: "manual",
			requestTags: []types.Tag{{Key: aws.String("kind"), Value: aws.String("nightly")}},
			want:        map[string]string{"kind": "nightly"},
		},
		"ManualWithoutCopy": {
			reason: "Without CopyTagsToSnapshot a manual snapshot without request tags has none.",
			take:   "manual", want: nil,
		},
		"ManualRequestTagsWithoutCopy": {
			reason: "Without CopyTagsToSnapshot a manual snapshot has the request's tags.",
			take:   "manual", requestTags: []types.Tag{{Key: aws.String("kind"), Value: aws.String("nightly")}},
			want: map[string]string{"kind": "nightly"},
		},
		"AutomatedCopiesTags": {
			reason:   "The first automated snapshot copies the tags the instance had when it was taken, not later ones.",
			copyTags: aws.Bool(true), take: "automated",
			want: map[string]string{"matrixmind.cloud/owner": "team-a/orders"},
		},
		"AutomatedWithoutCopy": {
			reason: "Without CopyTagsToSnapshot an automated snapshot has no tags.",
			take:   "automated", want: nil,
		},
		"ModifyTurnsCopyOn": {
			reason: "ModifyDBInstance turns CopyTagsToSnapshot on at once, without ApplyImmediately: the final snapshot copies tags.",
			modify: aws.Bool(true), take: "final", want: both,
		},
		"ModifyTurnsCopyOff": {
			reason:   "ModifyDBInstance turns CopyTagsToSnapshot off at once: a manual snapshot copies nothing.",
			copyTags: aws.Bool(true), modify: aws.Bool(false), take: "manual", want: nil,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			id := strings.ToLower(name)
			createAvailable(t, c, id, func(in *rds.CreateDBInstanceInput) {
				in.CopyTagsToSnapshot = tc.copyTags
				in.Tags = []types.Tag{ownerTag}
			})
			arn := aws.String("arn:aws:rds:us-east-1:123456789012:db:" + id)
			if _, err := c.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: arn, Tags: []types.Tag{lateTag}}); err != nil {
				t.Fatalf("AddTagsToResource: %v", err)
			}
			if tc.modify != nil {
				if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), CopyTagsToSnapshot: tc.modify}); err != nil {
					t.Fatalf("ModifyDBInstance: %v", err)
				}
			}
			var snapID string
			switch tc.take {
			case "final":
				snapID = id + "-final"
				if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), FinalDBSnapshotIdentifier: aws.String(snapID)}); err != nil {
					t.Fatalf("DeleteDBInstance: %v", err)
				}
			case "manual":
				snapID = id + "-manual"
				if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(id), DBSnapshotIdentifier: aws.String(snapID), Tags: tc.requestTags}); err != nil {
					t.Fatalf("CreateDBSnapshot: %v", err)
				}
			case "automated":
				out, err := c.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(id), SnapshotType: aws.String("automated")})
				if err != nil || len(out.DBSnapshots) != 1 {
					t.Fatalf("automated snapshots of %s: %+v (err %v), want one", id, out, err)
				}
				snapID = aws.ToString(out.DBSnapshots[0].DBSnapshotIdentifier)
			}
			got := waitSnapshot(t, c, snapID, "available", 5*time.Second)
			if diff := cmp.Diff(tc.want, tagMap(got.TagList), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nTagList of DescribeDBSnapshots: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, snapshotTagList(t, c, aws.ToString(got.DBSnapshotArn)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nListTagsForResource on the snapshot: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCopyTagsToSnapshotReported(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "source", func(in *rds.CreateDBInstanceInput) { in.CopyTagsToSnapshot = aws.Bool(true) })
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("source"), DBSnapshotIdentifier: aws.String("source-snap")}); err != nil {
		t.Fatalf("CreateDBSnapshot: %v", err)
	}
	waitSnapshot(t, c, "source-snap", "available", 5*time.Second)
	waitStatus(t, c, "source", "available", 5*time.Second)

	cases := map[string]struct {
		reason string
		create func(id string) (*types.DBInstance, error)
		want   bool
	}{
		"CreateDefault": {
			reason: "CreateDBInstance without CopyTagsToSnapshot reports false: tags aren't copied by default.",
			create: func(id string) (*types.DBInstance, error) {
				out, err := c.CreateDBInstance(ctx, createInput(id))
				return dbInstanceOf(out, err, func(o *rds.CreateDBInstanceOutput) *types.DBInstance { return o.DBInstance })
			},
			want: false,
		},
		"CreateOn": {
			reason: "CreateDBInstance keeps CopyTagsToSnapshot.",
			create: func(id string) (*types.DBInstance, error) {
				in := createInput(id)
				in.CopyTagsToSnapshot = aws.Bool(true)
				out, err := c.CreateDBInstance(ctx, in)
				return dbInstanceOf(out, err, func(o *rds.CreateDBInstanceOutput) *types.DBInstance { return o.DBInstance })
			},
			want: true,
		},
		"ReplicaDefault": {
			reason: "A read replica has its own setting, off by default whatever its source has.",
			create: func(id string) (*types.DBInstance, error) {
				out, err := c.CreateDBInstanceReadReplica(ctx, replicaInput(id, "source"))
				return dbInstanceOf(out, err, func(o *rds.CreateDBInstanceReadReplicaOutput) *types.DBInstance { return o.DBInstance })
			},
			want: false,
		},
		"ReplicaOn": {
			reason: "CreateDBInstanceReadReplica keeps CopyTagsToSnapshot instead of dropping it.",
			create: func(id string) (*types.DBInstance, error) {
				in := replicaInput(id, "source")
				in.CopyTagsToSnapshot = aws.Bool(true)
				out, err := c.CreateDBInstanceReadReplica(ctx, in)
				return dbInstanceOf(out, err, func(o *rds.CreateDBInstanceReadReplicaOutput) *types.DBInstance { return o.DBInstance })
			},
			want: true,
		},
		"RestoreDefault": {
			reason: "A restored instance does not inherit the source's setting: off unless the request turns it on.",
			create: func(id string) (*types.DBInstance, error) {
				out, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String(id), DBSnapshotIdentifier: aws.String("source-snap")})
				return dbInstanceOf(out, err, func(o *rds.RestoreDBInstanceFromDBSnapshotOutput) *types.DBInstance { return o.DBInstance })
			},
			want: false,
		},
		"RestoreOn": {
			reason: "RestoreDBInstanceFromDBSnapshot keeps CopyTagsToSnapshot.",
			create: func(id string) (*types.DBInstance, error) {
				out, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
					DBInstanceIdentifier: aws.String(id), DBSnapshotIdentifier: aws.String("source-snap"), CopyTagsToSnapshot: aws.Bool(true),
				})
				return dbInstanceOf(out, err, func(o *rds.RestoreDBInstanceFromDBSnapshotOutput) *types.DBInstance { return o.DBInstance })
			},
			want: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			id := strings.ToLower(name)
			answered, err := tc.create(id)
			if err != nil {
				t.Fatalf("%s\ncreate: %v", tc.reason, err)
			}
			if answered.CopyTagsToSnapshot == nil {
				t.Errorf("%s\nthe answer has no CopyTagsToSnapshot", tc.reason)
			}
			if diff := cmp.Diff(tc.want, aws.ToBool(answered.CopyTagsToSnapshot)); diff != "" {
				t.Errorf("%s\nCopyTagsToSnapshot in the answer: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, aws.ToBool(describe(t, c, id).CopyTagsToSnapshot)); diff != "" {
				t.Errorf("%s\nCopyTagsToSnapshot of DescribeDBInstances: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// dbInstanceOf picks the DBInstance out of a create call's answer.
func dbInstanceOf[O any](out *O, err error, pick func(*O) *types.DBInstance) (*types.DBInstance, error) {
	if err != nil {
		return nil, err
	}
	return pick(out), nil
}

func TestModifyCopyTagsToSnapshotAppliesAtOnce(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	type summary struct {
		Status       string
		CopyTags     bool
		PendingClass string
	}
	summarize := func(in types.DBInstance) summary {
		s := summary{Status: aws.ToString(in.DBInstanceStatus), CopyTags: aws.ToBool(in.CopyTagsToSnapshot)}
		if in.PendingModifiedValues != nil {
			s.PendingClass = aws.ToString(in.PendingModifiedValues.DBInstanceClass)
		}
		return s
	}
	cases := map[string]struct {
		reason string
		input  rds.ModifyDBInstanceInput
		want   summary
	}{
		"WithoutApplyImmediately": {
			reason: "CopyTagsToSnapshot is no pending modification: it applies at once and the instance stays available.",
			input:  rds.ModifyDBInstanceInput{CopyTagsToSnapshot: aws.Bool(true)},
			want:   summary{Status: "available", CopyTags: true},
		},
		"ApplyImmediatelyFalse": {
			reason: "ApplyImmediately=false does not defer it either.",
			input:  rds.ModifyDBInstanceInput{CopyTagsToSnapshot: aws.Bool(true), ApplyImmediately: aws.Bool(false)},
			want:   summary{Status: "available", CopyTags: true},
		},
		"ApplyImmediately": {
			reason: "With ApplyImmediately and nothing else to change, the instance does not go modifying.",
			input:  rds.ModifyDBInstanceInput{CopyTagsToSnapshot: aws.Bool(true), ApplyImmediately: aws.Bool(true)},
			want:   summary{Status: "available", CopyTags: true},
		},
		"BesideDeferredChange": {
			reason: "Beside a deferred class change, CopyTagsToSnapshot applies now and the class stays pending.",
			input:  rds.ModifyDBInstanceInput{CopyTagsToSnapshot: aws.Bool(true), DBInstanceClass: aws.String("db.m7g.large")},
			want:   summary{Status: "available", CopyTags: true, PendingClass: "db.m7g.large"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			id := strings.ToLower(name)
			createAvailable(t, c, id, nil)
			if diff := cmp.Diff(false, aws.ToBool(describe(t, c, id).CopyTagsToSnapshot)); diff != "" {
				t.Fatalf("before the modification: -want +got:\n%s", diff)
			}
			tc.input.DBInstanceIdentifier = aws.String(id)
			out, err := c.ModifyDBInstance(ctx, &tc.input)
			if err != nil {
				t.Fatalf("%s\nModifyDBInstance: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, summarize(*out.DBInstance)); diff != "" {
				t.Errorf("%s\nanswered instance: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, summarize(describe(t, c, id))); diff != "" {
				t.Errorf("%s\ndescribed instance: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// waitClusterSnapshot polls until the cluster snapshot has the status and returns it.
func waitClusterSnapshot(t *testing.T, c *rds.Client, id, want string, timeout time.Duration) types.DBClusterSnapshot {
	t.Helper()
	deadline := time.Now().Add(timeout)
	got := ""
	for time.Now().Before(deadline) {
		out, err := c.DescribeDBClusterSnapshots(context.Background(), &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String(id)})
		if err != nil {
			t.Fatalf("DescribeDBClusterSnapshots %s: %v", id, err)
		}
		if len(out.DBClusterSnapshots) != 1 {
			t.Fatalf("DescribeDBClusterSnapshots %s: got %d snapshots", id, len(out.DBClusterSnapshots))
		}
		if got = aws.ToString(out.DBClusterSnapshots[0].Status); got == want {
			return out.DBClusterSnapshots[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("cluster snapshot %s not %s after %v; last %q", id, want, timeout, got)
	return types.DBClusterSnapshot{}
}

func TestClusterSnapshotsCopyTags(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	both := map[string]string{"matrixmind.cloud/owner": "team-a/orders", "stage": "late"}
	cases := map[string]struct {
		reason string
		// copyTags is CreateDBCluster's CopyTagsToSnapshot; modify, when set, is sent with
		// ModifyDBCluster before the snapshot.
		copyTags, modify *bool
		// take is the snapshot looked at: final (DeleteDBCluster), manual
		// (CreateDBClusterSnapshot with requestTags) or automated (the first backup).
		take        string
		requestTags []types.Tag
		want        map[string]string
	}{
		"FinalCopiesTags": {
			reason:   "With the cluster's CopyTagsToSnapshot the final cluster snapshot gets the cluster's tags as they are at the delete.",
			copyTags: aws.Bool(true), take: "final", want: both,
		},
		"FinalWithoutCopy": {
			reason: "By default the final cluster snapshot gets no tags.",
			take:   "final", want: nil,
		},
		"ManualCopiesTags": {
			reason:   "CreateDBClusterSnapshot without tags copies the cluster's current tags.",
			copyTags: aws.Bool(true), take: "manual", want: both,
		},
		"ManualRequestTagsWin": {
			reason:   "Tags given with CreateDBClusterSnapshot win over copying.",
			copyTags: aws.Bool(true), take: "manual",
			requestTags: []types.Tag{{Key: aws.String("kind"), Value: aws.String("nightly")}},
			want:        map[string]string{"kind": "nightly"},
		},
		"ManualWithoutCopy": {
			reason: "Without CopyTagsToSnapshot a cluster snapshot without request tags has none.",
			take:   "manual", want: nil,
		},
		"AutomatedCopiesTags": {
			reason:   "The first automated cluster snapshot copies the tags the cluster had when it was taken.",
			copyTags: aws.Bool(true), take: "automated",
			want: map[string]string{"matrixmind.cloud/owner": "team-a/orders"},
		},
		"ModifyTurnsCopyOn": {
			reason: "ModifyDBCluster turns CopyTagsToSnapshot on at once: the final cluster snapshot copies tags.",
			modify: aws.Bool(true), take: "final", want: both,
		},
		"ModifyTurnsCopyOff": {
			reason:   "ModifyDBCluster turns CopyTagsToSnapshot off at once: a manual cluster snapshot copies nothing.",
			copyTags: aws.Bool(true), modify: aws.Bool(false), take: "manual", want: nil,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			id := strings.ToLower(name)
			in := clusterInput(id, "aurora-postgresql")
			in.CopyTagsToSnapshot = tc.copyTags
			in.Tags = []types.Tag{ownerTag}
			out, err := c.CreateDBCluster(ctx, in)
			if err != nil {
				t.Fatalf("CreateDBCluster: %v", err)
			}
			if diff := cmp.Diff(aws.ToBool(tc.copyTags), aws.ToBool(out.DBCluster.CopyTagsToSnapshot)); diff != "" {
				t.Errorf("%s\nCopyTagsToSnapshot answered by CreateDBCluster: -want +got:\n%s", tc.reason, diff)
			}
			waitClusterStatus(t, c, id, "available", 5*time.Second)
			arn := aws.String("arn:aws:rds:us-east-1:123456789012:cluster:" + id)
			if _, err := c.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: arn, Tags: []types.Tag{lateTag}}); err != nil {
				t.Fatalf("AddTagsToResource: %v", err)
			}
			wantSetting := aws.ToBool(tc.copyTags)
			if tc.modify != nil {
				wantSetting = *tc.modify
				out, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String(id), CopyTagsToSnapshot: tc.modify})
				if err != nil {
					t.Fatalf("ModifyDBCluster: %v", err)
				}
				if diff := cmp.Diff(wantSetting, aws.ToBool(out.DBCluster.CopyTagsToSnapshot)); diff != "" {
					t.Errorf("%s\nCopyTagsToSnapshot answered by ModifyDBCluster: -want +got:\n%s", tc.reason, diff)
				}
			}
			described := describeCluster(t, c, id)
			if described.CopyTagsToSnapshot == nil || *described.CopyTagsToSnapshot != wantSetting {
				t.Errorf("%s\nCopyTagsToSnapshot of DescribeDBClusters: got %v, want %v", tc.reason, described.CopyTagsToSnapshot, wantSetting)
			}
			var snapID string
			switch tc.take {
			case "final":
				snapID = id + "-final"
				if _, err := c.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String(id), FinalDBSnapshotIdentifier: aws.String(snapID)}); err != nil {
					t.Fatalf("DeleteDBCluster: %v", err)
				}
			case "manual":
				snapID = id + "-manual"
				if _, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String(id), DBClusterSnapshotIdentifier: aws.String(snapID), Tags: tc.requestTags}); err != nil {
					t.Fatalf("CreateDBClusterSnapshot: %v", err)
				}
			case "automated":
				out, err := c.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterIdentifier: aws.String(id), SnapshotType: aws.String("automated")})
				if err != nil || len(out.DBClusterSnapshots) != 1 {
					t.Fatalf("automated snapshots of %s: %+v (err %v), want one", id, out, err)
				}
				snapID = aws.ToString(out.DBClusterSnapshots[0].DBClusterSnapshotIdentifier)
			}
			got := waitClusterSnapshot(t, c, snapID, "available", 5*time.Second)
			if diff := cmp.Diff(tc.want, tagMap(got.TagList), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nTagList of DescribeDBClusterSnapshots: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, snapshotTagList(t, c, aws.ToString(got.DBClusterSnapshotArn)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nListTagsForResource on the cluster snapshot: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRestoredClusterCopyTagsToSnapshot(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	in := clusterInput("source", "aurora-postgresql")
	in.CopyTagsToSnapshot = aws.Bool(true)
	if _, err := c.CreateDBCluster(ctx, in); err != nil {
		t.Fatalf("CreateDBCluster: %v", err)
	}
	waitClusterStatus(t, c, "source", "available", 5*time.Second)
	if _, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("source"), DBClusterSnapshotIdentifier: aws.String("source-snap")}); err != nil {
		t.Fatalf("CreateDBClusterSnapshot: %v", err)
	}
	waitClusterSnapshot(t, c, "source-snap", "available", 5*time.Second)

	cases := map[string]struct {
		reason   string
		copyTags *bool
		want     bool
	}{
		"Default": {
			reason: "A restored cluster does not inherit the source cluster's setting: off by default.",
			want:   false,
		},
		"On": {
			reason:   "RestoreDBClusterFromSnapshot keeps CopyTagsToSnapshot.",
			copyTags: aws.Bool(true), want: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			id := strings.ToLower(name)
			if _, err := c.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{
				DBClusterIdentifier: aws.String(id), SnapshotIdentifier: aws.String("source-snap"),
				Engine: aws.String("aurora-postgresql"), CopyTagsToSnapshot: tc.copyTags,
			}); err != nil {
				t.Fatalf("%s\nRestoreDBClusterFromSnapshot: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, aws.ToBool(describeCluster(t, c, id).CopyTagsToSnapshot)); diff != "" {
				t.Errorf("%s\nCopyTagsToSnapshot of DescribeDBClusters: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// postQuery sends one Query API request, signed, straight to the emulator: the SDK cannot
// send a malformed boolean.
func postQuery(e *Emulator, form url.Values) *httptest.ResponseRecorder {
	form.Set("Version", "2014-10-31")
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestCopyTagsToSnapshotInvalidBoolean(t *testing.T) {
	e, _ := start(t, Config{NoEngine: true})
	instance := url.Values{
		"DBInstanceIdentifier": {"db"}, "Engine": {"postgres"}, "DBInstanceClass": {"db.t4g.micro"},
		"AllocatedStorage": {"20"}, "MasterUsername": {"master"}, "MasterUserPassword": {testPassword},
	}
	cluster := url.Values{
		"DBClusterIdentifier": {"cl"}, "Engine": {"aurora-postgresql"}, "MasterUsername": {"master"}, "MasterUserPassword": {testPassword},
	}
	with := func(action string, base url.Values, extra ...string) url.Values {
		form := url.Values{"Action": {action}}
		for k, v := range base {
			form[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			form.Set(extra[i], extra[i+1])
		}
		return form
	}
	cases := map[string]struct {
		reason string
		form   url.Values
	}{
		"CreateDBInstance": {
			reason: "CreateDBInstance checks CopyTagsToSnapshot as a boolean.",
			form:   with("CreateDBInstance", instance, "CopyTagsToSnapshot", "maybe"),
		},
		"AuroraInstance": {
			reason: "CreateDBInstance of an Aurora instance checks it too.",
			form: with("CreateDBInstance", nil, "DBInstanceIdentifier", "cl-1", "DBClusterIdentifier", "cl",
				"Engine", "aurora-postgresql", "DBInstanceClass", "db.r7g.large", "CopyTagsToSnapshot", "maybe"),
		},
		"ModifyDBInstance": {
			reason: "ModifyDBInstance checks it before looking for the instance.",
			form:   with("ModifyDBInstance", nil, "DBInstanceIdentifier", "db", "CopyTagsToSnapshot", "maybe"),
		},
		"CreateDBInstanceReadReplica": {
			reason: "CreateDBInstanceReadReplica checks it.",
			form:   with("CreateDBInstanceReadReplica", nil, "DBInstanceIdentifier", "ro", "SourceDBInstanceIdentifier", "db", "CopyTagsToSnapshot", "maybe"),
		},
		"RestoreDBInstanceFromDBSnapshot": {
			reason: "RestoreDBInstanceFromDBSnapshot checks it.",
			form:   with("RestoreDBInstanceFromDBSnapshot", nil, "DBInstanceIdentifier", "r", "DBSnapshotIdentifier", "s", "CopyTagsToSnapshot", "maybe"),
		},
		"CreateDBCluster": {
			reason: "CreateDBCluster checks it.",
			form:   with("CreateDBCluster", cluster, "CopyTagsToSnapshot", "maybe"),
		},
		"ModifyDBCluster": {
			reason: "ModifyDBCluster checks it before looking for the cluster.",
			form:   with("ModifyDBCluster", nil, "DBClusterIdentifier", "cl", "CopyTagsToSnapshot", "maybe"),
		},
		"RestoreDBClusterFromSnapshot": {
			reason: "RestoreDBClusterFromSnapshot checks it.",
			form: with("RestoreDBClusterFromSnapshot", nil, "DBClusterIdentifier", "cl2", "SnapshotIdentifier", "s",
				"Engine", "aurora-postgresql", "CopyTagsToSnapshot", "maybe"),
		},
		"IncludeShared": {
			reason: "DescribeDBSnapshots checks IncludeShared as a boolean.",
			form:   with("DescribeDBSnapshots", nil, "IncludeShared", "maybe"),
		},
		"IncludePublic": {
			reason: "DescribeDBSnapshots checks IncludePublic as a boolean.",
			form:   with("DescribeDBSnapshots", nil, "IncludePublic", "maybe"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := postQuery(e, tc.form)
			if diff := cmp.Diff(http.StatusBadRequest, rec.Code); diff != "" {
				t.Errorf("%s\nstatus: -want +got:\n%s", tc.reason, diff)
			}
			if want := "<Code>InvalidParameterValue</Code>"; !strings.Contains(rec.Body.String(), want) {
				t.Errorf("%s\nbody %q lacks %q", tc.reason, rec.Body.String(), want)
			}
		})
	}
	// None of the refused requests left anything behind.
	e.mu.Lock()
	left := len(e.instances) + len(e.clusters)
	e.mu.Unlock()
	if diff := cmp.Diff(0, left); diff != "" {
		t.Errorf("instances and clusters after refused requests: -want +got:\n%s", diff)
	}
}
