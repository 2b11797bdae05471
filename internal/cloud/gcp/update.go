package gcp

import (
	"context"
	"fmt"
	"net/http"
	"time"

	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Update implements cloud.Provider. A MasterPassword makes the master user or sets its
// password (master.go); every other change goes in one instances.patch holding only the
// settings that differ from the instance's. Cloud SQL applies a patch at once (restarting
// the instance for some changes), so ApplyImmediately changes nothing and Pending stays
// empty; CopyTagsToSnapshots needs nothing, since backups always carry the tags. A
// MaxAllocatedStorageGiB above the disk turns auto-resize on up to it; one at or below the
// disk's size (the contract's "current size") turns it off.
func (p *Provider) Update(ctx context.Context, identifier string, c cloud.Changes, opts cloud.UpdateOptions) error {
	op := "update instance " + identifier
	if len(c.SecurityGroupIDs) > 0 {
		return unsupported(op, "Cloud SQL has no security groups: access is by authorized networks and IAM")
	}
	if c.AutoMinorVersionUpgrade != nil && !*c.AutoMinorVersionUpgrade {
		return unsupported(op, noMinorUpgradeStop)
	}
	if c.IAMAuthentication != nil && *c.IAMAuthentication {
		return unsupported(op, noIAMAuthentication)
	}
	if c.MasterPassword != nil {
		if err := p.setMasterPassword(ctx, op, identifier, *c.MasterPassword); err != nil {
			return err
		}
	}
	return p.patch(ctx, op, p.project, identifier, false, func(db *sqladmin.DatabaseInstance) (*sqladmin.DatabaseInstance, error) {
		return changesOf(op, db, c, opts)
	})
}

// changesOf is the instances.patch request that makes db what c asks, with only the
// settings that differ; nil when nothing does. Once a MasterPassword is set the master
// user exists, so it also drops the label saying it is still to be made.
func changesOf(op string, db *sqladmin.DatabaseInstance, c cloud.Changes, opts cloud.UpdateOptions) (*sqladmin.DatabaseInstance, error) {
	cur := db.Settings
	if cur == nil {
		cur = &sqladmin.Settings{}
	}
	s := &sqladmin.Settings{}
	out := &sqladmin.DatabaseInstance{Settings: s}
	changed := false
	if c.EngineVersion != nil {
		engine, _ := engineVersion(db.DatabaseVersion)
		v, err := databaseVersion(engine, *c.EngineVersion)
		if err != nil {
			return nil, invalid(op, err.Error())
		}
		if v != db.DatabaseVersion {
			if !opts.AllowMajorVersionUpgrade {
				return nil, invalid(op, fmt.Sprintf("changing %s to %s is a major version upgrade, which was not allowed", db.DatabaseVersion, v))
			}
			out.DatabaseVersion, changed = v, true
		}
	}
	if c.InstanceClass != nil && *c.InstanceClass != cur.Tier {
		s.Tier, changed = *c.InstanceClass, true
	}
	if c.StorageType != nil {
		t, err := dataDiskType(*c.StorageType)
		if err != nil {
			return nil, unsupported(op, err.Error())
		}
		if t != cur.DataDiskType {
			s.DataDiskType, changed = t, true
		}
	}
	if c.AllocatedStorageGiB != nil && int64(*c.AllocatedStorageGiB) != cur.DataDiskSizeGb {
		s.DataDiskSizeGb, changed = int64(*c.AllocatedStorageGiB), true
	}
	if c.MaxAllocatedStorageGiB != nil && resizeChange(s, cur, int64(*c.MaxAllocatedStorageGiB), max(cur.DataDiskSizeGb, s.DataDiskSizeGb)) {
		changed = true
	}
	set := map[string]*string{}
	if c.BackupRetentionDays != nil || c.BackupWindow != nil {
		// Cloud SQL replaces the whole backupConfiguration of a patch: send all of it.
		b := &sqladmin.BackupConfiguration{}
		if cur.BackupConfiguration != nil {
			*b = *cur.BackupConfiguration
		}
		backupChanged := false
		if c.BackupRetentionDays != nil && *c.BackupRetentionDays != retention(b) {
			engine, _ := engineVersion(db.DatabaseVersion)
			setRetention(b, *c.BackupRetentionDays, engine)
			backupChanged = true
		}
		if c.BackupWindow != nil {
			start, err := backupStart(*c.BackupWindow)
			if err != nil {
				return nil, invalid(op, err.Error())
			}
			if start != b.StartTime {
				b.StartTime, backupChanged = start, true
			}
			set[keyBackupWindow] = c.BackupWindow
		}
		if backupChanged {
			s.BackupConfiguration, changed = b, true
		}
	}
	if c.PubliclyAccessible != nil && (cur.IpConfiguration == nil || cur.IpConfiguration.Ipv4Enabled != *c.PubliclyAccessible) {
		ip := &sqladmin.IpConfiguration{}
		if cur.IpConfiguration != nil {
			*ip = *cur.IpConfiguration
		}
		ip.Ipv4Enabled, ip.ForceSendFields = *c.PubliclyAccessible, append(ip.ForceSendFields, "Ipv4Enabled")
		s.IpConfiguration, changed = ip, true
	}
	if c.MultiAZ != nil && availability(*c.MultiAZ) != cur.AvailabilityType {
		s.AvailabilityType, changed = availability(*c.MultiAZ), true
	}
	if c.MaintenanceWindow != nil {
		w, err := maintenanceStart(*c.MaintenanceWindow)
		if err != nil {
			return nil, invalid(op, err.Error())
		}
		if cur.MaintenanceWindow == nil || cur.MaintenanceWindow.Day != w.Day || cur.MaintenanceWindow.Hour != w.Hour {
			s.MaintenanceWindow, changed = w, true
		}
		set[keyMaintenanceWindow] = c.MaintenanceWindow
	}
	if c.DeletionProtection != nil && *c.DeletionProtection != cur.DeletionProtectionEnabled {
		s.DeletionProtectionEnabled, changed = *c.DeletionProtection, true
		s.ForceSendFields = append(s.ForceSendFields, "DeletionProtectionEnabled") // false too
	}
	if c.MasterPassword != nil {
		set[keyMasterPending] = nil
	}
	labels, err := relabel(cur.UserLabels, nil, set)
	if err != nil {
		return nil, invalid(op, err.Error())
	}
	if !sameLabels(labels, cur.UserLabels) {
		s.UserLabels, changed = labels, true
	}
	if !changed {
		return nil, nil
	}
	return out, nil
}

// patch sends one instances.patch that build makes from a fresh read of the instance (nil
// when nothing needs to change), carrying that read's settingsVersion: a change made by
// someone else in between is then refused with 412 staleData rather than overwritten, and
// the patch is built again from a new read, once. It first waits for the operation this
// provider last started on the instance, so that a retried call sees what the first did,
// and with wait it waits for its own operation too, so that the caller's next read sees
// the change.
func (p *Provider) patch(ctx context.Context, op, project, id string, wait bool, build func(*sqladmin.DatabaseInstance) (*sqladmin.DatabaseInstance, error)) error {
	if err := p.settle(ctx, op, id); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		db, err := p.svc.Instances.Get(project, id).Context(ctx).Do()
		if err != nil {
			return wrap(op, err)
		}
		change, err := build(db)
		if err != nil || change == nil {
			return err
		}
		if db.Settings != nil {
			change.Settings.SettingsVersion = db.Settings.SettingsVersion
		}
		o, err := p.svc.Instances.Patch(project, id, change).Context(ctx).Do()
		if attempt == 1 && hasReason(err, http.StatusPreconditionFailed, reasonStaleData) {
			continue
		}
		if err != nil {
			return wrap(op, err)
		}
		if project == p.project {
			p.started(id, o)
		}
		if !wait {
			return nil
		}
		if o, err = p.await(ctx, op, o); err != nil {
			return err
		}
		p.finished(id, o.Name)
		return operationError(op, o)
	}
}

