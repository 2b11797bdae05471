package logapi

import (
	"net/http"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// BackupListKind is the kind of what rdsdatabases/backups answers.
const BackupListKind = "RDSDatabaseBackups"

// BackupList is a database's backups and their exports, as the cloud reports them now.
type BackupList struct {
	metav1.TypeMeta `json:",inline"`
	// Snapshots are the database's snapshots and the cloud's automated backups, oldest
	// first.
	Snapshots []Backup `json:"snapshots"`
	// Exports are the exports of its backups to object storage, oldest first.
	Exports []Export `json:"exports"`
}

// Backup is one snapshot or automated backup.
type Backup struct {
	Identifier string `json:"identifier"`
	// Kind is scheduled or manual (the operator's, by its tag), automated (the cloud's
	// own), or other (a snapshot someone else took of the database).
	Kind      string     `json:"kind"`
	Status    string     `json:"status"`
	Available bool       `json:"available"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
}

// Export is one export of a backup.
type Export struct {
	Identifier   string     `json:"identifier"`
	Snapshot     string     `json:"snapshot,omitempty"`
	Status       string     `json:"status"`
	Percent      int        `json:"percent"`
	Location     string     `json:"location"`
	FailureCause string     `json:"failureCause,omitempty"`
	StartedAt    *time.Time `json:"startedAt,omitempty"`
}

// serveBackups answers a request for the backups of the object name in namespace: three
// cloud calls (its snapshots, its automated backups, the account's exports).
func (s *Server) serveBackups(w http.ResponseWriter, r *http.Request, namespace, name string) {
	ctx := r.Context()
	p, id, u, ok := s.locate(w, r, namespace, name, BackupsSubresource)
	if !ok {
		return
	}
	logf.FromContext(ctx).WithName("log-api").V(1).Info("serving backups", "user", u, "namespace", namespace, "name", name)
	list, err := backupsOf(r, p, id)
	if err != nil {
		writeStatus(w, http.StatusBadGateway, metav1.StatusReasonServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, list)
}

// backupsOf lists the backups and exports of the cloud database id.
func backupsOf(r *http.Request, p cloud.Provider, id string) (*BackupList, error) {
	ctx := r.Context()
	snaps, err := p.Snapshots(ctx, id)
	if err != nil {
		return nil, err
	}
	auto, err := p.AutomatedBackups(ctx, id)
	if err != nil {
		return nil, err
	}
	exports, err := p.Exports(ctx)
	if err != nil {
		return nil, err
	}
	list := &BackupList{TypeMeta: metav1.TypeMeta{Kind: BackupListKind, APIVersion: Group + "/" + Version}, Snapshots: []Backup{}, Exports: []Export{}}
	for _, snap := range snaps {
		kind := snap.Tags[v1.TagBackup]
		if kind == "" {
			kind = "other"
		}
		list.Snapshots = append(list.Snapshots, backupOf(snap, kind))
	}
	for _, snap := range auto {
		list.Snapshots = append(list.Snapshots, backupOf(snap, "automated"))
	}
	slices.SortStableFunc(list.Snapshots, func(a, b Backup) int { return timeOrZero(a.CreatedAt).Compare(timeOrZero(b.CreatedAt)) })
	prefix := naming.ExportPrefix(id)
	for _, e := range exports {
		if !strings.HasPrefix(e.Identifier, prefix) {
			continue
		}
		location := naming.ExportLocation(e.Bucket, e.Prefix, e.Identifier)
		list.Exports = append(list.Exports, Export{Identifier: e.Identifier, Snapshot: e.Snapshot, Status: e.Status, Percent: e.Percent,
			Location: location, FailureCause: e.FailureCause, StartedAt: timePtr(e.StartedAt)})
	}
	slices.SortStableFunc(list.Exports, func(a, b Export) int { return timeOrZero(a.StartedAt).Compare(timeOrZero(b.StartedAt)) })
	return list, nil
}

func backupOf(snap cloud.Snapshot, kind string) Backup {
	return Backup{Identifier: snap.Identifier, Kind: kind, Status: snap.Status, Available: snap.Available, CreatedAt: timePtr(snap.CreatedAt)}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
