package mariaserver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// globals reads global variables over a new master session on TCP.
func globals(t *testing.T, s *Server, names ...string) map[string]string {
	t.Helper()
	db := mustOpen(t, tcpConfig(s, testMaster, testPassword, ""))
	defer db.Close()
	out := map[string]string{}
	for _, n := range names {
		var v string
		if err := db.QueryRow("SELECT @@GLOBAL." + n).Scan(&v); err != nil {
			t.Fatalf("@@GLOBAL.%s: %v", n, err)
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
	names := []string{"max_connections", "innodb_lock_wait_timeout", "sql_mode", "init_connect", "autocommit", "ft_min_word_len"}
	before := globals(t, s, names...)

	err := s.SetParameters(ctx, map[string]string{
		"max_connections":          "77",
		"innodb_lock_wait_timeout": "17",
		"sql_mode":                 "ANSI_QUOTES,STRICT_TRANS_TABLES",
		"init_connect":             `SET @note = 'a "quoted" \ value # not a comment'`,
		"ft_min_word_len":          "3", // static: waits for the restart
	}, true)
	if err != nil {
		t.Fatalf("SetParameters: %v", err)
	}
	want := map[string]string{
		"max_connections":          "77",
		"innodb_lock_wait_timeout": "17",
		"sql_mode":                 "ANSI_QUOTES,STRICT_TRANS_TABLES",
		"init_connect":             `SET @note = 'a "quoted" \ value # not a comment'`,
		"autocommit":               before["autocommit"],
		"ft_min_word_len":          before["ft_min_word_len"],
	}
	if diff := cmp.Diff(want, globals(t, s, names...)); diff != "" {
		t.Errorf("after SetParameters with now, before a restart (dynamic ones changed, ft_min_word_len not): -want +got:\n%s", diff)
	}

	if err := s.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if s.Port != port {
		t.Errorf("port after Restart: %d, want %d", s.Port, port)
	}
	want["ft_min_word_len"] = "3"
	if diff := cmp.Diff(want, globals(t, s, names...)); diff != "" {
		t.Errorf("after Restart (every value from the option file): -want +got:\n%s", diff)
	}

	// A reset with now goes back to the option file's base setting at once, and a
	// restart keeps it there.
	reset := map[string]string{"max_connections": "", "innodb_lock_wait_timeout": "", "sql_mode": "", "init_connect": "", "ft_min_word_len": ""}
	if err := s.SetParameters(ctx, reset, true); err != nil {
		t.Fatalf("SetParameters reset: %v", err)
	}
	want = map[string]string{
		"max_connections":          before["max_connections"],
		"innodb_lock_wait_timeout": before["innodb_lock_wait_timeout"],
		"sql_mode":                 before["sql_mode"],
		"init_connect":             before["init_connect"],
		"autocommit":               before["autocommit"],
		"ft_min_word_len":          "3",
	}
	if diff := cmp.Diff(want, globals(t, s, names...)); diff != "" {
		t.Errorf("after a reset with now: -want +got:\n%s", diff)
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if diff := cmp.Diff(before, globals(t, s, names...)); diff != "" {
		t.Errorf("after a reset and Restart: -want +got:\n%s", diff)
	}
}

func TestSetParametersWithoutNowWaitsForRestart(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	before := globals(t, s, "innodb_lock_wait_timeout")
	if err := s.SetParameters(ctx, map[string]string{"innodb-lock-wait-timeout": "23"}, false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, globals(t, s, "innodb_lock_wait_timeout")); diff != "" {
		t.Errorf("changed without now and without a restart: -want +got:\n%s", diff)
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"innodb_lock_wait_timeout": "23"}, globals(t, s, "innodb_lock_wait_timeout")); diff != "" {
		t.Errorf("after Restart (a dashed name stands for the variable): -want +got:\n%s", diff)
	}
}

func TestSetParametersRefuses(t *testing.T) {
	s := startServer(t)
	cases := map[string]struct {
		reason  string
		values  map[string]string
		wantErr string
	}{
		"injected name":  {reason: "a name is letters, digits, _, - and . only, so it cannot carry SQL", values: map[string]string{"max_connections = 1; DROP USER x; --": "1"}, wantErr: "invalid parameter name"},
		"unknown":        {reason: "a variable the server lacks is refused before anything is set", values: map[string]string{"no_such_variable": "1"}, wantErr: "no such variable"},
		"no option":      {reason: "a variable without an option cannot be in the option file, so no parameter group can set it", values: map[string]string{"autocommit": "0"}, wantErr: "option file"},
		"session only":   {reason: "a session-only variable is no server parameter", values: map[string]string{"timestamp": "1"}, wantErr: "session-only"},
		"newline":        {reason: "an option file cannot hold a newline: it would start another option", values: map[string]string{"init_connect": "x\nport=1"}, wantErr: "control character"},
		"bad value":      {reason: "SET GLOBAL refuses a value a dynamic variable cannot take", values: map[string]string{"sql_mode": "NO_SUCH_MODE"}, wantErr: "sql_mode"},
		"injected value": {reason: "a value is one string literal: quotes cannot end it", values: map[string]string{"sql_mode": "ANSI'; DROP USER x; --"}, wantErr: "sql_mode"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := s.SetParameters(context.Background(), tc.values, true)
			switch {
			case err == nil:
				t.Errorf("%s\nSetParameters: no error, want one containing %q", tc.reason, tc.wantErr)
			case !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("%s\nSetParameters: %v, want an error containing %q", tc.reason, err, tc.wantErr)
			}
		})
	}
	// Nothing refused reached the option file: the server still starts.
	if err := s.Restart(context.Background()); err != nil {
		t.Fatalf("Restart after refused parameters: %v", err)
	}
}

func TestOptionValue(t *testing.T) {
	cases := map[string]struct {
		reason string
		value  string
		want   string
	}{
		"plain":     {reason: "a value is double-quoted", value: "100", want: `"100"`},
		"quotes":    {reason: "a double quote is escaped, a single one needs not", value: `a "b" 'c'`, want: `"a \"b\" 'c'"`},
		"backslash": {reason: "a backslash is escaped, else it would escape what follows", value: `a\n`, want: `"a\\n"`},
		"hash":      {reason: "a # inside quotes is no comment", value: "a # b", want: `"a # b"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, optionValue(tc.value)); diff != "" {
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
	if err := replica.SetParameters(ctx, map[string]string{"max_connections": "66"}, false); err != nil {
		t.Fatalf("SetParameters on the replica: %v", err)
	}
	if err := replica.Restart(ctx); err != nil {
		t.Fatalf("Restart the replica: %v", err)
	}
	if replica.Port != port {
		t.Errorf("replica port after Restart: %d, want %d", replica.Port, port)
	}
	if diff := cmp.Diff(map[string]string{"max_connections": "66", "read_only": "1"}, globals(t, replica, "max_connections", "read_only")); diff != "" {
		t.Errorf("replica after Restart (still read-only): -want +got:\n%s", diff)
	}
	primary := mustOpen(t, tcpConfig(source, testMaster, testPassword, ""))
	mustExec(t, primary,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.orders (item VARCHAR(64) PRIMARY KEY)",
		"INSERT INTO shop.orders VALUES ('after-the-restart')",
	)
	standby := mustOpen(t, tcpConfig(replica, testMaster, testPassword, ""))
	waitValue(t, standby, "SELECT GROUP_CONCAT(item) FROM shop.orders", "after-the-restart")

	if err := replica.Promote(ctx); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	if err := replica.Restart(ctx); err != nil {
		t.Fatalf("Restart the promoted replica: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"read_only": "0"}, globals(t, replica, "read_only")); diff != "" {
		t.Errorf("promoted replica after Restart (writable): -want +got:\n%s", diff)
	}
}
