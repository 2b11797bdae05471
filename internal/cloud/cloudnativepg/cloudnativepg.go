// Package cloudnativepg implements cloud.Provider on CloudNativePG (SPEC §6, provider:
// cloudnativepg): each database is a CloudNativePG Cluster in the namespace of the object it
// is made for, in the Kubernetes cluster the operator runs in, written with CloudNativePG's
// own Go API types. The Cluster's bootstrap makes the object's master user, the owner of a
// first database (CloudNativePG's application owner, whose password follows the master
// user's Secret), with CREATEDB and CREATEROLE; the controller makes the users, databases and grants as on RDS, through the
// Cluster's read-write Service <cluster>-rw, whose certificate chains to the Cluster's CA
// (the Secret CloudNativePG names in status.certificates.serverCASecret).
//
// The Cluster carries no owner reference to the object: deleting the object never deletes
// the Cluster behind the deletion policy's back. Its labels name the operator and the
// database identifier, an annotation holds its tags (its owner among them).
//
// Backups (backups.go) are CloudNativePG's Backup objects, of the method the class names
// (volume snapshots or a CNPG-I plugin such as Barman Cloud's): a daily ScheduledBackup
// while backups are retained, the final snapshot of deletionPolicy Snapshot (taken before
// the Cluster is deleted), manual snapshots, and restores (a new Cluster bootstrapped from
// a Backup of its namespace). A class naming no method keeps no snapshots: deletionPolicy
// Snapshot is refused and an unset policy means Retain.
//
// Read replicas (readers.go) are more standbys of the Cluster, each one more instance than
// the class's, serving reads at its -ro Service.
//
// Not made here yet, refused as cloud.ErrUnsupported (the controller reports a spec the
// class cannot honour): exports, engine parameters, and what a cloud has and a Cluster does not (instance
// classes, storage types, network placement, windows, token logins, log exports).
package cloudnativepg

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// Labels and annotations the provider puts on its Clusters.
const (
	// LabelManagedBy marks every Cluster the operator made, with ManagedBy.
	LabelManagedBy = "matrixmind.cloud/managed-by"
	ManagedBy      = "aws-rds-operator"
	// LabelDatabase names the database identifier the Cluster is.
	LabelDatabase = "matrixmind.cloud/database"
	// AnnotationTags holds the database's tags as JSON (tag keys hold '/', which label
	// values may not, and values may be long).
	AnnotationTags = "matrixmind.cloud/tags"
	// AnnotationMasterUser names the database's master user on a Cluster and on its
	// Backups: a Cluster restored from a Backup has the master of the Backup's Cluster.
	AnnotationMasterUser = "matrixmind.cloud/master-user"
	// AnnotationRetentionDays, on the daily ScheduledBackup, is the backup retention asked
	// for, in days.
	AnnotationRetentionDays = "matrixmind.cloud/backup-retention-days"
	// AnnotationPasswordSetAt is written when the master password is set again, so that
	// CloudNativePG reconciles the Cluster's managed roles at once.
	AnnotationPasswordSetAt = "matrixmind.cloud/master-password-set-at"
)

// ownerTag is the tag naming the object a database is made for, "<namespace>/<name>"
// (v1.TagOwner).
const ownerTag = "matrixmind.cloud/owner"

// DefaultImageRepository is where the PostgreSQL images of a class naming none come from:
// CloudNativePG's own, tagged by PostgreSQL version.
const DefaultImageRepository = "ghcr.io/cloudnative-pg/postgresql"

// port is the port CloudNativePG's Services serve PostgreSQL on.
const port = 5432

// maxClusterName bounds a Cluster's name: CloudNativePG derives its Pods', Jobs' and
// Services' names from it.
const maxClusterName = 50

