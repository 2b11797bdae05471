package rds

import (
	"flag"
	"io"
	"testing"
)

// TestEngineDefaults: Aurora's types get Aurora's versions and instance class, from the
// flags where set and DefaultAurora's otherwise; RDS's other engines get the operator's
// general defaults.
func TestEngineDefaults(t *testing.T) {
	flagged := DefaultAurora
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flagged.BindFlags(fs)
	if err := fs.Parse([]string{"--default-aurora-postgresql-version=17.4", "--default-aurora-instance-class=db.r7g.large"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, reason, engine   string
		aurora                 AuroraDefaults
		wantVersion, wantClass string
	}{
		{name: "AuroraPostgres", reason: "The zero value is DefaultAurora's.", engine: "aurora-postgresql",
			wantVersion: DefaultAurora.PostgresVersion, wantClass: DefaultAurora.InstanceClass},
		{name: "AuroraMySQL", reason: "Aurora MySQL takes its own full version.", engine: "aurora-mysql",
			wantVersion: DefaultAurora.MySQLVersion, wantClass: DefaultAurora.InstanceClass},
		{name: "Flagged", reason: "The flags set what they name and leave the rest.", engine: "aurora-postgresql", aurora: flagged,
			wantVersion: "17.4", wantClass: "db.r7g.large"},
		{name: "FlaggedMySQL", reason: "An unset flag keeps its default.", engine: "aurora-mysql", aurora: flagged,
			wantVersion: DefaultAurora.MySQLVersion, wantClass: "db.r7g.large"},
		{name: "Instances", reason: "RDS's other engines take the operator's general defaults.", engine: "postgres", aurora: flagged},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := New(nil).UseAurora(tc.aurora)
			if v, c := p.EngineDefaults(tc.engine); v != tc.wantVersion || c != tc.wantClass {
				t.Errorf("%s\nEngineDefaults(%s) = %q, %q; want %q, %q", tc.reason, tc.engine, v, c, tc.wantVersion, tc.wantClass)
			}
		})
	}
}
