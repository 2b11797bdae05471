// Package gcp implements cloud.Provider on Google Cloud SQL with the Cloud SQL Admin API v1
// (google.golang.org/api/sqladmin/v1).
//
// Credentials are GOOGLE_OAUTH_ACCESS_TOKEN when it is set (the Terraform google
// provider's convention), else Application Default Credentials, through which GKE Workload
// Identity works. Config.Endpoint (GCP_SQLADMIN_ENDPOINT) points the client at a local
// emulator such as cmd/cloudsql-emulator.
//
// Where Cloud SQL differs from what the operator asks of a cloud, the difference is made
// up for here and nowhere else: tags live in labels through a reversible encoding
// (labels.go); an instance is made with only Cloud SQL's built-in admin, and the master
// user by the first Update that carries its password (master.go); snapshots are on-demand
// backups whose description carries their name and tags (snapshots.go); read replicas are
// instances of their own that name their primary (replicas.go); a snapshot's export is a
// SQL dump of the live instance, one database at a time on PostgreSQL (exports.go); engine
// parameters are database flags, which Cloud SQL keeps with the instance and applies itself,
// restarting it when a flag needs that (parameters.go); storage autoscaling is Cloud SQL's
// automatic storage increase (autoscaling.go). What Cloud SQL
// does not have at all (Aurora clusters, subnet groups, security groups, RDS storage
// types) is cloud.ErrUnsupported. The facts relied on are in docs/cloudsql-facts.md.
package gcp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/option"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Environment variables the provider is configured from.
const (
	// EnvEndpoint is the Cloud SQL Admin API's base URL, when not Google's.
	EnvEndpoint = "GCP_SQLADMIN_ENDPOINT"
	// EnvProject is the Google Cloud project the databases live in.
	EnvProject = "GCP_PROJECT"
	// EnvAccessToken is an OAuth 2 access token used instead of Application Default
	// Credentials, as the Terraform google provider does.
	EnvAccessToken = "GOOGLE_OAUTH_ACCESS_TOKEN"
)

// Config configures New.
type Config struct {
	// Project is the Google Cloud project the databases live in. Required.
	Project string
	// Region is where new databases are made, and the only region List reports. Required.
	Region string
	// Endpoint is the Admin API's base URL; empty means Google's.
	Endpoint string
	// OperationWait bounds how long a call waits for an operation it depends on: the last
	// one this provider started on the instance, or the user operation that sets a master
	// password. Past it the call fails with cloud.ErrBusy. Zero means 30 seconds.
	OperationWait time.Duration
	// PollInterval is how often an operation is looked at while waited for; zero means one
	// second.
	PollInterval time.Duration
}

var _ cloud.Provider = (*Provider)(nil)

// Provider is cloud.Provider on Google Cloud SQL.
type Provider struct {
	svc     *sqladmin.Service
	project string
	region  string
	wait    time.Duration
	poll    time.Duration

	mu sync.Mutex
	// running holds, per instance, the last operation this provider started that changes
	// the instance while it stays RUNNABLE (instances.patch), until it is seen DONE: it
	// is what tells Changing from Available, which Cloud SQL's state does not.
	running map[string]string
}

// New returns a Provider for cfg.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if cfg.Project == "" || cfg.Region == "" {
		return nil, fmt.Errorf("cloud sql: the project (%s) and the region are required", EnvProject)
	}
	var opts []option.ClientOption
	if cfg.Endpoint != "" {
		// The generated client joins paths such as "v1/projects/..." to the endpoint.
		opts = append(opts, option.WithEndpoint(strings.TrimSuffix(cfg.Endpoint, "/")+"/"))
	}
	if token := os.Getenv(EnvAccessToken); token != "" {
		opts = append(opts, option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})))
	}
	svc, err := sqladmin.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("cloud sql: %w", err)
	}
	p := &Provider{svc: svc, project: cfg.Project, region: cfg.Region, wait: cfg.OperationWait, poll: cfg.PollInterval, running: map[string]string{}}
	if p.wait == 0 {
		p.wait = 30 * time.Second
	}
	if p.poll == 0 {
		p.poll = time.Second
	}
	return p, nil
}