// Config is what the provider needs.
type Config struct {
	// Class names the DatabaseClass, for messages.
	Class string
	// Client writes Clusters; Reader reads Clusters and Secrets past any cache.
	Client client.Client
	Reader client.Reader
	// Instances is how many PostgreSQL instances each Cluster runs (at least 1).
	Instances int32
	// StorageClass of the Clusters' volumes; empty: the cluster's default.
	StorageClass string
	// ImageName is the image the Clusters run; empty: DefaultImageRepository tagged with
	// the version asked for.
	ImageName string
	// VolumeSnapshotClass, or BackupPlugin with BackupPluginParameters, is how the
	// Clusters are backed up; neither: the class keeps no snapshots.
	VolumeSnapshotClass    string
	BackupPlugin           string
	BackupPluginParameters map[string]string
	// Now tells the time; nil is time.Now.
	Now func() time.Time
}

// Backups reports whether the class's Clusters are backed up: only then are there
// snapshots, a final one, and restores.
func (c Config) Backups() bool {
	return c.VolumeSnapshotClass != "" || c.BackupPlugin != ""
}

// Provider is cloud.Provider on CloudNativePG.
type Provider struct {
	cloud.Lacking
	cfg Config
}

var _ cloud.Provider = (*Provider)(nil)

// New returns the provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Client == nil || cfg.Reader == nil {
		return nil, errors.New("cloudnativepg: the provider needs a Kubernetes client")
	}
	if cfg.Instances < 1 {
		cfg.Instances = 1
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{Lacking: cloud.Lacking{Place: "a CloudNativePG class"}, cfg: cfg}, nil
}

// ClusterName is the name of the Cluster of the database identifier: the identifier, cut
// to CloudNativePG's limit with its hash kept (identifiers end with one).
func ClusterName(identifier string) string {
	if len(identifier) <= maxClusterName {
		return identifier
	}
	hash := identifier[len(identifier)-8:]
	return strings.TrimRight(identifier[:maxClusterName-9], "-") + "-" + hash
}

// failed turns a Kubernetes API error into a cloud error.
func failed(op string, err error) error {
	switch {
	case meta.IsNoMatchError(err) || apierrors.IsNotFound(err) && strings.Contains(err.Error(), "the server could not find the requested resource"):
		return &cloud.Error{Op: op, Code: "CloudNativePGMissing", Message: "CloudNativePG's Cluster kind is not installed in this cluster: install CloudNativePG (" + err.Error() + ")"}
	case apierrors.IsForbidden(err):
		return &cloud.Error{Op: op, Code: "Forbidden", Message: "the operator may not do this with CloudNativePG's objects: grant it (" + err.Error() + ")"}
	case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
		return &cloud.Error{Op: op, Code: "Invalid", Message: err.Error()}
	case apierrors.IsConflict(err):
		return &cloud.Error{Op: op, Code: "Conflict", Message: err.Error(), Kind: cloud.ErrBusy}
	}
	return &cloud.Error{Op: op, Code: "APIError", Message: err.Error(), Kind: cloud.ErrTransient}
}

// Observe implements cloud.Provider.
func (p *Provider) Observe(ctx context.Context, identifier string) (cloud.Observation, error) {
	clusters, err := p.clusters(ctx, "observe "+identifier, client.MatchingLabels{LabelManagedBy: ManagedBy, LabelDatabase: identifier})
	if err != nil {
		return cloud.Observation{}, err
	}
	if len(clusters) == 0 {
		return p.observeReader(ctx, identifier)
	}
	in, err := p.instance(ctx, &clusters[0])
	if err != nil {
		return cloud.Observation{}, err
	}
	return cloud.Observation{Exists: true, Instance: in}, nil
}

// List implements cloud.Provider: every Cluster the operator made, in every namespace.
func (p *Provider) List(ctx context.Context) ([]cloud.Instance, error) {
	clusters, err := p.clusters(ctx, "list Clusters", client.MatchingLabels{LabelManagedBy: ManagedBy})
	if err != nil {
		return nil, err
	}
	out := make([]cloud.Instance, 0, len(clusters))
	for i := range clusters {
		in, err := p.instance(ctx, &clusters[i])
		if err != nil {
			return nil, err
		}
		out = append(out, in)
		out = append(out, p.readerInstances(&clusters[i], in)...)
	}
	return out, nil
}

