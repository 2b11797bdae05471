package emulator

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// createAvailable creates an instance from createInput(id), changed by change, and waits
// until it is available.
func createAvailable(t *testing.T, c *rds.Client, id string, change func(*rds.CreateDBInstanceInput)) {
	t.Helper()
	in := createInput(id)
	in.BackupRetentionPeriod = aws.Int32(1)
	if change != nil {
		change(in)
	}
	if _, err := c.CreateDBInstance(context.Background(), in); err != nil {
		t.Fatalf("CreateDBInstance %s: %v", id, err)
	}
	waitStatus(t, c, id, "available", 5*time.Second)
}

// errorMessage returns the API error message of err, "" for nil.
func errorMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

func TestModifyStorageType(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "disk", nil) // gp2, 20 GiB

	cases := []struct {
		reason string
		input  rds.ModifyDBInstanceInput
		want   string
	}{
		{
			reason: "An unknown storage type is refused.",
			input:  rds.ModifyDBInstanceInput{StorageType: aws.String("gp9")},
			want:   "InvalidParameterValue",
		},
		{
			reason: "io1 starts at 100 GiB, so 20 GiB cannot move to it as is.",
			input:  rds.ModifyDBInstanceInput{StorageType: aws.String("io1")},
			want:   "InvalidParameterCombination",
		},
		{
			reason: "io2 without IOPS is refused: provisioned IOPS storage needs its IOPS.",
			input:  rds.ModifyDBInstanceInput{StorageType: aws.String("io2"), AllocatedStorage: aws.Int32(100)},
			want:   "InvalidParameterCombination",
		},
		{
			reason: "io2 with enough storage and its IOPS in the same request is accepted.",
			input:  rds.ModifyDBInstanceInput{StorageType: aws.String("io2"), AllocatedStorage: aws.Int32(100), Iops: aws.Int32(3000)},
		},
	}
	for _, tc := range cases {
		in := tc.input
		in.DBInstanceIdentifier, in.ApplyImmediately = aws.String("disk"), aws.Bool(true)
		out, err := c.ModifyDBInstance(ctx, &in)
		if diff := cmp.Diff(tc.want, errorCode(err)); diff != "" {
			t.Fatalf("%s\nerror code: -want +got:\n%s", tc.reason, diff)
		}
		if err == nil {
			pend := out.DBInstance.PendingModifiedValues
			if diff := cmp.Diff([]any{"modifying", "io2", int32(100)}, []any{aws.ToString(out.DBInstance.DBInstanceStatus), aws.ToString(pend.StorageType), aws.ToInt32(pend.AllocatedStorage)}); diff != "" {
				t.Errorf("%s\nstatus and pending values: -want +got:\n%s", tc.reason, diff)
			}
		}
	}
	seen := waitStatus(t, c, "disk", "available", 5*time.Second)
	if diff := cmp.Diff([]string{"modifying", "available"}, seen); diff != "" {
		t.Errorf("statuses: -want +got:\n%s", diff)
	}
	got := describe(t, c, "disk")
	if diff := cmp.Diff([]any{"io2", int32(100), (*string)(nil)}, []any{aws.ToString(got.StorageType), aws.ToInt32(got.AllocatedStorage), got.PendingModifiedValues.StorageType}); diff != "" {
		t.Errorf("after modifying: -want +got:\n%s", diff)
	}

	// Back to gp3: 100 GiB fits, and the storage stays as it is.
	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("disk"), StorageType: aws.String("gp3"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatalf("to gp3: %v", err)
	}
	waitStatus(t, c, "disk", "available", 5*time.Second)
	if diff := cmp.Diff("gp3", aws.ToString(describe(t, c, "disk").StorageType)); diff != "" {
		t.Errorf("storage type: -want +got:\n%s", diff)
	}
}