// Observe implements cloud.Provider with instances.get: one call tells the state and,
// from the labels, the owner.
func (p *Provider) Observe(ctx context.Context, identifier string) (cloud.Observation, error) {
	db, err := p.svc.Instances.Get(p.project, identifier).Context(ctx).Do()
	if isNotFound(err) {
		return cloud.Observation{}, nil
	}
	if err != nil {
		return cloud.Observation{}, wrap("get instance "+identifier, err)
	}
	in, err := p.instance(ctx, db)
	if err != nil {
		return cloud.Observation{}, err
	}
	return cloud.Observation{Exists: true, Instance: in}, nil
}

// List implements cloud.Provider with instances.list of the project, every page, keeping
// the instances of the provider's region.
func (p *Provider) List(ctx context.Context) ([]cloud.Instance, error) {
	var out []cloud.Instance
	err := p.svc.Instances.List(p.project).Filter("region:"+p.region).Pages(ctx, func(page *sqladmin.InstancesListResponse) error {
		for _, db := range page.Items {
			if db.Region != p.region {
				continue
			}
			in, err := p.instance(ctx, db)
			if err != nil {
				return err
			}
			out = append(out, in)
		}
		return nil
	})
	var cerr *cloud.Error
	if err != nil && !errors.As(err, &cerr) {
		err = wrap("list instances", err)
	}
	return out, err
}

// Internal entries the provider keeps in an instance's labels (see labels.go).
const (
	// keyMasterUser is the master user's name: Cloud SQL has no such notion.
	keyMasterUser = "master-user"
	// keyMasterPending is there until the master user is made (Incomplete).
	keyMasterPending = "master-pending"
	// keyBackupWindow is the backup window asked for, of which Cloud SQL keeps the start.
	keyBackupWindow = "backup-window"
)

// Create implements cloud.Provider. Cloud SQL makes the instance with its built-in admin
// only (postgres, or root on MySQL), whose password is a random one nobody keeps: nobody
// needs that admin. The master user is made by the first Update with a MasterPassword,
// which Complete sends when Observe reports Incomplete. RestoreFromSnapshot
// makes it from that snapshot instead (restore).
func (p *Provider) Create(ctx context.Context, d cloud.Desired) error {
	op := "create instance " + d.Identifier
	db, err := p.newInstance(op, d)
	if err != nil {
		return err
	}
	if d.RestoreFromSnapshot != "" {
		return flagError(p.restore(ctx, op, d, db), slices.Sorted(maps.Keys(d.Parameters)))
	}
	_, err = p.svc.Instances.Insert(p.project, db).Context(ctx).Do()
	if hasReason(err, http.StatusConflict, reasonAlreadyExists) {
		return p.taken(ctx, op, d.Identifier, err)
	}
	if err != nil {
		return flagError(wrap(op, err), slices.Sorted(maps.Keys(d.Parameters)))
	}
	return nil
}

// taken decides what an instanceAlreadyExists answer means: an instance with the name
// exists (nil: the caller's next Observe decides whose it is), or the name belonged to an
// instance deleted within about a week, which Cloud SQL keeps reserved; no retry helps
// then.
func (p *Provider) taken(ctx context.Context, op, id string, exists error) error {
	_, err := p.svc.Instances.Get(p.project, id).Context(ctx).Do()
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return &cloud.Error{Op: op, Code: reasonAlreadyExists, Message: fmt.Sprintf(
			"the name %s belonged to an instance deleted recently, and Cloud SQL keeps the name of a deleted instance reserved for about a week: use another identifier or wait", id)}
	default:
		return wrap(op, exists)
	}
}

