package gcpemulator

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Backup types and run statuses, as the API names them.
const (
	backupOnDemand = "ON_DEMAND"
	backupFinal    = "FINAL"

	runEnqueued   = "ENQUEUED"
	runRunning    = "RUNNING"
	runSuccessful = "SUCCESSFUL"
	runFailed     = "FAILED"

	// defaultFinalBackupDays is how long a final backup is kept when the request does not
	// say.
	defaultFinalBackupDays = 30
)

// backup is a backup run of an instance; a FINAL one outlives it.
type backup struct {
	id          int64
	instance    *instance
	key         instanceKey
	version     string
	region      string
	typ         string
	status      string
	description string
	enqueued    time.Time
	started     time.Time
	ended       time.Time
	// dump is the file the server's dump went to; "" without a server.
	dump      string
	errorText string
	// users and databases are the instance's at backup time; a restore brings them back.
	users     []User
	databases []Database

	ttlDays         int64
	expiry          time.Time
	instanceDeleted time.Time
}

// finalBackup is what instances.delete asks of its final backup.
type finalBackup struct {
	ttlDays     int64
	expiry      time.Time
	description string
}

// parseFinalBackup reads instances.delete's enableFinalBackup, finalBackupTtlDays,
// finalBackupExpiryTime and finalBackupDescription parameters; nil when no final backup is
// asked for.
func parseFinalBackup(r *http.Request, now time.Time) (*finalBackup, error) {
	q := r.URL.Query()
	if on, _ := strconv.ParseBool(q.Get("enableFinalBackup")); !on {
		return nil, nil
	}
	f := &finalBackup{ttlDays: defaultFinalBackupDays, description: q.Get("finalBackupDescription")}
	ttl, expiry := q.Get("finalBackupTtlDays"), q.Get("finalBackupExpiryTime")
	if ttl != "" && expiry != "" {
		return nil, errInvalid("Only one of finalBackupTtlDays and finalBackupExpiryTime may be set.")
	}
	switch {
	case ttl != "":
		n, err := strconv.ParseInt(ttl, 10, 64)
		if err != nil || n < 1 || n > 365 {
			return nil, errInvalid("finalBackupTtlDays must be between 1 and 365.")
		}
		f.ttlDays = n
	case expiry != "":
		t, err := time.Parse(time.RFC3339, expiry)
		if err != nil || !t.After(now) {
			return nil, errInvalid("finalBackupExpiryTime must be a future RFC 3339 time.")
		}
		f.ttlDays = 0
		f.expiry = t
		return f, nil
	}
	f.expiry = now.Add(time.Duration(f.ttlDays) * 24 * time.Hour)
	return f, nil
}

// newBackup records an ENQUEUED backup of the instance. It runs under mu.
func (e *Emulator) newBackup(in *instance, typ, description string) *backup {
	b := &backup{
		id: e.nextID(), instance: in, key: in.key, version: in.version, region: in.region,
		typ: typ, status: runEnqueued, description: description, enqueued: e.cfg.Now(),
		users: slices.Clone(in.users), databases: slices.Clone(in.databases),
	}
	e.backups[b.id] = b
	return b
}

// takeBackup dumps srv (when there is one) into the backup's file and marks it
// SUCCESSFUL or FAILED. The caller must not hold mu.
func (e *Emulator) takeBackup(ctx context.Context, b *backup, srv engineServer) {
	path, err := e.dumpBackup(ctx, b, srv)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.endBackup(b, path, err)
}

// dumpBackup marks the backup RUNNING and dumps srv (when there is one) into its file,
// whose path it returns. The caller must not hold mu.
func (e *Emulator) dumpBackup(ctx context.Context, b *backup, srv engineServer) (string, error) {
	e.mu.Lock()
	b.status, b.started = runRunning, e.cfg.Now()
	e.mu.Unlock()
	if srv == nil {
		return "", nil
	}
	path := filepath.Join(e.cfg.DataDir, "backups", fmt.Sprintf("%d.sql", b.id))
	return path, srv.Dump(ctx, path)
}

// endBackup marks the backup SUCCESSFUL with its dump at path, or FAILED by err. It runs
// under mu.
func (e *Emulator) endBackup(b *backup, path string, err error) {
	b.ended = e.cfg.Now()
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: backup %d of %s: %v\n", b.id, b.key.name, err)
		b.status, b.errorText = runFailed, "the dump of the database server failed"
		return
	}
	b.status, b.dump = runSuccessful, path
}

