package gcpemulator

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sqladmin "google.golang.org/api/sqladmin/v1"
)

func TestValidateFlags(t *testing.T) {
	cases := []struct {
		reason  string
		version string
		flags   []DatabaseFlag
		want    apiErr
		naming  string
	}{
		{"A PostgreSQL parameter that needs a restart is a flag.", "POSTGRES_17", []DatabaseFlag{{"max_connections", "150"}}, apiErr{}, ""},
		{"A dynamic one too, in the engine's unit (kB).", "POSTGRES_17", []DatabaseFlag{{"work_mem", "8192"}}, apiErr{}, ""},
		{"Booleans are on and off on Cloud SQL.", "POSTGRES_16", []DatabaseFlag{{"log_connections", "on"}, {"log_disconnections", "off"}}, apiErr{}, ""},
		{"A version without a catalog of its own uses the nearest.", "POSTGRES_12", []DatabaseFlag{{"max_connections", "150"}}, apiErr{}, ""},
		{"Cloud SQL's own flags are flags.", "POSTGRES_17", []DatabaseFlag{{"cloudsql.iam_authentication", "on"}}, apiErr{}, ""},
		{"MySQL flags are MySQL's variables, with underscores.", "MYSQL_8_0", []DatabaseFlag{{"max_allowed_packet", "67108864"}, {"slow_query_log", "on"}}, apiErr{}, ""},
		{"MySQL's IAM flag has an underscore where PostgreSQL's has a dot.", "MYSQL_8_0", []DatabaseFlag{{"cloudsql_iam_authentication", "on"}}, apiErr{}, ""},
		{"A name the engine does not have is refused, named.", "POSTGRES_17", []DatabaseFlag{{"max_connections", "150"}, {"no_such_flag", "1"}}, apiErr{400, "invalid"}, "no_such_flag"},
		{"A hyphen is not an underscore.", "MYSQL_8_0", []DatabaseFlag{{"max-allowed-packet", "67108864"}}, apiErr{400, "invalid"}, "max-allowed-packet"},
		{"PostgreSQL's flag name is not MySQL's.", "MYSQL_8_0", []DatabaseFlag{{"cloudsql.iam_authentication", "on"}}, apiErr{400, "invalid"}, "cloudsql.iam_authentication"},
		{"What the service keeps to itself (the port) is no flag.", "POSTGRES_17", []DatabaseFlag{{"port", "6543"}}, apiErr{400, "invalid"}, "port"},
		{"A value of the wrong type is invalidFlagValue, naming the flag.", "POSTGRES_17", []DatabaseFlag{{"max_connections", "lots"}}, apiErr{400, "invalidFlagValue"}, "max_connections"},
		{"A value out of range too.", "POSTGRES_17", []DatabaseFlag{{"max_connections", "0"}}, apiErr{400, "invalidFlagValue"}, "max_connections"},
		{"A boolean takes on or off.", "POSTGRES_17", []DatabaseFlag{{"cloudsql.iam_authentication", "maybe"}}, apiErr{400, "invalidFlagValue"}, "cloudsql.iam_authentication"},
		{"A flag given twice is refused.", "POSTGRES_17", []DatabaseFlag{{"work_mem", "8192"}, {"work_mem", "4096"}}, apiErr{400, "invalid"}, "work_mem"},
	}
	for _, tc := range cases {
		err := validateFlags(tc.version, tc.flags)
		got := apiErr{}
		if err != nil {
			got = apiErr{err.Code, err.Reason}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s\nvalidateFlags(%s, %v) (-want +got):\n%s", tc.reason, tc.version, tc.flags, diff)
		}
		if err != nil && !strings.Contains(err.Message, tc.naming) {
			t.Errorf("%s\nthe message %q does not name %s", tc.reason, err.Message, tc.naming)
		}
	}
}

func TestChangeOf(t *testing.T) {
	have := []DatabaseFlag{{"work_mem", "8192"}, {"log_connections", "on"}, {"cloudsql.iam_authentication", "on"}}
	cases := []struct {
		reason string
		want   []DatabaseFlag
		change flagChange
	}{
		{"The same list changes nothing.", have, flagChange{values: map[string]string{}}},
		{"A dynamic flag changed is set at once; one removed is reset; Cloud SQL's own flags never reach the server.",
			[]DatabaseFlag{{"work_mem", "16384"}}, flagChange{values: map[string]string{"work_mem": "16384", "log_connections": ""}}},
		{"A flag that needs a restart makes the change a restart.",
			append([]DatabaseFlag{{"max_connections", "150"}}, have...), flagChange{values: map[string]string{"max_connections": "150"}, restart: true}},
		{"An empty list resets every flag.", []DatabaseFlag{}, flagChange{values: map[string]string{"work_mem": "", "log_connections": ""}}},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.change, changeOf("POSTGRES_17", have, tc.want), cmp.AllowUnexported(flagChange{})); diff != "" {
			t.Errorf("%s\nchangeOf (-want +got):\n%s", tc.reason, diff)
		}
	}
}