func (p *Provider) clusters(ctx context.Context, op string, selector client.MatchingLabels) ([]cnpgv1.Cluster, error) {
	var list cnpgv1.ClusterList
	if err := p.cfg.Reader.List(ctx, &list, selector); err != nil {
		return nil, failed(op, err)
	}
	return list.Items, nil
}

// instance is a Cluster as a database.
func (p *Provider) instance(ctx context.Context, c *cnpgv1.Cluster) (cloud.Instance, error) {
	tags := map[string]string{}
	if raw := c.Annotations[AnnotationTags]; raw != "" {
		_ = json.Unmarshal([]byte(raw), &tags) // one that does not parse names no owner
	}
	in := cloud.Instance{
		Identifier: c.Labels[LabelDatabase],
		ARN:        arn(c.Namespace, c.Name),
		Status:     statusOf(c),
		Phase:      phaseOf(c),
		Engine:     "postgres",
		Tags:       tags,
		Port:       port,
		// Backups are the Cluster's own affair until the provider takes them.
		TagsCopiedToSnapshots: true,
	}
	in.EngineVersion = versionOf(cmp.Or(c.Status.Image, c.Spec.ImageName))
	if q, err := resource.ParseQuantity(c.Spec.StorageConfiguration.Size); err == nil {
		in.AllocatedStorageGiB = int32((q.Value() + (1<<30 - 1)) >> 30)
	}
	in.MasterUser = c.Annotations[AnnotationMasterUser]
	in.ReplicaIDs = slices.Sorted(maps.Keys(readersOf(c)))
	if b := c.Spec.Bootstrap; in.MasterUser == "" && b != nil && b.InitDB != nil {
		in.MasterUser = b.InitDB.Owner
	}
	if p.cfg.Backups() {
		var daily cnpgv1.ScheduledBackup
		switch err := p.cfg.Reader.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: c.Name + "-daily"}, &daily); {
		case err == nil:
			days, _ := strconv.Atoi(daily.Annotations[AnnotationRetentionDays])
			in.BackupRetentionDays = int32(days)
		case !apierrors.IsNotFound(err):
			return cloud.Instance{}, failed("read the daily backup of Cluster "+c.Namespace+"/"+c.Name, err)
		}
	}
	if !in.Phase.Serving() && in.Phase != cloud.PhaseChanging {
		return in, nil
	}
	in.Endpoint = serviceHost(c.Namespace, cmp.Or(c.Status.WriteService, c.Name+"-rw"))
	if c.Spec.Instances > 1 {
		in.ReaderEndpoint = serviceHost(c.Namespace, c.Name+"-ro")
	}
	caName := cmp.Or(c.Status.Certificates.ServerCASecret, c.Name+"-ca")
	var ca corev1.Secret
	switch err := p.cfg.Reader.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: caName}, &ca); {
	case apierrors.IsNotFound(err):
		// Not written yet: nothing to verify the server against, so not served yet.
		in.Phase, in.Endpoint, in.ReaderEndpoint = cloud.PhaseCreating, "", ""
	case err != nil:
		return cloud.Instance{}, failed("read the CA of Cluster "+c.Namespace+"/"+c.Name, err)
	default:
		in.ServerCA = string(ca.Data["ca.crt"])
	}
	return in, nil
}

// statusOf is CloudNativePG's phase, with its reason when it gives one.
func statusOf(c *cnpgv1.Cluster) string {
	status := cmp.Or(c.Status.Phase, "Creating")
	if c.Status.PhaseReason != "" {
		status += ": " + c.Status.PhaseReason
	}
	return status
}

func serviceHost(namespace, service string) string {
	return service + "." + namespace + ".svc"
}

func arn(namespace, name string) string {
	return "cloudnativepg:" + namespace + "/" + name
}

