package mariaserver

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// startReplica starts a replica of source for one test.
func startReplica(t *testing.T, source *Server) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := StartReplica(ctx, Options{Dir: t.TempDir(), MasterPassword: testPassword}, source)
	if err != nil {
		t.Fatalf("StartReplica: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Errorf("Stop replica: %v", err)
		}
	})
	return r
}

// waitValue polls the replica until the query returns want, as replication is
// asynchronous.
func waitValue(t *testing.T, db *sql.DB, query, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got sql.NullString
	var err error
	for time.Now().Before(deadline) {
		err = db.QueryRow(query).Scan(&got)
		if err == nil && got.String == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s on the replica: got %q (err %v), want %q", query, got.String, err, want)
}

func TestReplicaReplicatesFromItsSource(t *testing.T) {
	source := startServer(t)
	primary := mustOpen(t, tcpConfig(source, testMaster, testPassword, ""))
	mustExec(t, primary,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.orders (item VARCHAR(64) PRIMARY KEY)",
		"INSERT INTO shop.orders VALUES ('before-the-replica')",
	)

	replica := startReplica(t, source)
	if replica.Port == source.Port || replica.serverID == source.serverID {
		t.Fatalf("replica shares the source's port %d or server id %d", source.Port, source.serverID)
	}
	standby := mustOpen(t, tcpConfig(replica, testMaster, testPassword, "shop"))
	const rows = "SELECT GROUP_CONCAT(item ORDER BY item) FROM shop.orders"
	waitValue(t, standby, rows, "before-the-replica")

	mustExec(t, primary, "INSERT INTO shop.orders VALUES ('written-on-the-primary')")
	waitValue(t, standby, rows, "before-the-replica,written-on-the-primary")

	// A new password for the master on the source reaches the replica too.
	const newPassword = "n3w-Passw0rd"
	if err := source.SetMasterPassword(context.Background(), newPassword); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := open(t, tcpConfig(replica, testMaster, newPassword, "")); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("master login on the replica with the source's new password: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	cases := map[string]struct {
		reason string
		query  string
	}{
		"Insert":       {reason: "read_only refuses the master's writes on a replica.", query: "INSERT INTO shop.orders VALUES ('written-on-the-replica')"},
		"CreateTable":  {reason: "read_only refuses DDL.", query: "CREATE TABLE shop.notes (n INT)"},
		"CreateSchema": {reason: "read_only refuses new databases.", query: "CREATE DATABASE other"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := standby.Exec(tc.query)
			if n := errNumber(err); n != 1290 {
				t.Errorf("%s\n%s: got %v, want error 1290 (ER_OPTION_PREVENTS_STATEMENT)", tc.reason, tc.query, err)
			}
		})
	}
	ok, err := replica.IsReplica(context.Background())
	if err != nil || !ok {
		t.Fatalf("IsReplica = %v (err %v), want true", ok, err)
	}
}

func TestPromotedReplicaWritesAndNoLongerFollows(t *testing.T) {
	source := startServer(t)
	primary := mustOpen(t, tcpConfig(source, testMaster, testPassword, ""))
	mustExec(t, primary, "CREATE DATABASE shop", "CREATE TABLE shop.orders (item VARCHAR(64))")
	replica := startReplica(t, source)
	ctx := context.Background()
	if err := replica.Promote(ctx); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	if ok, err := replica.IsReplica(ctx); err != nil || ok {
		t.Fatalf("promoted IsReplica = %v (err %v), want false", ok, err)
	}
	promoted := mustOpen(t, tcpConfig(replica, testMaster, testPassword, "shop"))
	mustExec(t, promoted, "INSERT INTO shop.orders VALUES ('written-after-promotion')")
	// The source's later writes no longer arrive.
	mustExec(t, primary, "INSERT INTO shop.orders VALUES ('written-on-the-old-source')")
	time.Sleep(200 * time.Millisecond)
	got := queryStrings(t, promoted, "SELECT item FROM shop.orders ORDER BY item")
	if len(got) != 1 || got[0] != "written-after-promotion" {
		t.Errorf("promoted replica rows = %v, want only its own", got)
	}
	if err := source.Promote(ctx); err != nil {
		t.Errorf("Promote of a standalone server: %v, want nothing done", err)
	}
}
