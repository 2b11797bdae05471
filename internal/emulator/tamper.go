package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Tampering is one DB instance as someone with console access could change it behind a
// client's back, for drift and fault tests. Tamper fills it with the instance's current
// values and applies what the function it is given changes: at once, without going
// through modifying and without touching PendingModifiedValues. Each change records the
// events RDS records for it (DescribeEvents), as a console change would; a change of tags
// alone records none.
type Tampering struct {
	// Status is the DBInstanceStatus word, for example "storage-full", "failed" or
	// "incompatible-parameters". A transition under way (creating, modifying, ...) does not
	// finish from a status it did not set.
	Status string
	// DBInstanceClass is the instance class, such as "db.m7g.large".
	DBInstanceClass string
	// BackupRetentionPeriod is in days, 0-35.
	BackupRetentionPeriod int
	// StorageType is gp2, gp3, io1, io2 or standard.
	StorageType string
	// AllocatedStorage is in GiB; with StorageType it must fit that type's limits.
	AllocatedStorage int
	// EngineVersion is reported as set; the engine itself does not change.
	EngineVersion string
	// Tags are the instance's tags by key: add, change or delete entries.
	Tags map[string]string
	// MasterUserPassword, when set, resets the master password at once, as the console's
	// reset does: the engine's master role gets it too, and RDS-EVENT-0016 ("Reset master
	// credentials") is recorded. Tamper leaves it empty: the current password is never
	// shown. It must be valid for the engine; the master password of a read replica or of
	// an instance of an Aurora DB cluster is not the instance's own and cannot be reset here.
	MasterUserPassword string
	// Delete removes the instance at once, as a console user deleting it without a final
	// snapshot: its engine stops, its data and automated snapshots go, manual snapshots
	// stay. The other fields are then ignored.
	Delete bool
}

// Errors Tamper wraps, which the HTTP route turns into status codes.
var (
	errNoInstance = errors.New("no such DB instance")
	errDeleting   = errors.New("instance is already being deleted")
)

// Tamper changes an instance's state directly, as a person using the AWS console would
// but without the API's transitions, and records the events RDS records for those
// changes. fn receives the current values and changes those it wants; it runs without the
// emulator's lock, so it may call the emulator. Tamper is not an API call: the call log
// does not count it. It fails for an unknown instance, for an instance already being
// deleted when Delete is set, for values RDS would never hold and for a master password
// the engine refuses or the instance does not own; what it refuses before changing
// anything stays as it was.
func (e *Emulator) Tamper(id string, fn func(t *Tampering)) error {
	id = strings.ToLower(id)
	e.mu.Lock()
	in, ok := e.instances[id]
	if !ok {
		e.mu.Unlock()
		return fmt.Errorf("tamper with %s: %w", id, errNoInstance)
	}
	before := tamperingOf(in)
	e.mu.Unlock()

	after := before
	after.Tags = maps.Clone(before.Tags)
	fn(&after)
	if err := after.check(before); err != nil {
		return fmt.Errorf("tamper with %s: %w", id, err)
	}

	e.mu.Lock()
	if cur, ok := e.instances[id]; !ok || cur != in {
		e.mu.Unlock()
		return fmt.Errorf("tamper with %s: %w", id, errNoInstance)
	}
	if after.Delete {
		return e.deleteAtOnce(in) // unlocks
	}
	if after.MasterUserPassword != "" {
		if err := passwordOwner(in); err != nil {
			e.mu.Unlock()
			return fmt.Errorf("tamper with %s: %w", id, err)
		}
		if err := checkPassword(in.Engine, after.MasterUserPassword); err != nil {
			e.mu.Unlock()
			return fmt.Errorf("tamper with %s: %s", id, apiMessage(err))
		}
	}
	in.applyTampering(before, after)
	for _, k := range tamperingEvents(before, after) {
		e.instanceEvent(in.ID, k.kind, k.args...)
	}
	e.mu.Unlock()

	if after.MasterUserPassword != "" {
		if err := e.resetMasterPassword(in, after.MasterUserPassword); err != nil {
			return fmt.Errorf("tamper with %s: reset master password: %w", id, err)
		}
	}
	return nil
}

// passwordOwner refuses to reset the master password of an instance that does not own
// one: a read replica's follows its source, an Aurora instance's is its cluster's. It runs
// under the lock.
func passwordOwner(in *instance) error {
	switch {
	case in.ReplicaSource != "":
		return fmt.Errorf("the master password of read replica %s follows its source %s", in.ID, in.ReplicaSource)
	case in.ClusterID != "":
		return fmt.Errorf("the master password of %s is its DB cluster %s's", in.ID, in.ClusterID)
	}
	return nil
}