// started remembers o as the operation changing instance id, unless it is already done.
func (p *Provider) started(id string, o *sqladmin.Operation) {
	if o == nil || o.Status == statusDone {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[id] = o.Name
}

// finished forgets the operation name on instance id ("" for any).
func (p *Provider) finished(id, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if name == "" || p.running[id] == name {
		delete(p.running, id)
	}
}

// changing reports whether the operation this provider last started on instance id, in
// Cloud SQL state state, still runs. It looks only while the instance is RUNNABLE: the
// other states say more themselves. The instance was read before the operation: one found
// done has just ended, and the instance read may predate its change, so it still counts as
// changing this once; the next look reads the instance with the operation forgotten.
func (p *Provider) changing(ctx context.Context, id, state string) (bool, error) {
	p.mu.Lock()
	name, ok := p.running[id]
	p.mu.Unlock()
	if !ok || state != stateRunnable {
		return false, nil
	}
	o, err := p.svc.Operations.Get(p.project, name).Context(ctx).Do()
	if isNotFound(err) {
		p.finished(id, name)
		return false, nil
	}
	if err != nil {
		return false, wrap("get operation "+name+" on instance "+id, err)
	}
	if o.Status == statusDone {
		p.finished(id, name)
	}
	return true, nil
}

// settle waits until the operation this provider last started on instance id is done.
func (p *Provider) settle(ctx context.Context, op, id string) error {
	p.mu.Lock()
	name, ok := p.running[id]
	p.mu.Unlock()
	if !ok {
		return nil
	}
	if _, err := p.await(ctx, op, &sqladmin.Operation{Name: name}); err != nil {
		return err
	}
	p.finished(id, name)
	return nil
}

// statusDone is the status of a finished operation.
const statusDone = "DONE"

// await polls operation o until it is DONE, for at most the provider's OperationWait, and
// returns it. An operation that outlasts the wait is cloud.ErrBusy: the instance is busy
// with it.
func (p *Provider) await(ctx context.Context, op string, o *sqladmin.Operation) (*sqladmin.Operation, error) {
	deadline := time.Now().Add(p.wait)
	for o.Status != statusDone {
		if time.Now().After(deadline) {
			return nil, &cloud.Error{Op: op, Code: reasonOperationInProgress, Message: fmt.Sprintf("operation %s (%s) still runs after %s", o.Name, o.OperationType, p.wait), Kind: cloud.ErrBusy}
		}
		if o.Status != "" { // a fresh operation is looked at at once
			t := time.NewTimer(p.poll)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, wrap(op, ctx.Err())
			case <-t.C:
			}
		}
		next, err := p.svc.Operations.Get(p.project, o.Name).Context(ctx).Do()
		if isNotFound(err) {
			return &sqladmin.Operation{Name: o.Name, Status: statusDone}, nil
		}
		if err != nil {
			return nil, wrap(op, err)
		}
		o = next
	}
	return o, nil
}

// operationError is the error of a finished operation that failed, nil for one that
// succeeded.
func operationError(op string, o *sqladmin.Operation) error {
	if o.Error == nil || len(o.Error.Errors) == 0 {
		return nil
	}
	e := o.Error.Errors[0]
	return &cloud.Error{Op: op, Code: e.Code, Message: e.Message}
}