func TestModifyEngineVersion(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	cases := map[string]struct {
		reason      string
		to          string
		allowMajor  bool
		wantCode    string
		wantMessage string
		// wantStatuses are the statuses seen after the call until available; wantVersion
		// the version then.
		wantStatuses []string
		wantVersion  string
	}{
		"MajorWithoutFlag": {
			reason: "A new major version without AllowMajorVersionUpgrade is refused with AWS's message.",
			to:     "17", wantCode: "InvalidParameterCombination",
			wantMessage:  "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.",
			wantStatuses: []string{"available"}, wantVersion: "16.10",
		},
		"MajorWithFlag": {
			reason: "With the flag the instance goes modifying and reports the version asked for.",
			to:     "17", allowMajor: true,
			wantStatuses: []string{"modifying", "available"}, wantVersion: "17",
		},
		"MinorUpgrade": {
			reason:       "A newer minor version needs no flag.",
			to:           "16.12",
			wantStatuses: []string{"modifying", "available"}, wantVersion: "16.12",
		},
		"Downgrade": {
			reason: "A lower version is refused with AWS's message.",
			to:     "16.9", allowMajor: true, wantCode: "InvalidParameterCombination",
			wantMessage:  "Cannot upgrade postgres from 16.10 to 16.9",
			wantStatuses: []string{"available"}, wantVersion: "16.10",
		},
		"SameMajorOnly": {
			reason:       "Asking for the current major version (16 on 16.10) changes nothing.",
			to:           "16",
			wantStatuses: []string{"available"}, wantVersion: "16.10",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			id := strings.ToLower(name)
			createAvailable(t, c, id, func(in *rds.CreateDBInstanceInput) { in.EngineVersion = aws.String("16.10") })
			_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
				DBInstanceIdentifier: aws.String(id), EngineVersion: aws.String(tc.to),
				AllowMajorVersionUpgrade: aws.Bool(tc.allowMajor), ApplyImmediately: aws.Bool(true),
			})
			if diff := cmp.Diff([]string{tc.wantCode, tc.wantMessage}, []string{errorCode(err), errorMessage(err)}); diff != "" {
				t.Errorf("%s\nerror: -want +got:\n%s", tc.reason, diff)
			}
			seen := waitStatus(t, c, id, "available", 5*time.Second)
			if diff := cmp.Diff(tc.wantStatuses, seen); diff != "" {
				t.Errorf("%s\nstatuses: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantVersion, aws.ToString(describe(t, c, id).EngineVersion)); diff != "" {
				t.Errorf("%s\nversion: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestModifyNothingStaysAvailable(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "steady", nil)

	out, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String("steady"), ApplyImmediately: aws.Bool(true),
		DBInstanceClass: aws.String("db.t4g.micro"), AllocatedStorage: aws.Int32(20), StorageType: aws.String("gp2"),
		BackupRetentionPeriod: aws.Int32(1), EngineVersion: aws.String("17"),
	})
	if err != nil {
		t.Fatalf("ModifyDBInstance with current values: %v", err)
	}
	if diff := cmp.Diff("available", aws.ToString(out.DBInstance.DBInstanceStatus)); diff != "" {
		t.Errorf("answered status: -want +got:\n%s", diff)
	}
	time.Sleep(2 * fastDelays.Modify)
	got := describe(t, c, "steady")
	if diff := cmp.Diff([]any{"available", types.PendingModifiedValues{}}, []any{aws.ToString(got.DBInstanceStatus), *got.PendingModifiedValues}, cmp.Comparer(pendingEqual)); diff != "" {
		t.Errorf("after a modification that changes nothing: -want +got:\n%s", diff)
	}
}

// pendingEqual compares the pending values the emulator reports.
func pendingEqual(a, b types.PendingModifiedValues) bool {
	return cmp.Equal(
		[]any{a.AllocatedStorage, a.BackupRetentionPeriod, a.DBInstanceClass, a.EngineVersion, a.StorageType},
		[]any{b.AllocatedStorage, b.BackupRetentionPeriod, b.DBInstanceClass, b.EngineVersion, b.StorageType})
}

func TestPendingUntilMaintenance(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "later", func(in *rds.CreateDBInstanceInput) { in.EngineVersion = aws.String("16.10") })
	createAvailable(t, c, "untouched", nil)

	_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String("later"), ApplyImmediately: aws.Bool(false),
		AllocatedStorage: aws.Int32(30), DBInstanceClass: aws.String("db.m7g.large"), StorageType: aws.String("gp3"),
		EngineVersion: aws.String("17"), AllowMajorVersionUpgrade: aws.Bool(true), BackupRetentionPeriod: aws.Int32(7),
	})
	if err != nil {
		t.Fatalf("deferred ModifyDBInstance: %v", err)
	}
	time.Sleep(2 * fastDelays.Modify)
	got := describe(t, c, "later")
	wantPending := types.PendingModifiedValues{
		AllocatedStorage: aws.Int32(30), DBInstanceClass: aws.String("db.m7g.large"), StorageType: aws.String("gp3"),
		EngineVersion: aws.String("17"), BackupRetentionPeriod: aws.Int32(7),
	}
	if diff := cmp.Diff([]any{"available", wantPending}, []any{aws.ToString(got.DBInstanceStatus), *got.PendingModifiedValues}, cmp.Comparer(pendingEqual)); diff != "" {
		t.Errorf("before the maintenance window: -want +got:\n%s", diff)
	}

	if diff := cmp.Diff([]string{"later"}, e.ApplyPendingMaintenance()); diff != "" {
		t.Errorf("instances the maintenance window modifies: -want +got:\n%s", diff)
	}
	seen := waitStatus(t, c, "later", "available", 5*time.Second)
	if diff := cmp.Diff([]string{"modifying", "available"}, seen); diff != "" {
		t.Errorf("statuses in the maintenance window: -want +got:\n%s", diff)
	}
	got = describe(t, c, "later")
	type values struct {
		Storage, Retention          int32
		Class, StorageType, Version string
		Pending                     types.PendingModifiedValues
	}
	wantValues := values{Storage: 30, Retention: 7, Class: "db.m7g.large", StorageType: "gp3", Version: "17"}
	gotValues := values{
		Storage: aws.ToInt32(got.AllocatedStorage), Retention: aws.ToInt32(got.BackupRetentionPeriod),
		Class: aws.ToString(got.DBInstanceClass), StorageType: aws.ToString(got.StorageType), Version: aws.ToString(got.EngineVersion),
		Pending: *got.PendingModifiedValues,
	}
	if diff := cmp.Diff(wantValues, gotValues, cmp.Comparer(pendingEqual)); diff != "" {
		t.Errorf("after the maintenance window: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff("available", aws.ToString(describe(t, c, "untouched").DBInstanceStatus)); diff != "" {
		t.Errorf("instance without pending values: -want +got:\n%s", diff)
	}
}

