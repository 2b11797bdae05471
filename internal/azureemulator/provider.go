package azureemulator

import (
	"slices"
	"strings"
)

// Resource provider namespaces the emulator serves.
const (
	// ProviderPostgreSQL is Azure Database for PostgreSQL flexible server's namespace.
	ProviderPostgreSQL = "Microsoft.DBforPostgreSQL"
	// ProviderMySQL is Azure Database for MySQL flexible server's namespace.
	ProviderMySQL = "Microsoft.DBforMySQL"
)

// provider is what differs between the two resource providers: their API versions, the
// engine versions, storage sizes and retention ranges they take, and the engine behind
// their servers.
type provider struct {
	namespace string
	// engine is the engine family, "postgres" or "mysql".
	engine string
	// apiVersions are the GA API versions served; the first is the Go SDK's.
	apiVersions    []string
	versions       []string
	defaultVersion string
	// port is the engine's standard port, served on each server's own address.
	port int
	// minRetention and maxRetention bound backup.backupRetentionDays.
	minRetention, maxRetention int32
	// storageSizes, when set, are the only sizes allowed; else minStorage..maxStorage.
	storageSizes           []int32
	minStorage, maxStorage int32
	defaultStorage         int32
	defaultAutoGrow        string
	// reservedLogins may not be an administratorLogin (compared case-insensitively);
	// reservedPrefix may not start one.
	reservedLogins []string
	reservedPrefix string
	maxLoginLength int
	// systemDatabases are the databases a new server has, as the list answers them
	// without a server to ask.
	systemDatabases []string
}

// The engine's own superuser (pgserver's and mariaserver's AdminUser) may not be the
// administrator either: the emulator keeps it.
const engineSuperuser = "rdsadmin"

var postgresProvider = &provider{
	namespace:       ProviderPostgreSQL,
	engine:          "postgres",
	apiVersions:     []string{"2021-06-01", "2022-12-01", "2024-08-01", "2025-08-01"},
	versions:        []string{"11", "12", "13", "14", "15", "16", "17"},
	defaultVersion:  "16",
	port:            5432,
	minRetention:    7,
	maxRetention:    35,
	storageSizes:    []int32{32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384},
	defaultStorage:  32,
	defaultAutoGrow: "Disabled",
	reservedLogins:  []string{"azure_superuser", "azure_pg_admin", "admin", "administrator", "root", "guest", "public", engineSuperuser},
	reservedPrefix:  "pg_",
	maxLoginLength:  63,
	systemDatabases: []string{"postgres"},
}

var mysqlProvider = &provider{
	namespace:       ProviderMySQL,
	engine:          "mysql",
	apiVersions:     []string{"2021-05-01", "2022-01-01", "2023-06-30", "2023-12-30", "2024-12-30"},
	versions:        []string{"5.7", "8.0.21"},
	defaultVersion:  "5.7",
	port:            3306,
	minRetention:    1,
	maxRetention:    35,
	minStorage:      20,
	maxStorage:      16384,
	defaultStorage:  20,
	defaultAutoGrow: "Enabled",
	reservedLogins:  []string{"azure_superuser", "admin", "administrator", "root", "guest", "public", engineSuperuser},
	maxLoginLength:  32,
	systemDatabases: []string{"information_schema", "mysql", "performance_schema", "sys"},
}

var providers = []*provider{postgresProvider, mysqlProvider}

// providerOf finds a provider by namespace, as ARM does: case-insensitively.
func providerOf(namespace string) *provider {
	for _, p := range providers {
		if strings.EqualFold(p.namespace, namespace) {
			return p
		}
	}
	return nil
}

func (p *provider) servesAPIVersion(v string) bool { return slices.Contains(p.apiVersions, v) }

// resourceType is the type of the provider's servers, as resources name it.
func (p *provider) resourceType() string { return p.namespace + "/flexibleServers" }

// storageAllowed tells whether a size (GB) is one the provider offers.
func (p *provider) storageAllowed(gb int32) bool {
	if p.storageSizes != nil {
		return slices.Contains(p.storageSizes, gb)
	}
	return gb >= p.minStorage && gb <= p.maxStorage
}

// charset is the character set and collation of a database made without them.
func (p *provider) charset(version string) (string, string) {
	if p.engine == "postgres" {
		return "UTF8", "en_US.utf8"
	}
	if version == "5.7" {
		return "utf8", "utf8_general_ci"
	}
	return "utf8mb4", "utf8mb4_0900_ai_ci"
}
