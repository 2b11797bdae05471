package rds

import (
	"fmt"
	"slices"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/storagesize"
)

// Plan implements cloud.Provider with RDS's rules: versions compare the way RDS reports them
// ("17" matches "17.4"), storage grows by at least 10% (RDS refuses less), and an empty
// backup window or security group list is RDS's choice, not a change.
func (p *Provider) Plan(d cloud.Desired, in cloud.Instance, keepVersion bool) cloud.Plan {
	return plan(d, in, keepVersion)
}

// Storage implements cloud.Provider: RDS's smallest allocated storage per storage type; an
// Aurora cluster volume grows by itself.
func (p *Provider) Storage(d cloud.Desired) (int32, bool) {
	if isAurora(d.Engine) {
		return 0, false
	}
	return storagesize.Effective(d.AllocatedStorageGiB, d.StorageType)
}

// plan is Plan. An Aurora database compares its cluster-wide fields and its writer's instance
// class (once the writer is known): storage belongs to the cluster volume, a public address
// to each instance as it is made.
func plan(d cloud.Desired, in cloud.Instance, keepVersion bool) cloud.Plan {
	aurora := isAurora(d.Engine)
	var p cloud.Plan
	version := orValue(in.Pending.EngineVersion, in.EngineVersion)
	if !keepVersion && !sameVersion(d.EngineVersion, version) {
		p.Changes.EngineVersion = &d.EngineVersion
		p.Described = append(p.Described, fmt.Sprintf("version %s to %s", version, d.EngineVersion))
		// A database with a parameter group of its own moves to one of the new family.
		from, to := family(orText(in.Engine, d.Engine), version), family(d.Engine, d.EngineVersion)
		if from != to && (len(d.Parameters) > 0 || in.Parameters.Set == groupName(d.Identifier, from)) {
			upgrade := d
			p.Changes.UpgradeParameters = &upgrade
			p.Described = append(p.Described, fmt.Sprintf("parameter group %s to %s", in.Parameters.Set, groupName(d.Identifier, to)))
		}
	}
	if class := orValue(in.Pending.InstanceClass, in.InstanceClass); class != d.InstanceClass && (!aurora || class != "") {
		p.Changes.InstanceClass = &d.InstanceClass
		p.Described = append(p.Described, fmt.Sprintf("instance class %s to %s", class, d.InstanceClass))
	}
	if st := orValue(in.Pending.StorageType, in.StorageType); !aurora && st != d.StorageType {
		p.Changes.StorageType = &d.StorageType
		p.Described = append(p.Described, fmt.Sprintf("storage type %s to %s", st, d.StorageType))
	}
	// Storage only grows: a spec below the current size (raised to a minimum, or rounded
	// up by RDS) is no change.
	if current := orInt(in.Pending.AllocatedStorageGiB, in.AllocatedStorageGiB); !aurora && d.AllocatedStorageGiB > current {
		gib := d.AllocatedStorageGiB
		if step := current + (current+9)/10; gib < step {
			p.Adjusted = fmt.Sprintf("%d GiB is less than 10%% above the current %d GiB: RDS grows storage by at least 10%%, so asking for %d GiB", gib, current, step)
			gib = step
		}
		p.Changes.AllocatedStorageGiB = &gib
		p.Described = append(p.Described, fmt.Sprintf("storage %d GiB to %d GiB", current, gib))
	}
	// Storage autoscaling, when the spec says: RDS turns it off when the maximum equals the
	// allocated storage, and reports no maximum then. Storage it grew is above the spec's
	// size and so, as above, no change.
	if current := orInt(p.Changes.AllocatedStorageGiB, in.AllocatedStorageGiB); !aurora && d.MaxAllocatedStorageGiB > 0 {
		switch {
		case d.MaxAllocatedStorageGiB <= d.AllocatedStorageGiB && in.MaxAllocatedStorageGiB > 0:
			p.Changes.MaxAllocatedStorageGiB = &current
			p.Described = append(p.Described, "storage autoscaling off")
		case d.MaxAllocatedStorageGiB > d.AllocatedStorageGiB && d.MaxAllocatedStorageGiB != in.MaxAllocatedStorageGiB:
			p.Changes.MaxAllocatedStorageGiB = &d.MaxAllocatedStorageGiB
			p.Described = append(p.Described, fmt.Sprintf("storage autoscaling up to %d GiB", d.MaxAllocatedStorageGiB))
		}
	}
	// Provisioned performance the spec leaves empty is the storage type's baseline, not a
	// change.
	// A new storage type takes the spec's figures with it: the old type's (a baseline RDS
	// reports, equal or not) do not carry over, and io1/io2 need their IOPS in the request.
	newType := p.Changes.StorageType != nil
	if iops := orInt(in.Pending.IOPS, in.IOPS); !aurora && d.IOPS > 0 && (d.IOPS != iops || newType) {
		p.Changes.IOPS = &d.IOPS
		p.Described = append(p.Described, fmt.Sprintf("IOPS %d to %d", iops, d.IOPS))
	}
	if mibs := orInt(in.Pending.StorageThroughput, in.StorageThroughput); !aurora && d.StorageThroughput > 0 && (d.StorageThroughput != mibs || newType) {
		p.Changes.StorageThroughput = &d.StorageThroughput
		p.Described = append(p.Described, fmt.Sprintf("storage throughput %d to %d MiB/s", mibs, d.StorageThroughput))
	}
	// RDS takes a new size or IOPS of storage with provisioned IOPS only with both ("You
	// must specify both the storage size and iops when modifying the storage size or iops on
	// a DB instance that has iops").
	if provisionedIOPS[d.StorageType] && provisionedIOPS[orValue(in.Pending.StorageType, in.StorageType)] &&
		(p.Changes.IOPS != nil || p.Changes.AllocatedStorageGiB != nil) {
		if p.Changes.IOPS == nil {
			iops := orInt(in.Pending.IOPS, in.IOPS)
			p.Changes.IOPS = &iops
		}
		if p.Changes.AllocatedStorageGiB == nil {
			gib := orInt(in.Pending.AllocatedStorageGiB, in.AllocatedStorageGiB)
			p.Changes.AllocatedStorageGiB = &gib
		}
	}
	// Protection the spec leaves unsaid is left as the cloud has it.
	if d.DeletionProtection != nil && *d.DeletionProtection != in.DeletionProtection {
		p.Changes.DeletionProtection = d.DeletionProtection
		p.Described = append(p.Described, "deletion protection "+onOff(*d.DeletionProtection))
	}
	// Token logins the spec leaves unsaid are left as the cloud has them. The change waits
	// for the maintenance window unless applied immediately, for instances and clusters
	// alike: one pending is no change to ask for again.
	if d.IAMAuthentication != nil && *d.IAMAuthentication != orBool(in.Pending.IAMAuthentication, in.IAMAuthentication) {
		p.Changes.IAMAuthentication = d.IAMAuthentication
		p.Described = append(p.Described, "IAM database authentication "+onOff(*d.IAMAuthentication))
	}
	// A maintenance window left empty is the cloud's choice; RDS reports it lower-cased.
	if d.MaintenanceWindow != "" && !strings.EqualFold(d.MaintenanceWindow, in.MaintenanceWindow) {
		p.Changes.MaintenanceWindow = &d.MaintenanceWindow
		p.Described = append(p.Described, fmt.Sprintf("maintenance window %s to %s", in.MaintenanceWindow, d.MaintenanceWindow))
	}
	// An Aurora database upgrades minor versions per instance, not as a cluster: not here.
	if !aurora && d.AutoMinorVersionUpgrade != nil && *d.AutoMinorVersionUpgrade != in.AutoMinorVersionUpgrade {
		p.Changes.AutoMinorVersionUpgrade = d.AutoMinorVersionUpgrade
		p.Described = append(p.Described, "automatic minor version upgrades "+onOff(*d.AutoMinorVersionUpgrade))
	}
	// A window the spec leaves empty is the cloud's choice, not a change.
	if d.BackupWindow != "" && d.BackupWindow != in.BackupWindow {
		p.Changes.BackupWindow = &d.BackupWindow
		p.Described = append(p.Described, fmt.Sprintf("backup window %s to %s", in.BackupWindow, d.BackupWindow))
	}
	if days := orInt(in.Pending.BackupRetentionDays, in.BackupRetentionDays); days != d.BackupRetentionDays {
		p.Changes.BackupRetentionDays = &d.BackupRetentionDays
		p.Described = append(p.Described, fmt.Sprintf("backup retention %d to %d days", days, d.BackupRetentionDays))
	}
	// Security groups the spec and the defaults leave empty are the cloud's choice.
	if len(d.SecurityGroupIDs) > 0 && !sameSet(d.SecurityGroupIDs, in.SecurityGroupIDs) {
		p.Changes.SecurityGroupIDs = d.SecurityGroupIDs
		p.Described = append(p.Described, fmt.Sprintf("security groups %s to %s", strings.Join(in.SecurityGroupIDs, ","), strings.Join(d.SecurityGroupIDs, ",")))
	}
	// Logs are compared as a set, with those being turned on or off counted as done: a
	// database still modifying is not asked again (ACK's flapping exports).
	if d.LogExports != nil {
		shipped := shippedLogs(in)
		enable, disable := setDiff(d.LogExports, shipped), setDiff(shipped, d.LogExports)
		if len(enable) > 0 || len(disable) > 0 {
			p.Changes.EnableLogExports, p.Changes.DisableLogExports = enable, disable
			p.Described = append(p.Described, fmt.Sprintf("log exports [%s] to [%s]", strings.Join(shipped, ","), strings.Join(sorted(d.LogExports), ",")))
		}
	}
	if aurora {
		return p
	}
	if multiAZ := orBool(in.Pending.MultiAZ, in.MultiAZ); multiAZ != d.MultiAZ {
		p.Changes.MultiAZ = &d.MultiAZ
		p.Described = append(p.Described, fmt.Sprintf("multi-AZ %t to %t", multiAZ, d.MultiAZ))
	}
	if d.PubliclyAccessible != in.PubliclyAccessible {
		p.Changes.PubliclyAccessible = &d.PubliclyAccessible
		p.Described = append(p.Described, fmt.Sprintf("publicly accessible %t to %t", in.PubliclyAccessible, d.PubliclyAccessible))
	}
	// Snapshots must carry the owner tag (it decides who may restore them): databases made
	// before the operator asked for that get it now.
	if !in.TagsCopiedToSnapshots {
		p.Changes.CopyTagsToSnapshots = new(true)
		p.Described = append(p.Described, "copy tags to snapshots")
	}
	return p
}

