package gcp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/gcpemulator"
)

func TestChangedFlags(t *testing.T) {
	cases := []struct {
		reason     string
		have, want map[string]string
		changed    []string
	}{
		{"No flags desired and none set is no change.", nil, nil, nil},
		{"None desired, as an empty map, and none set (Cloud SQL reports an empty list) is no change.", map[string]string{}, map[string]string{}, nil},
		{"Flags as Cloud SQL reports them are no change.", map[string]string{"work_mem": "8192"}, map[string]string{"work_mem": "8192"}, nil},
		{"Values compare as every provider and the controller compare them (cloud.SameParameterValue): another letter case is no change, so that a cloud that reports a value in its own case is not patched (and restarted) again at every pass.", map[string]string{"log_connections": "on"}, map[string]string{"log_connections": "ON"}, nil},
		{"Another value is a change.", map[string]string{"log_connections": "on"}, map[string]string{"log_connections": "off"}, []string{"log_connections"}},
		{"Set, changed and removed flags are changes, sorted.",
			map[string]string{"work_mem": "8192", "log_connections": "on"},
			map[string]string{"work_mem": "16384", "max_connections": "150"},
			[]string{"log_connections", "max_connections", "work_mem"}},
		{"An empty desired map with flags set removes them all.", map[string]string{"b": "1", "a": "1"}, map[string]string{}, []string{"a", "b"}},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.changed, changedFlags(tc.have, tc.want)); diff != "" {
			t.Errorf("%s\nchangedFlags, -want +got:\n%s", tc.reason, diff)
		}
	}
}

func TestFlagsMapping(t *testing.T) {
	cases := []struct {
		reason   string
		settings *sqladmin.Settings
		want     map[string]string
	}{
		{"No settings: no flags, reported as an empty map (Cloud SQL reports flags with the instance).", nil, map[string]string{}},
		{"No flags: an empty map.", &sqladmin.Settings{}, map[string]string{}},
		{"Flags by name.", &sqladmin.Settings{DatabaseFlags: []*sqladmin.DatabaseFlags{{Name: "max_connections", Value: "150"}, {Name: "skip_show_database"}}},
			map[string]string{"max_connections": "150", "skip_show_database": ""}},
	}
	for _, tc := range cases {
		got := flagsOf(&sqladmin.DatabaseInstance{Settings: tc.settings})
		if diff := cmp.Diff(tc.want, got); diff != "" || got == nil {
			t.Errorf("%s\nflagsOf, -want +got:\n%s", tc.reason, diff)
		}
	}
	if diff := cmp.Diff([]*sqladmin.DatabaseFlags{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}}, databaseFlags(map[string]string{"b": "2", "a": "1"})); diff != "" {
		t.Errorf("the patch's list is in name order, -want +got:\n%s", diff)
	}
	if got := databaseFlags(nil); got == nil || len(got) != 0 {
		t.Errorf("no flags are an empty list, which clears them: %#v", got)
	}
}

func TestFlagError(t *testing.T) {
	sent := []string{"max_connections", "work_mem"}
	cases := []struct {
		reason  string
		err     error
		field   cloud.Field
		message string
	}{
		{"Cloud SQL's invalidFlagValue naming the flag is the flags' fault, as it says.",
			&cloud.Error{Code: "invalidFlagValue", Message: "Value requested is not valid. Failed to set max_connections: lots is not an integer."},
			cloud.FieldParameters, "Value requested is not valid. Failed to set max_connections: lots is not an integer."},
		{"invalidFlagValue without a name names the flags sent.",
			&cloud.Error{Code: "invalidFlagValue", Message: "Value requested is not valid."},
			cloud.FieldParameters, "Value requested is not valid. (database flags sent: max_connections, work_mem)"},
		{"A 400 invalid speaking of a flag name is the flags' fault.",
			&cloud.Error{Code: "invalid", Message: "Invalid request: Invalid flag name(s): no_such_flag."},
			cloud.FieldParameters, "Invalid request: Invalid flag name(s): no_such_flag. (database flags sent: max_connections, work_mem)"},
		{"Another 400 is not.", &cloud.Error{Code: "invalid", Message: "Invalid request: Invalid tier."}, "", "Invalid request: Invalid tier."},
		{"A busy instance is not.", &cloud.Error{Code: "operationInProgress", Message: "flag", Kind: cloud.ErrBusy}, "", "flag"},
	}
	for _, tc := range cases {
		var ce *cloud.Error
		if !errors.As(flagError(tc.err, sent), &ce) || ce.Field != tc.field || ce.Message != tc.message {
			t.Errorf("%s\nflagError = %+v; want field %q, message %q", tc.reason, ce, tc.field, tc.message)
		}
	}
	if flagError(nil, sent) != nil {
		t.Error("flagError(nil) is not nil")
	}
}

