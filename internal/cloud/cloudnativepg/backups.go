package cloudnativepg

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// LabelScheduledBackup is the label CloudNativePG puts on the Backups a ScheduledBackup
// makes, naming it.
const LabelScheduledBackup = "cnpg.io/scheduled-backup"

// Snapshots are CloudNativePG Backup objects of the class's method, in the Cluster's
// namespace, labelled with the database identifier and carrying its tags; their data lives
// where the method puts it (volume snapshots owned by nothing, or the plugin's object
// store), so a Backup outlives the Cluster it was taken of.

// KeepsSnapshots implements cloud.Provider: Backups outlive their Cluster when the class
// names a backup method.
func (p *Provider) KeepsSnapshots() bool { return p.cfg.Backups() }

// CreateSnapshot implements cloud.Provider: a Backup named snapshot of the database's
// Cluster.
func (p *Provider) CreateSnapshot(ctx context.Context, identifier, snapshot string, tags map[string]string) error {
	op := "back up " + identifier + " as " + snapshot
	if !p.cfg.Backups() {
		return p.Lacking.CreateSnapshot(ctx, identifier, snapshot, tags)
	}
	c, err := p.cluster(ctx, op, identifier)
	if err != nil {
		return err
	}
	if c == nil {
		return &cloud.Error{Op: op, Code: "ClusterNotFound", Message: "no Cluster of " + identifier}
	}
	return p.backUp(ctx, op, c, snapshot, tags)
}

// backUp makes the Backup name of Cluster c with tags; one that exists already is success.
func (p *Provider) backUp(ctx context.Context, op string, c *cnpgv1.Cluster, name string, tags map[string]string) error {
	raw, err := json.Marshal(tags)
	if err != nil {
		return &cloud.Error{Op: op, Code: "Invalid", Message: err.Error()}
	}
	method, plugin := p.method()
	b := &cnpgv1.Backup{
		ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: name, Labels: maps.Clone(c.Labels),
			Annotations: map[string]string{AnnotationTags: string(raw), AnnotationMasterUser: c.Annotations[AnnotationMasterUser]}},
		Spec: cnpgv1.BackupSpec{Cluster: cnpgv1.LocalObjectReference{Name: c.Name}, Method: method, PluginConfiguration: plugin},
	}
	if err := p.cfg.Client.Create(ctx, b); err != nil && !apierrors.IsAlreadyExists(err) {
		return failed(op, err)
	}
	return nil
}

// finalBackup makes the final Backup of Cluster c and reports ErrBusy until it is complete:
// the Cluster is deleted only then. A failed one is deleted, to be taken again.
func (p *Provider) finalBackup(ctx context.Context, c *cnpgv1.Cluster, name string) error {
	op := "take the final backup " + name + " of " + c.Namespace + "/" + c.Name
	var b cnpgv1.Backup
	err := p.cfg.Reader.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: name}, &b)
	switch {
	case apierrors.IsNotFound(err):
		tags := map[string]string{}
		_ = json.Unmarshal([]byte(c.Annotations[AnnotationTags]), &tags)
		if err := p.backUp(ctx, op, c, name, tags); err != nil {
			return err
		}
		return &cloud.Error{Op: op, Code: "BackingUp", Message: "the final backup has started", Kind: cloud.ErrBusy}
	case err != nil:
		return failed(op, err)
	}
	switch b.Status.Phase {
	case cnpgv1.BackupPhaseCompleted:
		return nil
	case cnpgv1.BackupPhaseFailed, cnpgv1.BackupPhaseDefinitionInvalid:
		if err := p.cfg.Client.Delete(ctx, &b, client.Preconditions{UID: &b.UID}); client.IgnoreNotFound(err) != nil {
			return failed(op, err)
		}
		return &cloud.Error{Op: op, Code: "FinalBackupFailed", Message: "CloudNativePG's backup failed (" + b.Status.Error + "): it is taken again; the Cluster stays until one completes"}
	}
	return &cloud.Error{Op: op, Code: "BackingUp", Message: "the final backup is " + string(cmpPhase(b.Status.Phase)), Kind: cloud.ErrBusy}
}

func cmpPhase(p cnpgv1.BackupPhase) cnpgv1.BackupPhase {
	if p == "" {
		return cnpgv1.BackupPhasePending
	}
	return p
}

