package emulator

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
)

func TestCreateGoesThroughStatuses(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	in := createInput("Orders-DB")
	in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}}
	in.VpcSecurityGroupIds = []string{"sg-0a1b2c3d", "sg-0123456789abcdef0"}
	in.StorageEncrypted = aws.Bool(true)
	out, err := c.CreateDBInstance(ctx, in)
	if err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	if out.DBInstance.Endpoint != nil {
		t.Errorf("Endpoint while creating: got %+v, want none", out.DBInstance.Endpoint)
	}

	seen := waitStatus(t, c, "orders-db", "available", 5*time.Second)
	if diff := cmp.Diff([]string{"creating", "backing-up", "available"}, seen); diff != "" {
		t.Errorf("statuses: -want +got:\n%s", diff)
	}

	got := describe(t, c, "orders-db")
	type summary struct {
		ID, ARN, Engine, Version, Class, StorageType, User, Address string
		Storage, Retention, Port                                    int32
		Encrypted                                                   bool
		Tags                                                        map[string]string
		SGs                                                         []string
	}
	sum := summary{
		ID: aws.ToString(got.DBInstanceIdentifier), ARN: aws.ToString(got.DBInstanceArn),
		Engine: aws.ToString(got.Engine), Version: aws.ToString(got.EngineVersion),
		Class: aws.ToString(got.DBInstanceClass), StorageType: aws.ToString(got.StorageType),
		User: aws.ToString(got.MasterUsername), Storage: aws.ToInt32(got.AllocatedStorage),
		Retention: aws.ToInt32(got.BackupRetentionPeriod), Encrypted: aws.ToBool(got.StorageEncrypted),
		Tags: map[string]string{},
	}
	if got.Endpoint != nil {
		sum.Address, sum.Port = aws.ToString(got.Endpoint.Address), aws.ToInt32(got.Endpoint.Port)
	}
	for _, tg := range got.TagList {
		sum.Tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	for _, sg := range got.VpcSecurityGroups {
		sum.SGs = append(sum.SGs, aws.ToString(sg.VpcSecurityGroupId))
	}
	want := summary{
		ID: "orders-db", ARN: "arn:aws:rds:us-east-1:123456789012:db:orders-db",
		Engine: "postgres", Version: "17", Class: "db.t4g.micro", StorageType: "gp2", User: "master",
		Address: "localhost", Storage: 20, Retention: 1, Port: 5432, Encrypted: true,
		Tags: map[string]string{"team": "shop"}, SGs: []string{"sg-0a1b2c3d", "sg-0123456789abcdef0"},
	}
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("described instance: -want +got:\n%s", diff)
	}
	if got.InstanceCreateTime == nil || aws.ToString(got.DbiResourceId) == "" {
		t.Errorf("InstanceCreateTime or DbiResourceId missing: %v %v", got.InstanceCreateTime, got.DbiResourceId)
	}
}

