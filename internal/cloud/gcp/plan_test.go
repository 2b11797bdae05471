package gcp

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

func TestPlan(t *testing.T) {
	p := &Provider{}
	d := desiredPostgres()
	d.SecurityGroupIDs, d.KMSKeyID = nil, ""
	in := instance(must(p.newInstance("op", d)), "acme", false)
	in.AllocatedStorageGiB = 23 // Cloud SQL grew the disk by itself
	cases := []struct {
		reason      string
		change      func(*cloud.Desired, *cloud.Instance)
		keepVersion bool
		want        cloud.Changes
	}{
		{"A database made as desired (its minor version Cloud SQL's, its disk grown by Cloud SQL) needs nothing.", func(*cloud.Desired, *cloud.Instance) {}, false, cloud.Changes{}},
		{"An empty storage type is Cloud SQL's default, PD_SSD.", func(d *cloud.Desired, in *cloud.Instance) { d.StorageType, in.StorageType = "", "PD_SSD" }, false, cloud.Changes{}},
		{"An empty backup window is Cloud SQL's choice.", func(d *cloud.Desired, _ *cloud.Instance) { d.BackupWindow = "" }, false, cloud.Changes{}},
		{"A new major version is a change.", func(d *cloud.Desired, _ *cloud.Instance) { d.EngineVersion = "17" }, false, cloud.Changes{EngineVersion: new("17")}},
		{"keepVersion leaves the version alone.", func(d *cloud.Desired, _ *cloud.Instance) { d.EngineVersion = "17" }, true, cloud.Changes{}},
		{"A bigger disk is a change; a smaller one is not.", func(d *cloud.Desired, _ *cloud.Instance) { d.AllocatedStorageGiB = 30 }, false, cloud.Changes{AllocatedStorageGiB: new(int32(30))}},
		{"Another tier, retention, window and availability are changes.", func(d *cloud.Desired, _ *cloud.Instance) {
			d.InstanceClass, d.BackupRetentionDays, d.BackupWindow, d.MultiAZ, d.PubliclyAccessible = "db-f1-micro", 3, "05:00-05:30", false, false
		}, false, cloud.Changes{InstanceClass: new("db-f1-micro"), BackupRetentionDays: new(int32(3)), BackupWindow: new("05:00-05:30"), MultiAZ: new(false), PubliclyAccessible: new(false)}},
		{"Deletion protection the spec leaves unsaid is the cloud's.", func(d *cloud.Desired, in *cloud.Instance) { d.DeletionProtection, in.DeletionProtection = nil, true }, false, cloud.Changes{}},
		{"Deletion protection asked for is a change; as the cloud has it, none.", func(d *cloud.Desired, _ *cloud.Instance) { d.DeletionProtection = new(true) }, false, cloud.Changes{DeletionProtection: new(true)}},
		{"Deletion protection turned off is a change.", func(d *cloud.Desired, in *cloud.Instance) {
			d.DeletionProtection, in.DeletionProtection = new(false), true
		}, false, cloud.Changes{DeletionProtection: new(false)}},
		{"A maintenance window left empty is Cloud SQL's.", func(d *cloud.Desired, in *cloud.Instance) { in.MaintenanceWindow = "mon:01:00-mon:02:00" }, false, cloud.Changes{}},
		{"Another maintenance window is a change.", func(d *cloud.Desired, in *cloud.Instance) { d.MaintenanceWindow = "sun:05:00-sun:05:30" }, false, cloud.Changes{MaintenanceWindow: new("sun:05:00-sun:05:30")}},
		{"Token logins asked for are planned, for Update to refuse.", func(d *cloud.Desired, _ *cloud.Instance) { d.IAMAuthentication = new(true) }, false, cloud.Changes{IAMAuthentication: new(true)}},
		{"Token logins off are as Cloud SQL has them.", func(d *cloud.Desired, _ *cloud.Instance) { d.IAMAuthentication = new(false) }, false, cloud.Changes{}},
		{"Minor upgrades off are planned, for Update to refuse.", func(d *cloud.Desired, _ *cloud.Instance) { d.AutoMinorVersionUpgrade = new(false) }, false, cloud.Changes{AutoMinorVersionUpgrade: new(false)}},
		{"Storage autoscaling asked for is a change, up to the limit asked.", func(d *cloud.Desired, _ *cloud.Instance) { d.MaxAllocatedStorageGiB = 100 }, false,
			cloud.Changes{MaxAllocatedStorageGiB: new(int32(100))}},
		{"Storage autoscaling as reported is none.", func(d *cloud.Desired, in *cloud.Instance) {
			d.MaxAllocatedStorageGiB, in.MaxAllocatedStorageGiB = 100, 100
		}, false, cloud.Changes{}},
		{"A maximum not above the disk turns autoscaling off, with the disk's current size, as the contract says.",
			func(d *cloud.Desired, in *cloud.Instance) {
				d.MaxAllocatedStorageGiB, in.MaxAllocatedStorageGiB = d.AllocatedStorageGiB, 100
			}, false,
			cloud.Changes{MaxAllocatedStorageGiB: new(int32(23))}},
		{"No maximum asked for leaves a limit set outside the operator as it is.",
			func(_ *cloud.Desired, in *cloud.Instance) { in.MaxAllocatedStorageGiB = 100 }, false, cloud.Changes{}},
		{"An instance with Cloud SQL's default (auto-resize without limit) keeps it when maxSize is unset: a growth the team may count on is not turned off behind its back.",
			func(_ *cloud.Desired, in *cloud.Instance) { in.MaxAllocatedStorageGiB = maxDiskGiB }, false, cloud.Changes{}},
		{"A disk Cloud SQL grew above the size desired, up to its limit, plans nothing: it is never taken back, nor its autoscaling touched.",
			func(d *cloud.Desired, in *cloud.Instance) {
				d.MaxAllocatedStorageGiB, in.MaxAllocatedStorageGiB, in.AllocatedStorageGiB = 100, 100, 100
			}, false, cloud.Changes{}},
		{"A disk Cloud SQL grew above the size desired, within its limit, plans nothing.",
			func(d *cloud.Desired, in *cloud.Instance) {
				d.MaxAllocatedStorageGiB, in.MaxAllocatedStorageGiB, in.AllocatedStorageGiB = 100, 100, 60
			}, false, cloud.Changes{}},
		{"A limit the disk has already passed is autoscaling off, as the instance has it.", func(d *cloud.Desired, in *cloud.Instance) {
			d.MaxAllocatedStorageGiB, in.MaxAllocatedStorageGiB = 22, 0
		}, false, cloud.Changes{}},
		{"A bigger disk compares the limit with the new size.", func(d *cloud.Desired, in *cloud.Instance) {
			d.AllocatedStorageGiB, d.MaxAllocatedStorageGiB, in.MaxAllocatedStorageGiB = 40, 40, 0
		}, false,
			cloud.Changes{AllocatedStorageGiB: new(int32(40))}},
		{"Security groups are planned, for Update to refuse.", func(d *cloud.Desired, _ *cloud.Instance) { d.SecurityGroupIDs = []string{"sg-1"} }, false, cloud.Changes{SecurityGroupIDs: []string{"sg-1"}}},
	}
	for _, tc := range cases {
		d, got := d, in
		tc.change(&d, &got)
		plan := p.Plan(d, got, tc.keepVersion)
		if diff := cmp.Diff(tc.want, plan.Changes); diff != "" {
			t.Errorf("%s\nplan, -want +got:\n%s", tc.reason, diff)
		}
		if len(plan.Described) != countChanges(plan.Changes) {
			t.Errorf("%s\nplan describes %d changes of %d: %q", tc.reason, len(plan.Described), countChanges(plan.Changes), plan.Described)
		}
	}
	for _, s := range []struct {
		reason    string
		requested int32
		want      int32
		raised    bool
	}{
		{"Below Cloud SQL's smallest disk is raised to it.", 5, 10, true},
		{"Cloud SQL's smallest disk is itself.", 10, 10, false},
		{"Anything above is itself.", 11, 11, false},
	} {
		if got, raised := p.Storage(cloud.Desired{AllocatedStorageGiB: s.requested, StorageType: "PD_SSD"}); got != s.want || raised != s.raised {
			t.Errorf("%s\nStorage(%d) = %d, %t; want %d, %t", s.reason, s.requested, got, raised, s.want, s.raised)
		}
	}
}

// countChanges is how many fields of c are set.
func countChanges(c cloud.Changes) int {
	n := 0
	for _, set := range []bool{c.EngineVersion != nil, c.InstanceClass != nil, c.StorageType != nil, c.AllocatedStorageGiB != nil,
		c.BackupRetentionDays != nil, c.BackupWindow != nil, c.SecurityGroupIDs != nil, c.PubliclyAccessible != nil, c.MultiAZ != nil,
		c.MasterPassword != nil, c.CopyTagsToSnapshots != nil, c.DeletionProtection != nil, c.MaintenanceWindow != nil, c.AutoMinorVersionUpgrade != nil,
		c.MaxAllocatedStorageGiB != nil, c.IAMAuthentication != nil} {
		if set {
			n++
		}
	}
	return n
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
