// Package engineparams says which engine parameters each RDS DB parameter group family has,
// as DescribeDBParameters shows them: name, engine default, data type, allowed values,
// whether a change waits for a restart (static) and whether RDS lets a user change it at
// all.
//
// The catalogs are read from the real engines, not written by hand, and checked in
// (catalogs/*.json, embedded) so that the emulator needs no server to answer:
//   - PostgreSQL: pg_settings of each major that hack/postgres.sh fetches. A 'postmaster'
//     setting is static, an 'internal' one is not modifiable; booleans are shown as RDS
//     shows them, DataType boolean with AllowedValues "0,1"; min_val and max_val become a
//     "min-max" range, enumvals a comma list. The families postgres<major> and
//     aurora-postgresql<major> share the catalog of their major.
//   - MySQL and MariaDB: information_schema.SYSTEM_VARIABLES of the machine's MariaDB
//     (Debian's), which stands in for every mysql, mariadb and aurora-mysql family, as the
//     emulator's MariaDB server does: a READ_ONLY variable is static, one that cannot be
//     set in an option file (no COMMAND_LINE_ARGUMENT) is not modifiable.
//
// Beyond what the engines say, a small deny-list (deny.go) keeps what RDS keeps to itself
// (ports, paths, TLS files, WAL archiving, the binary log's place) not modifiable;
// docs/engine-parameters-facts.md says what that rests on.
//
// Regenerate the catalogs, with the servers installed (hack/deps.sh, hack/postgres.sh):
//
//	export AWS_RDS_OPERATOR_POSTGRES=$(hack/postgres.sh --print)
//	go test ./internal/engineparams/ -run TestCatalogsMatchEngines -update
//
// Without -update the same test compares the checked-in catalogs with the engines of the
// machine, so a catalog cannot drift from its engine silently.
package engineparams

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Parameter is one engine parameter as RDS describes it in DescribeDBParameters.
type Parameter struct {
	Name string `json:"name"`
	// Default is the engine's default value as RDS would show it ("" when none).
	Default string `json:"default,omitempty"`
	// DataType is string, integer, boolean, float or list.
	DataType string `json:"type"`
	// AllowedValues is RDS's form: a range "1-262143", "0,1" for a boolean, or a comma
	// list of the values of an enum or of the items of a list; "" allows any value of
	// DataType.
	AllowedValues string `json:"allowed,omitempty"`
	// Static says a change takes effect only when the server restarts (RDS ApplyType
	// static).
	Static bool `json:"static,omitempty"`
	// Modifiable is false for what RDS keeps to itself (port, data_directory, TLS files,
	// ...).
	Modifiable bool `json:"modifiable,omitempty"`
	// Description is the engine's description of the parameter.
	Description string `json:"description,omitempty"`
}

// The data types of Parameter.DataType.
const (
	TypeString  = "string"
	TypeInteger = "integer"
	TypeBoolean = "boolean"
	TypeFloat   = "float"
	TypeList    = "list"
)

// catalogFile is the form of a checked-in catalog.
type catalogFile struct {
	// Engine is the engine and version the catalog was read from, e.g. "PostgreSQL 17.10".
	Engine     string      `json:"engine"`
	Parameters []Parameter `json:"parameters"`
}

//go:embed catalogs/*.json
var catalogFS embed.FS

// mariadbCatalog is the catalog of every mysql, mariadb and aurora-mysql family.
const mariadbCatalog = "mariadb"

// mysqlFamilies are the MySQL-compatible families; MariaDB's catalog serves them all.
var mysqlFamilies = map[string]bool{
	"mysql8.0":        true,
	"mysql8.4":        true,
	"mariadb10.6":     true,
	"mariadb10.11":    true,
	"mariadb11.4":     true,
	"aurora-mysql8.0": true,
}

var postgresFamily = regexp.MustCompile(`^(?:postgres|aurora-postgresql)([0-9]+)$`)

// catalogName is the catalog file (without .json) of a family, "" when the family is not
// one this package knows.
func catalogName(family string) string {
	if mysqlFamilies[family] {
		return mariadbCatalog
	}
	if m := postgresFamily.FindStringSubmatch(family); m != nil {
		major, err := strconv.Atoi(m[1])
		if err != nil {
			return ""
		}
		return postgresCatalog(major)
	}
	return ""
}

// postgresCatalog is the catalog file (without .json) of a PostgreSQL major.
func postgresCatalog(major int) string { return fmt.Sprintf("postgres%d", major) }

// catalogs are the embedded catalogs by file name without .json, each sorted by name and
// indexed.
type catalogs map[string]*catalog

type catalog struct {
	engine string
	params []Parameter
	byName map[string]int
}

var loadCatalogs = sync.OnceValue(func() catalogs {
	c, err := readCatalogs()
	if err != nil {
		// The catalogs are compiled in and TestEmbeddedCatalogs reads them: a broken one
		// is a build defect, not a run-time condition.
		panic(err)
	}
	return c
})

// readCatalogs parses the embedded catalogs.
func readCatalogs() (catalogs, error) {
	entries, err := catalogFS.ReadDir("catalogs")
	if err != nil {
		return nil, fmt.Errorf("read embedded catalogs: %w", err)
	}
	out := catalogs{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		b, err := catalogFS.ReadFile("catalogs/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read catalog %s: %w", e.Name(), err)
		}
		var f catalogFile
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("parse catalog %s: %w", e.Name(), err)
		}
		out[name] = newCatalog(f)
	}
	return out, nil
}

func newCatalog(f catalogFile) *catalog {
	params := append([]Parameter(nil), f.Parameters...)
	sort.Slice(params, func(i, j int) bool { return params[i].Name < params[j].Name })
	c := &catalog{engine: f.Engine, params: params, byName: make(map[string]int, len(params))}
	for i, p := range params {
		c.byName[p.Name] = i
	}
	return c
}

// Catalog returns the parameters of an RDS DB parameter group family, sorted by name:
// postgres<major> and aurora-postgresql<major> for each PostgreSQL major with a catalog
// (14 to 18), mysql8.0, mysql8.4, mariadb10.6, mariadb10.11, mariadb11.4 and
// aurora-mysql8.0. It returns false when the family is unknown. The slice is the caller's.
func Catalog(family string) ([]Parameter, bool) {
	c, ok := loadCatalogs()[catalogName(family)]
	if !ok {
		return nil, false
	}
	return append([]Parameter(nil), c.params...), true
}

// Lookup returns one parameter of a family; false when the family or the parameter is
// unknown.
func Lookup(family, name string) (Parameter, bool) {
	c, ok := loadCatalogs()[catalogName(family)]
	if !ok {
		return Parameter{}, false
	}
	i, ok := c.byName[name]
	if !ok {
		return Parameter{}, false
	}
	return c.params[i], true
}
