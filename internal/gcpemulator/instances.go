package gcpemulator

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Instance states, as the API names them.
const (
	statePendingCreate = "PENDING_CREATE"
	stateRunnable      = "RUNNABLE"
	statePendingDelete = "PENDING_DELETE"
	stateFailed        = "FAILED"
	stateMaintenance   = "MAINTENANCE"
	stateSuspended     = "SUSPENDED"
)

// instanceKey names an instance: instance IDs are unique within a project.
type instanceKey struct{ project, name string }

// instance is the emulator's record of a Cloud SQL instance.
type instance struct {
	key      instanceKey
	version  string
	region   string
	state    string
	settings Settings
	created  time.Time
	// rootPassword is the default user's password, kept to start a fresh server for a
	// restore. It is never answered.
	rootPassword string
	// address is the instance's own loopback address, on which its server serves the
	// engine's standard port; it is reported once the instance is RUNNABLE.
	address string
	server  engineServer
	caCert  string
	// diskKey is the customer-managed key of the disk, "" for Google's own.
	diskKey   string
	users     []User
	databases []Database
	// busy is the operation running on the instance; another mutating call meanwhile
	// answers 409 operationInProgress, as Cloud SQL does.
	busy *operation
	base string
	// master is the primary of a read replica, nil for a primary.
	master *instance
	// replicaConfig is a replica's replicaConfiguration, echoed.
	replicaConfig *ReplicaConfiguration
}

// insertInstance answers instances.insert: it validates the request, takes the name and
// starts the CREATE operation.
func (e *Emulator) insertInstance(r *http.Request) (any, error) {
	project := r.PathValue("project")
	var req DatabaseInstance
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	in, err := e.newInstance(project, &req)
	if err != nil {
		return nil, err
	}
	in.base = baseURL(r)

	e.mu.Lock()
	if _, ok := e.instances[in.key]; ok || e.reservedName(in.key) {
		e.mu.Unlock()
		return nil, errInstanceExists()
	}
	if req.MasterInstanceName != "" {
		if err := e.attachPrimary(in, req.MasterInstanceName); err != nil {
			e.mu.Unlock()
			return nil, err
		}
		in.replicaConfig = &ReplicaConfiguration{Kind: "sql#replicaConfiguration"}
		if c := req.ReplicaConfiguration; c != nil {
			in.replicaConfig.FailoverTarget = c.FailoverTarget
		}
	}
	e.instances[in.key] = in
	op := e.newOperation(r, in.key, opCreate)
	in.busy = op
	view := op.view()
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runCreate(ctx, in, op) })
	return view, nil
}

// newInstance builds a PENDING_CREATE instance from an insert request, with Cloud SQL's
// defaults, or answers 400.
func (e *Emulator) newInstance(project string, req *DatabaseInstance) (*instance, error) {
	if err := validateName(project, req.Name); err != nil {
		return nil, err
	}
	if err := validateVersion(req.DatabaseVersion); err != nil {
		return nil, err
	}
	region := req.Region
	if region == "" {
		region = "us-central1"
	}
	if err := validateRegion(region); err != nil {
		return nil, err
	}
	if req.Settings == nil || req.Settings.Tier == "" {
		return nil, errInvalid("The tier (settings.tier) is required.")
	}
	s := *req.Settings
	if err := validateSettings(&s); err != nil {
		return nil, err
	}
	if s.DataDiskSizeGb == 0 {
		s.DataDiskSizeGb = minDiskGB
	}
	if err := validateResizeLimit(s.StorageAutoResizeLimit, s.DataDiskSizeGb); err != nil {
		return nil, err
	}
	if err := validateFlags(req.DatabaseVersion, s.DatabaseFlags); err != nil {
		return nil, err
	}
	s.DatabaseFlags = cloneFlags(s.DatabaseFlags)
	defaults := map[*string]string{
		&s.Kind: "sql#settings", &s.DataDiskType: "PD_SSD", &s.ActivationPolicy: "ALWAYS",
		&s.AvailabilityType: "ZONAL", &s.PricingPlan: "PER_USE", &s.ReplicationType: "SYNCHRONOUS",
		&s.Edition: "ENTERPRISE",
	}
	for p, v := range defaults {
		if *p == "" {
			*p = v
		}
	}
	if s.StorageAutoResize == nil {
		on := true
		s.StorageAutoResize = &on
	}
	s.BackupConfiguration = withBackupDefaults(s.BackupConfiguration)
	s.MaintenanceWindow = withWindowKind(s.MaintenanceWindow)
	if s.IPConfiguration == nil {
		s.IPConfiguration = &IPConfiguration{Ipv4Enabled: true}
	}
	if l := s.LocationPreference; l != nil {
		if l.Zone != "" && !strings.HasPrefix(l.Zone, region+"-") {
			return nil, errInvalid("Invalid zone %q: settings.locationPreference.zone must be a zone of the instance's region %s.", l.Zone, region)
		}
		s.LocationPreference = &LocationPreference{Kind: "sql#locationPreference", Zone: l.Zone}
	}
	s.SettingsVersion = 1
	s.UserLabels = maps.Clone(s.UserLabels)

	in := &instance{
		key:          instanceKey{project, req.Name},
		version:      req.DatabaseVersion,
		region:       region,
		state:        statePendingCreate,
		settings:     s,
		created:      e.cfg.Now(),
		rootPassword: req.RootPassword,
		diskKey:      diskKeyOf(req),
		users:        []User{defaultUser(req.DatabaseVersion)},
		databases:    initialDatabases(req.DatabaseVersion),
	}
	return in, nil
}

