package gcp

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// A snapshot is a Cloud SQL backup: an on-demand backup (backupRuns.insert) of a live
// instance, or the final backup instances.delete takes, which outlives the instance.
// Backups have neither names of their own nor labels, so the provider writes the snapshot's
// identifier and its tags into the backup's description, as JSON:
//
//	{"snapshot":"shop-orders-final","tags":{"matrixmind.cloud/owner":"shop/orders"}}
//
// The Backups API (projects/{project}/backups) lists the backups of live and deleted
// instances alike, and its backup name (projects/{project}/backups/{id}) is a snapshot's
// ARN. A backup whose description is not such a note (one someone else took) is reported
// with its backup name as identifier and no tags.

// snapshotNote is what a backup's description says of the snapshot it is.
type snapshotNote struct {
	Snapshot string            `json:"snapshot"`
	Tags     map[string]string `json:"tags,omitempty"`
}

// describeSnapshot is the description of the backup that is snapshot, with tags.
func describeSnapshot(snapshot string, tags map[string]string) string {
	b, err := json.Marshal(snapshotNote{Snapshot: snapshot, Tags: tags})
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return string(b)
}

// Backup types that are snapshots; AUTOMATED ones are Cloud SQL's own.
var snapshotTypes = map[string]bool{"ON_DEMAND": true, "FINAL": true}

// snapshot is b as cloud.Snapshot.
func snapshot(b *sqladmin.Backup) cloud.Snapshot {
	s := cloud.Snapshot{Identifier: b.Name, ARN: b.Name, Status: b.State, Available: b.State == backupSuccessful, Tags: map[string]string{}}
	var note snapshotNote
	if json.Unmarshal([]byte(b.Description), &note) == nil && note.Snapshot != "" {
		s.Identifier = note.Snapshot
		for k, v := range note.Tags {
			s.Tags[k] = v
		}
	}
	if b.BackupInterval != nil {
		s.CreatedAt, _ = time.Parse(time.RFC3339Nano, b.BackupInterval.StartTime)
	}
	return s
}