// phaseOf maps CloudNativePG's phase words to the operator's.
func phaseOf(c *cnpgv1.Cluster) cloud.Phase {
	switch c.Status.Phase {
	case cnpgv1.PhaseHealthy:
		return cloud.PhaseAvailable
	case "", cnpgv1.PhaseFirstPrimary, cnpgv1.PhaseWaitingForInstancesToBeActive:
		if c.Status.ReadyInstances > 0 {
			return cloud.PhaseChanging
		}
		return cloud.PhaseCreating
	case cnpgv1.PhaseUnrecoverable, cnpgv1.PhaseCannotCreateClusterObjects, cnpgv1.PhaseDefinitionInvalid,
		cnpgv1.PhaseUnknownPlugin, cnpgv1.PhaseFailurePlugin, cnpgv1.PhaseImageCatalogError, cnpgv1.PhaseArchitectureBinaryMissing:
		return cloud.PhaseFailed
	case cnpgv1.PhaseWaitingForUser:
		return cloud.PhaseFailed
	}
	// Creating a replica, switching over, failing over, upgrading, restarting, applying
	// configuration: it ends by itself.
	return cloud.PhaseChanging
}

// tagVersion is the version at the start of an image's tag: 17, 16.4 (16.4-standard-trixie).
var tagVersion = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?)`)

// versionOf reads the PostgreSQL version from an image name's tag; "" when it has none.
func versionOf(image string) string {
	image, _, _ = strings.Cut(image, "@") // a digest names no version
	i := strings.LastIndexAny(image, ":/")
	if i < 0 || image[i] != ':' {
		return ""
	}
	return tagVersion.FindString(image[i+1:])
}

// image is the image of a Cluster for version.
func (p *Provider) image(version string) string {
	if p.cfg.ImageName != "" {
		return p.cfg.ImageName
	}
	return DefaultImageRepository + ":" + version
}

// Create implements cloud.Provider: it makes the Cluster, in the namespace of the object the
// owner tag names, with the object's master user made at bootstrap from its Secret.
func (p *Provider) Create(ctx context.Context, d cloud.Desired) error {
	op := "create Cluster for " + d.Identifier
	if err := refuseCloudOnly(op, d); err != nil {
		return err
	}
	ns, name, ok := strings.Cut(d.Tags[ownerTag], "/")
	if !ok || ns == "" || name == "" {
		return &cloud.Error{Op: op, Code: "NoOwner", Message: "the database has no owner tag naming the object's namespace"}
	}
	tags, err := json.Marshal(d.Tags)
	if err != nil {
		return &cloud.Error{Op: op, Code: "Invalid", Message: err.Error()}
	}
	master := naming.MasterSecretName(name)
	c := &cnpgv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: ClusterName(d.Identifier),
			Labels:      map[string]string{LabelManagedBy: ManagedBy, LabelDatabase: d.Identifier},
			Annotations: map[string]string{AnnotationTags: string(tags), AnnotationMasterUser: d.MasterUser},
		},
		Spec: cnpgv1.ClusterSpec{
			Description: "Made by aws-rds-operator for RDSDatabase " + ns + "/" + name,
			Instances:   int(p.cfg.Instances),
			ImageName:   p.image(d.EngineVersion),
			StorageConfiguration: cnpgv1.StorageConfiguration{
				Size: fmt.Sprintf("%dGi", max(d.AllocatedStorageGiB, 1)),
			},
			EnableSuperuserAccess: ptr.To(false),
			// The master is the application owner, whose password CloudNativePG keeps in
			// line with its Secret, given at bootstrap what the engine layer needs. Not a
			// managed role: CloudNativePG revokes a managed role's memberships its inRoles
			// do not list, and from PostgreSQL 16 on the master is a member (WITH ADMIN
			// OPTION) of every role it makes, which it needs to manage them.
			Bootstrap: &cnpgv1.BootstrapConfiguration{InitDB: &cnpgv1.BootstrapInitDB{
				Database: d.MasterUser, Owner: d.MasterUser, Secret: &cnpgv1.LocalObjectReference{Name: master},
				PostInitSQL: []string{"ALTER ROLE " + pgx.Identifier{d.MasterUser}.Sanitize() + " CREATEDB CREATEROLE"},
			}},
		},
	}
	if p.cfg.StorageClass != "" {
		c.Spec.StorageConfiguration.StorageClass = ptr.To(p.cfg.StorageClass)
	}
	switch {
	case p.cfg.VolumeSnapshotClass != "":
		c.Spec.Backup = &cnpgv1.BackupConfiguration{VolumeSnapshot: &cnpgv1.VolumeSnapshotConfiguration{
			ClassName: p.cfg.VolumeSnapshotClass, SnapshotOwnerReference: cnpgv1.SnapshotOwnerReferenceNone,
		}}
	case p.cfg.BackupPlugin != "":
		c.Spec.Plugins = []cnpgv1.PluginConfiguration{{Name: p.cfg.BackupPlugin, IsWALArchiver: ptr.To(true), Parameters: maps.Clone(p.cfg.BackupPluginParameters)}}
	}
	if d.RestoreFromSnapshot != "" {
		if err := p.restoring(ctx, op, c, d.RestoreFromSnapshot, master); err != nil {
			return err
		}
	}
	if err := p.cfg.Client.Create(ctx, c); err != nil && !apierrors.IsAlreadyExists(err) {
		return failed(op, err)
	}
	if p.cfg.Backups() && d.BackupRetentionDays > 0 {
		if err := p.cfg.Client.Create(ctx, p.dailyBackup(c, d.BackupRetentionDays)); err != nil && !apierrors.IsAlreadyExists(err) {
			return failed("schedule the daily backup of "+d.Identifier, err)
		}
	}
	return nil
}

// restoring makes Cluster c one bootstrapped from the Backup snapshot of its namespace: with
// the Backup's PostgreSQL major and master user (a restore keeps them, as on RDS; the spec's
// version is reached by an upgrade afterwards), the master's password the Secret's.
func (p *Provider) restoring(ctx context.Context, op string, c *cnpgv1.Cluster, snapshot, master string) error {
	if p.cfg.BackupPlugin != "" {
		// CloudNativePG restores a plugin's backup only from an external cluster
		// naming the plugin and the source's server, which this provider does not write.
		return &cloud.Error{Op: op, Code: "NotOffered", Kind: cloud.ErrUnsupported,
			Message: "a CloudNativePG class backing up through a plugin offers no restoreFrom yet: restore with the plugin's own recovery"}
	}
	backupNS, name := backupName(snapshot)
	if backupNS != "" && backupNS != c.Namespace {
		return &cloud.Error{Op: op, Code: "NotOffered", Kind: cloud.ErrUnsupported,
			Message: fmt.Sprintf("CloudNativePG restores a Backup of the Cluster's own namespace only; %s is in %s", name, backupNS)}
	}
	var b cnpgv1.Backup
	if err := p.cfg.Reader.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: name}, &b); err != nil {
		return failed("read Backup "+name, err)
	}
	if b.Status.MajorVersion > 0 && p.cfg.ImageName == "" {
		c.Spec.ImageName = p.image(strconv.Itoa(b.Status.MajorVersion))
	}
	owner := cmp.Or(b.Annotations[AnnotationMasterUser], c.Annotations[AnnotationMasterUser])
	c.Annotations[AnnotationMasterUser] = owner
	c.Spec.Bootstrap = &cnpgv1.BootstrapConfiguration{Recovery: &cnpgv1.BootstrapRecovery{
		Backup:   &cnpgv1.BackupSource{LocalObjectReference: cnpgv1.LocalObjectReference{Name: name}},
		Database: owner, Owner: owner, Secret: &cnpgv1.LocalObjectReference{Name: master},
	}}
	return nil
}

// dailyBackup is the ScheduledBackup of Cluster c's daily backups (at 03:00, CloudNativePG's
// six-field schedule), whose Backups are owned by nothing, so that they outlive the Cluster.
func (p *Provider) dailyBackup(c *cnpgv1.Cluster, retentionDays int32) *cnpgv1.ScheduledBackup {
	method, plugin := p.method()
	return &cnpgv1.ScheduledBackup{
		ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: c.Name + "-daily", Labels: maps.Clone(c.Labels),
			Annotations: map[string]string{AnnotationRetentionDays: strconv.Itoa(int(retentionDays))}},
		Spec: cnpgv1.ScheduledBackupSpec{
			Schedule: "0 0 3 * * *", Cluster: cnpgv1.LocalObjectReference{Name: c.Name},
			BackupOwnerReference: "none", Method: method, PluginConfiguration: plugin,
		},
	}
}

// method is the class's backup method, as Backups and ScheduledBackups name it.
func (p *Provider) method() (cnpgv1.BackupMethod, *cnpgv1.BackupPluginConfiguration) {
	if p.cfg.BackupPlugin != "" {
		return cnpgv1.BackupMethodPlugin, &cnpgv1.BackupPluginConfiguration{Name: p.cfg.BackupPlugin, Parameters: maps.Clone(p.cfg.BackupPluginParameters)}
	}
	return cnpgv1.BackupMethodVolumeSnapshot, nil
}

// backupName splits a snapshot's name as the provider gives it (its ARN,
// cloudnativepg:<namespace>/<name>) or as a person may (the Backup's name); namespace is ""
// for a bare name.
func backupName(snapshot string) (namespace, name string) {
	if ns, n, ok := strings.Cut(strings.TrimPrefix(snapshot, "cloudnativepg:"), "/"); ok {
		return ns, n
	}
	return "", snapshot
}

// refuseCloudOnly refuses what a Cluster made by this provider does not have, naming the
// field.
func refuseCloudOnly(op string, d cloud.Desired) error {
	if d.Engine != "postgres" {
		return &cloud.Error{Op: op, Code: "NotOffered", Kind: cloud.ErrUnsupported, Field: cloud.FieldEngineVersion,
			Message: "CloudNativePG runs PostgreSQL only, not " + d.Engine}
	}
	type check struct {
		set   bool
		field cloud.Field
		what  string
	}
	for _, c := range []check{
		{d.InstanceClass != "", cloud.FieldInstanceClass, "instance classes (a Cluster's resources are its Pods')"},
		{d.StorageType != "" || d.IOPS != 0 || d.StorageThroughput != 0, cloud.FieldStorage, "storage types or provisioned IOPS (the class's storage class says)"},
		{d.MaxAllocatedStorageGiB != 0, cloud.FieldMaxStorage, "storage autoscaling (maxSize)"},
		{d.SubnetGroup != "", cloud.FieldSubnetGroup, "subnet groups"},
		{len(d.SecurityGroupIDs) > 0, cloud.FieldSecurityGroup, "security groups"},
		{d.StorageEncrypted || d.KMSKeyID != "", cloud.FieldKMSKey, "encryption at rest of its own (the volumes' storage class says)"},
		{len(d.Parameters) > 0, cloud.FieldParameters, "engine parameters yet"},
	} {
		if c.set {
			return &cloud.Error{Op: op, Code: "NotOffered", Kind: cloud.ErrUnsupported, Field: c.field, Message: "a CloudNativePG class offers no " + c.what}
		}
	}
	var others []string
	for field, set := range map[string]bool{
		"network.publiclyAccessible": d.PubliclyAccessible, "highAvailability.multiAZ (the class's instances are the standbys)": d.MultiAZ,
		"maintenanceWindow": d.MaintenanceWindow != "", "autoMinorVersionUpgrade": d.AutoMinorVersionUpgrade != nil,
		"iamAuthentication": d.IAMAuthentication != nil && *d.IAMAuthentication, "logs.exports": len(d.LogExports) > 0,
		"backup.window": d.BackupWindow != "",
	} {
		if set {
			others = append(others, field)
		}
	}
	if len(others) > 0 {
		slices.Sort(others)
		return &cloud.Error{Op: op, Code: "NotOffered", Kind: cloud.ErrUnsupported,
			Message: fmt.Sprintf("a CloudNativePG class offers none of %v: remove them", others)}
	}
	return nil
}

// cluster reads the Cluster of identifier; nil when there is none.
func (p *Provider) cluster(ctx context.Context, op, identifier string) (*cnpgv1.Cluster, error) {
	clusters, err := p.clusters(ctx, op, client.MatchingLabels{LabelManagedBy: ManagedBy, LabelDatabase: identifier})
	if err != nil || len(clusters) == 0 {
		return nil, err
	}
	return &clusters[0], nil
}

// Update implements cloud.Provider: storage grows, the image follows the version, and a new
// master password (already in the Secret CloudNativePG reads) is applied at once.
func (p *Provider) Update(ctx context.Context, identifier string, changes cloud.Changes, _ cloud.UpdateOptions) error {
	op := "update Cluster of " + identifier
	size, version, password, retention := changes.AllocatedStorageGiB, changes.EngineVersion, changes.MasterPassword, changes.BackupRetentionDays
	changes.AllocatedStorageGiB, changes.EngineVersion, changes.MasterPassword, changes.BackupRetentionDays = nil, nil, nil, nil
	if !changes.Empty() {
		return p.Refuse(op, "changes but of size, version, backup retention and the master password")
	}
	c, err := p.cluster(ctx, op, identifier)
	if err != nil {
		return err
	}
	if c == nil {
		return &cloud.Error{Op: op, Code: "ClusterNotFound", Message: "no Cluster of " + identifier}
	}
	if retention != nil {
		if err := p.retain(ctx, op, c, *retention); err != nil {
			return err
		}
		if size == nil && version == nil && password == nil {
			return nil
		}
	}
	next := c.DeepCopy()
	if size != nil {
		next.Spec.StorageConfiguration.Size = fmt.Sprintf("%dGi", *size)
	}
	if version != nil {
		next.Spec.ImageName = p.image(*version)
	}
	if password != nil {
		if next.Annotations == nil {
			next.Annotations = map[string]string{}
		}
		next.Annotations[AnnotationPasswordSetAt] = p.cfg.Now().UTC().Format(time.RFC3339Nano)
	}
	if err := p.cfg.Client.Patch(ctx, next, client.MergeFrom(c)); err != nil {
		return failed(op, err)
	}
	return nil
}

// retain makes Cluster c's daily ScheduledBackup say days of retention: none for 0, made
// (again) when missing.
func (p *Provider) retain(ctx context.Context, op string, c *cnpgv1.Cluster, days int32) error {
	if !p.cfg.Backups() {
		return p.Refuse(op, "backups: the class names no backup method")
	}
	want := p.dailyBackup(c, days)
	if days == 0 {
		if err := p.cfg.Client.Delete(ctx, want); client.IgnoreNotFound(err) != nil {
			return failed(op, err)
		}
		return nil
	}
	var have cnpgv1.ScheduledBackup
	switch err := p.cfg.Reader.Get(ctx, client.ObjectKeyFromObject(want), &have); {
	case apierrors.IsNotFound(err):
		if err := p.cfg.Client.Create(ctx, want); err != nil && !apierrors.IsAlreadyExists(err) {
			return failed(op, err)
		}
		return nil
	case err != nil:
		return failed(op, err)
	}
	next := have.DeepCopy()
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	next.Annotations[AnnotationRetentionDays] = strconv.Itoa(int(days))
	if err := p.cfg.Client.Patch(ctx, next, client.MergeFrom(&have)); err != nil {
		return failed(op, err)
	}
	return nil
}

// Tag implements cloud.Provider: the tags annotation gains or overwrites tags; the owner
// stays.
func (p *Provider) Tag(ctx context.Context, name string, tags map[string]string) error {
	op := "tag " + name
	if strings.Contains(name, "#") {
		return p.tagReader(ctx, name, tags)
	}
	ns, cluster, ok := strings.Cut(strings.TrimPrefix(name, "cloudnativepg:"), "/")
	if !ok {
		return &cloud.Error{Op: op, Code: "Invalid", Message: "not a Cluster's name"}
	}
	var c cnpgv1.Cluster
	if err := p.cfg.Reader.Get(ctx, types.NamespacedName{Namespace: ns, Name: cluster}, &c); err != nil {
		return failed(op, err)
	}
	have := map[string]string{}
	_ = json.Unmarshal([]byte(c.Annotations[AnnotationTags]), &have)
	next := maps.Clone(have)
	maps.Copy(next, tags)
	if owner, ok := have[ownerTag]; ok {
		next[ownerTag] = owner
	}
	if maps.Equal(next, have) {
		return nil
	}
	raw, _ := json.Marshal(next)
	patched := c.DeepCopy()
	if patched.Annotations == nil {
		patched.Annotations = map[string]string{}
	}
	patched.Annotations[AnnotationTags] = string(raw)
	if err := p.cfg.Client.Patch(ctx, patched, client.MergeFrom(&c)); err != nil {
		return failed(op, err)
	}
	return nil
}

// Delete implements cloud.Provider: it deletes the Cluster (CloudNativePG deletes its
// instances and volumes). A final snapshot is refused: the class keeps none.
func (p *Provider) Delete(ctx context.Context, identifier string, opts cloud.DeleteOptions) error {
	op := "delete Cluster of " + identifier
	if opts.FinalSnapshotIdentifier != "" && !p.cfg.Backups() {
		return p.Refuse(op, "final snapshots (deletionPolicy Snapshot): the class names no backup method; use Retain or Delete")
	}
	c, err := p.cluster(ctx, op, identifier)
	if err != nil {
		return err
	}
	if c == nil {
		_, err := p.deleteReader(ctx, identifier)
		return err
	}
	if opts.FinalSnapshotIdentifier != "" {
		if err := p.finalBackup(ctx, c, opts.FinalSnapshotIdentifier); err != nil {
			return err
		}
	}
	// The daily schedule goes first: it would back up a Cluster that is gone.
	daily := &cnpgv1.ScheduledBackup{ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: c.Name + "-daily"}}
	if err := p.cfg.Client.Delete(ctx, daily); client.IgnoreNotFound(err) != nil && !meta.IsNoMatchError(err) {
		return failed(op, err)
	}
	if err := p.cfg.Client.Delete(ctx, c, client.Preconditions{UID: &c.UID}); client.IgnoreNotFound(err) != nil {
		return failed(op, err)
	}
	return nil
}

// Plan implements cloud.Provider: storage only grows (a volume cannot shrink), and the
// version is the image's.
func (p *Provider) Plan(d cloud.Desired, in cloud.Instance, keepVersion bool) cloud.Plan {
	var plan cloud.Plan
	if d.AllocatedStorageGiB > in.AllocatedStorageGiB {
		plan.Changes.AllocatedStorageGiB = ptr.To(d.AllocatedStorageGiB)
		plan.Described = append(plan.Described, fmt.Sprintf("storage %d GiB to %d GiB", in.AllocatedStorageGiB, d.AllocatedStorageGiB))
	}
	if p.cfg.Backups() && d.BackupRetentionDays != in.BackupRetentionDays {
		plan.Changes.BackupRetentionDays = ptr.To(d.BackupRetentionDays)
		plan.Described = append(plan.Described, fmt.Sprintf("daily backups kept %d days to %d", in.BackupRetentionDays, d.BackupRetentionDays))
	}
	if !keepVersion && p.cfg.ImageName == "" && d.EngineVersion != "" && in.EngineVersion != "" && d.EngineVersion != in.EngineVersion {
		plan.Changes.EngineVersion = ptr.To(d.EngineVersion)
		plan.Described = append(plan.Described, "version "+in.EngineVersion+" to "+d.EngineVersion)
	}
	return plan
}

// Storage implements cloud.Provider: what was asked, at least 1 GiB.
func (p *Provider) Storage(d cloud.Desired) (int32, bool) {
	if d.AllocatedStorageGiB < 1 {
		return 1, true
	}
	return d.AllocatedStorageGiB, false
}
