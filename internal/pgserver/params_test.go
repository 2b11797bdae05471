package pgserver

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// show reads settings as a new master session sees them.
func show(t *testing.T, s *Server, names ...string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, masterDSN(s, testPassword, "postgres"))
	if err != nil {
		t.Fatalf("master login on port %d: %v", s.Port, err)
	}
	defer conn.Close(ctx)
	out := map[string]string{}
	for _, n := range names {
		var v string
		if err := conn.QueryRow(ctx, `SELECT current_setting($1)`, n).Scan(&v); err != nil {
			t.Fatalf("current_setting(%s): %v", n, err)
		}
		out[n] = v
	}
	return out
}

func TestSetParametersAndRestart(t *testing.T) {
	s := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	port := s.Port
	names := []string{"work_mem", "enable_seqscan", "max_connections", "application_name", "search_path"}
	before := show(t, s, names...)

	err := s.SetParameters(ctx, map[string]string{
		"work_mem":         "8192", // kB, as RDS writes it
		"enable_seqscan":   "0",    // a boolean as RDS writes it
		"max_connections":  "77",   // static: waits for the restart
		"application_name": `it's a \ 'quoted' value`,
		"search_path":      `"$user", public, "My Schema"`,
	}, true)
	if err != nil {
		t.Fatalf("SetParameters: %v", err)
	}
	want := map[string]string{
		"work_mem":         "8MB",
		"enable_seqscan":   "off",
		"max_connections":  before["max_connections"],
		"application_name": `it's a \ 'quoted' value`,
		"search_path":      `"$user", public, "My Schema"`,
	}
	if diff := cmp.Diff(want, show(t, s, names...)); diff != "" {
		t.Errorf("after SetParameters with now, before a restart (dynamic ones changed, max_connections not): -want +got:\n%s", diff)
	}

	if err := s.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if s.Port != port {
		t.Errorf("port after Restart: %d, want %d", s.Port, port)
	}
	want["max_connections"] = "77"
	if diff := cmp.Diff(want, show(t, s, names...)); diff != "" {
		t.Errorf("after Restart: -want +got:\n%s", diff)
	}

	// Reset with "", and a restart keeps the reset.
	reset := map[string]string{}
	for _, n := range names {
		reset[n] = ""
	}
	if err := s.SetParameters(ctx, reset, false); err != nil {
		t.Fatalf("SetParameters reset: %v", err)
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if diff := cmp.Diff(before, show(t, s, names...)); diff != "" {
		t.Errorf("after a reset and Restart: -want +got:\n%s", diff)
	}
}

func TestSetParametersWithoutNowWaitsForReload(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	before := show(t, s, "work_mem")
	if err := s.SetParameters(ctx, map[string]string{"work_mem": "16384"}, false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, show(t, s, "work_mem")); diff != "" {
		t.Errorf("work_mem changed without now and without a restart: -want +got:\n%s", diff)
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"work_mem": "16MB"}, show(t, s, "work_mem")); diff != "" {
		t.Errorf("work_mem after Restart: -want +got:\n%s", diff)
	}
}

