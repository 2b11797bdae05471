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

// sameVersion reports whether the cloud's version is the one asked for: equal, or asked is
// a prefix of it at a dot ("17" and "17.4", "16.4" and "16.4.1").
func sameVersion(asked, reported string) bool {
	return asked == reported || strings.HasPrefix(reported, asked+".")
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
