package rds

import (
	"cmp"
	"flag"
)

// AuroraDefaults are what an Aurora database gets where its spec is silent: Aurora takes
// full versions of its own, and its instances come in no micro or small sizes, so the
// operator's general defaults do not fit it.
type AuroraDefaults struct {
	// PostgresVersion and MySQLVersion are the engine versions of types aurora-postgresql
	// and aurora-mysql.
	PostgresVersion, MySQLVersion string
	// InstanceClass is the class of Aurora's instances.
	InstanceClass string
}

// DefaultAurora are the defaults of the manager's flags: current long-lived versions, and
// the smallest class of Aurora instances.
var DefaultAurora = AuroraDefaults{PostgresVersion: "16.6", MySQLVersion: "8.0.mysql_aurora.3.08.0", InstanceClass: "db.t4g.medium"}

// BindFlags registers the Aurora defaults as flags of fs, with a's values as the flags'
// defaults. The README's table of defaults lists them with the operator's others.
func (a *AuroraDefaults) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.PostgresVersion, "default-aurora-postgresql-version", a.PostgresVersion, "Engine version for type aurora-postgresql when spec.version is empty.")
	fs.StringVar(&a.MySQLVersion, "default-aurora-mysql-version", a.MySQLVersion, "Engine version for type aurora-mysql when spec.version is empty.")
	fs.StringVar(&a.InstanceClass, "default-aurora-instance-class", a.InstanceClass, "Instance class of Aurora instances when spec.instanceClass is empty (Aurora has no micro or small instances).")
}

// UseAurora makes a the provider's Aurora defaults (its empty fields DefaultAurora's) and
// returns the provider.
func (p *Provider) UseAurora(a AuroraDefaults) *Provider {
	p.aurora = a
	return p
}

// EngineDefaults implements cloud.Provider: Aurora's own; the operator's general ones for
// RDS's other engines.
func (p *Provider) EngineDefaults(engine string) (string, string) {
	class := cmp.Or(p.aurora.InstanceClass, DefaultAurora.InstanceClass)
	switch engine {
	case "aurora-postgresql":
		return cmp.Or(p.aurora.PostgresVersion, DefaultAurora.PostgresVersion), class
	case "aurora-mysql":
		return cmp.Or(p.aurora.MySQLVersion, DefaultAurora.MySQLVersion), class
	}
	return "", ""
}
