package controller

import (
	"fmt"
	"slices"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// plan is what it takes to bring a cloud database to the spec.
type plan struct {
	// changes to ask for; empty when the database matches the spec.
	changes cloud.Changes
	// described says each change in words, for Events and conditions.
	described []string
	// roundedUp is set when a storage increase was raised to RDS's 10% minimum step.
	roundedUp bool
}

// planChanges compares the fields the spec owns with the cloud database, counting a
// modification that waits for the maintenance window as already asked for, and comparing
// versions the way RDS reports them ("17" matches "17.4"). keepVersion leaves the version
// alone: a spec without a version must not follow a change of the operator's default.
// Nothing that matches is ever sent, so an unchanged object causes no modification.
func planChanges(d cloud.Desired, in cloud.Instance, keepVersion bool) plan {
	var p plan
	version := orValue(in.Pending.EngineVersion, in.EngineVersion)
	if !keepVersion && !sameVersion(d.EngineVersion, version) {
		p.changes.EngineVersion = &d.EngineVersion
		p.described = append(p.described, fmt.Sprintf("version %s to %s", version, d.EngineVersion))
	}
	if class := orValue(in.Pending.InstanceClass, in.InstanceClass); class != d.InstanceClass {
		p.changes.InstanceClass = &d.InstanceClass
		p.described = append(p.described, fmt.Sprintf("instance class %s to %s", class, d.InstanceClass))
	}
	if st := orValue(in.Pending.StorageType, in.StorageType); st != d.StorageType {
		p.changes.StorageType = &d.StorageType
		p.described = append(p.described, fmt.Sprintf("storage type %s to %s", st, d.StorageType))
	}
	// Storage only grows: a spec below the current size (raised to a minimum, or rounded
	// up by RDS) is no change.
	if current := orInt(in.Pending.AllocatedStorageGiB, in.AllocatedStorageGiB); d.AllocatedStorageGiB > current {
		gib := d.AllocatedStorageGiB
		if step := current + (current+9)/10; gib < step {
			gib, p.roundedUp = step, true
		}
		p.changes.AllocatedStorageGiB = &gib
		p.described = append(p.described, fmt.Sprintf("storage %d GiB to %d GiB", current, gib))
	}
	// A window the spec leaves empty is the cloud's choice, not a change.
	if d.BackupWindow != "" && d.BackupWindow != in.BackupWindow {
		p.changes.BackupWindow = &d.BackupWindow
		p.described = append(p.described, fmt.Sprintf("backup window %s to %s", in.BackupWindow, d.BackupWindow))
	}
	if days := orInt(in.Pending.BackupRetentionDays, in.BackupRetentionDays); days != d.BackupRetentionDays {
		p.changes.BackupRetentionDays = &d.BackupRetentionDays
		p.described = append(p.described, fmt.Sprintf("backup retention %d to %d days", days, d.BackupRetentionDays))
	}
	// Security groups the spec and the defaults leave empty are the cloud's choice.
	if len(d.SecurityGroupIDs) > 0 && !sameSet(d.SecurityGroupIDs, in.SecurityGroupIDs) {
		p.changes.SecurityGroupIDs = d.SecurityGroupIDs
		p.described = append(p.described, fmt.Sprintf("security groups %s to %s", strings.Join(in.SecurityGroupIDs, ","), strings.Join(d.SecurityGroupIDs, ",")))
	}
	if multiAZ := orBool(in.Pending.MultiAZ, in.MultiAZ); multiAZ != d.MultiAZ {
		p.changes.MultiAZ = &d.MultiAZ
		p.described = append(p.described, fmt.Sprintf("multi-AZ %t to %t", multiAZ, d.MultiAZ))
	}
	if d.PubliclyAccessible != in.PubliclyAccessible {
		p.changes.PubliclyAccessible = &d.PubliclyAccessible
		p.described = append(p.described, fmt.Sprintf("publicly accessible %t to %t", in.PubliclyAccessible, d.PubliclyAccessible))
	}
	// Snapshots must carry the owner tag (it decides who may restore them): databases made
	// before the operator asked for that get it now.
	if !in.TagsCopiedToSnapshots {
		p.changes.CopyTagsToSnapshots = new(true)
		p.described = append(p.described, "copy tags to snapshots")
	}
	return p
}

// storageOnly reports whether the plan changes nothing but storage: the one change RDS
// accepts while a database is storage-full.
func (p plan) storageOnly() bool {
	c := p.changes
	return c.AllocatedStorageGiB != nil && c.EngineVersion == nil && c.InstanceClass == nil &&
		c.StorageType == nil && c.BackupRetentionDays == nil && c.SecurityGroupIDs == nil && c.PubliclyAccessible == nil && c.MultiAZ == nil
}

// pendingModifications describes what waits for the maintenance window.
func pendingModifications(in cloud.Instance) []string {
	var out []string
	pm := in.Pending
	if pm.EngineVersion != nil {
		out = append(out, "version "+*pm.EngineVersion)
	}
	if pm.InstanceClass != nil {
		out = append(out, "instance class "+*pm.InstanceClass)
	}
	if pm.StorageType != nil {
		out = append(out, "storage type "+*pm.StorageType)
	}
	if pm.AllocatedStorageGiB != nil {
		out = append(out, fmt.Sprintf("storage %d GiB", *pm.AllocatedStorageGiB))
	}
	if pm.BackupRetentionDays != nil {
		out = append(out, fmt.Sprintf("backup retention %d days", *pm.BackupRetentionDays))
	}
	if pm.MultiAZ != nil {
		out = append(out, fmt.Sprintf("multi-AZ %t", *pm.MultiAZ))
	}
	return out
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
