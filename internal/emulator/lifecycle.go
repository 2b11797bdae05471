package emulator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// runCreate takes a new instance through creating (the engine starts meanwhile, and
// replays dump when the instance is restored from a snapshot, or replicates from its
// source when it is a read replica), backing-up (its first automated snapshot, unless
// backups are off, as for a replica) and available.
func (e *Emulator) runCreate(ctx context.Context, id, password, dump string) {
	start := time.Now()
	e.mu.Lock()
	self, ok := e.instances[id]
	if !ok {
		e.mu.Unlock()
		return
	}
	engine, version, user, dbName, retention := self.Engine, self.EngineVersion, self.MasterUsername, self.DBName, self.BackupRetentionPeriod
	noEngine := e.withoutEngine(self)
	var source engineServer
	if self.ReplicaSource != "" {
		// A replica of an instance without a server has none either.
		if src, ok := e.instances[self.ReplicaSource]; ok && src.server != nil {
			source = src.server
		} else {
			noEngine = true
		}
	}
	e.mu.Unlock()

	port := defaultPort[engine]
	if noEngine && e.cfg.NoEnginePort != 0 {
		port = e.cfg.NoEnginePort
	}
	var srv engineServer
	var front endpointFront
	if !noEngine {
		var err error
		srv, port, err = e.startEngine(ctx, id, engine, version, user, password, dbName, dump, source)
		if err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: instance %s failed: %v\n", id, err)
			e.setStatus(id, "creating", "failed")
			return
		}
		if !e.attachServer(self, srv) {
			return
		}
		if err := e.startWithGroup(ctx, self, srv); err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: instance %s failed: %v\n", id, err)
			e.setStatus(id, "creating", "failed")
			return
		}
		if front, err = e.startInstanceFront(self, srv); err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: instance %s failed: %v\n", id, err)
			e.setStatus(id, "creating", "failed")
			return
		}
		port = endpointPort(front, port)
	}
	if !sleep(ctx, e.cfg.Delays.Create-time.Since(start)) {
		e.logErr(closeFront(id, front))
		return
	}

	e.mu.Lock()
	// The instance may have been deleted meanwhile (Tamper), even replaced by a new one
	// of the same name, which has its own runCreate.
	in, ok := e.instances[id]
	if !ok || in != self || in.Status != "creating" {
		e.mu.Unlock()
		e.logErr(closeFront(id, front))
		return
	}
	in.EndpointPort, in.front = port, front
	e.recordCreated(in)
	if retention == 0 {
		in.Status = "available"
		e.mu.Unlock()
		return
	}
	in.Status = "backing-up"
	snap := e.newSnapshot(in, "rds:"+id+"-"+time.Now().UTC().Format("2006-01-02-15-04"), "automated", nil)
	e.snapshots[snap.ID] = snap
	e.startBackup(in, snap)
	e.mu.Unlock()

	e.runSnapshot(ctx, snap.ID, id, srv)
}

// withoutEngine tells whether the instance runs without a server: every instance under
// NoEngine, else those tagged with NoEngineTag. It runs under the lock.
func (e *Emulator) withoutEngine(in *instance) bool {
	if e.cfg.NoEngine {
		return true
	}
	if e.cfg.NoEngineTag == "" {
		return false
	}
	for _, t := range in.Tags {
		if t.Key == e.cfg.NoEngineTag {
			return true
		}
	}
	return false
}

// startEngine starts the instance's server (PostgreSQL of the version's major or MariaDB,
// by engine) in a fresh data directory. A read replica's server replicates from source,
// which brings the data, users and databases along. Otherwise the server starts with the
// snapshot dump when there is one (the dump brings the database dbName along), else
// creates dbName. It returns the server and its port.
func (e *Emulator) startEngine(ctx context.Context, id, engine, version, user, password, dbName, dump string, source engineServer) (engineServer, int, error) {
	dir := filepath.Join(e.cfg.DataDir, "instances", id)
	// The instance is new: anything left there is from an instance of the same name that
	// an earlier emulator run did not get to delete.
	if err := os.RemoveAll(dir); err != nil {
		return nil, 0, fmt.Errorf("clear %s: %w", dir, err)
	}
	opts := serverOptions{dir: dir, user: user, password: password, version: version, snapshot: dump, ca: e.ca, log: e.cfg.Log}
	if source != nil {
		return startReplicaServer(ctx, opts, source)
	}
	srv, port, err := startServer(ctx, engine, opts)
	if err != nil {
		return nil, 0, err
	}
	if dump == "" && dbName != "" {
		if err := srv.CreateDatabase(ctx, dbName); err != nil {
			_ = srv.Stop()
			return nil, 0, err
		}
	}
	return srv, port, nil
}

