package emulator

import (
	"context"
	"maps"
	"strings"
	"time"
)

// deletableStatus lists the statuses DeleteDBInstance accepts.
var deletableStatus = map[string]bool{
	"available": true, "backing-up": true, "failed": true, "storage-full": true, "storage-optimization": true,
	"incompatible-parameters": true, "incompatible-restore": true, "incompatible-network": true,
	"stopped": true,
}

// failedStatus lists the statuses from which AWS deletes only with SkipFinalSnapshot.
var failedStatus = map[string]bool{"failed": true, "incompatible-restore": true, "incompatible-network": true}

// deleteInstance answers DeleteDBInstance.
func (e *Emulator) deleteInstance(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBInstanceIdentifier"))
	if id == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter DBInstanceIdentifier.")
	}
	skip, err := p.boolean("SkipFinalSnapshot")
	if err != nil {
		return nil, id, err
	}
	final := strings.ToLower(p.str("FinalDBSnapshotIdentifier"))
	if deref(skip) && final != "" {
		return nil, id, newError(codeInvalidCombination, "Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.")
	}
	if final != "" {
		if err := checkIdentifier("FinalDBSnapshotIdentifier", final); err != nil {
			return nil, id, err
		}
	}

	e.mu.Lock()
	in, ok := e.instances[id]
	if !ok {
		e.mu.Unlock()
		return nil, id, newError(codeInstanceNotFound, "DBInstance %s not found.", id)
	}
	if in.DeletionProtection {
		e.mu.Unlock()
		return nil, id, errInstanceProtected()
	}
	if err := checkFinalSnapshot(in, deref(skip), final); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	if in.Status == "deleting" {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidInstanceState, "Instance %s is already being deleted.", id)
	}
	if !deletableStatus[in.Status] {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidInstanceState, "Instance %s is not in a state that allows deletion: %s.", id, in.Status)
	}
	if final != "" && failedStatus[in.Status] {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidInstanceState, "Instance %s is %s; it can only be deleted with SkipFinalSnapshot.", id, in.Status)
	}
	if final != "" {
		if _, exists := e.snapshots[final]; exists {
			e.mu.Unlock()
			return nil, id, newError(codeSnapshotAlreadyExists, "Cannot create the snapshot because a snapshot with the identifier %s already exists.", final)
		}
		// DeleteDBInstance takes no tags: the final snapshot gets the instance's own, as
		// they are now, when it has CopyTagsToSnapshot.
		e.snapshots[final] = e.newSnapshot(in, final, "manual", nil)
		e.snapshotEvent(final, evManualSnapshotCreating)
	}
	in.Status = "deleting"
	if in.ClusterID != "" {
		// A writer being deleted hands over to a reader at once, as Aurora fails over.
		e.electWriter(in.ClusterID)
	}
	srv := in.server
	x := e.instanceXML(in)
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runDelete(ctx, id, final, srv) })
	return struct{ DBInstance xmlInstance }{x}, id, nil
}

// checkFinalSnapshot applies DeleteDBInstance's rules for the final snapshot, which depend
// on the instance: a read replica has none (SkipFinalSnapshot is required), an Aurora
// instance has none either (the cluster's volume outlives it, so neither parameter is
// needed), and any other instance needs one unless SkipFinalSnapshot is set.
func checkFinalSnapshot(in *instance, skip bool, final string) error {
	switch {
	case in.ClusterID != "" && final != "":
		return newError(codeInvalidCombination, "FinalDBSnapshotIdentifier can not be specified when deleting a DB instance in a DB cluster; snapshot the cluster with CreateDBClusterSnapshot.")
	case in.ClusterID != "":
		return nil
	case in.ReplicaSource != "" && final != "":
		return newError(codeInvalidCombination, "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance")
	case !skip && final == "":
		return newError(codeInvalidCombination, "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
	}
	return nil
}

// newSnapshot builds a snapshot record of an instance, in status creating, tagged with
// requested or, failing that, as the instance's CopyTagsToSnapshot says (snapshotTags). It
// runs under the lock.
func (e *Emulator) newSnapshot(in *instance, id, kind string, requested []tag) *snapshot {
	return &snapshot{
		ID:               id,
		InstanceID:       in.ID,
		ResourceID:       in.ResourceID,
		Type:             kind,
		Status:           "creating",
		Engine:           in.Engine,
		EngineVersion:    in.EngineVersion,
		AllocatedStorage: in.AllocatedStorage,
		StorageType:      in.StorageType,
		MasterUsername:   in.MasterUsername,
		Encrypted:        in.StorageEncrypted,
		KmsKeyID:         in.KmsKeyID,
		AvailabilityZone: in.AvailabilityZone,
		Port:             in.EndpointPort,
		IAMAuth:          in.IAMAuth,
		InstanceCreate:   in.CreateTime,
		CreateTime:       time.Now(),
		Tags:             snapshotTags(requested, in.CopyTagsToSnapshot, in.Tags),

		Class:                 in.Class,
		DBName:                in.DBName,
		BackupRetentionPeriod: in.BackupRetentionPeriod,
		masterPassword:        in.masterPassword,
		serverParams:          maps.Clone(in.serverParams),
	}
}
