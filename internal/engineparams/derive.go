package engineparams

import (
	"strconv"
	"strings"
)

// This file turns what an engine says about its settings into Parameters; the catalogs'
// generator (TestCatalogsMatchEngines with -update) reads the engines and calls it.

// pgSetting is one row of PostgreSQL's pg_settings, NULLs read as "".
type pgSetting struct {
	Name, VarType, Context, MinVal, MaxVal, EnumVals, BootVal, Unit, ShortDesc string
}

// postgresLists are the PostgreSQL settings RDS shows as lists: comma lists of libraries
// to load.
var postgresLists = names("shared_preload_libraries", "session_preload_libraries", "local_preload_libraries")

// fromPostgres is the Parameter RDS would show for a PostgreSQL setting.
func fromPostgres(s pgSetting) Parameter {
	p := Parameter{
		Name:        s.Name,
		Default:     s.BootVal,
		Static:      s.Context == "postmaster",
		Modifiable:  s.Context != "internal" && !postgresReserved[s.Name],
		Description: s.ShortDesc,
	}
	if s.Unit != "" {
		// RDS puts the unit before the description: "(kB) Sets the maximum memory ...".
		p.Description = "(" + s.Unit + ") " + p.Description
	}
	switch s.VarType {
	case "bool":
		p.DataType, p.AllowedValues = TypeBoolean, "0,1"
		p.Default = boolDigit(s.BootVal)
	case "integer":
		p.DataType, p.AllowedValues = TypeInteger, numberRange(s.MinVal, s.MaxVal)
	case "real":
		p.DataType, p.AllowedValues = TypeFloat, numberRange(s.MinVal, s.MaxVal)
	case "enum":
		// RDS shows an enum as a string of listed values.
		p.DataType, p.AllowedValues = TypeString, s.EnumVals
	default:
		p.DataType = TypeString
		if postgresLists[s.Name] {
			p.DataType = TypeList
		}
	}
	return p
}

// mariaVariable is one row of MariaDB's information_schema.SYSTEM_VARIABLES, NULLs read
// as "" (CommandLine as false).
type mariaVariable struct {
	Name, Scope, Type, Comment, Min, Max, Enum, ReadOnly, Default string
	CommandLine                                                   bool
}

// fromMariaDB is the Parameter RDS would show for a MariaDB system variable, false for one
// that is no parameter: a session-only variable, or one of Galera's (wsrep), which RDS
// does not run.
func fromMariaDB(v mariaVariable) (Parameter, bool) {
	name := strings.ToLower(v.Name)
	if v.Scope == "SESSION ONLY" || strings.HasPrefix(name, "wsrep") {
		return Parameter{}, false
	}
	p := Parameter{
		Name:    name,
		Default: v.Default,
		Static:  v.ReadOnly == "YES",
		// A variable without a command-line option cannot be set in an option file, the
		// only place a parameter group's values reach the server at start.
		Modifiable:  v.CommandLine && !mariadbReserved[name],
		Description: v.Comment,
	}
	switch v.Type {
	case "BOOLEAN":
		p.DataType, p.AllowedValues = TypeBoolean, "0,1"
		p.Default = boolDigit(v.Default)
	case "INT", "INT UNSIGNED", "BIGINT", "BIGINT UNSIGNED", "MEDIUMINT", "MEDIUMINT UNSIGNED",
		"SMALLINT", "SMALLINT UNSIGNED", "TINYINT", "TINYINT UNSIGNED":
		p.DataType, p.AllowedValues = TypeInteger, numberRange(v.Min, v.Max)
	case "DOUBLE":
		p.DataType = TypeFloat
		p.AllowedValues = numberRange(normalFloat(v.Min), normalFloat(v.Max))
		p.Default = normalFloat(v.Default)
	case "ENUM":
		p.DataType, p.AllowedValues = TypeString, v.Enum
	case "SET":
		p.DataType, p.AllowedValues = TypeList, v.Enum
	default:
		// VARCHAR, and FLAGSET (optimizer_switch's "flag=on,..."), which no list of
		// values describes.
		p.DataType = TypeString
	}
	return p, true
}

// numberRange is RDS's "min-max", "" when a bound is missing.
func numberRange(lo, hi string) string {
	if lo == "" || hi == "" {
		return ""
	}
	return lo + "-" + hi
}

// boolDigit shows an engine boolean as RDS does: "1" or "0".
func boolDigit(v string) string {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1":
		return "1"
	case "off", "false", "no", "0":
		return "0"
	}
	return v
}

// normalFloat writes MariaDB's "0.000000" as "0", its "1.500000" as "1.5".
func normalFloat(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
