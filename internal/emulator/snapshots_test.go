package emulator

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	// nightlyARN is the ARN of the snapshot the ARN tests take, in the emulator's default
	// region and account.
	nightlyARN = "arn:aws:rds:us-east-1:123456789012:snapshot:nightly"
	// otherAccountARN and otherRegionARN name a snapshot of the same identifier that the
	// emulator, with one account and region, cannot have.
	otherAccountARN = "arn:aws:rds:us-east-1:210987654321:snapshot:nightly"
	otherRegionARN  = "arn:aws:rds:eu-west-1:123456789012:snapshot:nightly"
)

// startWithNightly starts an emulator with an instance "source" (no automated backups)
// and its available manual snapshot "nightly", tagged with ownerTag.
func startWithNightly(t *testing.T) *rds.Client {
	t.Helper()
	_, c := start(t, Config{NoEngine: true})
	createAvailable(t, c, "source", func(in *rds.CreateDBInstanceInput) { in.BackupRetentionPeriod = aws.Int32(0) })
	if _, err := c.CreateDBSnapshot(context.Background(), &rds.CreateDBSnapshotInput{
		DBInstanceIdentifier: aws.String("source"), DBSnapshotIdentifier: aws.String("nightly"), Tags: []types.Tag{ownerTag},
	}); err != nil {
		t.Fatalf("CreateDBSnapshot: %v", err)
	}
	waitSnapshot(t, c, "nightly", "available", 5*time.Second)
	return c
}

func TestDescribeSnapshotByARN(t *testing.T) {
	c := startWithNightly(t)
	type found struct{ ID, ARN string }
	type summary struct {
		Found []found
		Tags  []map[string]string
		Code  string
	}
	cases := map[string]struct {
		reason string
		input  rds.DescribeDBSnapshotsInput
		want   summary
	}{
		"Identifier": {
			reason: "An identifier names the snapshot, which carries its ARN and TagList.",
			input:  rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("nightly")},
			want:   summary{Found: []found{{"nightly", nightlyARN}}, Tags: []map[string]string{{"matrixmind.cloud/owner": "team-a/orders"}}},
		},
		"ARN": {
			reason: "The snapshot's own ARN names it as its identifier does.",
			input:  rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(nightlyARN)},
			want:   summary{Found: []found{{"nightly", nightlyARN}}, Tags: []map[string]string{{"matrixmind.cloud/owner": "team-a/orders"}}},
		},
		"OtherAccountARN": {
			reason: "The ARN of a snapshot of another account is not found: the emulator has one account.",
			input:  rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(otherAccountARN)},
			want:   summary{Code: "DBSnapshotNotFound"},
		},
		"OtherRegionARN": {
			reason: "The ARN of a snapshot of another region is not found: the emulator has one region.",
			input:  rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(otherRegionARN)},
			want:   summary{Code: "DBSnapshotNotFound"},
		},
		"ClusterSnapshotARN": {
			reason: "A cluster snapshot's ARN names no DB snapshot.",
			input:  rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("arn:aws:rds:us-east-1:123456789012:cluster-snapshot:nightly")},
			want:   summary{Code: "DBSnapshotNotFound"},
		},
		"IncludeSharedAndPublic": {
			reason: "IncludeShared and IncludePublic are accepted; there is nothing shared or public to add.",
			input:  rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String("source"), IncludeShared: aws.Bool(true), IncludePublic: aws.Bool(true)},
			want:   summary{Found: []found{{"nightly", nightlyARN}}, Tags: []map[string]string{{"matrixmind.cloud/owner": "team-a/orders"}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := c.DescribeDBSnapshots(context.Background(), &tc.input)
			got := summary{Code: errorCode(err)}
			if out != nil {
				for _, s := range out.DBSnapshots {
					got.Found = append(got.Found, found{aws.ToString(s.DBSnapshotIdentifier), aws.ToString(s.DBSnapshotArn)})
					got.Tags = append(got.Tags, tagMap(s.TagList))
				}
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRestoreFromSnapshotARN(t *testing.T) {
	c := startWithNightly(t)
	cases := map[string]struct {
		reason   string
		snapshot string
		wantCode string
		// wantTags are the restored instance's tags, the snapshot's.
		wantTags map[string]string
	}{
		"ARN": {
			reason:   "RestoreDBInstanceFromDBSnapshot takes the snapshot's ARN as its identifier.",
			snapshot: nightlyARN, wantTags: map[string]string{"matrixmind.cloud/owner": "team-a/orders"},
		},
		"OtherAccountARN": {
			reason:   "A snapshot of another account (a shared one on AWS) is not found.",
			snapshot: otherAccountARN, wantCode: "DBSnapshotNotFound",
		},
		"OtherRegionARN": {
			reason:   "A snapshot of another region is not found: it would have to be copied here first.",
			snapshot: otherRegionARN, wantCode: "DBSnapshotNotFound",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := c.RestoreDBInstanceFromDBSnapshot(context.Background(), &rds.RestoreDBInstanceFromDBSnapshotInput{
				DBInstanceIdentifier: aws.String("from-" + name), DBSnapshotIdentifier: aws.String(tc.snapshot),
			})
			if diff := cmp.Diff(tc.wantCode, errorCode(err)); diff != "" {
				t.Fatalf("%s\nerror code: -want +got:\n%s", tc.reason, diff)
			}
			if err != nil {
				return
			}
			id := aws.ToString(out.DBInstance.DBInstanceIdentifier)
			waitStatus(t, c, id, "available", 5*time.Second)
			if diff := cmp.Diff(tc.wantTags, tagMap(describe(t, c, id).TagList)); diff != "" {
				t.Errorf("%s\nrestored instance's tags: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