// apiMessage is the message of an apiError, else the error's text.
func apiMessage(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

// tamperedEvent is an event a tampering records, with its message's arguments.
type tamperedEvent struct {
	kind eventKind
	args []any
}

// tamperingEvents are the events RDS records for what a console user changed from before
// to after: a class or storage change applied at once (its applying and finished events),
// automated backups turned off or on, an engine version upgrade, and the status words RDS
// documents an event for: storage-full, stopped, started again (stopped to available) and
// failed. Other status words and tags record none. The password's event is recorded when
// it is set.
func tamperingEvents(before, after Tampering) []tamperedEvent {
	var out []tamperedEvent
	add := func(ks ...eventKind) {
		for _, k := range ks {
			out = append(out, tamperedEvent{kind: k})
		}
	}
	if after.DBInstanceClass != before.DBInstanceClass {
		add(evClassApplying, evClassFinished)
	}
	if after.StorageType != before.StorageType || after.AllocatedStorage != before.AllocatedStorage {
		add(evStorageApplying, evStorageFinished)
	}
	add(retentionEvents(before.BackupRetentionPeriod, after.BackupRetentionPeriod)...)
	if after.EngineVersion != before.EngineVersion {
		add(evUpgradeStarted, evUpgradeFinished)
	}
	if after.Status != before.Status {
		switch {
		case after.Status == "storage-full":
			add(evStorageExhausted)
		case after.Status == "stopped":
			add(evInstanceStopped)
		case after.Status == "available" && before.Status == "stopped":
			add(evInstanceStarted)
		case after.Status == "failed":
			out = append(out, tamperedEvent{kind: evInstanceFailed, args: []any{after.Status}})
		}
	}
	return out
}

// tamperingOf reads an instance's tamperable values. It runs under the lock.
func tamperingOf(in *instance) Tampering {
	t := Tampering{
		Status:                in.Status,
		DBInstanceClass:       in.Class,
		BackupRetentionPeriod: in.BackupRetentionPeriod,
		StorageType:           in.StorageType,
		AllocatedStorage:      in.AllocatedStorage,
		EngineVersion:         in.EngineVersion,
		Tags:                  map[string]string{},
	}
	for _, tg := range in.Tags {
		t.Tags[tg.Key] = tg.Value
	}
	return t
}

// check refuses values RDS would never hold.
func (t Tampering) check(before Tampering) error {
	if t.Delete {
		return nil
	}
	switch {
	case t.Status == "" || strings.ContainsAny(t.Status, " \t\n"):
		return fmt.Errorf("status %q is not a status word", t.Status)
	case !strings.HasPrefix(t.DBInstanceClass, "db."):
		return fmt.Errorf("instance class %q does not start with db.", t.DBInstanceClass)
	case t.BackupRetentionPeriod < 0 || t.BackupRetentionPeriod > 35:
		return fmt.Errorf("backup retention %d is not 0-35 days", t.BackupRetentionPeriod)
	case t.EngineVersion == "":
		return errors.New("engine version is empty")
	}
	if t.StorageType != before.StorageType || t.AllocatedStorage != before.AllocatedStorage {
		if err := checkStorage("its engine", t.StorageType, t.AllocatedStorage); err != nil {
			return errors.New(apiMessage(err))
		}
	}
	for k := range t.Tags {
		if k == "" {
			return errors.New("tag key is empty")
		}
	}
	return nil
}

// applyTampering writes the values that changed from before to after, so that what
// happened meanwhile to the others stays. It runs under the lock.
func (in *instance) applyTampering(before, after Tampering) {
	if after.Status != before.Status {
		in.Status = after.Status
	}
	if after.DBInstanceClass != before.DBInstanceClass {
		in.Class = after.DBInstanceClass
	}
	if after.BackupRetentionPeriod != before.BackupRetentionPeriod {
		in.BackupRetentionPeriod = after.BackupRetentionPeriod
	}
	if after.StorageType != before.StorageType {
		in.StorageType = after.StorageType
	}
	if after.AllocatedStorage != before.AllocatedStorage {
		in.AllocatedStorage = after.AllocatedStorage
	}
	if after.EngineVersion != before.EngineVersion {
		in.EngineVersion = after.EngineVersion
	}
	var gone []string
	for k := range before.Tags {
		if _, ok := after.Tags[k]; !ok {
			gone = append(gone, k)
		}
	}
	var set []tag
	for k, v := range after.Tags {
		if old, ok := before.Tags[k]; !ok || old != v {
			set = append(set, tag{Key: k, Value: v})
		}
	}
	sort.Slice(set, func(i, j int) bool { return set[i].Key < set[j].Key })
	in.Tags = setTags(removeTags(in.Tags, gone), set)
}

// deleteAtOnce forgets an instance and its automated snapshots, then stops its engine
// and removes its data. It is called under the lock and unlocks.
func (e *Emulator) deleteAtOnce(in *instance) error {
	if in.Status == "deleting" {
		e.mu.Unlock()
		return fmt.Errorf("tamper with %s: %w", in.ID, errDeleting)
	}
	delete(e.instances, in.ID)
	e.instanceEvent(in.ID, evInstanceDeleted)
	if in.ClusterID != "" {
		e.electWriter(in.ClusterID)
	}
	for sid, s := range e.snapshots {
		if s.InstanceID == in.ID && s.Type == "automated" {
			delete(e.snapshots, sid)
		}
	}
	srv, front := in.server, in.front
	in.server, in.front = nil, nil
	promote := e.detachReplicas(in.ID)
	e.mu.Unlock()

	e.promote(e.ctx, promote)
	var errs []error
	if err := closeFront(in.ID, front); err != nil {
		errs = append(errs, err)
	}
	if srv != nil {
		if err := srv.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop engine: %w", err))
		}
	}
	if e.cfg.DataDir != "" {
		if err := os.RemoveAll(filepath.Join(e.cfg.DataDir, "instances", in.ID)); err != nil {
			errs = append(errs, fmt.Errorf("remove data: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tamper with %s: deleted, but %w", in.ID, err)
	}
	return nil
}

// tamperJSON is the body of POST /_emulator/tamper. Absent members leave the value as it
// is; tags are added or overwritten, removeTags deleted.
type tamperJSON struct {
	ID                    string            `json:"id"`
	Status                *string           `json:"status,omitempty"`
	DBInstanceClass       *string           `json:"dbInstanceClass,omitempty"`
	BackupRetentionPeriod *int              `json:"backupRetentionPeriod,omitempty"`
	StorageType           *string           `json:"storageType,omitempty"`
	AllocatedStorage      *int              `json:"allocatedStorage,omitempty"`
	EngineVersion         *string           `json:"engineVersion,omitempty"`
	Tags                  map[string]string `json:"tags,omitempty"`
	RemoveTags            []string          `json:"removeTags,omitempty"`
	MasterUserPassword    *string           `json:"masterUserPassword,omitempty"`
	Delete                bool              `json:"delete,omitempty"`
}

// apply lays the body's members over t.
func (j tamperJSON) apply(t *Tampering) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&t.Status, j.Status)
	set(&t.DBInstanceClass, j.DBInstanceClass)
	set(&t.StorageType, j.StorageType)
	set(&t.EngineVersion, j.EngineVersion)
	set(&t.MasterUserPassword, j.MasterUserPassword)
	if j.BackupRetentionPeriod != nil {
		t.BackupRetentionPeriod = *j.BackupRetentionPeriod
	}
	if j.AllocatedStorage != nil {
		t.AllocatedStorage = *j.AllocatedStorage
	}
	maps.Copy(t.Tags, j.Tags)
	for _, k := range j.RemoveTags {
		delete(t.Tags, k)
	}
	t.Delete = j.Delete
}