// snapshotOf is a Backup as a snapshot.
func snapshotOf(b *cnpgv1.Backup) cloud.Snapshot {
	tags := map[string]string{}
	_ = json.Unmarshal([]byte(b.Annotations[AnnotationTags]), &tags)
	s := cloud.Snapshot{Identifier: b.Name, ARN: arn(b.Namespace, b.Name), Status: string(cmpPhase(b.Status.Phase)),
		Available: b.Status.Phase == cnpgv1.BackupPhaseCompleted, Tags: tags}
	if t := b.Status.StartedAt; t != nil {
		s.CreatedAt = t.Time
	}
	return s
}

// backups lists the Backups matching selector in every namespace.
func (p *Provider) backups(ctx context.Context, op string, selector client.MatchingLabels) ([]cnpgv1.Backup, error) {
	var list cnpgv1.BackupList
	if err := p.cfg.Reader.List(ctx, &list, selector); err != nil {
		return nil, failed(op, err)
	}
	return list.Items, nil
}

// Snapshots implements cloud.Provider: the database's Backups the operator asked for.
func (p *Provider) Snapshots(ctx context.Context, identifier string) ([]cloud.Snapshot, error) {
	items, err := p.backups(ctx, "list the Backups of "+identifier, client.MatchingLabels{LabelManagedBy: ManagedBy, LabelDatabase: identifier})
	if err != nil {
		return nil, err
	}
	var out []cloud.Snapshot
	for i := range items {
		if items[i].Labels[LabelScheduledBackup] == "" {
			out = append(out, snapshotOf(&items[i]))
		}
	}
	return out, nil
}

// AutomatedBackups implements cloud.Provider: the Backups the daily ScheduledBackup made,
// newest last.
func (p *Provider) AutomatedBackups(ctx context.Context, identifier string) ([]cloud.Snapshot, error) {
	c, err := p.cluster(ctx, "list the daily backups of "+identifier, identifier)
	if err != nil || c == nil {
		return nil, err
	}
	items, err := p.backups(ctx, "list the daily backups of "+identifier, client.MatchingLabels{LabelScheduledBackup: c.Name + "-daily"})
	if err != nil {
		return nil, err
	}
	var out []cloud.Snapshot
	for i := range items {
		if items[i].Namespace == c.Namespace {
			out = append(out, snapshotOf(&items[i]))
		}
	}
	cloud.SortByCreation(out)
	return out, nil
}

// Snapshot implements cloud.Provider: the Backup by its ARN, or by its name among the
// operator's.
func (p *Provider) Snapshot(ctx context.Context, snapshot string) (cloud.Snapshot, bool, error) {
	ns, name := backupName(snapshot)
	if ns != "" {
		var b cnpgv1.Backup
		err := p.cfg.Reader.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &b)
		if apierrors.IsNotFound(err) {
			return cloud.Snapshot{}, false, nil
		}
		if err != nil {
			return cloud.Snapshot{}, false, failed("read Backup "+snapshot, err)
		}
		return snapshotOf(&b), true, nil
	}
	items, err := p.backups(ctx, "find Backup "+snapshot, client.MatchingLabels{LabelManagedBy: ManagedBy})
	if err != nil {
		return cloud.Snapshot{}, false, err
	}
	var found []cnpgv1.Backup
	for _, b := range items {
		if b.Name == name {
			found = append(found, b)
		}
	}
	switch len(found) {
	case 0:
		return cloud.Snapshot{}, false, nil
	case 1:
		return snapshotOf(&found[0]), true, nil
	}
	return cloud.Snapshot{}, false, &cloud.Error{Op: "find Backup " + snapshot, Code: "Ambiguous",
		Message: fmt.Sprintf("%d namespaces hold a Backup named %s: name it as cloudnativepg:<namespace>/%s", len(found), name, name)}
}

// DeleteSnapshot implements cloud.Provider: it deletes the Backup object (what the method
// stored is then the method's to keep or remove: CloudNativePG leaves volume snapshots and
// object-store backups in place).
func (p *Provider) DeleteSnapshot(ctx context.Context, snapshot string) error {
	s, ok, err := p.Snapshot(ctx, snapshot)
	if err != nil || !ok {
		return err
	}
	ns, name := backupName(s.ARN)
	b := &cnpgv1.Backup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := p.cfg.Client.Delete(ctx, b); client.IgnoreNotFound(err) != nil {
		return failed("delete Backup "+snapshot, err)
	}
	return nil
}