// withBackupDefaults fills a backup configuration as Cloud SQL answers it.
func withBackupDefaults(b *BackupConfiguration) *BackupConfiguration {
	out := BackupConfiguration{}
	if b != nil {
		out = *b
	}
	out.Kind = "sql#backupConfiguration"
	if out.StartTime == "" {
		out.StartTime = "00:00"
	}
	r := BackupRetentionSettings{RetentionUnit: "COUNT", RetainedBackups: 7}
	if out.BackupRetentionSettings != nil && out.BackupRetentionSettings.RetainedBackups != 0 {
		r.RetainedBackups = out.BackupRetentionSettings.RetainedBackups
	}
	out.BackupRetentionSettings = &r
	return &out
}

// withWindowKind is a maintenance window as Cloud SQL answers it; nil, as when none was
// asked for, is any window (day 0).
func withWindowKind(w *MaintenanceWindow) *MaintenanceWindow {
	out := MaintenanceWindow{}
	if w != nil {
		out = *w
	}
	out.Kind = "sql#maintenanceWindow"
	return &out
}

// reservedName tells whether a deleted instance's name is still taken. It runs under mu.
func (e *Emulator) reservedName(k instanceKey) bool {
	until, ok := e.reserved[k]
	if !ok {
		return false
	}
	if e.cfg.Now().Before(until) {
		return true
	}
	delete(e.reserved, k)
	return false
}

func (e *Emulator) getInstance(r *http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, err := e.lookup(r)
	if err != nil {
		return nil, err
	}
	return e.view(in), nil
}

// lookup finds the instance a request names. It runs under mu.
func (e *Emulator) lookup(r *http.Request) (*instance, error) {
	in, ok := e.instances[instanceKey{r.PathValue("project"), r.PathValue("instance")}]
	if !ok {
		return nil, errInstanceNotFound()
	}
	return in, nil
}

// changeable refuses a change of an instance another operation is changing (409) or that
// is not RUNNABLE (400), as Cloud SQL does. It runs under mu.
func (in *instance) changeable() error {
	if in.busy != nil {
		return errOperationInProgress()
	}
	if in.state != stateRunnable {
		return errNotRunning()
	}
	return nil
}

// listInstances answers instances.list, in name order, with the filter parameter's
// simple "field:value" terms (see matchFilter).
func (e *Emulator) listInstances(r *http.Request) (any, error) {
	project := r.PathValue("project")
	terms, err := parseFilter(r.URL.Query().Get("filter"))
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	var items []*DatabaseInstance
	for k, in := range e.instances {
		if k.project == project && matchFilter(in, terms) {
			items = append(items, e.view(in))
		}
	}
	e.mu.Unlock()
	slices.SortFunc(items, func(a, b *DatabaseInstance) int { return strings.Compare(a.Name, b.Name) })
	page, next, err := paginate(r, items)
	if err != nil {
		return nil, err
	}
	return &listResponse{Kind: "sql#instancesList", Items: page, NextPageToken: next}, nil
}

