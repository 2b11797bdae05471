package gcpemulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engineparams"
)

// Database flags (settings.databaseFlags) are the engine's parameters by the engine's own
// names. The emulator checks them against the catalog of the instance's engine (package
// engineparams: every parameter the engine has that a managed service lets a user set)
// plus the few flags of Cloud SQL's own it knows, and applies them to the instance's real
// server: a patch that changes a flag needing a restart restarts the server within its
// UPDATE operation, as Cloud SQL restarts the instance; other flags apply at once.

// cloudSQLFlags are flags of Cloud SQL's own, by engine: they set Cloud SQL's side of
// things, not the engine's, so the emulator stores and echoes them without touching the
// server. Their values are on and off.
var cloudSQLFlags = map[string][]string{
	"postgres": {"cloudsql.iam_authentication", "cloudsql.logical_decoding", "cloudsql.enable_pgaudit"},
	"mysql":    {"cloudsql_iam_authentication"},
}

// flagFamily is the engineparams family whose catalog stands for a databaseVersion's
// flags: postgres<major> (the nearest major with a catalog when the version's has none),
// or mysql8.0, whose catalog (this machine's MariaDB) serves every MySQL version, as the
// emulator's MariaDB server does.
func flagFamily(version string) string {
	if engineOf(version) != "postgres" {
		return "mysql8.0"
	}
	major, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(version, "POSTGRES_"), "_", 2)[0])
	family := fmt.Sprintf("postgres%d", major)
	if _, ok := engineparams.Catalog(family); ok {
		return family
	}
	if major < 14 {
		return "postgres14"
	}
	return "postgres18"
}

// flagSpec is what the emulator knows of a flag of an instance's version: its engine
// parameter, or none for a flag of Cloud SQL's own.
type flagSpec struct {
	param   engineparams.Parameter
	ownFlag bool
}

// lookupFlag finds the flag name of a databaseVersion; false for a name Cloud SQL does not
// take (unknown to the engine, or one the service keeps to itself).
func lookupFlag(version, name string) (flagSpec, bool) {
	if slices.Contains(cloudSQLFlags[engineOf(version)], name) {
		return flagSpec{ownFlag: true}, true
	}
	p, ok := engineparams.Lookup(flagFamily(version), name)
	if !ok || !p.Modifiable {
		return flagSpec{}, false
	}
	return flagSpec{param: p}, true
}

// validateFlags checks flags for an instance of version: each name once, known, and its
// value one the flag takes. Unknown names are refused together, naming them; a bad value
// is refused as Cloud SQL refuses one, invalidFlagValue naming the flag.
func validateFlags(version string, flags []DatabaseFlag) *apiError {
	var unknown []string
	seen := map[string]bool{}
	for _, f := range flags {
		if seen[f.Name] {
			return errInvalid("The flag %s is given more than once.", f.Name)
		}
		seen[f.Name] = true
		spec, ok := lookupFlag(version, f.Name)
		if !ok {
			unknown = append(unknown, f.Name)
			continue
		}
		if err := spec.check(f.Value); err != nil {
			return errorf(http.StatusBadRequest, "invalidFlagValue", "Value requested is not valid. Failed to set %s: %s.", f.Name, err)
		}
	}
	if len(unknown) > 0 {
		return errInvalid("Invalid flag name(s): %s.", strings.Join(unknown, ", "))
	}
	return nil
}

// check says whether the flag takes value. Booleans are on and off on Cloud SQL (true and
// false, 1 and 0 too, as the engines take them).
func (s flagSpec) check(value string) error {
	if s.ownFlag || s.param.DataType == engineparams.TypeBoolean {
		if _, ok := boolDigit(value); !ok {
			return fmt.Errorf("%q is not on or off", value)
		}
		if s.ownFlag {
			return nil
		}
		value, _ = boolDigit(value)
	}
	if err := s.param.Check(value); err != nil {
		// engineparams names the parameter already; Cloud SQL's message does too.
		_, why, _ := strings.Cut(err.Error(), ": ")
		return fmt.Errorf("%s", why)
	}
	return nil
}

// boolDigit is a boolean flag value as 1 or 0.
func boolDigit(value string) (string, bool) {
	switch strings.ToLower(value) {
	case "on", "true", "1", "yes":
		return "1", true
	case "off", "false", "0", "no":
		return "0", true
	}
	return "", false
}

// flagChange is what applying a new list of flags does to the server: the parameters to
// set ("" resets one to the engine's default), and whether one of them takes effect only
// at a restart.
type flagChange struct {
	values  map[string]string
	restart bool
}

// changeOf compares the flags an instance of version has with those it gets; flags of
// Cloud SQL's own are left out, since they are not the engine's.
func changeOf(version string, have, want []DatabaseFlag) flagChange {
	c := flagChange{values: map[string]string{}}
	old := map[string]string{}
	for _, f := range have {
		old[f.Name] = f.Value
	}
	set := func(name, value string) {
		spec, ok := lookupFlag(version, name)
		if !ok || spec.ownFlag {
			return
		}
		c.values[name] = value
		c.restart = c.restart || spec.param.Static
	}
	for _, f := range want {
		if v, ok := old[f.Name]; !ok || v != f.Value {
			set(f.Name, f.Value)
		}
		delete(old, f.Name)
	}
	for name := range old {
		set(name, "")
	}
	return c
}

// apply applies the change to a server: dynamic parameters at once, and a restart when one
// needs it.
func (c flagChange) apply(ctx context.Context, srv engineServer) error {
	if len(c.values) == 0 || srv == nil {
		return nil
	}
	if err := srv.SetParameters(ctx, c.values, !c.restart); err != nil {
		return err
	}
	if c.restart {
		if err := srv.Restart(ctx); err != nil {
			return fmt.Errorf("%w: %w", errNotBack, err)
		}
	}
	return nil
}

// errNotBack is a server that did not start again after a restart: it is stopped.
var errNotBack = errors.New("the server did not start again")

// cloneFlags copies a flag list, keeping nil (unchanged, in a patch) apart from empty.
func cloneFlags(flags []DatabaseFlag) []DatabaseFlag {
	if flags == nil {
		return nil
	}
	return append([]DatabaseFlag{}, flags...)
}