// provisionedIOPS are the storage types whose IOPS are provisioned, not a baseline that
// follows the size (gp3 below 400 GiB reports 3,000 IOPS it was never given).
var provisionedIOPS = map[string]bool{"io1": true, "io2": true}

// sameVersion reports whether the cloud's version is the one asked for: equal, or asked is
// a prefix of it at a dot ("17" and "17.4", "16.4" and "16.4.1").
func sameVersion(asked, reported string) bool {
	return asked == reported || strings.HasPrefix(reported, asked+".")
}

// shippedLogs are the logs in ships, or will once its pending changes are applied, sorted.
func shippedLogs(in cloud.Instance) []string {
	out := setDiff(in.LogExports, in.Pending.DisableLogExports)
	out = append(out, setDiff(in.Pending.EnableLogExports, out)...)
	return sorted(out)
}

// setDiff is the strings of a not in b, each once, sorted.
func setDiff(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return sorted(out)
}

// sorted returns a sorted copy of a.
func sorted(a []string) []string {
	out := slices.Clone(a)
	slices.Sort(out)
	return out
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	sa, sb := slices.Clone(a), slices.Clone(b)
	slices.Sort(sa)
	slices.Sort(sb)
	return slices.Equal(sa, sb)
}

func orValue(p *string, v string) string {
	if p != nil {
		return *p
	}
	return v
}

func orBool(p *bool, v bool) bool {
	if p != nil {
		return *p
	}
	return v
}

func orInt(p *int32, v int32) int32 {
	if p != nil {
		return *p
	}
	return v
}

// onOff says a switch's state.
func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