// filterTerm is one "field:value" (or "field=value") term of instances.list's filter.
type filterTerm struct{ field, value string }

// parseFilter reads space-separated terms joined by an optional AND. Fields: name, state,
// databaseVersion, region, settings.tier and settings.userLabels.<key>.
func parseFilter(f string) ([]filterTerm, error) {
	var terms []filterTerm
	for _, t := range strings.Fields(f) {
		if t == "AND" {
			continue
		}
		field, value, ok := strings.Cut(t, ":")
		if !ok {
			field, value, ok = strings.Cut(t, "=")
		}
		if !ok {
			return nil, errInvalid("Invalid filter term %q: use field:value.", t)
		}
		terms = append(terms, filterTerm{field, strings.Trim(value, `"`)})
	}
	return terms, nil
}

func matchFilter(in *instance, terms []filterTerm) bool {
	for _, t := range terms {
		var got string
		switch {
		case t.field == "name":
			got = in.key.name
		case t.field == "state":
			got = in.state
		case t.field == "databaseVersion":
			got = in.version
		case t.field == "region":
			got = in.region
		case t.field == "settings.tier":
			got = in.settings.Tier
		case strings.HasPrefix(t.field, "settings.userLabels."):
			v, ok := in.settings.UserLabels[strings.TrimPrefix(t.field, "settings.userLabels.")]
			if !ok {
				return false
			}
			got = v
		default:
			return false
		}
		if got != t.value && t.value != "*" {
			return false
		}
	}
	return true
}

// patchInstance answers instances.patch (and instances.update): it checks settingsVersion
// and the new settings at once, and applies them when the UPDATE operation ends.
func (e *Emulator) patchInstance(r *http.Request) (any, error) {
	var body patchBody
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	req := body.DatabaseInstance
	e.mu.Lock()
	defer e.mu.Unlock()
	in, err := e.lookup(r)
	if err != nil {
		return nil, err
	}
	if err := in.changeable(); err != nil {
		return nil, err
	}
	if req.DatabaseVersion != "" && req.DatabaseVersion != in.version {
		return nil, errInvalid("Changing databaseVersion (major version upgrade) is not supported by this emulator.")
	}
	if req.Settings == nil {
		req.Settings = &Settings{}
	}
	s := req.Settings
	if s.SettingsVersion != 0 && s.SettingsVersion != in.settings.SettingsVersion {
		return nil, errorf(http.StatusPreconditionFailed, "staleData", "Condition does not match.")
	}
	if err := validateSettings(s); err != nil {
		return nil, err
	}
	if err := e.checkReplication(in, s.BackupConfiguration); err != nil {
		return nil, err
	}
	if l := s.LocationPreference; l != nil && l.Zone != "" && !strings.HasPrefix(l.Zone, in.region+"-") {
		return nil, errInvalid("Invalid zone %q: settings.locationPreference.zone must be a zone of the instance's region %s.", l.Zone, in.region)
	}
	if s.DataDiskSizeGb != 0 && s.DataDiskSizeGb < in.settings.DataDiskSizeGb {
		return nil, errInvalid("The disk size cannot be decreased (current %d GB, requested %d GB).", in.settings.DataDiskSizeGb, s.DataDiskSizeGb)
	}
	if err := validateResizeLimit(s.StorageAutoResizeLimit, max(s.DataDiskSizeGb, in.settings.DataDiskSizeGb)); err != nil {
		return nil, err
	}
	if s.DatabaseFlags != nil {
		if err := validateFlags(in.version, s.DatabaseFlags); err != nil {
			return nil, err
		}
	}
	op := e.newOperation(r, in.key, opUpdate)
	in.busy = op
	change := *s
	change.UserLabels = maps.Clone(s.UserLabels)
	change.DatabaseFlags = cloneFlags(s.DatabaseFlags)
	if body.anyWindow {
		change.MaintenanceWindow = &MaintenanceWindow{}
	}
	e.backgroundLocked(func(ctx context.Context) { e.runUpdate(ctx, in, op, &change) })
	return op.view(), nil
}

