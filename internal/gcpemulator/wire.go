package gcpemulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
)

// The types below are the JSON resources of the Cloud SQL Admin API v1, limited to the
// fields the emulator serves. int64 fields travel as JSON strings, as Google's discovery
// documents say ("format": "int64"), and are tagged ",string" accordingly.

// DatabaseInstance is a Cloud SQL instance (kind sql#instance).
type DatabaseInstance struct {
	Kind                       string            `json:"kind,omitempty"`
	Name                       string            `json:"name,omitempty"`
	Project                    string            `json:"project,omitempty"`
	Region                     string            `json:"region,omitempty"`
	GceZone                    string            `json:"gceZone,omitempty"`
	DatabaseVersion            string            `json:"databaseVersion,omitempty"`
	DatabaseInstalledVersion   string            `json:"databaseInstalledVersion,omitempty"`
	State                      string            `json:"state,omitempty"`
	Settings                   *Settings         `json:"settings,omitempty"`
	IPAddresses                []IPMapping       `json:"ipAddresses,omitempty"`
	ConnectionName             string            `json:"connectionName,omitempty"`
	ServerCaCert               *SslCert          `json:"serverCaCert,omitempty"`
	InstanceType               string            `json:"instanceType,omitempty"`
	BackendType                string            `json:"backendType,omitempty"`
	SelfLink                   string            `json:"selfLink,omitempty"`
	CreateTime                 string            `json:"createTime,omitempty"`
	Etag                       string            `json:"etag,omitempty"`
	RootPassword               string            `json:"rootPassword,omitempty"`
	ServiceAccountEmailAddress string            `json:"serviceAccountEmailAddress,omitempty"`
	Tags                       map[string]string `json:"tags,omitempty"`
	// MasterInstanceName makes an insert one of a read replica of that instance
	// ("instance" or "project:instance"); a replica reports it as project:instance.
	MasterInstanceName string `json:"masterInstanceName,omitempty"`
	// ReplicaNames are the instance's read replicas.
	ReplicaNames []string `json:"replicaNames,omitempty"`
	// ReplicaConfiguration is a replica's replication setup; the emulator stores and
	// echoes it.
	ReplicaConfiguration *ReplicaConfiguration `json:"replicaConfiguration,omitempty"`
	// DiskEncryptionConfiguration names the customer-managed key of the disk; the
	// emulator stores and echoes it.
	DiskEncryptionConfiguration *DiskEncryptionConfiguration `json:"diskEncryptionConfiguration,omitempty"`
}

// ReplicaConfiguration is a read replica's replication setup (kind
// sql#replicaConfiguration).
type ReplicaConfiguration struct {
	Kind           string `json:"kind,omitempty"`
	FailoverTarget bool   `json:"failoverTarget,omitempty"`
}

// LocationPreference is where in its region an instance is placed.
type LocationPreference struct {
	Kind string `json:"kind,omitempty"`
	Zone string `json:"zone,omitempty"`
}

// DiskEncryptionConfiguration is an instance's customer-managed encryption key.
type DiskEncryptionConfiguration struct {
	Kind       string `json:"kind,omitempty"`
	KmsKeyName string `json:"kmsKeyName,omitempty"`
}

