package emulator

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"
)

func TestProvisionedStorage(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	create := []struct {
		reason           string
		id, storageType  string
		gib              int32
		iops, throughput *int32
		wantCode         string
		// wantIOPS and wantThroughput are what DescribeDBInstances reports, 0 for absent.
		wantIOPS, wantThroughput int32
	}{
		{reason: "gp3 below 400 GiB reports its baseline: 3,000 IOPS and 125 MiB/s.", id: "gp3-small", storageType: "gp3", gib: 20, wantIOPS: 3000, wantThroughput: 125},
		{reason: "gp3 from 400 GiB reports its larger baseline.", id: "gp3-large", storageType: "gp3", gib: 400, wantIOPS: 12000, wantThroughput: 500},
		{reason: "gp3 from 400 GiB takes provisioned IOPS and throughput.", id: "gp3-prov", storageType: "gp3", gib: 500, iops: aws.Int32(16000), throughput: aws.Int32(1000), wantIOPS: 16000, wantThroughput: 1000},
		{reason: "gp3 below 400 GiB takes neither (RDS: \"You can't specify IOPS or storage throughput ... less than 400\").", id: "gp3-refused", storageType: "gp3", gib: 100, iops: aws.Int32(4000), wantCode: codeInvalidCombination},
		{reason: "gp2 reports no IOPS.", id: "gp2", storageType: "gp2", gib: 20},
		{reason: "gp2 takes no provisioned IOPS.", id: "gp2-refused", storageType: "gp2", gib: 20, iops: aws.Int32(3000), wantCode: codeInvalidCombination},
		{reason: "io1 reports its provisioned IOPS.", id: "io1", storageType: "io1", gib: 100, iops: aws.Int32(3000), wantIOPS: 3000},
		{reason: "io1 allows at most 50 IOPS per GiB.", id: "io1-ratio", storageType: "io1", gib: 100, iops: aws.Int32(6000), wantCode: codeInvalidCombination},
		{reason: "io2 allows up to 1,000 IOPS per GiB.", id: "io2", storageType: "io2", gib: 100, iops: aws.Int32(64000), wantIOPS: 64000},
	}
	for _, tc := range create {
		in := createInput(tc.id)
		in.StorageType, in.AllocatedStorage, in.Iops, in.StorageThroughput = aws.String(tc.storageType), aws.Int32(tc.gib), tc.iops, tc.throughput
		_, err := c.CreateDBInstance(ctx, in)
		if got := errorCode(err); got != tc.wantCode {
			t.Errorf("%s\nCreateDBInstance: code %q (%v), want %q", tc.reason, got, err, tc.wantCode)
			continue
		}
		if err != nil {
			continue
		}
		got := describe(t, c, tc.id)
		if diff := cmp.Diff([]int32{tc.wantIOPS, tc.wantThroughput}, []int32{aws.ToInt32(got.Iops), aws.ToInt32(got.StorageThroughput)}); diff != "" {
			t.Errorf("%s\nIOPS, throughput: -want +got:\n%s", tc.reason, diff)
		}
	}

	// An instance with provisioned IOPS takes a new size or IOPS only with both.
	waitStatus(t, c, "io1", "available", 5*time.Second)
	modify := []struct {
		reason   string
		in       rds.ModifyDBInstanceInput
		wantCode string
	}{
		{reason: "A new size alone is refused on storage with IOPS.", in: rds.ModifyDBInstanceInput{AllocatedStorage: aws.Int32(200)}, wantCode: codeInvalidCombination},
		{reason: "New IOPS alone are refused too.", in: rds.ModifyDBInstanceInput{Iops: aws.Int32(4000)}, wantCode: codeInvalidCombination},
		{reason: "Both together are taken.", in: rds.ModifyDBInstanceInput{AllocatedStorage: aws.Int32(200), Iops: aws.Int32(8000)}},
	}
	for _, tc := range modify {
		in := tc.in
		in.DBInstanceIdentifier, in.ApplyImmediately = aws.String("io1"), aws.Bool(true)
		_, err := c.ModifyDBInstance(ctx, &in)
		if got := errorCode(err); got != tc.wantCode {
			t.Errorf("%s\nModifyDBInstance: code %q (%v), want %q", tc.reason, got, err, tc.wantCode)
		}
	}
	// gp3 with provisioned IOPS grows alone: the rule is io1's and io2's.
	waitStatus(t, c, "gp3-prov", "available", 5*time.Second)
	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("gp3-prov"), AllocatedStorage: aws.Int32(600), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Errorf("growing gp3 with provisioned IOPS alone: %v", err)
	}
	waitStatus(t, c, "io1", "available", 10*time.Second)
	got := describe(t, c, "io1")
	if aws.ToInt32(got.AllocatedStorage) != 200 || aws.ToInt32(got.Iops) != 8000 {
		t.Errorf("after the modification: %d GiB, %d IOPS; want 200 GiB, 8000 IOPS", aws.ToInt32(got.AllocatedStorage), aws.ToInt32(got.Iops))
	}
}
