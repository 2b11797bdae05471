package rds

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// TestPlan: the changes RDS needs to bring a database to what is desired, by RDS's rules.
func TestPlan(t *testing.T) {
	str := func(v string) *string { return &v }
	num := func(v int32) *int32 { return &v }
	d := cloud.Desired{EngineVersion: "17", InstanceClass: "db.t4g.micro", StorageType: "gp3", AllocatedStorageGiB: 100, BackupRetentionDays: 7}
	same := cloud.Instance{EngineVersion: "17", InstanceClass: "db.t4g.micro", StorageType: "gp3", AllocatedStorageGiB: 100, BackupRetentionDays: 7, TagsCopiedToSnapshots: true}
	cases := map[string]struct {
		reason      string
		desired     func(*cloud.Desired)
		instance    func(*cloud.Instance)
		keepVersion bool
		want        cloud.Changes
		wantRounded bool
		// companions are unchanged fields sent only because RDS wants them beside a change.
		companions int
	}{
		"Same": {
			reason: "An unchanged database needs no modification.",
		},
		"MinorVersionReported": {
			reason:   "RDS reports 17.4 for an asked 17: no change.",
			instance: func(i *cloud.Instance) { i.EngineVersion = "17.4" },
		},
		"DeletionProtectionUnsaid": {
			reason:   "Deletion protection the spec leaves unsaid is left as the cloud has it.",
			instance: func(i *cloud.Instance) { i.DeletionProtection = true },
		},
		"DeletionProtectionOn": {
			reason:  "Deletion protection asked for is a change, applied at once by RDS.",
			desired: func(d *cloud.Desired) { on := true; d.DeletionProtection = &on },
			want:    cloud.Changes{DeletionProtection: func() *bool { on := true; return &on }()},
		},
		"DeletionProtectionAsIs": {
			reason:   "Deletion protection asked for and on needs nothing.",
			desired:  func(d *cloud.Desired) { on := true; d.DeletionProtection = &on },
			instance: func(i *cloud.Instance) { i.DeletionProtection = true },
		},
		"MajorUpgradeWithParameters": {
			reason: "A major upgrade of a database with parameters moves it to its parameter group of the new family, made from the desired parameters.",
			desired: func(d *cloud.Desired) {
				d.Identifier, d.Engine, d.EngineVersion, d.Parameters = "db-1", "postgres", "17", map[string]string{"work_mem": "8192"}
			},
			instance: func(i *cloud.Instance) {
				i.Engine, i.EngineVersion, i.Parameters.Set = "postgres", "16.4", "db-1-postgres16"
			},
			want: cloud.Changes{EngineVersion: str("17"), UpgradeParameters: &cloud.Desired{Identifier: "db-1", Engine: "postgres", EngineVersion: "17", InstanceClass: "db.t4g.micro",
				StorageType: "gp3", AllocatedStorageGiB: 100, BackupRetentionDays: 7, Parameters: map[string]string{"work_mem": "8192"}}},
		},
		"MajorUpgradeParametersRemoved": {
			reason:  "Parameters removed from the spec still leave the database on its own group: the upgrade moves it to the new family's, which resets them.",
			desired: func(d *cloud.Desired) { d.Identifier, d.Engine, d.EngineVersion = "db-1", "postgres", "17" },
			instance: func(i *cloud.Instance) {
				i.Engine, i.EngineVersion, i.Parameters.Set = "postgres", "16.4", "db-1-postgres16"
			},
			want: cloud.Changes{EngineVersion: str("17"), UpgradeParameters: &cloud.Desired{Identifier: "db-1", Engine: "postgres", EngineVersion: "17", InstanceClass: "db.t4g.micro",
				StorageType: "gp3", AllocatedStorageGiB: 100, BackupRetentionDays: 7}},
		},
		"MajorUpgradeDefaultGroup": {
			reason:  "A database on the engine's default group upgrades as it is: RDS moves it to the new family's default.",
			desired: func(d *cloud.Desired) { d.Identifier, d.Engine, d.EngineVersion = "db-1", "postgres", "17" },
			instance: func(i *cloud.Instance) {
				i.Engine, i.EngineVersion, i.Parameters.Set = "postgres", "16.4", "default.postgres16"
			},
			want: cloud.Changes{EngineVersion: str("17")},
		},
		"MinorUpgradeWithParameters": {
			reason: "A minor upgrade keeps the family, and the group.",
			desired: func(d *cloud.Desired) {
				d.Identifier, d.Engine, d.EngineVersion, d.Parameters = "db-1", "postgres", "17.5", map[string]string{"work_mem": "8192"}
			},
			instance: func(i *cloud.Instance) {
				i.Engine, i.EngineVersion, i.Parameters.Set = "postgres", "17.4", "db-1-postgres17"
			},
			want: cloud.Changes{EngineVersion: str("17.5")},
		},
		"AutoscalingOn": {
			reason:  "A maximum size turns storage autoscaling on.",
			desired: func(d *cloud.Desired) { d.MaxAllocatedStorageGiB = 500 },
			want:    cloud.Changes{MaxAllocatedStorageGiB: num(500)},
		},
		"AutoscalingAsIs": {
			reason:   "The maximum RDS reports is no change.",
			desired:  func(d *cloud.Desired) { d.MaxAllocatedStorageGiB = 500 },
			instance: func(i *cloud.Instance) { i.MaxAllocatedStorageGiB = 500 },
		},
		"AutoscalingGrewStorage": {
			reason:   "Storage the autoscaler grew above the spec's size is never taken back or asked again.",
			desired:  func(d *cloud.Desired) { d.MaxAllocatedStorageGiB = 500 },
			instance: func(i *cloud.Instance) { i.MaxAllocatedStorageGiB = 500; i.AllocatedStorageGiB = 121 },
		},
		"AutoscalingOff": {
			reason:   "A maximum equal to the size turns autoscaling off the way RDS takes it: the maximum set to the current size.",
			desired:  func(d *cloud.Desired) { d.MaxAllocatedStorageGiB = d.AllocatedStorageGiB },
			instance: func(i *cloud.Instance) { i.MaxAllocatedStorageGiB = 500; i.AllocatedStorageGiB = 121 },
			want:     cloud.Changes{MaxAllocatedStorageGiB: num(121)},
		},
		"AutoscalingOffAlready": {
			reason:   "Off asked for and off is no change.",
			desired:  func(d *cloud.Desired) { d.MaxAllocatedStorageGiB = d.AllocatedStorageGiB },
			instance: func(i *cloud.Instance) { i.AllocatedStorageGiB = 121 },
		},
		"AutoscalingUnsaid": {
			reason:   "No maximum asked for leaves autoscaling set outside the operator as it is: turning off a growth a team counts on is not the operator's to do.",
			instance: func(i *cloud.Instance) { i.MaxAllocatedStorageGiB = 500; i.AllocatedStorageGiB = 121 },
		},
		"MaintenanceWindowUnsaid": {
			reason:   "A maintenance window the spec leaves empty is RDS's choice.",
			instance: func(i *cloud.Instance) { i.MaintenanceWindow = "tue:07:00-tue:07:30" },
		},
		"MaintenanceWindowAsReported": {
			reason:   "RDS reports the window lower-cased: the same window is no change.",
			desired:  func(d *cloud.Desired) { d.MaintenanceWindow = "Sun:05:00-Sun:05:30" },
			instance: func(i *cloud.Instance) { i.MaintenanceWindow = "sun:05:00-sun:05:30" },
		},
		"MaintenanceWindowMoved": {
			reason:   "Another maintenance window is a change.",
			desired:  func(d *cloud.Desired) { d.MaintenanceWindow = "sun:05:00-sun:05:30" },
			instance: func(i *cloud.Instance) { i.MaintenanceWindow = "tue:07:00-tue:07:30" },
			want:     cloud.Changes{MaintenanceWindow: str("sun:05:00-sun:05:30")},
		},
		"MinorUpgradesOff": {
			reason:   "Automatic minor version upgrades turned off are a change; unsaid, none.",
			desired:  func(d *cloud.Desired) { off := false; d.AutoMinorVersionUpgrade = &off },
			instance: func(i *cloud.Instance) { i.AutoMinorVersionUpgrade = true },
			want:     cloud.Changes{AutoMinorVersionUpgrade: func() *bool { off := false; return &off }()},
		},
		"IAMAuthenticationOn": {
			reason:  "Token logins asked for where RDS has them off are a change.",
			desired: func(d *cloud.Desired) { d.IAMAuthentication = new(true) },
			want:    cloud.Changes{IAMAuthentication: new(true)},
		},
		"IAMAuthenticationPending": {
			reason:   "Token logins asked for and waiting for the maintenance window are no change to ask for again.",
			desired:  func(d *cloud.Desired) { d.IAMAuthentication = new(true) },
			instance: func(i *cloud.Instance) { i.Pending.IAMAuthentication = new(true) },
			want:     cloud.Changes{},
		},
		"IAMAuthenticationUnsaid": {
			reason:   "Token logins the spec leaves unsaid are left as RDS has them.",
			instance: func(i *cloud.Instance) { i.IAMAuthentication = true },
			want:     cloud.Changes{},
		},
		"VersionUpgrade": {
			reason:  "A new version is asked for.",
			desired: func(d *cloud.Desired) { d.EngineVersion = "18" },
			want:    cloud.Changes{EngineVersion: str("18")},
		},
		"DefaultVersionChanged": {
			reason:      "A spec without a version does not follow a new operator default.",
			desired:     func(d *cloud.Desired) { d.EngineVersion = "18" },
			keepVersion: true,
		},
		"Grow": {
			reason:  "Storage grows to what is asked.",
			desired: func(d *cloud.Desired) { d.AllocatedStorageGiB = 150 },
			want:    cloud.Changes{AllocatedStorageGiB: num(150)},
		},
		"GrowRoundedUp": {
			reason:      "An increase below 10% is rounded up to RDS's minimum step.",
			desired:     func(d *cloud.Desired) { d.AllocatedStorageGiB = 105 },
			want:        cloud.Changes{AllocatedStorageGiB: num(110)},
			wantRounded: true,
		},
		"LargerThanAsked": {
			reason:   "More storage than asked (raised to a minimum, rounded up) is no change: storage never shrinks.",
			instance: func(i *cloud.Instance) { i.AllocatedStorageGiB = 120 },
		},
		"PendingCountsAsAsked": {
			reason: "A modification waiting for the maintenance window is not asked again: no flapping.",
			desired: func(d *cloud.Desired) {
				d.InstanceClass, d.AllocatedStorageGiB, d.BackupRetentionDays = "db.r6g.large", 200, 14
			},
			instance: func(i *cloud.Instance) {
				i.Pending = cloud.Changes{InstanceClass: str("db.r6g.large"), AllocatedStorageGiB: num(200), BackupRetentionDays: num(14)}
			},
		},
		"LogsLeftAlone": {
			reason:   "A spec that says nothing of logs leaves the shipping set in the console as it is.",
			instance: func(i *cloud.Instance) { i.LogExports = []string{"postgresql"} },
		},
		"LogsTurnedOn": {
			reason:   "Logs asked for are turned on; one already shipped is not asked again.",
			desired:  func(d *cloud.Desired) { d.LogExports = []string{"upgrade", "postgresql"} },
			instance: func(i *cloud.Instance) { i.LogExports = []string{"postgresql"} },
			want:     cloud.Changes{EnableLogExports: []string{"upgrade"}},
		},
		"LogsComparedAsASet": {
			reason:   "The same logs in another order are no change.",
			desired:  func(d *cloud.Desired) { d.LogExports = []string{"upgrade", "postgresql"} },
			instance: func(i *cloud.Instance) { i.LogExports = []string{"postgresql", "upgrade"} },
		},
		"LogsTurnedOff": {
			reason:   "An empty list stops shipping every log.",
			desired:  func(d *cloud.Desired) { d.LogExports = []string{} },
			instance: func(i *cloud.Instance) { i.LogExports = []string{"postgresql", "upgrade"} },
			want:     cloud.Changes{DisableLogExports: []string{"postgresql", "upgrade"}},
		},
		"LogsPendingCountAsDone": {
			reason:  "Logs being turned on or off while the database modifies are not asked again: no flapping.",
			desired: func(d *cloud.Desired) { d.LogExports = []string{"upgrade"} },
			instance: func(i *cloud.Instance) {
				i.LogExports = []string{"postgresql"}
				i.Pending = cloud.Changes{EnableLogExports: []string{"upgrade"}, DisableLogExports: []string{"postgresql"}}
			},
		},
		"Several": {
			reason: "Every changed field goes into one request.",
			desired: func(d *cloud.Desired) {
				d.InstanceClass, d.StorageType, d.BackupRetentionDays = "db.r6g.large", "io1", 35
			},
			want: cloud.Changes{InstanceClass: str("db.r6g.large"), StorageType: str("io1"), BackupRetentionDays: num(35)},
		},
		"IOPSAsked": {
			reason:  "Moving to io1 with IOPS asks for both.",
			desired: func(d *cloud.Desired) { d.StorageType, d.IOPS = "io1", 3000 },
			want:    cloud.Changes{StorageType: str("io1"), IOPS: num(3000)},
		},
		"NewTypeCarriesIOPS": {
			reason:   "gp3 reports 3,000 IOPS as its baseline; moving to io1 with iops 3000 still sends them, as io1 needs.",
			desired:  func(d *cloud.Desired) { d.StorageType, d.IOPS = "io1", 3000 },
			instance: func(i *cloud.Instance) { i.IOPS, i.StorageThroughput = 3000, 125 },
			want:     cloud.Changes{StorageType: str("io1"), IOPS: num(3000)},
		},
		"IOPSUnsetIsBaseline": {
			reason:   "A spec without IOPS leaves the cloud's figure alone (gp3's baseline 3000).",
			instance: func(i *cloud.Instance) { i.IOPS, i.StorageThroughput = 3000, 125 },
		},
		"GP3GrowsAlone": {
			reason:   "gp3 reports a baseline of IOPS it was never given: its storage grows without them (RDS refuses IOPS below 400 GiB).",
			desired:  func(d *cloud.Desired) { d.AllocatedStorageGiB = 200 },
			instance: func(i *cloud.Instance) { i.IOPS, i.StorageThroughput = 3000, 125 },
			want:     cloud.Changes{AllocatedStorageGiB: num(200)},
		},
		"ThroughputChanged": {
			reason:   "A new gp3 throughput is asked for.",
			desired:  func(d *cloud.Desired) { d.StorageThroughput = 500 },
			instance: func(i *cloud.Instance) { i.StorageThroughput = 125 },
			want:     cloud.Changes{StorageThroughput: num(500)},
		},
		"GrowWithIOPS": {
			reason: "RDS takes a new size of storage with provisioned IOPS only with its IOPS: both are sent.",
			desired: func(d *cloud.Desired) {
				d.StorageType, d.IOPS, d.AllocatedStorageGiB = "io1", 3000, 200
			},
			instance:   func(i *cloud.Instance) { i.StorageType, i.IOPS = "io1", 3000 },
			want:       cloud.Changes{AllocatedStorageGiB: num(200), IOPS: num(3000)},
			companions: 1,
		},
		"NewIOPSWithSize": {
			reason: "And new IOPS only with the size.",
			desired: func(d *cloud.Desired) {
				d.StorageType, d.IOPS = "io1", 5000
			},
			instance:   func(i *cloud.Instance) { i.StorageType, i.IOPS = "io1", 3000 },
			want:       cloud.Changes{AllocatedStorageGiB: num(100), IOPS: num(5000)},
			companions: 1,
		},
		"TagsNotCopiedToSnapshots": {
			reason:   "A database made before the operator asked RDS to copy its tags to snapshots gets that now: the owner tag on a snapshot decides who may restore it.",
			instance: func(i *cloud.Instance) { i.TagsCopiedToSnapshots = false },
			want:     cloud.Changes{CopyTagsToSnapshots: new(true)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			desired, in := d, same
			if tc.desired != nil {
				tc.desired(&desired)
			}
			if tc.instance != nil {
				tc.instance(&in)
			}
			got := (&Provider{}).Plan(desired, in, tc.keepVersion)
			if diff := cmp.Diff(tc.want, got.Changes); diff != "" {
				t.Errorf("%s\nchanges: -want +got:\n%s", tc.reason, diff)
			}
			if (got.Adjusted != "") != tc.wantRounded {
				t.Errorf("%s\nadjusted %q, want a note %v", tc.reason, got.Adjusted, tc.wantRounded)
			}
			if len(got.Described) != countSet(got.Changes)-tc.companions {
				t.Errorf("%s\neach change is described once: %q", tc.reason, got.Described)
			}
			if g := got.Changes.AllocatedStorageGiB; g != nil && *g < in.AllocatedStorageGiB {
				t.Errorf("%s\nthe plan shrinks storage from %d to %d GiB", tc.reason, in.AllocatedStorageGiB, *g)
			}
		})
	}
}

func countSet(c cloud.Changes) int {
	n := 0
	for _, set := range []bool{c.EngineVersion != nil, c.InstanceClass != nil, c.StorageType != nil, c.AllocatedStorageGiB != nil, c.IOPS != nil, c.StorageThroughput != nil, c.BackupRetentionDays != nil, c.CopyTagsToSnapshots != nil, c.DeletionProtection != nil, c.MaintenanceWindow != nil, c.AutoMinorVersionUpgrade != nil, c.MaxAllocatedStorageGiB != nil, c.UpgradeParameters != nil, c.IAMAuthentication != nil,
		len(c.EnableLogExports)+len(c.DisableLogExports) > 0} {
		if set {
			n++
		}
	}
	return n
}