// attachServer records the running server on its instance, or stops it when the
// instance is gone (or replaced by another of the same name); false when it was stopped.
func (e *Emulator) attachServer(self *instance, srv engineServer) bool {
	e.mu.Lock()
	in, ok := e.instances[self.ID]
	ok = ok && in == self
	if ok {
		in.server = srv
	}
	e.mu.Unlock()
	if !ok {
		_ = srv.Stop()
	}
	return ok
}

// runSnapshot dumps the instance's data into the snapshot, keeps the instance
// backing-up for Delays.BackingUp, then makes both available. The first automated
// snapshot that succeeds starts the instance's restorable window.
func (e *Emulator) runSnapshot(ctx context.Context, snapID, instanceID string, srv engineServer) {
	start := time.Now()
	status := "available"
	file, err := e.dump(ctx, srv, snapID)
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "rds-emulator: snapshot %s failed: %v\n", snapID, err)
		status = "failed"
	}
	if !sleep(ctx, e.cfg.Delays.BackingUp-time.Since(start)) {
		return
	}
	e.mu.Lock()
	s, ok := e.snapshots[snapID]
	if ok {
		s.Status, s.File = status, file
		e.snapshotDone(s)
	}
	if in, found := e.instances[instanceID]; found {
		if ok && s.Type == "automated" && status == "available" && in.FirstBackup.IsZero() {
			in.FirstBackup = time.Now()
		}
		if in.Status == "backing-up" {
			in.Status = "available"
			e.instanceEvent(in.ID, evBackupFinished)
		}
	}
	e.mu.Unlock()
}

// recordCreated records the events of a new instance leaving creating: restored from a
// snapshot, created, and for a read replica its replication starting. It runs under the
// lock.
func (e *Emulator) recordCreated(in *instance) {
	if in.RestoredFrom != "" {
		e.instanceEvent(in.ID, evRestoredFromSnapshot, in.RestoredFrom)
	}
	e.instanceEvent(in.ID, evInstanceCreated)
	if in.ReplicaSource != "" {
		e.instanceEvent(in.ID, evReplicationResumed)
	}
}

// startBackup records an instance going backing-up for a snapshot of it, automated or
// manual, which is creating. It runs under the lock.
func (e *Emulator) startBackup(in *instance, s *snapshot) {
	e.instanceEvent(in.ID, evBackupStarted)
	if s.Type == "automated" {
		e.snapshotEvent(s.ID, evAutomatedSnapshotCreating)
	} else {
		e.snapshotEvent(s.ID, evManualSnapshotCreating)
	}
}

// snapshotDone records a snapshot becoming available; a failed one records nothing, as
// RDS documents no event for it. It runs under the lock.
func (e *Emulator) snapshotDone(s *snapshot) {
	switch {
	case s.Status != "available":
	case s.Type == "automated":
		e.snapshotEvent(s.ID, evAutomatedSnapshotCreated)
	default:
		e.snapshotEvent(s.ID, evManualSnapshotCreated)
	}
}

// dump writes a snapshot's data file; without an engine there is nothing to write.
func (e *Emulator) dump(ctx context.Context, srv engineServer, snapID string) (string, error) {
	if srv == nil || e.cfg.DataDir == "" {
		return "", nil
	}
	path := filepath.Join(e.cfg.DataDir, "snapshots", snapID+".sql")
	if err := srv.Dump(ctx, path); err != nil {
		return "", err
	}
	return path, nil
}

// runModify keeps the instance modifying for Delays.Modify (or as long as a major
// version upgrade of its server takes), then applies the logs it ships and, unless
// logsOnly, its pending values (logsOnly: they keep waiting for the maintenance window).
func (e *Emulator) runModify(ctx context.Context, id string, logsOnly bool) {
	start := time.Now()
	if !logsOnly {
		e.mu.Lock()
		if in, ok := e.instances[id]; ok && in.Status == "modifying" {
			for _, k := range in.pendingEvents(true) {
				e.instanceEvent(id, k)
			}
		}
		e.mu.Unlock()
		e.upgradeEngine(ctx, id)
	}
	if !sleep(ctx, e.cfg.Delays.Modify-time.Since(start)) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.instances[id]
	if !ok || in.Status != "modifying" {
		return
	}
	if !logsOnly {
		for _, k := range in.pendingEvents(false) {
			e.instanceEvent(id, k)
		}
		if p := in.Pending.ParamGroup; p != "" {
			e.instanceEvent(id, evParamGroupUpdated, p)
		}
		in.applyPending()
	}
	in.Logs.apply()
	in.Status = "available"
}