// Settings are an instance's user settings (kind sql#settings).
type Settings struct {
	Kind              string `json:"kind,omitempty"`
	SettingsVersion   int64  `json:"settingsVersion,omitempty,string"`
	Tier              string `json:"tier,omitempty"`
	Edition           string `json:"edition,omitempty"`
	DataDiskSizeGb    int64  `json:"dataDiskSizeGb,omitempty,string"`
	DataDiskType      string `json:"dataDiskType,omitempty"`
	StorageAutoResize *bool  `json:"storageAutoResize,omitempty"`
	// StorageAutoResizeLimit is how far (GB) Cloud SQL grows the disk by itself while
	// StorageAutoResize is on; 0 is no limit (its largest disk). A patch cannot set it
	// back to 0.
	StorageAutoResizeLimit int64 `json:"storageAutoResizeLimit,omitempty,string"`
	// DatabaseFlags are the engine's parameters set on the instance. In a patch a list,
	// empty too, replaces the whole list; leaving it out keeps it.
	DatabaseFlags             []DatabaseFlag       `json:"databaseFlags,omitempty"`
	UserLabels                map[string]string    `json:"userLabels,omitempty"`
	BackupConfiguration       *BackupConfiguration `json:"backupConfiguration,omitempty"`
	IPConfiguration           *IPConfiguration     `json:"ipConfiguration,omitempty"`
	ActivationPolicy          string               `json:"activationPolicy,omitempty"`
	AvailabilityType          string               `json:"availabilityType,omitempty"`
	PricingPlan               string               `json:"pricingPlan,omitempty"`
	ReplicationType           string               `json:"replicationType,omitempty"`
	DeletionProtectionEnabled *bool                `json:"deletionProtectionEnabled,omitempty"`
	FinalBackupConfig         *FinalBackupConfig   `json:"finalBackupConfig,omitempty"`
	LocationPreference        *LocationPreference  `json:"locationPreference,omitempty"`
	// MaintenanceWindow is when Cloud SQL may restart the instance for maintenance; the
	// emulator checks, stores and echoes it.
	MaintenanceWindow *MaintenanceWindow `json:"maintenanceWindow,omitempty"`
}

// DatabaseFlag is one database flag: an engine parameter by the engine's name.
type DatabaseFlag struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// MaintenanceWindow is an instance's weekly maintenance hour (kind sql#maintenanceWindow).
// Day and hour are always answered, as Cloud SQL answers them: day 0 is any window.
type MaintenanceWindow struct {
	Kind string `json:"kind,omitempty"`
	// Day is the day of the week in UTC, 1 (Monday) to 7 (Sunday), or 0 for any day.
	Day int64 `json:"day"`
	// Hour is the hour of the day in UTC, 0 to 23.
	Hour int64 `json:"hour"`
	// UpdateTrack is when in a rollout maintenance comes: canary, stable or week5.
	UpdateTrack string `json:"updateTrack,omitempty"`
}

// BackupConfiguration is an instance's automated backup setup.
type BackupConfiguration struct {
	Kind                       string                   `json:"kind,omitempty"`
	Enabled                    bool                     `json:"enabled,omitempty"`
	StartTime                  string                   `json:"startTime,omitempty"`
	PointInTimeRecoveryEnabled bool                     `json:"pointInTimeRecoveryEnabled,omitempty"`
	BinaryLogEnabled           bool                     `json:"binaryLogEnabled,omitempty"`
	Location                   string                   `json:"location,omitempty"`
	BackupRetentionSettings    *BackupRetentionSettings `json:"backupRetentionSettings,omitempty"`
}

// BackupRetentionSettings says how many automated backups are kept.
type BackupRetentionSettings struct {
	RetentionUnit   string `json:"retentionUnit,omitempty"`
	RetainedBackups int64  `json:"retainedBackups,omitempty"`
}

// FinalBackupConfig turns on a backup taken when the instance is deleted.
type FinalBackupConfig struct {
	Enabled       bool  `json:"enabled,omitempty"`
	RetentionDays int64 `json:"retentionDays,omitempty"`
}

// IPConfiguration is an instance's network setup; the emulator stores and echoes it.
type IPConfiguration struct {
	Ipv4Enabled        bool       `json:"ipv4Enabled,omitempty"`
	PrivateNetwork     string     `json:"privateNetwork,omitempty"`
	RequireSsl         bool       `json:"requireSsl,omitempty"`
	SslMode            string     `json:"sslMode,omitempty"`
	AuthorizedNetworks []AclEntry `json:"authorizedNetworks,omitempty"`
}

