package gcp

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Engines as the operator names them, and Cloud SQL's prefix of their databaseVersion.
const (
	enginePostgres = "postgres"
	engineMySQL    = "mysql"
)

var versionPrefix = map[string]string{enginePostgres: "POSTGRES_", engineMySQL: "MYSQL_"}

// ports are the ports Cloud SQL serves each engine on, on every address of an instance.
var ports = map[string]int32{enginePostgres: 5432, engineMySQL: 3306}

// adminRoles are the roles Cloud SQL gives its built-in users in place of a superuser:
// cloudsqlsuperuser on PostgreSQL; MySQL has privileges, not a role.
var adminRoles = map[string]string{enginePostgres: "cloudsqlsuperuser"}

var versionPattern = regexp.MustCompile(`^(\d+)(?:\.(\d+))?(?:\.\d+)*$`)

// databaseVersion is Cloud SQL's databaseVersion for an engine and version as the
// operator names them: PostgreSQL keeps the major ("16.4" is POSTGRES_16, "9.6" is
// POSTGRES_9_6), MySQL the first two numbers ("8.0.40" is MYSQL_8_0). Minor versions are
// Cloud SQL's to choose. It fails for an engine Cloud SQL does not run.
func databaseVersion(engine, version string) (string, error) {
	prefix, ok := versionPrefix[engine]
	if !ok {
		return "", fmt.Errorf("Cloud SQL runs PostgreSQL (postgres) and MySQL (mysql), not %q", engine)
	}
	m := versionPattern.FindStringSubmatch(version)
	if m == nil {
		return "", fmt.Errorf("engine version %q is not a version number such as 17, 16.4 or 8.0", version)
	}
	major := m[1]
	if (engine == engineMySQL || major == "9") && m[2] != "" {
		major += "_" + m[2]
	}
	if engine == engineMySQL && m[2] == "" {
		return "", fmt.Errorf("MySQL version %q needs its minor number, as in 8.0 or 8.4", version)
	}
	return prefix + major, nil
}

// engineVersion splits Cloud SQL's databaseVersion into the operator's engine and version
// (POSTGRES_17 is postgres 17, MYSQL_8_0 is mysql 8.0); "" and "" for one it does not
// know (SQL Server).
func engineVersion(databaseVersion string) (engine, version string) {
	for e, prefix := range versionPrefix {
		if rest, ok := strings.CutPrefix(databaseVersion, prefix); ok {
			return e, strings.ReplaceAll(rest, "_", ".")
		}
	}
	return "", ""
}

// Storage types of Cloud SQL disks; PD_SSD is its default.
var storageTypes = map[string]bool{"PD_SSD": true, "PD_HDD": true}

// dataDiskType is Cloud SQL's dataDiskType for the operator's StorageType: "" is PD_SSD,
// PD_SSD and PD_HDD are themselves, and anything else (gp3, io1 of RDS) is not a Cloud SQL
// disk.
func dataDiskType(storageType string) (string, error) {
	if storageType == "" {
		return "PD_SSD", nil
	}
	if !storageTypes[storageType] {
		return "", fmt.Errorf("Cloud SQL disks are PD_SSD or PD_HDD, not %q", storageType)
	}
	return storageType, nil
}

// backupWindowLength is how long Cloud SQL's automated backup window lasts from its start
// time (docs/cloudsql-facts.md).
const backupWindowLength = 4 * time.Hour

// backupStart is the start time (hh:mm) of an hh:mm-hh:mm backup window: Cloud SQL takes
// only the start, and backs up within four hours of it.
func backupStart(window string) (string, error) {
	start, _, ok := strings.Cut(window, "-")
	if _, err := time.Parse("15:04", start); !ok || err != nil {
		return "", fmt.Errorf("backup window %q is not hh:mm-hh:mm", window)
	}
	return start, nil
}

// backupWindow is the window reported for Cloud SQL's start time: asked, the window the
// operator asked for when it starts there (Cloud SQL keeps only the start, so the provider
// keeps the window itself), or else Cloud SQL's own four hours from the start.
func backupWindow(startTime, asked string) string {
	if startTime == "" {
		return ""
	}
	if s, err := backupStart(asked); err == nil && s == startTime {
		return asked
	}
	t, err := time.Parse("15:04", startTime)
	if err != nil {
		return ""
	}
	return startTime + "-" + t.Add(backupWindowLength).Format("15:04")
}

// ZoneIn implements cloud.Provider: a Google Cloud zone is its region's name, a dash and
// one lowercase letter (europe-west1-b).
func (p *Provider) ZoneIn(region, zone string) bool {
	rest, ok := strings.CutPrefix(zone, region+"-")
	return region != "" && ok && len(rest) == 1 && rest[0] >= 'a' && rest[0] <= 'z'
}