// newInstance is the instances.insert request for d, or the error that tells why Cloud SQL
// cannot make it.
func (p *Provider) newInstance(op string, d cloud.Desired) (*sqladmin.DatabaseInstance, error) {
	if _, ok := versionPrefix[d.Engine]; !ok {
		return nil, unsupported(op, fmt.Sprintf("Cloud SQL runs PostgreSQL (postgres) and MySQL (mysql), not %q", d.Engine))
	}
	version, err := databaseVersion(d.Engine, d.EngineVersion)
	if err != nil {
		return nil, invalid(op, err.Error())
	}
	disk, err := dataDiskType(d.StorageType)
	if err != nil {
		return nil, unsupported(op, err.Error())
	}
	if d.IOPS > 0 || d.StorageThroughput > 0 {
		return nil, unsupported(op, "Cloud SQL sets a disk's IOPS and throughput by its size and type: remove iops and storageThroughput")
	}
	if d.SubnetGroup != "" {
		return nil, unsupported(op, "Cloud SQL has no subnet groups: an instance's network is its project's")
	}
	if len(d.SecurityGroupIDs) > 0 {
		return nil, unsupported(op, "Cloud SQL has no security groups: access is by authorized networks and IAM")
	}
	backup := &sqladmin.BackupConfiguration{}
	setRetention(backup, d.BackupRetentionDays, d.Engine)
	internal := map[string]string{}
	if d.MasterUser != "" {
		internal[keyMasterUser], internal[keyMasterPending] = d.MasterUser, ""
	}
	if d.BackupWindow != "" {
		if backup.StartTime, err = backupStart(d.BackupWindow); err != nil {
			return nil, invalid(op, err.Error())
		}
		internal[keyBackupWindow] = d.BackupWindow
	}
	var window *sqladmin.MaintenanceWindow
	if d.MaintenanceWindow != "" {
		if window, err = maintenanceStart(d.MaintenanceWindow); err != nil {
			return nil, invalid(op, err.Error())
		}
		internal[keyMaintenanceWindow] = d.MaintenanceWindow
	}
	if d.AutoMinorVersionUpgrade != nil && !*d.AutoMinorVersionUpgrade {
		return nil, unsupported(op, noMinorUpgradeStop)
	}
	if d.IAMAuthentication != nil && *d.IAMAuthentication {
		return nil, unsupported(op, noIAMAuthentication)
	}
	labels, err := encodeLabels(d.Tags, internal)
	if err != nil {
		return nil, invalid(op, err.Error())
	}
	db := &sqladmin.DatabaseInstance{
		Name:            d.Identifier,
		Region:          p.region,
		DatabaseVersion: version,
		RootPassword:    rand.Text() + rand.Text(), // 52 random base32 characters, never kept
		Settings: &sqladmin.Settings{
			Tier:                d.InstanceClass,
			DataDiskType:        disk,
			DataDiskSizeGb:      int64(d.AllocatedStorageGiB),
			BackupConfiguration: backup,
			IpConfiguration:     &sqladmin.IpConfiguration{Ipv4Enabled: d.PubliclyAccessible, ForceSendFields: []string{"Ipv4Enabled"}},
			AvailabilityType:    availability(d.MultiAZ),
			UserLabels:          labels,
		},
	}
	if d.DeletionProtection != nil {
		db.Settings.DeletionProtectionEnabled = *d.DeletionProtection
	}
	if err := setAutoResize(op, db.Settings, d); err != nil {
		return nil, err
	}
	if len(d.Parameters) > 0 {
		// Flags set at creation spare the restart a later patch of them could cost.
		db.Settings.DatabaseFlags = databaseFlags(d.Parameters)
	}
	db.Settings.MaintenanceWindow = window
	// Cloud SQL always encrypts its disks (StorageEncrypted is always true); KMSKeyID
	// chooses a customer-managed key instead of Google's.
	if d.KMSKeyID != "" {
		db.DiskEncryptionConfiguration = &sqladmin.DiskEncryptionConfiguration{KmsKeyName: d.KMSKeyID}
	}
	return db, nil
}

// setRetention sets backups on with Cloud SQL keeping days automated backups (it takes one
// a day), or off for zero days. On MySQL binary logging goes with them: a primary needs
// both to have read replicas, and binary logging needs backups.
func setRetention(b *sqladmin.BackupConfiguration, days int32, engine string) {
	b.Enabled = days > 0
	b.ForceSendFields = append(b.ForceSendFields, "Enabled")
	if engine == engineMySQL {
		b.BinaryLogEnabled = b.Enabled
		b.ForceSendFields = append(b.ForceSendFields, "BinaryLogEnabled")
	}
	if days > 0 {
		b.BackupRetentionSettings = &sqladmin.BackupRetentionSettings{RetainedBackups: int64(days), RetentionUnit: "COUNT"}
	}
}