func TestCreateValidation(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	cases := map[string]struct {
		reason string
		change func(*rds.CreateDBInstanceInput)
		want   string
	}{
		"Valid": {
			reason: "A well-formed request is accepted.",
			change: func(*rds.CreateDBInstanceInput) {},
		},
		"IdentifierDoubleHyphen": {
			reason: "Identifiers must not contain two hyphens in a row.",
			change: func(in *rds.CreateDBInstanceInput) { in.DBInstanceIdentifier = aws.String("bad--id") },
			want:   "InvalidParameterValue",
		},
		"IdentifierDigitFirst": {
			reason: "Identifiers must begin with a letter.",
			change: func(in *rds.CreateDBInstanceInput) { in.DBInstanceIdentifier = aws.String("1db") },
			want:   "InvalidParameterValue",
		},
		"ShortPassword": {
			reason: "PostgreSQL master passwords have at least 8 characters.",
			change: func(in *rds.CreateDBInstanceInput) { in.MasterUserPassword = aws.String("short") },
			want:   "InvalidParameterValue",
		},
		"PasswordWithAt": {
			reason: "'@' is not allowed in a master password.",
			change: func(in *rds.CreateDBInstanceInput) { in.MasterUserPassword = aws.String("pass@word123") },
			want:   "InvalidParameterValue",
		},
		"StorageTooSmall": {
			reason: "gp2 storage starts at 20 GiB; RDS answers a size out of range InvalidParameterCombination (convox/rack#2846).",
			change: func(in *rds.CreateDBInstanceInput) { in.AllocatedStorage = aws.Int32(10) },
			want:   "InvalidParameterCombination",
		},
		"IO1TooSmall": {
			reason: "io1 storage starts at 100 GiB.",
			change: func(in *rds.CreateDBInstanceInput) {
				in.StorageType, in.Iops = aws.String("io1"), aws.Int32(1000)
				in.AllocatedStorage = aws.Int32(50)
			},
			want: "InvalidParameterCombination",
		},
		"IO1WithoutIOPS": {
			reason: "io1 and io2 need provisioned IOPS: \"The storage type io1 requires iops to be specified.\"",
			change: func(in *rds.CreateDBInstanceInput) {
				in.StorageType = aws.String("io1")
				in.AllocatedStorage = aws.Int32(100)
			},
			want: "InvalidParameterCombination",
		},
		"IO2WithIOPS": {
			reason: "io2 with its IOPS and enough storage is accepted.",
			change: func(in *rds.CreateDBInstanceInput) {
				in.StorageType, in.Iops = aws.String("io2"), aws.Int32(3000)
				in.AllocatedStorage = aws.Int32(100)
			},
		},
		"UnknownClass": {
			reason: "A class RDS does not offer (a typo) is refused as RDS refuses it.",
			change: func(in *rds.CreateDBInstanceInput) { in.DBInstanceClass = aws.String("db.t4g.micr") },
			want:   "InvalidParameterCombination",
		},
		"RetiredClass": {
			reason: "The t2 family is no longer offered for current versions.",
			change: func(in *rds.CreateDBInstanceInput) { in.DBInstanceClass = aws.String("db.t2.micro") },
			want:   "InvalidParameterCombination",
		},
		"GravitonClass": {
			reason: "A current class is accepted.",
			change: func(in *rds.CreateDBInstanceInput) { in.DBInstanceClass = aws.String("db.r7g.2xlarge") },
		},
		"RetiredPostgresMajor": {
			reason: "PostgreSQL 9.6 is no longer offered.",
			change: func(in *rds.CreateDBInstanceInput) { in.EngineVersion = aws.String("9.6") },
			want:   "InvalidParameterCombination",
		},
		"UnreleasedPostgresMajor": {
			reason: "PostgreSQL 19 is not offered.",
			change: func(in *rds.CreateDBInstanceInput) { in.EngineVersion = aws.String("19") },
			want:   "InvalidParameterCombination",
		},
		"PostgresMinor": {
			reason: "A major.minor of an offered major is accepted.",
			change: func(in *rds.CreateDBInstanceInput) { in.EngineVersion = aws.String("16.10") },
		},
		"UnknownSubnetGroup": {
			reason: "A DB subnet group the account does not hold: DBSubnetGroupNotFoundFault.",
			change: func(in *rds.CreateDBInstanceInput) { in.DBSubnetGroupName = aws.String("nope") },
			want:   "DBSubnetGroupNotFoundFault",
		},
		"DefaultSubnetGroup": {
			reason: "Every account has the default DB subnet group.",
			change: func(in *rds.CreateDBInstanceInput) { in.DBSubnetGroupName = aws.String("default") },
		},
		"UnknownKMSAlias": {
			reason: "A KMS alias the account does not hold: KMSKeyNotAccessibleFault.",
			change: func(in *rds.CreateDBInstanceInput) {
				in.StorageEncrypted, in.KmsKeyId = aws.Bool(true), aws.String("alias/doesnotexist")
			},
			want: "KMSKeyNotAccessibleFault",
		},
		"ReservedMaster": {
			reason: "rdsadmin is RDS's own user.",
			change: func(in *rds.CreateDBInstanceInput) { in.MasterUsername = aws.String("rdsadmin") },
			want:   "InvalidParameterValue",
		},
		"RetentionTooLong": {
			reason: "Backups are kept at most 35 days.",
			change: func(in *rds.CreateDBInstanceInput) { in.BackupRetentionPeriod = aws.Int32(36) },
			want:   "InvalidParameterValue",
		},
		"UnknownEngine": {
			reason: "Only known engines are accepted.",
			change: func(in *rds.CreateDBInstanceInput) { in.Engine = aws.String("oracle-se2") },
			want:   "InvalidParameterValue",
		},
	}
	i := 0
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			i++
			in := createInput(fmt.Sprintf("valid-%d", i))
			tc.change(in)
			_, err := c.CreateDBInstance(context.Background(), in)
			if diff := cmp.Diff(tc.want, errorCode(err)); diff != "" {
				t.Errorf("%s\nerror code: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestTypedErrors(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	if _, err := c.CreateDBInstance(ctx, createInput("busy")); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		reason string
		call   func() error
		check  func(error) bool
	}{
		"NotFound": {
			reason: "Describing an unknown instance is DBInstanceNotFoundFault.",
			call: func() error {
				_, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("nope")})
				return err
			},
			check: func(err error) bool { var e *types.DBInstanceNotFoundFault; return errors.As(err, &e) },
		},
		"AlreadyExists": {
			reason: "Creating an existing identifier (in any case) is DBInstanceAlreadyExistsFault.",
			call: func() error {
				_, err := c.CreateDBInstance(ctx, createInput("BUSY"))
				return err
			},
			check: func(err error) bool { var e *types.DBInstanceAlreadyExistsFault; return errors.As(err, &e) },
		},
		"ModifyWhileCreating": {
			reason: "An instance that is not available refuses modifications.",
			call: func() error {
				_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("busy"), AllocatedStorage: aws.Int32(40), ApplyImmediately: aws.Bool(true)})
				return err
			},
			check: func(err error) bool { var e *types.InvalidDBInstanceStateFault; return errors.As(err, &e) },
		},
		"SnapshotNotFound": {
			reason: "Describing an unknown snapshot is DBSnapshotNotFoundFault.",
			call: func() error {
				_, err := c.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("nope")})
				return err
			},
			check: func(err error) bool { var e *types.DBSnapshotNotFoundFault; return errors.As(err, &e) },
		},
		"DeleteNeedsSnapshotChoice": {
			reason: "Deleting needs exactly one of SkipFinalSnapshot and FinalDBSnapshotIdentifier.",
			call: func() error {
				_, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("busy")})
				return err
			},
			check: func(err error) bool { return errorCode(err) == "InvalidParameterCombination" },
		},
		"TagsOfUnknownInstance": {
			reason: "Tags of an unknown instance ARN are DBInstanceNotFoundFault.",
			call: func() error {
				_, err := c.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String("arn:aws:rds:us-east-1:123456789012:db:nope")})
				return err
			},
			check: func(err error) bool { var e *types.DBInstanceNotFoundFault; return errors.As(err, &e) },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			if !tc.check(err) {
				t.Errorf("%s\ngot error %T: %v", tc.reason, err, err)
			}
		})
	}
}