// insertBackupRun answers backupRuns.insert: an on-demand backup, as a BACKUP_VOLUME
// operation that ends when the dump is written and Delays.Backup has passed; the backup
// run is SUCCESSFUL (or FAILED) when the operation ends, as on Cloud SQL.
func (e *Emulator) insertBackupRun(r *http.Request) (any, error) {
	var req BackupRun
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	in, err := e.lookup(r)
	if err != nil {
		return nil, err
	}
	if err := in.changeable(); err != nil {
		return nil, err
	}
	if in.master != nil {
		return nil, errReplica(in)
	}
	op := e.newOperation(r, in.key, opBackupVolume)
	in.busy = op
	b := e.newBackup(in, backupOnDemand, req.Description)
	srv := in.server
	e.backgroundLocked(func(ctx context.Context) {
		start := time.Now()
		e.startOperation(op)
		path, dumpErr := e.dumpBackup(ctx, b, srv)
		if !sleep(ctx, e.cfg.Delays.Backup-time.Since(start)) {
			return
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		e.endBackup(b, path, dumpErr)
		var err error
		if b.status == runFailed {
			err = fmt.Errorf("%s", b.errorText)
		}
		e.finishOperation(op, "INTERNAL_ERROR", err)
	})
	return op.view(), nil
}

// instanceBackups are the backup runs of a live instance, newest first. It runs under mu.
func (e *Emulator) instanceBackups(in *instance) []*backup {
	var out []*backup
	for _, b := range e.backups {
		if b.instance == in && b.instanceDeleted.IsZero() {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b *backup) int { return int(b.id - a.id) })
	return out
}

func (e *Emulator) listBackupRuns(r *http.Request) (any, error) {
	e.mu.Lock()
	in, err := e.lookup(r)
	if err != nil {
		e.mu.Unlock()
		return nil, err
	}
	var items []BackupRun
	for _, b := range e.instanceBackups(in) {
		items = append(items, b.runView(in.base))
	}
	e.mu.Unlock()
	page, next, err := paginate(r, items)
	if err != nil {
		return nil, err
	}
	return &listResponse{Kind: "sql#backupRunsList", Items: page, NextPageToken: next}, nil
}

// findRun finds a backup run of the instance a request names. It runs under mu.
func (e *Emulator) findRun(r *http.Request) (*instance, *backup, error) {
	in, err := e.lookup(r)
	if err != nil {
		return nil, nil, err
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	b, ok := e.backups[id]
	if !ok || b.instance != in || !b.instanceDeleted.IsZero() {
		return nil, nil, errorf(http.StatusNotFound, "backupRunDoesNotExist", "The backup run does not exist.")
	}
	return in, b, nil
}

func (e *Emulator) getBackupRun(r *http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, b, err := e.findRun(r)
	if err != nil {
		return nil, err
	}
	v := b.runView(in.base)
	return &v, nil
}

// deleteBackupRun answers backupRuns.delete with a DELETE_BACKUP operation.
func (e *Emulator) deleteBackupRun(r *http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, b, err := e.findRun(r)
	if err != nil {
		return nil, err
	}
	if in.busy != nil {
		return nil, errOperationInProgress()
	}
	op := e.newOperation(r, in.key, opDeleteBackup)
	e.dropBackup(b)
	e.finishOperation(op, "", nil)
	return op.view(), nil
}

// listBackups answers the Backups API's list (GET /v1/projects/{p}/backups): the backup
// runs of the project's instances and the final backups of deleted ones that have not
// expired, newest first. Its filter takes "instance:<name>" and "type:<TYPE>" terms joined
// by AND; its page size is pageSize.
func (e *Emulator) listBackups(r *http.Request) (any, error) {
	project := r.PathValue("project")
	terms, err := parseFilter(r.URL.Query().Get("filter"))
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	now := e.cfg.Now()
	var all []*backup
	for _, b := range e.backups {
		if b.key.project == project && (b.expiry.IsZero() || now.Before(b.expiry)) && b.matches(terms) {
			all = append(all, b)
		}
	}
	slices.SortFunc(all, func(a, b *backup) int { return int(b.id - a.id) })
	items := make([]Backup, 0, len(all))
	for _, b := range all {
		items = append(items, b.backupView(baseURL(r)))
	}
	e.mu.Unlock()
	if size := r.URL.Query().Get("pageSize"); size != "" {
		q := r.URL.Query()
		q.Set("maxResults", size)
		r.URL.RawQuery = q.Encode()
	}
	page, next, err := paginate(r, items)
	if err != nil {
		return nil, err
	}
	return &listResponse{Backups: page, NextPageToken: next}, nil
}

// matches reports whether the backup passes every term of a Backups API filter; a term on
// another field matches nothing, as an unknown field would not.
func (b *backup) matches(terms []filterTerm) bool {
	for _, t := range terms {
		var got string
		switch t.field {
		case "instance":
			got = b.key.name
		case "type":
			got = b.typ
		default:
			return false
		}
		if got != t.value {
			return false
		}
	}
	return true
}

// deleteBackup answers the Backups API's delete (DELETE /v1/projects/{p}/backups/{id}) of
// any backup: a backup run of a live instance, refused while another operation runs on
// it as backupRuns.delete is, or a final backup of a deleted one. The DELETE_BACKUP
// operation is answered DONE.
func (e *Emulator) deleteBackup(r *http.Request) (any, error) {
	project := r.PathValue("project")
	e.mu.Lock()
	defer e.mu.Unlock()
	b, err := e.findBackup(project, r.PathValue("backup"))
	if err != nil {
		return nil, err
	}
	if in, live := e.instances[b.key]; live && b.instance == in && in.busy != nil {
		return nil, errOperationInProgress()
	}
	op := e.newOperation(r, b.key, opDeleteBackup)
	e.dropBackup(b)
	e.finishOperation(op, "", nil)
	return op.view(), nil
}

// dropBackup forgets a backup and removes its dump. It runs under mu.
func (e *Emulator) dropBackup(b *backup) {
	delete(e.backups, b.id)
	if b.dump != "" {
		if err := os.Remove(b.dump); err != nil {
			fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: remove backup dump: %v\n", err)
		}
	}
}

// findBackup finds a backup by its Backups API name, projects/{p}/backups/{id}, or by its
// ID in project. It runs under mu.
func (e *Emulator) findBackup(project, name string) (*backup, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(name, "projects/"+project+"/backups/"), 10, 64)
	b, ok := e.backups[id]
	if err != nil || !ok || b.key.project != project || (!b.expiry.IsZero() && !e.cfg.Now().Before(b.expiry)) {
		return nil, errorf(http.StatusNotFound, "notFound", "The backup %s does not exist.", name)
	}
	return b, nil
}

func (e *Emulator) getBackup(r *http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, err := e.findBackup(r.PathValue("project"), r.PathValue("backup"))
	if err != nil {
		return nil, err
	}
	v := b.backupView(baseURL(r))
	return &v, nil
}

func (b *backup) runView(base string) BackupRun {
	v := BackupRun{
		Kind: "sql#backupRun", ID: b.id, Instance: b.key.name, Status: b.status, Type: b.typ,
		BackupKind: "SNAPSHOT", Description: b.description, DatabaseVersion: b.version, Location: b.region,
		EnqueuedTime: timestamp(b.enqueued), StartTime: timestamp(b.started), EndTime: timestamp(b.ended),
		WindowStartTime: timestamp(b.enqueued),
		SelfLink:        fmt.Sprintf("%s/v1/projects/%s/instances/%s/backupRuns/%d", base, b.key.project, b.key.name, b.id),
	}
	if b.errorText != "" {
		v.Error = &OperationError{Kind: "sql#operationError", Code: "INTERNAL_ERROR", Message: b.errorText}
	}
	return v
}

func (b *backup) backupView(base string) Backup {
	name := fmt.Sprintf("projects/%s/backups/%d", b.key.project, b.id)
	v := Backup{
		Kind: "sql#backup", Name: name, Instance: b.key.name, Type: b.typ, State: b.status,
		BackupKind: "SNAPSHOT", Description: b.description, DatabaseVersion: b.version, Location: b.region,
		SelfLink: base + "/v1/" + name, TTLDays: b.ttlDays, ExpiryTime: timestamp(b.expiry),
		InstanceDeletionTime: timestamp(b.instanceDeleted),
	}
	if !b.started.IsZero() {
		v.BackupInterval = &Interval{StartTime: timestamp(b.started), EndTime: timestamp(b.ended)}
	}
	if b.instanceDeleted.IsZero() {
		v.BackupRun = fmt.Sprintf("%s/v1/projects/%s/instances/%s/backupRuns/%d", base, b.key.project, b.key.name, b.id)
	}
	return v
}

// restoreBackup answers instances.restoreBackup into an existing instance, from a backup
// run (restoreBackupContext) or from a Backups API backup (backup), such as a final one.
// The instance's server is replaced by a fresh one, on the same address, that replays the
// dump: data, users and databases are the backup's afterwards. With
// restoreInstanceSettings it restores into a new instance instead (restoreToNew).
func (e *Emulator) restoreBackup(r *http.Request) (any, error) {
	var req RestoreBackupRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.RestoreInstanceSettings != nil {
		return e.restoreToNew(r, &req)
	}
	project := r.PathValue("project")
	e.mu.Lock()
	defer e.mu.Unlock()
	in, err := e.lookup(r)
	if err != nil {
		return nil, err
	}
	var b *backup
	switch {
	case req.Backup != "":
		if b, err = e.findBackup(project, req.Backup); err != nil {
			return nil, err
		}
	case req.RestoreBackupContext != nil:
		c := req.RestoreBackupContext
		src := instanceKey{project, c.InstanceID}
		if c.Project != "" {
			src.project = c.Project
		}
		if c.InstanceID == "" {
			src.name = in.key.name
		}
		found, ok := e.backups[c.BackupRunID]
		if !ok || found.key != src || !found.instanceDeleted.IsZero() {
			return nil, errorf(http.StatusNotFound, "backupRunDoesNotExist", "The backup run does not exist.")
		}
		b = found
	default:
		return nil, errInvalid("Either restoreBackupContext or backup is required.")
	}
	if err := in.changeable(); err != nil {
		return nil, err
	}
	if in.master != nil {
		return nil, errReplica(in)
	}
	if len(e.replicaNames(in)) > 0 {
		// A fresh server would leave the replicas following one that is gone.
		return nil, errReplicationMaster()
	}
	if b.status != runSuccessful {
		return nil, errInvalid("The backup is not in a restorable state (%s).", b.status)
	}
	if engineOf(b.version) != engineOf(in.version) {
		return nil, errInvalid("The backup's database version %s is incompatible with the instance's %s.", b.version, in.version)
	}
	op := e.newOperation(r, in.key, opRestoreVolume)
	in.busy = op
	e.backgroundLocked(func(ctx context.Context) { e.runRestore(ctx, in, op, b) })
	return op.view(), nil
}

// runRestore replaces the instance's server by a fresh one that replays the backup.
func (e *Emulator) runRestore(ctx context.Context, in *instance, op *operation, b *backup) {
	start := time.Now()
	e.startOperation(op)
	e.mu.Lock()
	old, dump, users, dbs := in.server, b.dump, slices.Clone(b.users), slices.Clone(b.databases)
	e.mu.Unlock()
	var err error
	if old != nil && dump != "" {
		err = e.replaceServer(ctx, in, old, dump)
	}
	if !sleep(ctx, e.cfg.Delays.Update-time.Since(start)) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: restore %s: %v\n", in.key.name, err)
		e.finishOperation(op, "INTERNAL_ERROR", fmt.Errorf("the restore of the backup failed"))
		return
	}
	in.users, in.databases = users, dbs
	e.finishOperation(op, "", nil)
}