func TestApplyImmediatelyTakesPendingAlong(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "both", nil)

	modify := func(in rds.ModifyDBInstanceInput) *types.DBInstance {
		t.Helper()
		in.DBInstanceIdentifier = aws.String("both")
		out, err := c.ModifyDBInstance(ctx, &in)
		if err != nil {
			t.Fatalf("ModifyDBInstance: %v", err)
		}
		return out.DBInstance
	}
	modify(rds.ModifyDBInstanceInput{DBInstanceClass: aws.String("db.m7g.large"), ApplyImmediately: aws.Bool(false)})
	got := modify(rds.ModifyDBInstanceInput{BackupRetentionPeriod: aws.Int32(5), ApplyImmediately: aws.Bool(true)})
	if diff := cmp.Diff([]any{"modifying", "db.m7g.large", int32(5)}, []any{aws.ToString(got.DBInstanceStatus), aws.ToString(got.PendingModifiedValues.DBInstanceClass), aws.ToInt32(got.PendingModifiedValues.BackupRetentionPeriod)}); diff != "" {
		t.Errorf("an immediate modification takes the pending one along: -want +got:\n%s", diff)
	}
	waitStatus(t, c, "both", "available", 5*time.Second)
	after := describe(t, c, "both")
	if diff := cmp.Diff([]any{"db.m7g.large", int32(5)}, []any{aws.ToString(after.DBInstanceClass), aws.ToInt32(after.BackupRetentionPeriod)}); diff != "" {
		t.Errorf("after modifying: -want +got:\n%s", diff)
	}

	// ApplyImmediately alone applies what is pending, as RDS does.
	modify(rds.ModifyDBInstanceInput{AllocatedStorage: aws.Int32(40), ApplyImmediately: aws.Bool(false)})
	got = modify(rds.ModifyDBInstanceInput{ApplyImmediately: aws.Bool(true)})
	if diff := cmp.Diff("modifying", aws.ToString(got.DBInstanceStatus)); diff != "" {
		t.Errorf("ApplyImmediately with pending values: -want +got:\n%s", diff)
	}
	waitStatus(t, c, "both", "available", 5*time.Second)
	if diff := cmp.Diff(int32(40), aws.ToInt32(describe(t, c, "both").AllocatedStorage)); diff != "" {
		t.Errorf("storage: -want +got:\n%s", diff)
	}
}
