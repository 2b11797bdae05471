package emulator

import (
	"context"
	"strings"
)

// modifyInstance answers ModifyDBInstance.
func (e *Emulator) modifyInstance(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBInstanceIdentifier"))
	if id == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter DBInstanceIdentifier.")
	}
	req, err := readModification(p)
	if err != nil {
		return nil, id, err
	}

	e.mu.Lock()
	in, ok := e.instances[id]
	if !ok {
		e.mu.Unlock()
		return nil, id, newError(codeInstanceNotFound, "DBInstance %s not found.", id)
	}
	change, err := req.against(in)
	if err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	modifying := !change.empty() && req.applyImmediately
	if !change.empty() {
		in.Pending = mergePending(in.Pending, change)
	}
	if modifying {
		in.Status = "modifying"
	}
	x := e.instanceXML(in)
	srv := in.server
	e.mu.Unlock()

	if modifying {
		e.background(func(ctx context.Context) { e.runModify(ctx, id) })
	}

	// As on RDS, a new master password applies at once, whatever ApplyImmediately says.
	if req.password != nil && srv != nil {
		if err := srv.SetMasterPassword(e.ctx, *req.password); err != nil {
			return nil, id, err
		}
	}
	return struct{ DBInstance xmlInstance }{x}, id, nil
}

// modification is a parsed ModifyDBInstance request.
type modification struct {
	storage          *int
	class            string
	retention        *int
	engineVersion    string
	password         *string
	applyImmediately bool
}

// readModification parses and checks what needs no instance.
func readModification(p params) (modification, error) {
	var m modification
	var err error
	if m.storage, err = p.integer("AllocatedStorage"); err != nil {
		return m, err
	}
	if m.retention, err = p.integer("BackupRetentionPeriod"); err != nil {
		return m, err
	}
	if m.retention != nil && (*m.retention < 0 || *m.retention > 35) {
		return m, newError(codeInvalidValue, "The parameter BackupRetentionPeriod must be between 0 and 35.")
	}
	m.class = p.str("DBInstanceClass")
	if m.class != "" && !strings.HasPrefix(m.class, "db.") {
		return m, newError(codeInvalidValue, "Invalid DB Instance class: %s", m.class)
	}
	m.engineVersion = p.str("EngineVersion")
	if p.has("MasterUserPassword") {
		pw := p.str("MasterUserPassword")
		m.password = &pw
	}
	apply, err := p.boolean("ApplyImmediately")
	if err != nil {
		return m, err
	}
	m.applyImmediately = deref(apply)
	return m, nil
}

// against checks the modification against the instance's state and returns the values
// that change. It runs under the lock.
func (m modification) against(in *instance) (pending, error) {
	var change pending
	storageOnly := m.class == "" && m.retention == nil && m.engineVersion == "" && m.password == nil
	switch {
	case in.Status == "available":
	case in.Status == "storage-full" && storageOnly && m.storage != nil:
	default:
		return change, newError(codeInvalidInstanceState, "Database instance is not in available state.")
	}
	if m.password != nil {
		if err := checkPassword(in.Engine, *m.password); err != nil {
			return change, err
		}
	}
	if m.storage != nil && *m.storage != in.AllocatedStorage {
		if *m.storage < in.AllocatedStorage {
			return change, newError(codeInvalidValue, "Invalid storage size for engine name %s and storage type %s: %d. Allocated storage can't be decreased.", in.Engine, in.StorageType, *m.storage)
		}
		grown := grownStorage(in.AllocatedStorage, *m.storage)
		if err := checkStorage(in.StorageType, grown); err != nil {
			return change, err
		}
		change.AllocatedStorage = &grown
	}
	if m.class != "" && m.class != in.Class {
		change.DBInstanceClass = m.class
	}
	if m.retention != nil && *m.retention != in.BackupRetentionPeriod {
		change.BackupRetentionPeriod = m.retention
	}
	if m.engineVersion != "" && m.engineVersion != in.EngineVersion {
		change.EngineVersion = m.engineVersion
	}
	return change, nil
}

// mergePending lays newer pending values over older ones.
func mergePending(old, newer pending) pending {
	if newer.AllocatedStorage != nil {
		old.AllocatedStorage = newer.AllocatedStorage
	}
	if newer.BackupRetentionPeriod != nil {
		old.BackupRetentionPeriod = newer.BackupRetentionPeriod
	}
	if newer.DBInstanceClass != "" {
		old.DBInstanceClass = newer.DBInstanceClass
	}
	if newer.EngineVersion != "" {
		old.EngineVersion = newer.EngineVersion
	}
	if newer.StorageType != "" {
		old.StorageType = newer.StorageType
	}
	return old
}