func TestDescribePaging(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	var want []string
	for i := range 45 {
		id := fmt.Sprintf("db-%02d", i)
		want = append(want, id)
		if _, err := c.CreateDBInstance(ctx, createInput(id)); err != nil {
			t.Fatalf("create %s: %v", id, err)
		}
	}

	var got []string
	var pages []int
	p := rds.NewDescribeDBInstancesPaginator(c, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(20)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("NextPage: %v", err)
		}
		pages = append(pages, len(out.DBInstances))
		for _, in := range out.DBInstances {
			got = append(got, aws.ToString(in.DBInstanceIdentifier))
		}
	}
	if diff := cmp.Diff([]int{20, 20, 5}, pages); diff != "" {
		t.Errorf("page sizes: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instances over all pages: -want +got:\n%s", diff)
	}

	out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{Filters: []types.Filter{{
		Name: aws.String("db-instance-id"), Values: []string{"db-07", "arn:aws:rds:us-east-1:123456789012:db:db-31"},
	}}})
	if err != nil {
		t.Fatalf("filter: %v", err)
	}
	var filtered []string
	for _, in := range out.DBInstances {
		filtered = append(filtered, aws.ToString(in.DBInstanceIdentifier))
	}
	if diff := cmp.Diff([]string{"db-07", "db-31"}, filtered); diff != "" {
		t.Errorf("db-instance-id filter by id and ARN: -want +got:\n%s", diff)
	}

	_, err = c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(10)})
	if diff := cmp.Diff("InvalidParameterValue", errorCode(err)); diff != "" {
		t.Errorf("MaxRecords 10: -want +got:\n%s", diff)
	}
}