// availability is Cloud SQL's availabilityType for MultiAZ: REGIONAL keeps a standby in
// another zone of the region.
func availability(multiAZ bool) string {
	if multiAZ {
		return "REGIONAL"
	}
	return "ZONAL"
}

// finalBackupDays is how long a final backup is kept: the longest Cloud SQL allows, since
// it is the copy that must outlive the database.
const finalBackupDays = 365

// Delete implements cloud.Provider with instances.delete. A FinalSnapshotIdentifier turns
// on the final backup, whose description carries that identifier and the instance's tags
// (its owner among them), so that the backup, which outlives the instance, names both; a
// read replica is deleted without one, since Cloud SQL takes no backups of a replica. A
// primary that still has read replicas is cloud.ErrBusy until they are gone.
func (p *Provider) Delete(ctx context.Context, identifier string, opts cloud.DeleteOptions) error {
	op := "delete instance " + identifier
	call := p.svc.Instances.Delete(p.project, identifier)
	if opts.FinalSnapshotIdentifier != "" {
		db, err := p.svc.Instances.Get(p.project, identifier).Context(ctx).Do()
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return wrap(op, err)
		}
		if db.State == statePendingDelete {
			return nil
		}
		if db.MasterInstanceName != "" {
			// Cloud SQL takes no backups of a read replica: its data is its primary's.
			return p.deleteNow(ctx, op, identifier, call)
		}
		call = call.EnableFinalBackup(true).FinalBackupTtlDays(finalBackupDays).
			FinalBackupDescription(describeSnapshot(opts.FinalSnapshotIdentifier, readLabels(labelsOf(db)).tags))
	}
	return p.deleteNow(ctx, op, identifier, call)
}

// deleteNow sends instances.delete. An instance already gone or going is success; a
// primary that still has read replicas is refused by Cloud SQL, which kindOf makes
// cloud.ErrBusy: the caller deletes the replicas first.
func (p *Provider) deleteNow(ctx context.Context, op, identifier string, call *sqladmin.InstancesDeleteCall) error {
	_, err := call.Context(ctx).Do()
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		// Already deleting is success; any other state the caller retries.
		if obs, oerr := p.Observe(ctx, identifier); oerr == nil && (!obs.Exists || obs.Instance.Status == statePendingDelete) {
			return nil
		}
		return wrap(op, err)
	}
	p.finished(identifier, "")
	return nil
}

// Tag implements cloud.Provider: the tags are merged into the instance's labels, every
// other label left as it is, in one instances.patch (none when nothing changes), which it
// waits for: tags are expected to be there once Tag returns, as they are on AWS.
func (p *Provider) Tag(ctx context.Context, arn string, tags map[string]string) error {
	op := "tag " + arn
	project, id, ok := parseInstanceName(arn)
	if !ok {
		return invalid(op, fmt.Sprintf("%q is not a Cloud SQL instance name (projects/PROJECT/instances/ID)", arn))
	}
	return p.patch(ctx, op, project, id, true, func(db *sqladmin.DatabaseInstance) (*sqladmin.DatabaseInstance, error) {
		labels, err := relabel(labelsOf(db), tags, nil)
		if err != nil {
			return nil, invalid(op, err.Error())
		}
		if sameLabels(labels, labelsOf(db)) {
			return nil, nil
		}
		return &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{UserLabels: labels}}, nil
	})
}

// instanceName is the name the provider reports as an instance's ARN and Tag takes back.
func instanceName(project, id string) string { return "projects/" + project + "/instances/" + id }

// parseInstanceName reads project and instance ID from an instance name, or from a URL
// that ends in one (a selfLink).
func parseInstanceName(name string) (project, id string, ok bool) {
	i := strings.LastIndex(name, "projects/")
	if i < 0 {
		return "", "", false
	}
	parts := strings.Split(name[i:], "/")
	if len(parts) != 4 || parts[2] != "instances" || parts[1] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[1], parts[3], true
}

