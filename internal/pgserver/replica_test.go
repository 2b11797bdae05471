package pgserver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// startReplica starts a replica of source for one test.
func startReplica(t *testing.T, source *Server) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := StartReplica(ctx, Options{Dir: t.TempDir()}, source)
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

// waitRow polls the replica until the query returns want, as streaming replication is
// asynchronous.
func waitRow(t *testing.T, conn *pgx.Conn, query, want string) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	var got string
	var err error
	for time.Now().Before(deadline) {
		err = conn.QueryRow(ctx, query).Scan(&got)
		if err == nil && got == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s on the replica: got %q (err %v), want %q", query, got, err, want)
}

func TestReplicaStreamsFromItsSource(t *testing.T) {
	source := startServer(t)
	ctx := context.Background()
	if err := source.CreateDatabase(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	primary, err := pgx.Connect(ctx, masterDSN(source, testPassword, "shop"))
	if err != nil {
		t.Fatalf("master login on the source: %v", err)
	}
	defer primary.Close(ctx)
	for _, q := range []string{`CREATE TABLE orders (item text)`, `INSERT INTO orders VALUES ('before-the-replica')`} {
		if _, err := primary.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	replica := startReplica(t, source)
	if replica.MasterUser != testMaster || replica.Port == source.Port {
		t.Fatalf("replica MasterUser %q port %d; want %q and a port of its own (source %d)", replica.MasterUser, replica.Port, testMaster, source.Port)
	}
	// The master logs in to the replica with the source's password: roles replicate.
	standby, err := pgx.Connect(ctx, masterDSN(replica, testPassword, "shop"))
	if err != nil {
		t.Fatalf("master login on the replica: %v", err)
	}
	defer standby.Close(ctx)
	waitRow(t, standby, `SELECT string_agg(item, ',' ORDER BY item) FROM orders`, "before-the-replica")

	if _, err := primary.Exec(ctx, `INSERT INTO orders VALUES ('written-on-the-primary')`); err != nil {
		t.Fatal(err)
	}
	waitRow(t, standby, `SELECT string_agg(item, ',' ORDER BY item) FROM orders`, "before-the-replica,written-on-the-primary")

	cases := map[string]struct {
		reason string
		query  string
	}{
		"Insert":      {reason: "A hot standby refuses to write rows.", query: `INSERT INTO orders VALUES ('written-on-the-replica')`},
		"CreateTable": {reason: "A hot standby refuses DDL.", query: `CREATE TABLE notes (n text)`},
		"CreateRole":  {reason: "A hot standby refuses to create roles, which live on the source.", query: `CREATE ROLE someone LOGIN`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := standby.Exec(ctx, tc.query)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
				t.Errorf("%s\n%s: got %v, want SQLSTATE 25006 (read_only_sql_transaction)", tc.reason, tc.query, err)
			}
		})
	}

	inRecovery, err := replica.InRecovery(ctx)
	if err != nil || !inRecovery {
		t.Fatalf("replica InRecovery = %v (err %v), want true", inRecovery, err)
	}
	// A second replica of the same source reuses the replication role.
	second := startReplica(t, source)
	if ok, err := second.InRecovery(ctx); err != nil || !ok {
		t.Fatalf("second replica InRecovery = %v (err %v), want true", ok, err)
	}
}

func TestPromotedReplicaWritesAndNoLongerFollows(t *testing.T) {
	source := startServer(t)
	ctx := context.Background()
	if err := source.CreateDatabase(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	replica := startReplica(t, source)
	if err := replica.Promote(ctx); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	if ok, err := replica.InRecovery(ctx); err != nil || ok {
		t.Fatalf("promoted replica InRecovery = %v (err %v), want false", ok, err)
	}
	conn, err := pgx.Connect(ctx, masterDSN(replica, testPassword, "shop"))
	if err != nil {
		t.Fatalf("master login on the promoted replica: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE promoted (n int)`); err != nil {
		t.Errorf("write on the promoted replica: %v", err)
	}
	if err := replica.Promote(ctx); err != nil {
		t.Errorf("Promote of a standalone server: %v, want nothing done", err)
	}
	// The old source goes on alone; the promoted server is not affected by it.
	if err := source.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO promoted VALUES (1)`); err != nil {
		t.Errorf("write after the old source stopped: %v", err)
	}
}