// AclEntry is one authorized network.
type AclEntry struct {
	Kind  string `json:"kind,omitempty"`
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// IPMapping is one address of an instance.
type IPMapping struct {
	Type      string `json:"type,omitempty"`
	IPAddress string `json:"ipAddress,omitempty"`
}

// SslCert is a certificate (kind sql#sslCert).
type SslCert struct {
	Kind             string `json:"kind,omitempty"`
	Instance         string `json:"instance,omitempty"`
	Cert             string `json:"cert,omitempty"`
	CommonName       string `json:"commonName,omitempty"`
	CertSerialNumber string `json:"certSerialNumber,omitempty"`
	CreateTime       string `json:"createTime,omitempty"`
	ExpirationTime   string `json:"expirationTime,omitempty"`
	Sha1Fingerprint  string `json:"sha1Fingerprint,omitempty"`
}

// Operation is a long-running operation (kind sql#operation).
type Operation struct {
	Kind          string           `json:"kind,omitempty"`
	Name          string           `json:"name,omitempty"`
	OperationType string           `json:"operationType,omitempty"`
	Status        string           `json:"status,omitempty"`
	User          string           `json:"user,omitempty"`
	InsertTime    string           `json:"insertTime,omitempty"`
	StartTime     string           `json:"startTime,omitempty"`
	EndTime       string           `json:"endTime,omitempty"`
	TargetID      string           `json:"targetId,omitempty"`
	TargetLink    string           `json:"targetLink,omitempty"`
	TargetProject string           `json:"targetProject,omitempty"`
	SelfLink      string           `json:"selfLink,omitempty"`
	Error         *OperationErrors `json:"error,omitempty"`
	// ExportContext is the export an EXPORT operation runs, as its request gave it.
	ExportContext *ExportContext `json:"exportContext,omitempty"`
}

// OperationErrors is the error of a failed operation (kind sql#operationErrors).
type OperationErrors struct {
	Kind   string           `json:"kind,omitempty"`
	Errors []OperationError `json:"errors,omitempty"`
}

// OperationError is one error of a failed operation (kind sql#operationError).
type OperationError struct {
	Kind    string `json:"kind,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// User is a database user (kind sql#user).
type User struct {
	Kind     string `json:"kind,omitempty"`
	Name     string `json:"name,omitempty"`
	Host     string `json:"host,omitempty"`
	Password string `json:"password,omitempty"`
	Instance string `json:"instance,omitempty"`
	Project  string `json:"project,omitempty"`
	Type     string `json:"type,omitempty"`
	Etag     string `json:"etag,omitempty"`
}

// Database is a database of an instance (kind sql#database).
type Database struct {
	Kind      string `json:"kind,omitempty"`
	Name      string `json:"name,omitempty"`
	Charset   string `json:"charset,omitempty"`
	Collation string `json:"collation,omitempty"`
	Instance  string `json:"instance,omitempty"`
	Project   string `json:"project,omitempty"`
	SelfLink  string `json:"selfLink,omitempty"`
	Etag      string `json:"etag,omitempty"`
}

// BackupRun is a backup of a live instance (kind sql#backupRun).
type BackupRun struct {
	Kind            string          `json:"kind,omitempty"`
	ID              int64           `json:"id,omitempty,string"`
	Instance        string          `json:"instance,omitempty"`
	Status          string          `json:"status,omitempty"`
	Type            string          `json:"type,omitempty"`
	BackupKind      string          `json:"backupKind,omitempty"`
	Description     string          `json:"description,omitempty"`
	DatabaseVersion string          `json:"databaseVersion,omitempty"`
	Location        string          `json:"location,omitempty"`
	EnqueuedTime    string          `json:"enqueuedTime,omitempty"`
	StartTime       string          `json:"startTime,omitempty"`
	EndTime         string          `json:"endTime,omitempty"`
	WindowStartTime string          `json:"windowStartTime,omitempty"`
	SelfLink        string          `json:"selfLink,omitempty"`
	Error           *OperationError `json:"error,omitempty"`
}

// Backup is a backup as the Backups API (projects.backups) shows it (kind sql#backup):
// every backup run, and final backups, which outlive their instance.
type Backup struct {
	Kind                 string `json:"kind,omitempty"`
	Name                 string `json:"name,omitempty"`
	Instance             string `json:"instance,omitempty"`
	Type                 string `json:"type,omitempty"`
	State                string `json:"state,omitempty"`
	BackupKind           string `json:"backupKind,omitempty"`
	Description          string `json:"description,omitempty"`
	DatabaseVersion      string `json:"databaseVersion,omitempty"`
	Location             string `json:"location,omitempty"`
	BackupRun            string `json:"backupRun,omitempty"`
	SelfLink             string `json:"selfLink,omitempty"`
	TTLDays              int64  `json:"ttlDays,omitempty,string"`
	ExpiryTime           string `json:"expiryTime,omitempty"`
	InstanceDeletionTime string `json:"instanceDeletionTime,omitempty"`
	// BackupInterval is when the backup was taken, from its start to its end.
	BackupInterval *Interval `json:"backupInterval,omitempty"`
}

// Interval is a span of time.
type Interval struct {
	StartTime string `json:"startTime,omitempty"`
	EndTime   string `json:"endTime,omitempty"`
}

// RestoreBackupRequest is the body of instances.restoreBackup.
type RestoreBackupRequest struct {
	RestoreBackupContext *RestoreBackupContext `json:"restoreBackupContext,omitempty"`
	// Backup names a backup of the Backups API: projects/{project}/backups/{id}.
	Backup string `json:"backup,omitempty"`
	// RestoreInstanceSettings makes the restore one into a new instance, which these
	// settings describe as instances.insert's body does.
	RestoreInstanceSettings *DatabaseInstance `json:"restoreInstanceSettings,omitempty"`
}

// RestoreBackupContext names the backup run to restore.
type RestoreBackupContext struct {
	Kind        string `json:"kind,omitempty"`
	BackupRunID int64  `json:"backupRunId,omitempty,string"`
	InstanceID  string `json:"instanceId,omitempty"`
	Project     string `json:"project,omitempty"`
}

// InstancesExportRequest is the body of instances.export.
type InstancesExportRequest struct {
	ExportContext *ExportContext `json:"exportContext,omitempty"`
}

// ExportContext says what instances.export writes where (kind sql#exportContext).
type ExportContext struct {
	Kind string `json:"kind,omitempty"`
	// URI is the object written, gs://bucket/object; a .gz suffix gzips a SQL export.
	URI string `json:"uri,omitempty"`
	// Databases are the databases exported (see newExportJob).
	Databases []string `json:"databases,omitempty"`
	// FileType is SQL or CSV (BAK and TDE are SQL Server's).
	FileType         string            `json:"fileType,omitempty"`
	SQLExportOptions *SQLExportOptions `json:"sqlExportOptions,omitempty"`
	CSVExportOptions *CSVExportOptions `json:"csvExportOptions,omitempty"`
	// Offload asks for a serverless export; the emulator echoes it and exports the same way.
	Offload bool `json:"offload,omitempty"`
}

// SQLExportOptions are the options of a SQL export.
type SQLExportOptions struct {
	Tables                []string               `json:"tables,omitempty"`
	SchemaOnly            bool                   `json:"schemaOnly,omitempty"`
	Parallel              bool                   `json:"parallel,omitempty"`
	Threads               int64                  `json:"threads,omitempty"`
	MySQLExportOptions    *MySQLExportOptions    `json:"mysqlExportOptions,omitempty"`
	PostgresExportOptions *PostgresExportOptions `json:"postgresExportOptions,omitempty"`
}

// MySQLExportOptions are a MySQL SQL export's own options.
type MySQLExportOptions struct {
	// MasterData 1 writes CHANGE MASTER TO with the binary log coordinates, 2 writes it
	// as a comment.
	MasterData int64 `json:"masterData,omitempty"`
}

// PostgresExportOptions are a PostgreSQL SQL export's own options.
type PostgresExportOptions struct {
	// Clean adds DROP statements before the CREATE statements (pg_dump --clean).
	Clean bool `json:"clean,omitempty"`
	// IfExists makes Clean's DROP statements DROP ... IF EXISTS.
	IfExists bool `json:"ifExists,omitempty"`
}

// CSVExportOptions are the options of a CSV export.
type CSVExportOptions struct {
	SelectQuery        string `json:"selectQuery,omitempty"`
	EscapeCharacter    string `json:"escapeCharacter,omitempty"`
	QuoteCharacter     string `json:"quoteCharacter,omitempty"`
	FieldsTerminatedBy string `json:"fieldsTerminatedBy,omitempty"`
	LinesTerminatedBy  string `json:"linesTerminatedBy,omitempty"`
}

// listResponse is the shape of the list methods: items under kind, or under another
// key for the Backups API.
type listResponse struct {
	Kind          string `json:"kind,omitempty"`
	Items         any    `json:"items,omitempty"`
	Backups       any    `json:"backups,omitempty"`
	NextPageToken string `json:"nextPageToken,omitempty"`
}

// apiError is an error answered in Google's JSON error format.
type apiError struct {
	// Code is the HTTP status.
	Code int
	// Status is the canonical gRPC status name (NOT_FOUND, ALREADY_EXISTS, ...).
	Status string
	// Reason is the legacy error reason (instanceDoesNotExist, invalid, ...).
	Reason  string
	Message string
}

// MarshalJSON leaves out empty item lists, as Google does.
func (l listResponse) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if l.Kind != "" {
		m["kind"] = l.Kind
	}
	if l.NextPageToken != "" {
		m["nextPageToken"] = l.NextPageToken
	}
	for key, v := range map[string]any{"items": l.Items, "backups": l.Backups} {
		if rv := reflect.ValueOf(v); v != nil && rv.Len() > 0 {
			m[key] = v
		}
	}
	return json.Marshal(m)
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Code, e.Reason, e.Message) }

func errorf(code int, reason, format string, args ...any) *apiError {
	return &apiError{Code: code, Status: statusOf[code], Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// statusOf maps HTTP statuses to the canonical status names Google puts beside them.
var statusOf = map[int]string{
	http.StatusBadRequest:          "INVALID_ARGUMENT",
	http.StatusUnauthorized:        "UNAUTHENTICATED",
	http.StatusForbidden:           "PERMISSION_DENIED",
	http.StatusNotFound:            "NOT_FOUND",
	http.StatusMethodNotAllowed:    "INVALID_ARGUMENT",
	http.StatusConflict:            "ALREADY_EXISTS",
	http.StatusPreconditionFailed:  "FAILED_PRECONDITION",
	http.StatusTooManyRequests:     "RESOURCE_EXHAUSTED",
	http.StatusInternalServerError: "INTERNAL",
	http.StatusServiceUnavailable:  "UNAVAILABLE",
}

// The errors Cloud SQL answers, with its messages and reasons.
func errInstanceNotFound() *apiError {
	return errorf(http.StatusNotFound, "instanceDoesNotExist", "The Cloud SQL instance does not exist.")
}

func errInstanceExists() *apiError {
	return errorf(http.StatusConflict, "instanceAlreadyExists", "The Cloud SQL instance already exists. When you delete an instance, you can't reuse the name of the deleted instance until one week from the deletion date.")
}

func errOperationInProgress() *apiError {
	e := errorf(http.StatusConflict, "operationInProgress", "Operation failed because another operation was already in progress. Try your request after the current operation is complete.")
	e.Status = "ABORTED"
	return e
}

// errProtected refuses to delete an instance with settings.deletionProtectionEnabled.
func errProtected() *apiError {
	e := errorf(http.StatusBadRequest, "errorProtectedInstanceDeletionFailure", "The instance is protected. Please disable the deletion protection and try again. To disable deletion protection, update the instance settings with deletionProtectionEnabled set to false.")
	e.Status = "FAILED_PRECONDITION"
	return e
}

func errNotRunning() *apiError {
	return errorf(http.StatusBadRequest, "invalid", "Invalid request since instance is not running.")
}

func errInvalid(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "invalid", "Invalid request: "+format, args...)
}

func errNotFound(what string) *apiError {
	return errorf(http.StatusNotFound, "notFound", "The %s does not exist.", what)
}

// writeJSON answers v with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// A failed write means the client went away; there is no one left to tell.
	_ = enc.Encode(v)
}

// writeError answers e in Google's error format.
func writeError(w http.ResponseWriter, e *apiError) {
	type item struct {
		Message      string `json:"message"`
		Domain       string `json:"domain"`
		Reason       string `json:"reason"`
		Location     string `json:"location,omitempty"`
		LocationType string `json:"locationType,omitempty"`
	}
	type body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Errors  []item `json:"errors"`
		Status  string `json:"status"`
	}
	it := item{Message: e.Message, Domain: "global", Reason: e.Reason}
	if e.Code == http.StatusUnauthorized {
		it = item{Message: "Login Required.", Domain: "global", Reason: "required", Location: "Authorization", LocationType: "header"}
	}
	if e.Code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
	}
	writeJSON(w, e.Code, map[string]body{"error": {Code: e.Code, Message: e.Message, Errors: []item{it}, Status: e.Status}})
}