// patchBody is the body of instances.patch. A settings.maintenanceWindow sent as null
// (gcloud's --maintenance-window-any clears it so) puts the instance back to any window,
// which a nil MaintenanceWindow, meaning "unchanged", cannot say.
type patchBody struct {
	DatabaseInstance
	anyWindow bool
}

// UnmarshalJSON reads the instance and notes a maintenanceWindow sent as null.
func (p *patchBody) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &p.DatabaseInstance); err != nil {
		return err
	}
	var nulls struct {
		Settings *struct {
			MaintenanceWindow json.RawMessage `json:"maintenanceWindow"`
		} `json:"settings"`
	}
	if err := json.Unmarshal(b, &nulls); err != nil {
		return err
	}
	p.anyWindow = nulls.Settings != nil && string(nulls.Settings.MaintenanceWindow) == "null"
	return nil
}

// applySettings merges the set fields of a patch into the instance's settings and bumps
// settingsVersion. It runs under mu.
func (in *instance) applySettings(s *Settings) {
	cur := &in.settings
	if s.Tier != "" {
		cur.Tier = s.Tier
	}
	if s.DataDiskSizeGb != 0 {
		cur.DataDiskSizeGb = s.DataDiskSizeGb
	}
	if s.DataDiskType != "" {
		cur.DataDiskType = s.DataDiskType
	}
	if s.UserLabels != nil {
		cur.UserLabels = s.UserLabels
	}
	if s.BackupConfiguration != nil {
		cur.BackupConfiguration = withBackupDefaults(s.BackupConfiguration)
	}
	if s.IPConfiguration != nil {
		ip := *s.IPConfiguration
		cur.IPConfiguration = &ip
	}
	if s.StorageAutoResize != nil {
		v := *s.StorageAutoResize
		cur.StorageAutoResize = &v
	}
	if s.StorageAutoResizeLimit != 0 {
		cur.StorageAutoResizeLimit = s.StorageAutoResizeLimit
	}
	if s.DatabaseFlags != nil {
		cur.DatabaseFlags = cloneFlags(s.DatabaseFlags)
	}
	if s.ActivationPolicy != "" {
		cur.ActivationPolicy = s.ActivationPolicy
	}
	if s.AvailabilityType != "" {
		cur.AvailabilityType = s.AvailabilityType
	}
	if s.FinalBackupConfig != nil {
		f := *s.FinalBackupConfig
		cur.FinalBackupConfig = &f
	}
	if s.DeletionProtectionEnabled != nil {
		v := *s.DeletionProtectionEnabled
		cur.DeletionProtectionEnabled = &v
	}
	if s.LocationPreference != nil {
		l := *s.LocationPreference
		cur.LocationPreference = &l
	}
	if s.MaintenanceWindow != nil {
		// The window sent replaces the whole window, fields left out included.
		cur.MaintenanceWindow = withWindowKind(s.MaintenanceWindow)
	}
	cur.SettingsVersion++
}

// deleteInstance answers instances.delete: the instance goes PENDING_DELETE, takes its
// final backup when asked, and is gone when the DELETE operation ends. An instance with
// deletion protection on is refused and left as it is.
func (e *Emulator) deleteInstance(r *http.Request) (any, error) {
	final, err := parseFinalBackup(r, e.cfg.Now())
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	in, err := e.lookup(r)
	if err != nil {
		return nil, err
	}
	if in.busy != nil {
		return nil, errOperationInProgress()
	}
	if len(e.replicaNames(in)) > 0 {
		return nil, errReplicationMaster()
	}
	if in.master != nil && final != nil {
		return nil, errInvalid("A read replica has no backups: it cannot take a final backup.")
	}
	if p := in.settings.DeletionProtectionEnabled; p != nil && *p {
		return nil, errProtected()
	}
	if final == nil && in.settings.FinalBackupConfig != nil && in.settings.FinalBackupConfig.Enabled {
		days := in.settings.FinalBackupConfig.RetentionDays
		if days == 0 {
			days = defaultFinalBackupDays
		}
		final = &finalBackup{ttlDays: days, expiry: e.cfg.Now().Add(time.Duration(days) * 24 * time.Hour)}
	}
	op := e.newOperation(r, in.key, opDelete)
	in.busy = op
	in.state = statePendingDelete
	e.backgroundLocked(func(ctx context.Context) { e.runDelete(ctx, in, op, final) })
	return op.view(), nil
}

