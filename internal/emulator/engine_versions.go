package emulator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// minors is a run of versions RDS offers within one major: major.first up to major.last
// (PostgreSQL: 17.5 ... 17.10; MySQL and MariaDB, whose majors have two parts: 8.0.40 ...
// 8.0.45).
type minors struct {
	major       string
	first, last int
}

// engineVersions are the versions RDS offers for new instances, per engine, newest major
// last. As of December 2026, from AWS's notices (RDS stopped creating PostgreSQL 14.17,
// 15.12, 16.8, 17.4 and older minors on 2026-05-01) and the engines' release history; 9.6 to
// 13 are gone (13 is in Extended Support only). Only these are accepted by
// CreateDBInstance, ModifyDBInstance and restores, and DescribeDBEngineVersions lists them.
// A major alone ("17", "8.0") means the newest of that major.
var engineVersions = map[string][]minors{
	"postgres": {{"14", 18, 23}, {"15", 13, 18}, {"16", 9, 14}, {"17", 5, 10}, {"18", 1, 4}},
	"mysql":    {{"8.0", 40, 45}, {"8.4", 3, 8}},
	"mariadb":  {{"10.6", 20, 23}, {"10.11", 10, 14}, {"11.4", 4, 8}, {"11.8", 3, 5}},
}

// defaultMajor is the major RDS picks when CreateDBInstance names no EngineVersion.
var defaultMajor = map[string]string{"postgres": "17", "mysql": "8.0", "mariadb": "10.11"}

// versionsOf lists every version RDS offers of an engine, oldest first; nil for an engine
// whose versions the emulator does not check (Aurora's).
func versionsOf(engine string) []string {
	var out []string
	for _, m := range engineVersions[engine] {
		for n := m.first; n <= m.last; n++ {
			out = append(out, m.major+"."+strconv.Itoa(n))
		}
	}
	return out
}

// newestOf returns the newest version RDS offers of an engine's major, "" when it offers
// none.
func newestOf(engine, major string) string {
	for _, m := range engineVersions[engine] {
		if m.major == major {
			return m.major + "." + strconv.Itoa(m.last)
		}
	}
	return ""
}

// defaultEngineVersion is the version CreateDBInstance gives an engine when it names none.
func defaultEngineVersion(engine string) string { return newestOf(engine, defaultMajor[engine]) }

// offered reports whether RDS offers a version of an engine: one of engineVersions, or a
// major of it alone. Engines without a list (Aurora) are not checked.
func offered(engine string, v []int) bool {
	if _, listed := engineVersions[engine]; !listed {
		return true
	}
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	version := strings.Join(s, ".")
	return newestOf(engine, version) != "" || slices.Contains(versionsOf(engine), version)
}

// majorOf returns the major of an offered version of an engine: the first part for
// PostgreSQL, the first two for MySQL and MariaDB.
func majorOf(engine, version string) string {
	if engine == "postgres" {
		major, _, _ := strings.Cut(version, ".")
		return major
	}
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version
	}
	return parts[0] + "." + parts[1]
}

type xmlEngineVersion struct {
	Engine                     string
	EngineVersion              string
	DBParameterGroupFamily     string
	DBEngineDescription        string
	DBEngineVersionDescription string
	MajorEngineVersion         string
	Status                     string
}

// engineDescriptions are DescribeDBEngineVersions' DBEngineDescription.
var engineDescriptions = map[string]string{"postgres": "PostgreSQL", "mysql": "MySQL Community Edition", "mariadb": "MariaDB Community Edition"}

// describeEngineVersions answers DescribeDBEngineVersions: the versions RDS offers, for one
// engine or all, one version (or a whole major: "17"), or only the default with DefaultOnly.
func (e *Emulator) describeEngineVersions(p params) (any, string, error) {
	engine, version := p.str("Engine"), p.str("EngineVersion")
	if engine != "" {
		if _, ok := engineVersions[engine]; !ok && !strings.HasPrefix(engine, "aurora") {
			return nil, "", newError(codeInvalidValue, "Invalid DB engine: %s", engine)
		}
	}
	defaultOnly, err := p.boolean("DefaultOnly")
	if err != nil {
		return nil, "", err
	}
	max, err := p.maxRecords()
	if err != nil {
		return nil, "", err
	}
	var keys []string
	rows := map[string]xmlEngineVersion{}
	for _, eng := range []string{"mariadb", "mysql", "postgres"} {
		if engine != "" && eng != engine {
			continue
		}
		for i, v := range versionsOf(eng) {
			major := majorOf(eng, v)
			if version != "" && v != version && major != version {
				continue
			}
			if deref(defaultOnly) && v != defaultEngineVersion(eng) {
				continue
			}
			// Keys sort by engine and then in the order of the list, oldest first.
			key := fmt.Sprintf("%s/%04d", eng, i)
			keys = append(keys, key)
			rows[key] = xmlEngineVersion{
				Engine: eng, EngineVersion: v, DBParameterGroupFamily: eng + major, // postgres17, mysql8.0, mariadb10.11
				DBEngineDescription: engineDescriptions[eng], DBEngineVersionDescription: engineDescriptions[eng] + " " + v,
				MajorEngineVersion: major, Status: "available",
			}
		}
	}
	items, next := pageOf(rows, keys, p.str("Marker"), max)
	return struct {
		DBEngineVersions []xmlEngineVersion `xml:"DBEngineVersions>DBEngineVersion"`
		Marker           string             `xml:",omitempty"`
	}{items, next}, "", nil
}

// pageOf returns one page of rows, in the order of their keys, from marker, with the marker
// of the next page ("" on the last).
func pageOf[T any](rows map[string]T, keys []string, marker string, max int) ([]T, string) {
	keys, next := page(keys, marker, max)
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		out = append(out, rows[k])
	}
	return out, next
}