// replaceServer stops the instance's server and starts a fresh one on its address that
// replays dump.
func (e *Emulator) replaceServer(ctx context.Context, in *instance, old engineServer, dump string) error {
	e.mu.Lock()
	addr := in.address
	e.mu.Unlock()
	if err := old.Stop(); err != nil {
		return err
	}
	srv, err := startServer(ctx, in.version, e.instanceDir(in), in.rootPassword, addr, e.cfg.Log)
	if err != nil {
		e.mu.Lock()
		in.server, in.state = nil, stateFailed
		e.mu.Unlock()
		return err
	}
	e.mu.Lock()
	in.server, in.caCert = srv, srv.CACert()
	e.mu.Unlock()
	if err := e.applyInitialFlags(ctx, in, srv); err != nil {
		return err
	}
	return srv.Restore(ctx, dump)
}

// restoreToNew answers instances.restoreBackup with restoreInstanceSettings: a new
// instance, named by the request's path and set up as those settings say (as
// instances.insert's body), made from a Backups API backup. It is PENDING_CREATE until its
// server has replayed the backup, under a CREATE operation; users and databases are the
// backup's. The settings may not change the major version, as on Cloud SQL.
func (e *Emulator) restoreToNew(r *http.Request, req *RestoreBackupRequest) (any, error) {
	project := r.PathValue("project")
	if req.Backup == "" {
		return nil, errInvalid("restoreInstanceSettings needs a backup (projects/{project}/backups/{id}).")
	}
	spec := *req.RestoreInstanceSettings
	spec.Name = r.PathValue("instance")
	e.mu.Lock()
	b, err := e.findBackup(project, req.Backup)
	if err == nil && b.status != runSuccessful {
		err = errInvalid("The backup is not in a restorable state (%s).", b.status)
	}
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if spec.DatabaseVersion == "" {
		spec.DatabaseVersion = b.version
	}
	if spec.DatabaseVersion != b.version {
		return nil, errInvalid("The backup's database version %s cannot be restored as %s: the major version cannot change.", b.version, spec.DatabaseVersion)
	}
	if spec.RootPassword == "" {
		spec.RootPassword = newOperationName() // a password nobody knows: the backup's users come back
	}
	in, err := e.newInstance(project, &spec)
	if err != nil {
		return nil, err
	}
	in.base = baseURL(r)

	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.instances[in.key]; ok || e.reservedName(in.key) {
		return nil, errInstanceExists()
	}
	e.instances[in.key] = in
	op := e.newOperation(r, in.key, opCreate)
	in.busy = op
	from := &restoreSource{dump: b.dump, users: slices.Clone(b.users), databases: slices.Clone(b.databases)}
	e.backgroundLocked(func(ctx context.Context) { e.runCreateFrom(ctx, in, op, from) })
	return op.view(), nil
}