// pendingEvents are the events of applying the instance's pending values, those RDS
// records as it starts (starting) or as it finishes: instance class, storage (size,
// type, IOPS or throughput), Multi-AZ, backups turned off or on (finishing only), engine
// version. Other values, such as IAM database authentication or a retention that stays
// above zero, have no event RDS documents. It runs under the lock.
func (in *instance) pendingEvents(starting bool) []eventKind {
	p := in.Pending
	var out []eventKind
	pick := func(start, finish eventKind) {
		if starting {
			out = append(out, start)
		} else {
			out = append(out, finish)
		}
	}
	if p.DBInstanceClass != "" {
		pick(evClassApplying, evClassFinished)
	}
	if p.AllocatedStorage != nil || p.StorageType != "" || p.Iops != nil || p.StorageThroughput != nil {
		pick(evStorageApplying, evStorageFinished)
	}
	if p.MultiAZ != nil && *p.MultiAZ {
		pick(evMultiAZApplying, evMultiAZFinished)
	}
	if p.MultiAZ != nil && !*p.MultiAZ {
		pick(evSingleAZApplying, evSingleAZFinished)
	}
	if r := p.BackupRetentionPeriod; r != nil && !starting {
		out = append(out, retentionEvents(in.BackupRetentionPeriod, *r)...)
	}
	if p.EngineVersion != "" {
		pick(evUpgradeStarted, evUpgradeFinished)
	}
	return out
}

// retentionEvents are the events of a backup retention period going from one value to
// another: RDS documents one for turning automated backups off (to 0) and on (from 0),
// none for other changes.
func retentionEvents(from, to int) []eventKind {
	switch {
	case from > 0 && to == 0:
		return []eventKind{evBackupsDisabled}
	case from == 0 && to > 0:
		return []eventKind{evBackupsEnabled}
	}
	return nil
}

// applyPending makes the pending values current.
func (in *instance) applyPending() {
	p := in.Pending
	if p.AllocatedStorage != nil {
		in.AllocatedStorage = *p.AllocatedStorage
	}
	if p.Iops != nil {
		in.Iops = *p.Iops
	}
	if p.StorageThroughput != nil {
		in.StorageThroughput = *p.StorageThroughput
	}
	if p.BackupRetentionPeriod != nil {
		in.BackupRetentionPeriod = *p.BackupRetentionPeriod
	}
	if p.DBInstanceClass != "" {
		in.Class = p.DBInstanceClass
	}
	if p.EngineVersion != "" {
		in.EngineVersion = p.EngineVersion
	}
	if p.StorageType != "" {
		in.StorageType = p.StorageType
	}
	if p.MultiAZ != nil {
		in.setMultiAZ(*p.MultiAZ)
	}
	if p.IAMAuth != nil {
		in.IAMAuth = *p.IAMAuth
	}
	if p.ParamGroup != "" {
		// The upgraded server starts without the new group's values: they apply at the
		// next reboot. A default group has none.
		in.ParamGroup, in.ParamApply = p.ParamGroup, paramsInSync
		if !strings.HasPrefix(p.ParamGroup, defaultGroupPrefix) {
			in.ParamApply = paramsPendingReboot
		}
	}
	in.Pending = pending{}
}

// runDelete takes the final snapshot if asked, keeps the instance deleting for
// Delays.Delete, then stops the engine, removes its data and forgets the instance and
// its automated snapshots.
func (e *Emulator) runDelete(ctx context.Context, id, finalSnapshot string, srv engineServer) {
	start := time.Now()
	snapStatus, file := "available", ""
	if finalSnapshot != "" {
		var err error
		if file, err = e.dump(ctx, srv, finalSnapshot); err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: final snapshot %s failed: %v\n", finalSnapshot, err)
			snapStatus = "failed"
		}
	}
	if !sleep(ctx, e.cfg.Delays.Delete-time.Since(start)) {
		return
	}
	e.mu.Lock()
	var front endpointFront
	if in, ok := e.instances[id]; ok {
		front, in.front = in.front, nil
	}
	e.mu.Unlock()
	e.logErr(closeFront(id, front))
	if srv != nil {
		if err := srv.Stop(); err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: stop %s: %v\n", id, err)
		}
	}
	if e.cfg.DataDir != "" {
		if err := os.RemoveAll(filepath.Join(e.cfg.DataDir, "instances", id)); err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: remove data of %s: %v\n", id, err)
		}
	}
	e.mu.Lock()
	gone := e.instances[id]
	delete(e.instances, id)
	if gone != nil {
		e.instanceEvent(id, evInstanceDeleted)
	}
	if gone != nil && gone.ClusterID != "" {
		e.electWriter(gone.ClusterID)
	}
	for sid, s := range e.snapshots {
		if s.InstanceID == id && s.Type == "automated" {
			delete(e.snapshots, sid)
		}
	}
	if s, ok := e.snapshots[finalSnapshot]; ok {
		s.Status, s.File = snapStatus, file
		e.snapshotDone(s)
	}
	promote := e.detachReplicas(id)
	e.mu.Unlock()

	e.promote(ctx, promote)
}
