package emulator

import (
	"context"
	"os"
	"strings"
)

// createSnapshot answers CreateDBSnapshot.
func (e *Emulator) createSnapshot(p params) (any, string, error) {
	snapID := strings.ToLower(p.str("DBSnapshotIdentifier"))
	if err := checkIdentifier("DBSnapshotIdentifier", snapID); err != nil {
		return nil, snapID, err
	}
	id := strings.ToLower(p.str("DBInstanceIdentifier"))
	if id == "" {
		return nil, snapID, newError(codeMissingParameter, "The request must contain the parameter DBInstanceIdentifier.")
	}

	e.mu.Lock()
	in, ok := e.instances[id]
	if !ok {
		e.mu.Unlock()
		return nil, snapID, newError(codeInstanceNotFound, "DBInstance %s not found.", id)
	}
	if in.ClusterID != "" {
		e.mu.Unlock()
		return nil, snapID, newError(codeInvalidValue, "The specified instance is a member of a cluster and a snapshot cannot be created directly. Please use the CreateDBClusterSnapshot API instead.")
	}
	if in.Status != "available" {
		e.mu.Unlock()
		return nil, snapID, newError(codeInvalidInstanceState, "Cannot create a snapshot because the database instance %s is not currently in the available state.", id)
	}
	if _, exists := e.snapshots[snapID]; exists {
		e.mu.Unlock()
		return nil, snapID, newError(codeSnapshotAlreadyExists, "Cannot create the snapshot because a snapshot with the identifier %s already exists.", snapID)
	}
	s := e.newSnapshot(in, snapID, "manual", p.tags())
	e.snapshots[snapID] = s
	in.Status = "backing-up"
	e.startBackup(in, s)
	srv := in.server
	x := e.snapshotXML(s)
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runSnapshot(ctx, snapID, id, srv) })
	return struct{ DBSnapshot xmlSnapshot }{x}, snapID, nil
}

// describeSnapshots answers DescribeDBSnapshots. IncludeShared and IncludePublic are
// checked and change nothing: with one account there are no snapshots shared with it and
// no public ones of others.
func (e *Emulator) describeSnapshots(p params) (any, string, error) {
	snapID, err := e.snapshotIDOf(p.str("DBSnapshotIdentifier"))
	if err != nil {
		return nil, snapID, err
	}
	instanceID := strings.ToLower(p.str("DBInstanceIdentifier"))
	kind := p.str("SnapshotType")
	max, err := p.maxRecords()
	if err != nil {
		return nil, snapID, err
	}
	for _, name := range []string{"IncludeShared", "IncludePublic"} {
		if _, err := p.boolean(name); err != nil {
			return nil, snapID, err
		}
	}
	type result struct {
		DBSnapshots []xmlSnapshot `xml:"DBSnapshots>DBSnapshot"`
		Marker      string        `xml:",omitempty"`
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if snapID != "" {
		s, ok := e.snapshots[snapID]
		if !ok {
			return nil, snapID, newError(codeSnapshotNotFound, "DBSnapshot %s not found.", snapID)
		}
		return result{DBSnapshots: []xmlSnapshot{e.snapshotXML(s)}}, snapID, nil
	}
	var keys []string
	for k, s := range e.snapshots {
		if (instanceID == "" || s.InstanceID == instanceID) && (kind == "" || s.Type == kind) {
			keys = append(keys, k)
		}
	}
	keys, next := page(keys, p.str("Marker"), max)
	out := result{Marker: next}
	for _, k := range keys {
		out.DBSnapshots = append(out.DBSnapshots, e.snapshotXML(e.snapshots[k]))
	}
	return out, instanceID, nil
}

// snapshotIDOf reads DBSnapshotIdentifier as DescribeDBSnapshots and
// RestoreDBInstanceFromDBSnapshot take it: a snapshot identifier, or the ARN of a snapshot
// of this emulator's region and account. Any other ARN names a snapshot of another account
// or region (shared, or to be copied first), which the emulator cannot have: it is not
// found.
func (e *Emulator) snapshotIDOf(v string) (string, error) {
	if !strings.HasPrefix(v, "arn:") {
		return strings.ToLower(v), nil
	}
	id, ok := strings.CutPrefix(v, e.snapshotARN(""))
	if !ok || id == "" {
		return v, newError(codeSnapshotNotFound, "DBSnapshot %s not found.", v)
	}
	return strings.ToLower(id), nil
}

// deleteSnapshot answers DeleteDBSnapshot; its data file goes with it.
func (e *Emulator) deleteSnapshot(p params) (any, string, error) {
	snapID := strings.ToLower(p.str("DBSnapshotIdentifier"))
	if snapID == "" {
		return nil, snapID, newError(codeMissingParameter, "The request must contain the parameter DBSnapshotIdentifier.")
	}
	e.mu.Lock()
	s, ok := e.snapshots[snapID]
	if !ok {
		e.mu.Unlock()
		return nil, snapID, newError(codeSnapshotNotFound, "DBSnapshot %s not found.", snapID)
	}
	if s.Status != "available" && s.Status != "failed" {
		e.mu.Unlock()
		return nil, snapID, newError(codeInvalidSnapshotState, "Cannot delete the snapshot because it is in state %s.", s.Status)
	}
	if s.Type == "automated" {
		e.mu.Unlock()
		return nil, snapID, newError(codeInvalidSnapshotState, "Cannot delete an automated snapshot; it goes with its instance.")
	}
	delete(e.snapshots, snapID)
	e.snapshotEvent(snapID, evManualSnapshotDeleted)
	x := e.snapshotXML(s)
	x.Status = "deleted"
	file := s.File
	e.mu.Unlock()

	if file != "" {
		_ = os.Remove(file)
	}
	return struct{ DBSnapshot xmlSnapshot }{x}, snapID, nil
}

// SnapshotFile returns the file holding a snapshot's data (a PostgreSQL base backup, see
// pgserver.Backup, or a mariadb-dump), once the snapshot is available; false when the
// snapshot is unknown, not yet available or has no engine data. It is introspection for
// tests: RDS has no such call.
func (e *Emulator) SnapshotFile(id string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.snapshots[strings.ToLower(id)]
	if !ok || s.Status != "available" || s.File == "" {
		return "", false
	}
	return s.File, true
}