func TestSetParametersRefuses(t *testing.T) {
	s := startServer(t)
	cases := map[string]struct {
		reason  string
		values  map[string]string
		wantErr string
	}{
		"injected name":  {reason: "a name is letters, digits, _ and . only, so it cannot carry SQL", values: map[string]string{"work_mem = 1; DROP ROLE master_user; --": "1"}, wantErr: "invalid parameter name"},
		"empty name":     {reason: "an empty name is no parameter", values: map[string]string{"": "1"}, wantErr: "invalid parameter name"},
		"unknown":        {reason: "the server refuses a parameter it does not have", values: map[string]string{"no_such_parameter": "1"}, wantErr: "no_such_parameter"},
		"bad value":      {reason: "the server refuses a value out of range", values: map[string]string{"max_connections": "0"}, wantErr: "max_connections"},
		"not a boolean":  {reason: "the server refuses a boolean it cannot read", values: map[string]string{"enable_seqscan": "maybe"}, wantErr: "enable_seqscan"},
		"nul in a value": {reason: "PostgreSQL cannot hold a NUL byte", values: map[string]string{"application_name": "a\x00b"}, wantErr: "NUL"},
		"injected value": {reason: "a value is one literal: quotes cannot end it", values: map[string]string{"work_mem": "1'; DROP ROLE master_user; --"}, wantErr: "work_mem"},
		"internal":       {reason: "the server refuses to set a read-only parameter", values: map[string]string{"block_size": "4096"}, wantErr: "block_size"},
		"dotted unknown": {reason: "a dotted name passes the name check and reaches the server, which knows no such extension parameter", values: map[string]string{"no_such_ext.setting": "1"}, wantErr: `"no_such_ext.setting"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := s.SetParameters(context.Background(), tc.values, true)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("%s\nSetParameters: %v, want no error", tc.reason, err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("%s\nSetParameters: no error, want one containing %q", tc.reason, tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("%s\nSetParameters: %v, want an error containing %q", tc.reason, err, tc.wantErr)
			}
		})
	}
	// The master survived the injection attempts.
	show(t, s, "work_mem")
}

func TestAlterSystem(t *testing.T) {
	cases := map[string]struct {
		reason string
		name   string
		value  string
		want   string
	}{
		"plain":     {reason: "a value is an escape string literal", name: "work_mem", value: "8192", want: `ALTER SYSTEM SET "work_mem" = E'8192'`},
		"reset":     {reason: "an empty value resets", name: "work_mem", value: "", want: `ALTER SYSTEM RESET "work_mem"`},
		"quotes":    {reason: "quotes and backslashes are escaped, whatever standard_conforming_strings", name: "application_name", value: `a'b\c`, want: `ALTER SYSTEM SET "application_name" = E'a''b\\c'`},
		"dotted":    {reason: "an extension's parameter is a dotted name", name: "pg_stat_statements.max", value: "5000", want: `ALTER SYSTEM SET "pg_stat_statements"."max" = E'5000'`},
		"list":      {reason: "a quoted list gets one literal per item, else the server quotes 'a,b' as one name", name: "shared_preload_libraries", value: "pg_stat_statements, auto_explain", want: `ALTER SYSTEM SET "shared_preload_libraries" = E'pg_stat_statements', E'auto_explain'`},
		"list item": {reason: "double-quoted items lose their quotes, keep their commas", name: "search_path", value: `"$user", "a,""b"`, want: `ALTER SYSTEM SET "search_path" = E'$user', E'a,"b'`},
		"not list":  {reason: "a list the server does not quote stays one literal", name: "log_destination", value: "stderr,csvlog", want: `ALTER SYSTEM SET "log_destination" = E'stderr,csvlog'`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, alterSystem(tc.name, tc.value)); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestReplicaRestarts(t *testing.T) {
	source := startServer(t)
	replica := startReplica(t, source)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	port := replica.Port
	if err := replica.SetParameters(ctx, map[string]string{"work_mem": "2048"}, false); err != nil {
		t.Fatalf("SetParameters on the replica: %v", err)
	}
	if err := replica.Restart(ctx); err != nil {
		t.Fatalf("Restart the replica: %v", err)
	}
	if replica.Port != port {
		t.Errorf("replica port after Restart: %d, want %d", replica.Port, port)
	}
	if standby, err := replica.InRecovery(ctx); err != nil || !standby {
		t.Fatalf("replica in recovery after Restart: %v (err %v), want true", standby, err)
	}
	primary, err := pgx.Connect(ctx, masterDSN(source, testPassword, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close(ctx)
	for _, q := range []string{`CREATE TABLE after_restart (item text)`, `INSERT INTO after_restart VALUES ('streamed')`} {
		if _, err := primary.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn, err := pgx.Connect(ctx, masterDSN(replica, testPassword, "postgres"))
	if err != nil {
		t.Fatalf("master login on the restarted replica: %v", err)
	}
	defer conn.Close(ctx)
	waitRow(t, conn, `SELECT item FROM after_restart`, "streamed")
	if diff := cmp.Diff(map[string]string{"work_mem": "2MB"}, show(t, replica, "work_mem")); diff != "" {
		t.Errorf("replica work_mem after Restart: -want +got:\n%s", diff)
	}
}

func TestSetParametersEveryMajor(t *testing.T) {
	skipWithoutPostgres(t)
	builds, err := DefaultBuilds()
	if err != nil {
		t.Fatal(err)
	}
	if !builds.PerMajor() {
		t.Skipf("no PostgreSQL build per major in $%s (hack/postgres.sh): the default build is tested above", EnvBuilds)
	}
	for _, major := range builds.Majors() {
		t.Run(fmt.Sprint(major), func(t *testing.T) {
			t.Parallel()
			s := startMajor(t, major)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := s.SetParameters(ctx, map[string]string{"work_mem": "8192", "enable_seqscan": "0", "max_connections": "44"}, true)
			if err != nil {
				t.Fatalf("SetParameters: %v", err)
			}
			want := map[string]string{"work_mem": "8MB", "enable_seqscan": "off", "max_connections": "50"}
			if diff := cmp.Diff(want, show(t, s, "work_mem", "enable_seqscan", "max_connections")); diff != "" {
				t.Errorf("before Restart: -want +got:\n%s", diff)
			}
			if err := s.Restart(ctx); err != nil {
				t.Fatalf("Restart: %v", err)
			}
			want["max_connections"] = "44"
			if diff := cmp.Diff(want, show(t, s, "work_mem", "enable_seqscan", "max_connections")); diff != "" {
				t.Errorf("after Restart: -want +got:\n%s", diff)
			}
		})
	}
}