// serveTamper answers POST /_emulator/tamper: 204 when done, 404 for an unknown instance,
// 400 for a bad body or values, 409 when the instance is already being deleted.
func (e *Emulator) serveTamper(w http.ResponseWriter, r *http.Request) {
	var j tamperJSON
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		http.Error(w, "tamper: "+err.Error(), http.StatusBadRequest)
		return
	}
	if j.ID == "" {
		http.Error(w, "tamper: id is required", http.StatusBadRequest)
		return
	}
	err := e.Tamper(j.ID, j.apply)
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, errNoInstance):
		http.Error(w, err.Error(), http.StatusNotFound)
	case errors.Is(err, errDeleting):
		http.Error(w, err.Error(), http.StatusConflict)
	default:
		http.Error(w, err.Error(), http.StatusBadRequest)
	}
}

// TamperClusterStatus sets a DB cluster's status word at once, as Tamper does an instance's
// (say "maintenance", in which the cluster refuses modifications): for fault tests. A
// transition under way does not finish from a status it did not set.
func (e *Emulator) TamperClusterStatus(id, status string) error {
	if status == "" || strings.ContainsAny(status, " \t\n") {
		return fmt.Errorf("tamper with cluster %s: status %q is not a status word", id, status)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.clusters[strings.ToLower(id)]
	if !ok {
		return fmt.Errorf("tamper with cluster %s: no such DB cluster", id)
	}
	c.Status = status
	return nil
}
