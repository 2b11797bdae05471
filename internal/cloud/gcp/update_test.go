package gcp

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

func TestChangesOf(t *testing.T) {
	labels, err := encodeLabels(map[string]string{"team": "payments"}, map[string]string{keyMasterUser: "sysadmin", keyMasterPending: ""})
	if err != nil {
		t.Fatal(err)
	}
	current := func() *sqladmin.DatabaseInstance {
		return &sqladmin.DatabaseInstance{
			DatabaseVersion: "POSTGRES_16",
			Settings: &sqladmin.Settings{
				SettingsVersion: 4, Tier: "db-f1-micro", DataDiskType: "PD_SSD", DataDiskSizeGb: 20, AvailabilityType: "ZONAL",
				IpConfiguration: &sqladmin.IpConfiguration{Ipv4Enabled: true, RequireSsl: true},
				BackupConfiguration: &sqladmin.BackupConfiguration{Enabled: true, StartTime: "03:00", PointInTimeRecoveryEnabled: true,
					BackupRetentionSettings: &sqladmin.BackupRetentionSettings{RetainedBackups: 7, RetentionUnit: "COUNT"}},
				UserLabels: labels,
			},
		}
	}
	withoutPending, err := relabel(labels, nil, map[string]*string{keyMasterPending: nil})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		reason  string
		changes cloud.Changes
		opts    cloud.UpdateOptions
		want    *sqladmin.DatabaseInstance
		kind    error
		wantErr bool
	}{
		{
			reason:  "Values equal to the instance's make no patch at all.",
			changes: cloud.Changes{InstanceClass: new("db-f1-micro"), AllocatedStorageGiB: new(int32(20)), BackupRetentionDays: new(int32(7)), MultiAZ: new(false), PubliclyAccessible: new(true), EngineVersion: new("16.4"), CopyTagsToSnapshots: new(true)},
		},
		{
			reason:  "Only the settings that differ are sent.",
			changes: cloud.Changes{InstanceClass: new("db-custom-2-7680"), AllocatedStorageGiB: new(int32(20)), MultiAZ: new(true)},
			want:    &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{Tier: "db-custom-2-7680", AvailabilityType: "REGIONAL"}},
		},
		{
			reason:  "A retention change sends the whole backup configuration, Cloud SQL replacing it whole, with the rest kept.",
			changes: cloud.Changes{BackupRetentionDays: new(int32(14))},
			want: &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{BackupConfiguration: &sqladmin.BackupConfiguration{
				Enabled: true, StartTime: "03:00", PointInTimeRecoveryEnabled: true, ForceSendFields: []string{"Enabled"},
				BackupRetentionSettings: &sqladmin.BackupRetentionSettings{RetainedBackups: 14, RetentionUnit: "COUNT"}}}},
		},
		{
			reason:  "Zero days turns automated backups off.",
			changes: cloud.Changes{BackupRetentionDays: new(int32(0))},
			want: &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{BackupConfiguration: &sqladmin.BackupConfiguration{
				Enabled: false, StartTime: "03:00", PointInTimeRecoveryEnabled: true, ForceSendFields: []string{"Enabled"},
				BackupRetentionSettings: &sqladmin.BackupRetentionSettings{RetainedBackups: 7, RetentionUnit: "COUNT"}}}},
		},
		{
			reason:  "Taking the public address away sends the whole IP configuration with ipv4Enabled false forced into the JSON.",
			changes: cloud.Changes{PubliclyAccessible: new(false)},
			want:    &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{IpConfiguration: &sqladmin.IpConfiguration{RequireSsl: true, ForceSendFields: []string{"Ipv4Enabled"}}}},
		},
		{
			reason:  "Once the master password is set the master user exists: the pending label goes, the master user's stays.",
			changes: cloud.Changes{MasterPassword: new("secret")},
			want:    &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{UserLabels: withoutPending}},
		},
		{
			reason:  "A storage autoscaling limit above the disk turns Cloud SQL's auto-resize on up to it.",
			changes: cloud.Changes{MaxAllocatedStorageGiB: new(int32(100))},
			want:    &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{StorageAutoResize: new(true), StorageAutoResizeLimit: 100}},
		},
		{
			reason:  "The disk's current size turns auto-resize off (on, without limit, is Cloud SQL's default).",
			changes: cloud.Changes{MaxAllocatedStorageGiB: new(int32(20))},
			want:    &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{StorageAutoResize: new(false)}},
		},
		{
			reason:  "A limit compares with the disk as the same patch grows it.",
			changes: cloud.Changes{AllocatedStorageGiB: new(int32(50)), MaxAllocatedStorageGiB: new(int32(50))},
			want:    &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{DataDiskSizeGb: 50, StorageAutoResize: new(false)}},
		},
		{
			reason:  "A major version upgrade needs AllowMajorVersionUpgrade.",
			changes: cloud.Changes{EngineVersion: new("17")},
			wantErr: true,
		},
		{
			reason:  "An allowed major version upgrade is a new databaseVersion.",
			changes: cloud.Changes{EngineVersion: new("17")},
			opts:    cloud.UpdateOptions{AllowMajorVersionUpgrade: true},
			want:    &sqladmin.DatabaseInstance{DatabaseVersion: "POSTGRES_17", Settings: &sqladmin.Settings{}},
		},
		{
			reason:  "Another Cloud SQL disk type is sent, for Cloud SQL to make or refuse.",
			changes: cloud.Changes{StorageType: new("PD_HDD")},
			want:    &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{DataDiskType: "PD_HDD"}},
		},
		{
			reason:  "An RDS storage type is no Cloud SQL disk.",
			changes: cloud.Changes{StorageType: new("gp3")},
			kind:    cloud.ErrUnsupported, wantErr: true,
		},
	}
	for _, tc := range cases {
		got, err := changesOf("op", current(), tc.changes, tc.opts)
		if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, tc.kind) && tc.kind != nil) {
			t.Errorf("%s\nchangesOf error = %v; want error %t of kind %v", tc.reason, err, tc.wantErr, tc.kind)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(sqladmin.DatabaseInstance{})); diff != "" {
			t.Errorf("%s\npatch, -want +got:\n%s", tc.reason, diff)
		}
	}
}