// TestDatabaseFlagsWithoutEngine: flags are checked at insert and patch, echoed, and a
// patch's list replaces the whole list; one left out of a patch is kept.
func TestDatabaseFlagsWithoutEngine(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	in := pgInstance("flags")
	in.Settings.DatabaseFlags = []*sqladmin.DatabaseFlags{{Name: "max_connections", Value: "150"}, {Name: "work_mem", Value: "8192"}}
	got := e.create(t, in)
	flags := func(db *sqladmin.DatabaseInstance) map[string]string {
		out := map[string]string{}
		for _, f := range db.Settings.DatabaseFlags {
			out[f.Name] = f.Value
		}
		return out
	}
	if diff := cmp.Diff(map[string]string{"max_connections": "150", "work_mem": "8192"}, flags(got)); diff != "" {
		t.Errorf("flags given at insert (-want +got):\n%s", diff)
	}
	bad := pgInstance("bad-flags")
	bad.Settings.DatabaseFlags = []*sqladmin.DatabaseFlags{{Name: "no_such_flag", Value: "1"}}
	if _, err := e.svc.Instances.Insert(project, bad).Do(); errOf(err) != (apiErr{http.StatusBadRequest, "invalid"}) || !strings.Contains(err.Error(), "no_such_flag") {
		t.Errorf("insert with an unknown flag = %v; want 400 invalid naming it", err)
	}

	patch := func(s *sqladmin.Settings) *sqladmin.DatabaseInstance {
		t.Helper()
		if op := e.wait(t)(e.svc.Instances.Patch(project, "flags", &sqladmin.DatabaseInstance{Settings: s}).Do()); op.Error != nil {
			t.Fatalf("patch failed: %+v", op.Error.Errors[0])
		}
		db, err := e.svc.Instances.Get(project, "flags").Do()
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	got = patch(&sqladmin.Settings{DatabaseFlags: []*sqladmin.DatabaseFlags{{Name: "work_mem", Value: "16384"}}})
	if diff := cmp.Diff(map[string]string{"work_mem": "16384"}, flags(got)); diff != "" {
		t.Errorf("a patch's list replaces the list (-want +got):\n%s", diff)
	}
	got = patch(&sqladmin.Settings{UserLabels: map[string]string{"team": "b"}})
	if diff := cmp.Diff(map[string]string{"work_mem": "16384"}, flags(got)); diff != "" {
		t.Errorf("a patch without flags keeps them (-want +got):\n%s", diff)
	}
	_, err := e.svc.Instances.Patch(project, "flags", &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{
		DatabaseFlags: []*sqladmin.DatabaseFlags{{Name: "max_connections", Value: "lots"}}}}).Do()
	if errOf(err) != (apiErr{http.StatusBadRequest, "invalidFlagValue"}) || !strings.Contains(err.Error(), "max_connections") {
		t.Errorf("patch with a bad value = %v; want 400 invalidFlagValue naming the flag", err)
	}
	got = patch(&sqladmin.Settings{DatabaseFlags: []*sqladmin.DatabaseFlags{}, ForceSendFields: []string{"DatabaseFlags"}})
	if len(got.Settings.DatabaseFlags) != 0 {
		t.Errorf("an empty list clears the flags; got %v", flags(got))
	}
}

// TestRestartWithoutEngine: instances.restart answers a RESTART operation, keeps the
// instance busy while it runs and is refused while the instance is not running.
func TestRestartWithoutEngine(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.create(t, pgInstance("db"))
	op, err := e.svc.Instances.Restart(project, "db").Do()
	if err != nil {
		t.Fatal(err)
	}
	if op.OperationType != "RESTART" {
		t.Errorf("operation type %s; want RESTART", op.OperationType)
	}
	if _, err := e.svc.Instances.Restart(project, "db").Do(); errOf(err) != (apiErr{http.StatusConflict, "operationInProgress"}) {
		t.Errorf("a restart during a restart = %v; want 409 operationInProgress", err)
	}
	if done := e.waitOp(t, op, nil); done.Error != nil {
		t.Fatalf("restart failed: %+v", done.Error.Errors[0])
	}
	if _, err := e.emu.Tamper(project, "db", stateSuspended); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Instances.Restart(project, "db").Do(); errOf(err) != (apiErr{http.StatusBadRequest, "invalid"}) {
		t.Errorf("a restart of a stopped instance = %v; want 400 (not running)", err)
	}
	if _, err := e.svc.Instances.Restart(project, "nobody").Do(); errOf(err) != (apiErr{http.StatusNotFound, "instanceDoesNotExist"}) {
		t.Errorf("a restart of no instance = %v; want 404", err)
	}
}