// TestSyncParametersWithoutEngine: flags are set in one patch carrying the whole list, an
// unchanged list costs no call at all, an empty map clears them, flags asked for at create
// are there from the start, and an unknown flag is the user's to fix, named.
func TestSyncParametersWithoutEngine(t *testing.T) {
	em := serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t)
	d := desiredCloudSQL("orders", nil)
	if err := p.Create(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	in := waitAvailable(t, p, "orders")
	calls := len(em.Stats().Log)
	if change, err := p.SyncParameters(t.Context(), d, in); err != nil || change.Changed != nil {
		t.Fatalf("SyncParameters with none desired and none set = %+v, %v", change, err)
	}
	if n := len(em.Stats().Log) - calls; n != 0 {
		t.Errorf("SyncParameters with none desired and none set made %d calls; want none", n)
	}

	d.Parameters = map[string]string{"work_mem": "8192", "log_connections": "on"}
	before := len(mutations(em))
	change, err := p.SyncParameters(t.Context(), d, in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cloud.ParameterChange{Changed: []string{"log_connections", "work_mem"}}, change); diff != "" {
		t.Errorf("SyncParameters setting two flags, -want +got:\n%s", diff)
	}
	if diff := cmp.Diff([]string{"PATCH /v1/projects/{project}/instances/{instance}"}, mutations(em)[before:]); diff != "" {
		t.Errorf("calls that change something, -want +got:\n%s", diff)
	}
	eventually(t, "the flags reported", func() (bool, string) {
		in = waitAvailable(t, p, "orders")
		return cmp.Equal(d.Parameters, in.Parameters.Values), fmt.Sprint(in.Parameters.Values)
	})

	calls = len(em.Stats().Log)
	if change, err := p.SyncParameters(t.Context(), d, in); err != nil || change.Changed != nil {
		t.Errorf("SyncParameters of flags as reported = %+v, %v; want no change", change, err)
	}
	if n := len(em.Stats().Log) - calls; n != 0 {
		t.Errorf("SyncParameters of flags as reported made %d calls; want none", n)
	}

	d.Parameters = map[string]string{"work_mem": "8192", "no_such_flag": "1"}
	_, err = p.SyncParameters(t.Context(), d, in)
	var ce *cloud.Error
	if !errors.As(err, &ce) || ce.Field != cloud.FieldParameters || ce.Kind != nil || !strings.Contains(ce.Message, "no_such_flag") {
		t.Errorf("SyncParameters with an unknown flag = %v; want a *cloud.Error of FieldParameters naming no_such_flag", err)
	}
	d.Parameters = map[string]string{"max_connections": "lots"}
	if _, err = p.SyncParameters(t.Context(), d, in); !errors.As(err, &ce) || ce.Field != cloud.FieldParameters || !strings.Contains(ce.Message, "max_connections") {
		t.Errorf("SyncParameters with a bad value = %v; want a *cloud.Error of FieldParameters naming max_connections", err)
	}

	d.Parameters = map[string]string{}
	if change, err := p.SyncParameters(t.Context(), d, in); err != nil || len(change.Changed) != 2 {
		t.Errorf("SyncParameters clearing the flags = %+v, %v; want both changed", change, err)
	}
	eventually(t, "the flags cleared", func() (bool, string) {
		in = waitAvailable(t, p, "orders")
		return len(in.Parameters.Values) == 0, fmt.Sprint(in.Parameters.Values)
	})

	made := desiredCloudSQL("flagged", nil)
	made.Parameters = map[string]string{"max_connections": "150"}
	if err := p.Create(t.Context(), made); err != nil {
		t.Fatal(err)
	}
	in = waitAvailable(t, p, "flagged")
	if diff := cmp.Diff(made.Parameters, in.Parameters.Values); diff != "" {
		t.Errorf("flags asked for at create, -want +got:\n%s", diff)
	}
	before = len(mutations(em))
	if change, err := p.SyncParameters(t.Context(), made, in); err != nil || change.Changed != nil || len(mutations(em)) != before {
		t.Errorf("SyncParameters after a create with the flags = %+v, %v, %v; want nothing to do", change, err, mutations(em)[before:])
	}
	made.Identifier, made.Parameters = "refused", map[string]string{"no_such_flag": "1"}
	if err := p.Create(t.Context(), made); !errors.As(err, &ce) || ce.Field != cloud.FieldParameters || !strings.Contains(ce.Message, "no_such_flag") {
		t.Errorf("Create with an unknown flag = %v; want a *cloud.Error of FieldParameters naming no_such_flag", err)
	}

	if err := p.DeleteParameters(t.Context(), made, ""); err != nil {
		t.Errorf("DeleteParameters = %v; flags go with the instance", err)
	}
}