// instance is db as cloud.Instance, Changing while an operation the provider started on it
// runs.
func (p *Provider) instance(ctx context.Context, db *sqladmin.DatabaseInstance) (cloud.Instance, error) {
	changing, err := p.changing(ctx, db.Name, db.State)
	if err != nil {
		return cloud.Instance{}, err
	}
	project := db.Project
	if project == "" {
		project = p.project
	}
	return instance(db, project, changing), nil
}

// instance maps a Cloud SQL instance to cloud.Instance.
func instance(db *sqladmin.DatabaseInstance, project string, changing bool) cloud.Instance {
	engine, version := engineVersion(db.DatabaseVersion)
	s := db.Settings
	if s == nil {
		s = &sqladmin.Settings{}
	}
	labels := readLabels(s.UserLabels)
	_, pending := labels.internal[keyMasterPending]
	out := cloud.Instance{
		Identifier:          db.Name,
		ARN:                 instanceName(project, db.Name),
		Status:              db.State,
		Phase:               phaseOf(db.State, changing),
		Engine:              engine,
		EngineVersion:       version,
		InstanceClass:       s.Tier,
		StorageType:         s.DataDiskType,
		AllocatedStorageGiB: int32(s.DataDiskSizeGb),
		MasterUser:          labels.internal[keyMasterUser],
		Incomplete:          pending,
		StorageEncrypted:    true,
		PubliclyAccessible:  s.IpConfiguration != nil && s.IpConfiguration.Ipv4Enabled,
		MultiAZ:             s.AvailabilityType == "REGIONAL",
		AvailabilityZone:    db.GceZone,
		DeletionProtection:  s.DeletionProtectionEnabled,
		MaintenanceWindow:   maintenanceWindow(s.MaintenanceWindow, labels.internal[keyMaintenanceWindow]),
		// Cloud SQL applies minor versions in its maintenance window, always.
		AutoMinorVersionUpgrade: true,
		ReplicaIDs:              db.ReplicaNames,
		Tags:                    labels.tags,
		// Backups carry the tags in their description (snapshots.go).
		TagsCopiedToSnapshots: true,
		Region:                db.Region,
		AdminRole:             adminRoles[engine],
		// Flags live with the instance: no parameter set, nothing waits for a restart.
		Parameters:             cloud.ParameterStatus{Values: flagsOf(db)},
		MaxAllocatedStorageGiB: maxStorage(s),
	}
	if db.MasterInstanceName != "" {
		// project:instance
		out.ReplicaSource = db.MasterInstanceName[strings.LastIndex(db.MasterInstanceName, ":")+1:]
	}
	if b := s.BackupConfiguration; b != nil {
		out.BackupRetentionDays = retention(b)
		out.BackupWindow = backupWindow(b.StartTime, labels.internal[keyBackupWindow])
	}
	if db.DiskEncryptionConfiguration != nil {
		out.KMSKeyID = db.DiskEncryptionConfiguration.KmsKeyName
	}
	out.Endpoint = address(db.IpAddresses)
	if out.Endpoint != "" {
		out.Port = ports[engine]
	}
	if db.ServerCaCert != nil {
		// The instance's own CA (serverCaMode GOOGLE_MANAGED_INTERNAL_CA, the default).
		out.ServerCA = db.ServerCaCert.Cert
	}
	return out
}

// retention is the days of automated backups Cloud SQL keeps (one a day): 0 when backups
// are off, Cloud SQL's default 7 when it does not say.
func retention(b *sqladmin.BackupConfiguration) int32 {
	if !b.Enabled {
		return 0
	}
	if r := b.BackupRetentionSettings; r != nil && r.RetainedBackups > 0 {
		return int32(r.RetainedBackups)
	}
	return 7
}

// address is the instance's PRIMARY (public) address, else its PRIVATE one, else "".
func address(ips []*sqladmin.IpMapping) string {
	for _, want := range []string{"PRIMARY", "PRIVATE"} {
		for _, ip := range ips {
			if ip.Type == want {
				return ip.IpAddress
			}
		}
	}
	return ""
}

// labelsOf is db's user labels, nil when it has none.
func labelsOf(db *sqladmin.DatabaseInstance) map[string]string {
	if db.Settings == nil {
		return nil
	}
	return db.Settings.UserLabels
}

// sameLabels reports whether two label sets are equal, nil and empty alike.
func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