// backups lists the project's backups that are snapshots, with filter (Backups API
// syntax, "" for all), every page.
func (p *Provider) backups(ctx context.Context, op, filter string) ([]*sqladmin.Backup, error) {
	var out []*sqladmin.Backup
	call := p.svc.Backups.ListBackups("projects/" + p.project)
	if filter != "" {
		call = call.Filter(filter)
	}
	err := call.Pages(ctx, func(page *sqladmin.ListBackupsResponse) error {
		for _, b := range page.Backups {
			if snapshotTypes[b.Type] {
				out = append(out, b)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// named returns the backups that are the snapshot with the identifier or backup name,
// the most useful first: complete ones, then those being taken, then failed ones.
func (p *Provider) named(ctx context.Context, op, snap, filter string) ([]*sqladmin.Backup, error) {
	if isBackupName(snap) {
		b, err := p.svc.Backups.GetBackup(snap).Context(ctx).Do()
		if isNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, wrap(op, err)
		}
		return []*sqladmin.Backup{b}, nil
	}
	all, err := p.backups(ctx, op, filter)
	if err != nil {
		return nil, err
	}
	var out []*sqladmin.Backup
	for _, b := range all {
		if snapshot(b).Identifier == snap {
			out = append(out, b)
		}
	}
	rank := func(b *sqladmin.Backup) int {
		switch b.State {
		case backupSuccessful:
			return 0
		case "FAILED":
			return 2
		}
		return 1
	}
	slices.SortStableFunc(out, func(a, b *sqladmin.Backup) int { return rank(a) - rank(b) })
	return out, nil
}

// isBackupName reports whether s is a Backups API name, projects/{project}/backups/{id}.
func isBackupName(s string) bool {
	parts := strings.Split(s, "/")
	return len(parts) == 4 && parts[0] == "projects" && parts[2] == "backups"
}

// CreateSnapshot implements cloud.Provider with an on-demand backup (backupRuns.insert).
// A backup of the instance that is already this snapshot, being taken or done, is success:
// a retry of a call whose answer was lost finds it there.
func (p *Provider) CreateSnapshot(ctx context.Context, id, snap string, tags map[string]string) error {
	op := "create snapshot " + snap + " of " + id
	found, err := p.named(ctx, op, snap, "instance:"+id)
	if err != nil {
		return err
	}
	for _, b := range found {
		if b.Instance == id && b.State != "FAILED" {
			return nil
		}
	}
	if _, err := p.svc.BackupRuns.Insert(p.project, id, &sqladmin.BackupRun{Description: describeSnapshot(snap, tags)}).Context(ctx).Do(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// Snapshots implements cloud.Provider: the on-demand and final backups of instances with
// the identifier, through the Backups API.
func (p *Provider) Snapshots(ctx context.Context, id string) ([]cloud.Snapshot, error) {
	all, err := p.backups(ctx, "list snapshots of "+id, "instance:"+id)
	if err != nil {
		return nil, err
	}
	var out []cloud.Snapshot
	for _, b := range all {
		if b.Instance == id {
			out = append(out, snapshot(b))
		}
	}
	return out, nil
}

// backupAutomated is the type of the backups Cloud SQL takes on its own, in the instance's
// backup window.
const backupAutomated = "AUTOMATED"

// AutomatedBackups implements cloud.Provider with backupRuns.list of the instance, every
// page, keeping the AUTOMATED runs, oldest first (Cloud SQL lists the newest first). A run is
// named by its ID, as gcloud names it, and by its resource name
// (projects/{p}/instances/{i}/backupRuns/{id}) in place of an ARN: Backups API names, which
// Snapshot and a restore take, are another resource's. An instance that does not exist has
// none.
func (p *Provider) AutomatedBackups(ctx context.Context, id string) ([]cloud.Snapshot, error) {
	var out []cloud.Snapshot
	err := p.svc.BackupRuns.List(p.project, id).Pages(ctx, func(page *sqladmin.BackupRunsListResponse) error {
		for _, r := range page.Items {
			if r.Type == backupAutomated {
				out = append(out, automatedBackup(p.project, r))
			}
		}
		return nil
	})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("list automated backups of "+id, err)
	}
	cloud.SortByCreation(out) // a run still waiting to start has no start time yet
	return out, nil
}

// automatedBackup is the backup run r of project as cloud.Snapshot.
func automatedBackup(project string, r *sqladmin.BackupRun) cloud.Snapshot {
	id := strconv.FormatInt(r.Id, 10)
	s := cloud.Snapshot{
		Identifier: id, ARN: "projects/" + project + "/instances/" + r.Instance + "/backupRuns/" + id,
		Status: r.Status, Available: r.Status == backupSuccessful, Tags: map[string]string{},
	}
	s.CreatedAt, _ = time.Parse(time.RFC3339Nano, r.StartTime)
	return s
}

// Snapshot implements cloud.Provider: the backup that is the snapshot with the identifier,
// or with the backup name, of a live instance or a deleted one.
func (p *Provider) Snapshot(ctx context.Context, snap string) (cloud.Snapshot, bool, error) {
	found, err := p.named(ctx, "get snapshot "+snap, snap, "")
	if err != nil || len(found) == 0 {
		return cloud.Snapshot{}, false, err
	}
	return snapshot(found[0]), true, nil
}

// DeleteSnapshot implements cloud.Provider with the Backups API's delete of every backup
// that is the snapshot.
func (p *Provider) DeleteSnapshot(ctx context.Context, snap string) error {
	op := "delete snapshot " + snap
	found, err := p.named(ctx, op, snap, "")
	if err != nil {
		return err
	}
	for _, b := range found {
		if _, err := p.svc.Backups.DeleteBackup(b.Name).Context(ctx).Do(); err != nil && !isNotFound(err) {
			return wrap(op, err)
		}
	}
	return nil
}

// restore makes the instance db describes from the snapshot d names, with
// instances.restoreBackup into a new instance: Cloud SQL makes it from the backup (data,
// users, and the backup's major version; d's version, if another, is an upgrade for the
// caller to ask afterwards) with db's settings and labels, PENDING_CREATE (Creating) until
// the data is in. The master user comes back from the backup with the password its source
// had, and the labels say it is pending all the same, so that the controller's Update
// sets the password the controller holds.
func (p *Provider) restore(ctx context.Context, op string, d cloud.Desired, db *sqladmin.DatabaseInstance) error {
	op += " from snapshot " + d.RestoreFromSnapshot
	// A restore into an existing instance would replace its data: an instance with the
	// identifier is the caller's to judge by its tags (Create's contract), never restored
	// into.
	_, err := p.svc.Instances.Get(p.project, d.Identifier).Context(ctx).Do()
	if err == nil {
		return nil
	}
	if !isNotFound(err) {
		return wrap(op, err)
	}
	found, err := p.named(ctx, op, d.RestoreFromSnapshot, "")
	if err != nil {
		return err
	}
	switch {
	case len(found) == 0:
		return invalid(op, "there is no snapshot "+d.RestoreFromSnapshot+" in project "+p.project)
	case found[0].State == "FAILED":
		return invalid(op, "snapshot "+d.RestoreFromSnapshot+" failed and cannot be restored")
	case found[0].State != backupSuccessful:
		return &cloud.Error{Op: op, Code: found[0].State, Message: "the snapshot is not complete yet", Kind: cloud.ErrBusy}
	}
	db.DatabaseVersion = ""
	_, err = p.svc.Instances.RestoreBackup(p.project, d.Identifier, &sqladmin.InstancesRestoreBackupRequest{
		Backup: found[0].Name, RestoreInstanceSettings: db,
	}).Context(ctx).Do()
	if hasReason(err, http.StatusConflict, reasonAlreadyExists) {
		return p.taken(ctx, op, d.Identifier, err)
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}