func TestModifyStorage(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	in := createInput("grow")
	in.AllocatedStorage = aws.Int32(100)
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "grow", "available", 5*time.Second)

	_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("grow"), AllocatedStorage: aws.Int32(50), ApplyImmediately: aws.Bool(true)})
	if diff := cmp.Diff("InvalidParameterCombination", errorCode(err)); diff != "" {
		t.Errorf("shrinking storage (RDS: InvalidParameterCombination, \"Invalid storage size ...\"): -want +got:\n%s", diff)
	}

	out, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("grow"), AllocatedStorage: aws.Int32(105), DBInstanceClass: aws.String("db.m7g.large"), ApplyImmediately: aws.Bool(true)})
	if err != nil {
		t.Fatalf("grow storage: %v", err)
	}
	if diff := cmp.Diff(int32(110), aws.ToInt32(out.DBInstance.PendingModifiedValues.AllocatedStorage)); diff != "" {
		t.Errorf("pending storage after asking 105 of 100: -want +got:\n%s", diff)
	}
	seen := waitStatus(t, c, "grow", "available", 5*time.Second)
	if diff := cmp.Diff([]string{"modifying", "available"}, seen); diff != "" {
		t.Errorf("statuses: -want +got:\n%s", diff)
	}
	got := describe(t, c, "grow")
	if diff := cmp.Diff([]any{int32(110), "db.m7g.large", (*int32)(nil)}, []any{aws.ToInt32(got.AllocatedStorage), aws.ToString(got.DBInstanceClass), got.PendingModifiedValues.AllocatedStorage}); diff != "" {
		t.Errorf("after modifying: -want +got:\n%s", diff)
	}

	out, err = c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("grow"), BackupRetentionPeriod: aws.Int32(7), ApplyImmediately: aws.Bool(false)})
	if err != nil {
		t.Fatalf("deferred modify: %v", err)
	}
	if diff := cmp.Diff([]any{"available", int32(7)}, []any{aws.ToString(out.DBInstance.DBInstanceStatus), aws.ToInt32(out.DBInstance.PendingModifiedValues.BackupRetentionPeriod)}); diff != "" {
		t.Errorf("deferred modify stays available with a pending value: -want +got:\n%s", diff)
	}
}