// view renders an instance as the API answers it. It runs under mu.
func (e *Emulator) view(in *instance) *DatabaseInstance {
	s := in.settings
	s.UserLabels = maps.Clone(s.UserLabels)
	s.DatabaseFlags = cloneFlags(s.DatabaseFlags)
	if s.BackupConfiguration != nil {
		b := *s.BackupConfiguration
		if b.BackupRetentionSettings != nil {
			r := *b.BackupRetentionSettings
			b.BackupRetentionSettings = &r
		}
		s.BackupConfiguration = &b
	}
	if s.IPConfiguration != nil {
		ip := *s.IPConfiguration
		ip.AuthorizedNetworks = slices.Clone(ip.AuthorizedNetworks)
		s.IPConfiguration = &ip
	}
	if s.MaintenanceWindow != nil {
		w := *s.MaintenanceWindow
		s.MaintenanceWindow = &w
	}
	if s.DeletionProtectionEnabled != nil {
		p := *s.DeletionProtectionEnabled
		s.DeletionProtectionEnabled = &p
	}
	link := in.base + "/v1/projects/" + in.key.project + "/instances/" + in.key.name
	out := &DatabaseInstance{
		Kind:                       "sql#instance",
		Name:                       in.key.name,
		Project:                    in.key.project,
		Region:                     in.region,
		GceZone:                    zoneOf(in),
		DatabaseVersion:            in.version,
		DatabaseInstalledVersion:   databaseVersions[in.version],
		State:                      in.state,
		Settings:                   &s,
		ConnectionName:             in.key.project + ":" + in.region + ":" + in.key.name,
		InstanceType:               typePrimary,
		ReplicaNames:               e.replicaNames(in),
		BackendType:                "SECOND_GEN",
		SelfLink:                   link,
		CreateTime:                 timestamp(in.created),
		ServiceAccountEmailAddress: "p-emulator@gcp-sa-cloud-sql.iam.gserviceaccount.com",
		Etag:                       etag(fmt.Sprint(in.key, in.state, in.settings.SettingsVersion)),
	}
	if in.master != nil {
		out.InstanceType = typeReplica
		out.MasterInstanceName = in.master.key.project + ":" + in.master.key.name
		c := *in.replicaConfig
		out.ReplicaConfiguration = &c
	}
	if in.address != "" && in.state != statePendingCreate {
		out.IPAddresses = []IPMapping{{Type: "PRIMARY", IPAddress: in.address}}
	}
	if in.diskKey != "" {
		out.DiskEncryptionConfiguration = &DiskEncryptionConfiguration{Kind: "sql#diskEncryptionConfiguration", KmsKeyName: in.diskKey}
	}
	if in.caCert != "" || in.address != "" {
		out.ServerCaCert = &SslCert{
			Kind:             "sql#sslCert",
			Instance:         in.key.name,
			Cert:             in.caCert,
			CommonName:       "C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA,dnQualifier=emulator",
			CertSerialNumber: "0",
			CreateTime:       timestamp(in.created),
			ExpirationTime:   timestamp(in.created.AddDate(10, 0, 0)),
			Sha1Fingerprint:  etag(in.caCert),
		}
	}
	return out
}

// zoneOf is the instance's zone: the one its locationPreference names, else the first
// of its region.
func zoneOf(in *instance) string {
	if l := in.settings.LocationPreference; l != nil && l.Zone != "" {
		return l.Zone
	}
	return in.region + "-a"
}

// etag is a short stable hash.
func etag(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// diskKeyOf is the KMS key an insert request names for the disk, or "".
func diskKeyOf(req *DatabaseInstance) string {
	if req.DiskEncryptionConfiguration == nil {
		return ""
	}
	return req.DiskEncryptionConfiguration.KmsKeyName
}