// TestRestartWithoutEngine: Restart sends instances.restart, the instance is Changing until
// it ends, and a restart refused while the instance is busy is cloud.ErrBusy.
func TestRestartWithoutEngine(t *testing.T) {
	em := serve(t, gcpemulator.Config{NoEngine: true, Delays: gcpemulator.Delays{Create: 10 * time.Millisecond, Update: 300 * time.Millisecond, Delete: 10 * time.Millisecond, Backup: 10 * time.Millisecond}})
	p := newProvider(t)
	if err := p.Create(t.Context(), desiredCloudSQL("orders", nil)); err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, p, "orders")
	before := len(mutations(em))
	if err := p.Restart(t.Context(), "orders"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"POST /v1/projects/{project}/instances/{instance}/restart"}, mutations(em)[before:]); diff != "" {
		t.Errorf("calls Restart made, -want +got:\n%s", diff)
	}
	if obs, err := p.Observe(t.Context(), "orders"); err != nil || obs.Instance.Phase != cloud.PhaseChanging {
		t.Errorf("during the restart: phase %s, %v; want Changing", obs.Instance.Phase, err)
	}
	// Another provider (the operator restarted) does not wait for this one's restart.
	other := newProvider(t)
	if err := other.Restart(t.Context(), "orders"); !errors.Is(err, cloud.ErrBusy) {
		t.Errorf("a restart during a restart = %v; want ErrBusy", err)
	}
	waitAvailable(t, p, "orders")
}

// TestDatabaseFlagsOnPostgreSQL: a flag that needs a restart restarts the real server,
// Cloud SQL's way, and a dynamic one applies without; nothing ever waits for Restart, and
// Restart restarts the server.
func TestDatabaseFlagsOnPostgreSQL(t *testing.T) {
	requirePostgres(t)
	em := serve(t, gcpemulator.Config{DataDir: t.TempDir(), Delays: engineDelays})
	p := newProvider(t)
	ctx := t.Context()
	d := desiredCloudSQL("orders", nil)
	in := makeMaster(t, p, d)
	connect := func() (*pgx.Conn, error) { return pgConnect(t, in, d.MasterUser, d.MasterPassword, "postgres") }
	show := func(conn *pgx.Conn, q string) string {
		t.Helper()
		var v string
		if err := conn.QueryRow(ctx, q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	// serverStarted is when the server last started, asked of a new session once the
	// instance is available again.
	serverStarted := func() string {
		t.Helper()
		var started string
		eventually(t, "a session on the server", func() (bool, string) {
			in = waitAvailable(t, p, "orders")
			conn, err := connect()
			if err != nil {
				return false, err.Error()
			}
			defer conn.Close(ctx)
			started = show(conn, `SELECT pg_postmaster_start_time()::text`)
			return true, ""
		})
		return started
	}
	started := serverStarted()

	d.Parameters = map[string]string{"max_connections": "150"}
	change, err := p.SyncParameters(ctx, d, in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cloud.ParameterChange{Changed: []string{"max_connections"}}, change); diff != "" {
		t.Errorf("a flag that needs a restart: Cloud SQL restarts the instance itself, nothing awaits Restart, -want +got:\n%s", diff)
	}
	eventually(t, "max_connections 150", func() (bool, string) {
		in = waitAvailable(t, p, "orders")
		conn, err := connect()
		if err != nil {
			return false, err.Error()
		}
		defer conn.Close(ctx)
		got := show(conn, `SHOW max_connections`)
		return got == "150", got
	})
	if now := serverStarted(); now == started {
		t.Errorf("max_connections changed without a restart of the server (started %s)", now)
	} else {
		started = now
	}

	held, err := connect()
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close(context.WithoutCancel(ctx))
	d.Parameters = map[string]string{"max_connections": "150", "work_mem": "8192"}
	if change, err = p.SyncParameters(ctx, d, in); err != nil || !cmp.Equal(change.Changed, []string{"work_mem"}) {
		t.Fatalf("SyncParameters(work_mem) = %+v, %v", change, err)
	}
	eventually(t, "work_mem 8MB", func() (bool, string) {
		in = waitAvailable(t, p, "orders")
		conn, err := connect()
		if err != nil {
			return false, err.Error()
		}
		defer conn.Close(ctx)
		got := show(conn, `SHOW work_mem`)
		return got == "8MB", got
	})
	if got := show(held, `SELECT pg_postmaster_start_time()::text`); got != started {
		t.Errorf("a dynamic flag restarted the server (started %s, was %s)", got, started)
	}

	in = waitAvailable(t, p, "orders")
	calls := len(em.Stats().Log)
	if change, err := p.SyncParameters(ctx, d, in); err != nil || change.Changed != nil {
		t.Errorf("SyncParameters of the flags as set = %+v, %v; want nothing", change, err)
	}
	if n := len(em.Stats().Log) - calls; n != 0 {
		t.Errorf("SyncParameters of the flags as set made %d calls; want none", n)
	}

	if err := p.Restart(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the restart over", func() (bool, string) {
		now := serverStarted()
		return now != started, now
	})
	conn, err := connect()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if got := show(conn, `SHOW max_connections`); got != "150" {
		t.Errorf("after Restart, max_connections %s; want the flag's 150", got)
	}
}
