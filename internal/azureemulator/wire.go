package azureemulator

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// The types below are the JSON resources of the Microsoft.DBforPostgreSQL and
// Microsoft.DBforMySQL flexible server APIs, limited to the fields the emulator serves. The
// two providers share one shape but for a few names (see Network). Numbers that a PATCH
// may leave out are pointers, so that an absent field is told from a zero one.

// Server is a flexible server (a tracked ARM resource).
type Server struct {
	ID         string            `json:"id,omitempty"`
	Name       string            `json:"name,omitempty"`
	Type       string            `json:"type,omitempty"`
	Location   string            `json:"location,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	SKU        *SKU              `json:"sku,omitempty"`
	Properties *ServerProperties `json:"properties,omitempty"`
	SystemData *SystemData       `json:"systemData,omitempty"`
}

// SKU is a server's compute: a name such as Standard_B1ms and its tier.
type SKU struct {
	Name string `json:"name,omitempty"`
	Tier string `json:"tier,omitempty"`
}

// ServerProperties are a server's properties. AdministratorLoginPassword is only ever
// read from requests.
type ServerProperties struct {
	AdministratorLogin         string             `json:"administratorLogin,omitempty"`
	AdministratorLoginPassword string             `json:"administratorLoginPassword,omitempty"`
	Version                    string             `json:"version,omitempty"`
	MinorVersion               string             `json:"minorVersion,omitempty"`
	State                      string             `json:"state,omitempty"`
	FullyQualifiedDomainName   string             `json:"fullyQualifiedDomainName,omitempty"`
	Storage                    *Storage           `json:"storage,omitempty"`
	Backup                     *Backup            `json:"backup,omitempty"`
	Network                    *Network           `json:"network,omitempty"`
	HighAvailability           *HighAvailability  `json:"highAvailability,omitempty"`
	MaintenanceWindow          *MaintenanceWindow `json:"maintenanceWindow,omitempty"`
	AvailabilityZone           string             `json:"availabilityZone,omitempty"`
	CreateMode                 string             `json:"createMode,omitempty"`
	// ReplicationRole and ReplicaCapacity are MySQL's; the emulator has no replicas.
	ReplicationRole string `json:"replicationRole,omitempty"`
	ReplicaCapacity *int32 `json:"replicaCapacity,omitempty"`
}

// Storage is a server's disk. AutoGrow, Iops and StorageSKU are MySQL's (AutoGrow is
// PostgreSQL's too from API version 2022-12-01 on).
type Storage struct {
	StorageSizeGB *int32 `json:"storageSizeGB,omitempty"`
	AutoGrow      string `json:"autoGrow,omitempty"`
	Iops          *int32 `json:"iops,omitempty"`
	StorageSKU    string `json:"storageSku,omitempty"`
}

// Backup is a server's automated backup setup.
type Backup struct {
	BackupRetentionDays *int32 `json:"backupRetentionDays,omitempty"`
	GeoRedundantBackup  string `json:"geoRedundantBackup,omitempty"`
	EarliestRestoreDate string `json:"earliestRestoreDate,omitempty"`
}

// Network is a server's network setup. PostgreSQL names the private DNS zone
// privateDnsZoneArmResourceId, MySQL privateDnsZoneResourceId.
type Network struct {
	PublicNetworkAccess         string `json:"publicNetworkAccess,omitempty"`
	DelegatedSubnetResourceID   string `json:"delegatedSubnetResourceId,omitempty"`
	PrivateDNSZoneArmResourceID string `json:"privateDnsZoneArmResourceId,omitempty"`
	PrivateDNSZoneResourceID    string `json:"privateDnsZoneResourceId,omitempty"`
}

// HighAvailability is a server's standby setup.
type HighAvailability struct {
	Mode                    string `json:"mode,omitempty"`
	State                   string `json:"state,omitempty"`
	StandbyAvailabilityZone string `json:"standbyAvailabilityZone,omitempty"`
}

// MaintenanceWindow is when Azure may patch a server; stored and echoed.
type MaintenanceWindow struct {
	CustomWindow string `json:"customWindow,omitempty"`
	DayOfWeek    *int32 `json:"dayOfWeek,omitempty"`
	StartHour    *int32 `json:"startHour,omitempty"`
	StartMinute  *int32 `json:"startMinute,omitempty"`
}

// SystemData is ARM's record of who made and changed a resource, and when.
type SystemData struct {
	CreatedAt          string `json:"createdAt,omitempty"`
	CreatedBy          string `json:"createdBy,omitempty"`
	CreatedByType      string `json:"createdByType,omitempty"`
	LastModifiedAt     string `json:"lastModifiedAt,omitempty"`
	LastModifiedBy     string `json:"lastModifiedBy,omitempty"`
	LastModifiedByType string `json:"lastModifiedByType,omitempty"`
}

// ServerList is a page of servers.
type ServerList struct {
	Value    []*Server `json:"value"`
	NextLink string    `json:"nextLink,omitempty"`
}

// OperationStatus is the resource the Azure-AsyncOperation URL answers.
type OperationStatus struct {
	ID        string       `json:"id,omitempty"`
	Name      string       `json:"name"`
	Status    string       `json:"status"`
	StartTime string       `json:"startTime,omitempty"`
	EndTime   string       `json:"endTime,omitempty"`
	Error     *ErrorDetail `json:"error,omitempty"`
}

// ErrorDetail is the error of ARM's error response and of a failed operation.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

// Database is a database of a server (a proxy resource).
type Database struct {
	ID         string              `json:"id,omitempty"`
	Name       string              `json:"name,omitempty"`
	Type       string              `json:"type,omitempty"`
	Properties *DatabaseProperties `json:"properties,omitempty"`
}

// DatabaseProperties are a database's character set and collation.
type DatabaseProperties struct {
	Charset   string `json:"charset,omitempty"`
	Collation string `json:"collation,omitempty"`
}

// DatabaseList lists a server's databases.
type DatabaseList struct {
	Value []*Database `json:"value"`
}

// FirewallRule is a server's firewall rule; the emulator stores and echoes it.
type FirewallRule struct {
	ID         string                  `json:"id,omitempty"`
	Name       string                  `json:"name,omitempty"`
	Type       string                  `json:"type,omitempty"`
	Properties *FirewallRuleProperties `json:"properties,omitempty"`
}

// FirewallRuleProperties is the IPv4 range a rule lets in.
type FirewallRuleProperties struct {
	StartIPAddress string `json:"startIpAddress,omitempty"`
	EndIPAddress   string `json:"endIpAddress,omitempty"`
}

// FirewallRuleList lists a server's firewall rules.
type FirewallRuleList struct {
	Value []*FirewallRule `json:"value"`
}

// armError is an error answered in ARM's error shape, {"error":{code,message,target}}.
type armError struct {
	Status  int
	Code    string
	Message string
	Target  string
	// retryAfter, when set, is the Retry-After header (whole seconds).
	retryAfter int
	// header holds extra response headers (WWW-Authenticate).
	header http.Header
}

func (e *armError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func errorf(status int, code, format string, args ...any) *armError {
	return &armError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// detail is the error as a failed operation carries it.
func (e *armError) detail() *ErrorDetail {
	return &ErrorDetail{Code: e.Code, Message: e.Message, Target: e.Target}
}

// writeJSON answers v with status code; a nil v answers no body.
func writeJSON(w http.ResponseWriter, code int, v any) {
	if v == nil {
		w.WriteHeader(code)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	// A failed write means the client went away; there is no one left to tell.
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers e in ARM's error shape.
func writeError(w http.ResponseWriter, e *armError) {
	for k, vs := range e.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(e.retryAfter))
	}
	writeJSON(w, e.Status, map[string]*ErrorDetail{"error": e.detail()})
}