func TestDeleteWithFinalSnapshot(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	if _, err := c.CreateDBInstance(ctx, createInput("doomed")); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "doomed", "available", 5*time.Second)

	out, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("doomed"), FinalDBSnapshotIdentifier: aws.String("doomed-final")})
	if err != nil {
		t.Fatalf("DeleteDBInstance: %v", err)
	}
	if diff := cmp.Diff("deleting", aws.ToString(out.DBInstance.DBInstanceStatus)); diff != "" {
		t.Errorf("status answered by delete: -want +got:\n%s", diff)
	}
	_, err = c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("doomed"), SkipFinalSnapshot: aws.Bool(true)})
	var state *types.InvalidDBInstanceStateFault
	if !errors.As(err, &state) {
		t.Errorf("second delete: got %v, want InvalidDBInstanceStateFault", err)
	}
	waitGone(t, c, "doomed", 5*time.Second)

	snaps, err := c.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String("doomed")})
	if err != nil {
		t.Fatalf("DescribeDBSnapshots: %v", err)
	}
	var got []string
	for _, s := range snaps.DBSnapshots {
		got = append(got, aws.ToString(s.DBSnapshotIdentifier)+" "+aws.ToString(s.SnapshotType)+" "+aws.ToString(s.Status))
	}
	if diff := cmp.Diff([]string{"doomed-final manual available"}, got); diff != "" {
		t.Errorf("snapshots after delete (automated ones go with the instance): -want +got:\n%s", diff)
	}

	if _, err := c.CreateDBInstance(ctx, createInput("other")); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "other", "available", 5*time.Second)
	_, err = c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("other"), FinalDBSnapshotIdentifier: aws.String("doomed-final")})
	var exists *types.DBSnapshotAlreadyExistsFault
	if !errors.As(err, &exists) {
		t.Errorf("final snapshot with a taken id: got %v, want DBSnapshotAlreadyExistsFault", err)
	}
}

func TestSnapshotLifecycle(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	in := createInput("snappy")
	in.BackupRetentionPeriod = aws.Int32(0)
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Fatal(err)
	}
	seen := waitStatus(t, c, "snappy", "available", 5*time.Second)
	if diff := cmp.Diff([]string{"creating", "available"}, seen); diff != "" {
		t.Errorf("without backups there is no backing-up: -want +got:\n%s", diff)
	}
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("snappy"), DBSnapshotIdentifier: aws.String("snap-1")}); err != nil {
		t.Fatalf("CreateDBSnapshot: %v", err)
	}
	if diff := cmp.Diff("backing-up", aws.ToString(describe(t, c, "snappy").DBInstanceStatus)); diff != "" {
		t.Errorf("instance during snapshot: -want +got:\n%s", diff)
	}
	waitStatus(t, c, "snappy", "available", 5*time.Second)
	out, err := c.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{SnapshotType: aws.String("manual")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.DBSnapshots) != 1 || aws.ToString(out.DBSnapshots[0].Status) != "available" {
		t.Fatalf("manual snapshots: got %+v", out.DBSnapshots)
	}
	if _, err := c.DeleteDBSnapshot(ctx, &rds.DeleteDBSnapshotInput{DBSnapshotIdentifier: aws.String("snap-1")}); err != nil {
		t.Fatalf("DeleteDBSnapshot: %v", err)
	}
	_, err = c.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("snap-1")})
	var nf *types.DBSnapshotNotFoundFault
	if !errors.As(err, &nf) {
		t.Errorf("deleted snapshot: got %v, want DBSnapshotNotFoundFault", err)
	}
}

func TestTagsRoundTrip(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	if _, err := c.CreateDBInstance(ctx, createInput("tagged")); err != nil {
		t.Fatal(err)
	}
	arn := aws.String("arn:aws:rds:us-east-1:123456789012:db:tagged")
	if _, err := c.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: arn, Tags: []types.Tag{
		{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")},
	}}); err != nil {
		t.Fatalf("AddTagsToResource: %v", err)
	}
	if _, err := c.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: arn, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("3")}}}); err != nil {
		t.Fatalf("AddTagsToResource overwrite: %v", err)
	}
	if _, err := c.RemoveTagsFromResource(ctx, &rds.RemoveTagsFromResourceInput{ResourceName: arn, TagKeys: []string{"b"}}); err != nil {
		t.Fatalf("RemoveTagsFromResource: %v", err)
	}
	out, err := c.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: arn})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	got := map[string]string{}
	for _, tg := range out.TagList {
		got[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if diff := cmp.Diff(map[string]string{"a": "3"}, got); diff != "" {
		t.Errorf("tags: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff(1, len(describe(t, c, "tagged").TagList)); diff != "" {
		t.Errorf("TagList on the instance: -want +got:\n%s", diff)
	}
}
