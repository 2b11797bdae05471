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

// upgradeFixture is what a master makes on a server before an upgrade, as an application
// and the operator would: roles with passwords and memberships, a database of its own that
// only some roles may connect to, a schema, an enum, tables with serial, identity,
// generated and defaulted columns, keys, a check, an index, a view, a materialized view, a
// function and a trigger, a row security policy, grants and default privileges.
var upgradeFixture = []string{
	`CREATE ROLE app LOGIN PASSWORD 'app-Passw0rd'`,
	`CREATE ROLE readers NOLOGIN`,
	`CREATE ROLE reporting LOGIN PASSWORD 'rep-Passw0rd' IN ROLE readers`,
	`CREATE ROLE outsider LOGIN PASSWORD 'out-Passw0rd'`,
	`CREATE DATABASE shop`,
	`REVOKE CONNECT, TEMPORARY ON DATABASE shop FROM PUBLIC`,
	`GRANT CONNECT ON DATABASE shop TO app, readers`,
	`\c shop`,
	`CREATE SCHEMA sales`,
	`ALTER DEFAULT PRIVILEGES IN SCHEMA sales GRANT SELECT ON TABLES TO readers`,
	`GRANT USAGE ON SCHEMA sales TO readers, app`,
	`CREATE TYPE sales.state AS ENUM ('new', 'paid', 'sent')`,
	`CREATE TABLE sales.customers (id serial PRIMARY KEY, name text NOT NULL UNIQUE)`,
	`CREATE TABLE sales.orders (
		id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		customer int NOT NULL REFERENCES sales.customers (id),
		state sales.state NOT NULL DEFAULT 'new',
		qty int CHECK (qty > 0),
		price numeric(10,2),
		total numeric(12,2) GENERATED ALWAYS AS (qty * price) STORED,
		touched int NOT NULL DEFAULT 0)`,
	`CREATE INDEX orders_state ON sales.orders (state)`,
	`CREATE FUNCTION sales.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.touched := NEW.touched + 1; RETURN NEW; END $$`,
	`CREATE TRIGGER touch BEFORE UPDATE ON sales.orders FOR EACH ROW EXECUTE FUNCTION sales.touch()`,
	`INSERT INTO sales.customers (name) VALUES ('ada'), ('grace')`,
	`INSERT INTO sales.orders (customer, qty, price) VALUES (1, 2, 10.50), (2, 1, 3.00)`,
	`UPDATE sales.orders SET state = 'paid' WHERE customer = 1`,
	`CREATE VIEW sales.paid AS SELECT id, total FROM sales.orders WHERE state = 'paid'`,
	`CREATE MATERIALIZED VIEW sales.revenue AS SELECT sum(total) AS sum FROM sales.orders`,
	`GRANT SELECT, INSERT ON sales.orders TO app`,
	`GRANT USAGE ON SEQUENCE sales.customers_id_seq TO app`,
	`ALTER TABLE sales.customers ENABLE ROW LEVEL SECURITY`,
	`CREATE POLICY mine ON sales.customers FOR SELECT TO readers USING (name = 'ada')`,
}

// TestUpgradeCopiesEverything upgrades servers from the oldest major to the newest and
// from the second newest to the newest (both sides of 16, where role memberships changed)
// and checks that roles, data, privileges and behaviour came along.
func TestUpgradeCopiesEverything(t *testing.T) {
	builds := perMajorBuilds(t)
	majors := builds.Majors()
	if len(majors) < 2 {
		t.Skipf("upgrades need two majors; the set has %v", majors)
	}
	newest := majors[len(majors)-1]
	pairs := [][2]int{{majors[0], newest}}
	if second := majors[len(majors)-2]; second != majors[0] {
		pairs = append(pairs, [2]int{second, newest})
	}
	for _, p := range pairs {
		t.Run(fmt.Sprintf("%dTo%d", p[0], p[1]), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			src := startMajor(t, p[0])
			applyFixture(ctx, t, src)
			client, err := pgx.Connect(ctx, masterDSN(src, testPassword, "postgres"))
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close(ctx)

			dst, err := src.Upgrade(ctx, Options{Dir: t.TempDir(), Major: p[1]})
			if err != nil {
				t.Fatalf("Upgrade: %v", err)
			}
			// A client of the source is gone, so no write of its is lost with the source,
			// and a new session there may only read.
			if _, err := client.Exec(ctx, `SELECT 1`); err == nil {
				t.Errorf("a session of the source outlived the copy")
			}
			if late, err := pgx.Connect(ctx, masterDSN(src, testPassword, "postgres")); err == nil {
				_, werr := late.Exec(ctx, `CREATE TABLE after_the_copy (n int)`)
				late.Close(ctx)
				if werr == nil {
					t.Errorf("the source took a write after the copy began")
				}
			}
			t.Cleanup(func() {
				if err := dst.Stop(); err != nil {
					t.Errorf("Stop: %v", err)
				}
			})
			port := src.Port
			if err := src.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := dst.MoveToPort(ctx, port); err != nil {
				t.Fatalf("MoveToPort: %v", err)
			}
			checkUpgraded(ctx, t, dst, p[1])
		})
	}
}

// applyFixture runs upgradeFixture as the master; `\c db` switches databases.
func applyFixture(ctx context.Context, t *testing.T, s *Server) {
	t.Helper()
	conn, err := pgx.Connect(ctx, masterDSN(s, testPassword, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { conn.Close(ctx) }()
	for _, q := range upgradeFixture {
		if db, ok := strings.CutPrefix(q, `\c `); ok {
			conn.Close(ctx)
			if conn, err = pgx.Connect(ctx, masterDSN(s, testPassword, db)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// checkUpgraded checks the upgraded server against what upgradeFixture made.
func checkUpgraded(ctx context.Context, t *testing.T, s *Server, major int) {
	t.Helper()
	login := func(user, password string) (*pgx.Conn, error) {
		return pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=shop sslmode=require", s.Host, s.Port, user, quoteDSN(password)))
	}
	master, err := login(testMaster, testPassword)
	if err != nil {
		t.Fatalf("master login with its old password: %v", err)
	}
	defer master.Close(ctx)
	if got := serverMajorOf(ctx, t, master); got != major {
		t.Errorf("server runs %d, want %d", got, major)
	}
	cases := map[string]struct {
		reason string
		user   string
		pw     string
		query  string
		want   string
	}{
		"Rows": {
			reason: "The rows came along, generated columns computed, trigger effects kept.",
			user:   testMaster, pw: testPassword,
			query: `SELECT string_agg(format('%s/%s/%s/%s/%s', id, customer, state, total, touched), ' ' ORDER BY id) FROM sales.orders`,
			want:  "1/1/paid/21.00/1 2/2/new/3.00/0",
		},
		"ViewAndMatview": {
			reason: "Views read the copied rows; the materialized view has its data.",
			user:   testMaster, pw: testPassword,
			query: `SELECT (SELECT string_agg(total::text, ',') FROM sales.paid) || ' ' || (SELECT sum::text FROM sales.revenue)`,
			want:  "21.00 24.00",
		},
		"IdentityContinues": {
			reason: "The identity and serial sequences continue where they were.",
			user:   testMaster, pw: testPassword,
			query: `WITH c AS (INSERT INTO sales.customers (name) VALUES ('linus') RETURNING id), o AS (INSERT INTO sales.orders (customer, qty, price) SELECT id, 1, 1 FROM c RETURNING id)
				SELECT (SELECT id FROM c)::text || ' ' || (SELECT id FROM o)::text`,
			want: "3 3",
		},
		"TriggerFires": {
			reason: "The trigger and its function came along.",
			user:   testMaster, pw: testPassword,
			query: `UPDATE sales.orders SET qty = 3 WHERE id = 2 RETURNING touched::text || ' ' || total::text`,
			want:  "1 9.00",
		},
		"PolicyAndDefaultPrivileges": {
			reason: "A reader sees through the policy only ada, thanks to default privileges granted through a membership.",
			user:   "reporting", pw: "rep-Passw0rd",
			query: `SELECT string_agg(name, ',') FROM sales.customers`,
			want:  "ada",
		},
		"GrantsKept": {
			reason: "A role keeps its grants on a table and its password.",
			user:   "app", pw: "app-Passw0rd",
			query: `SELECT state::text FROM sales.orders WHERE id = 1`,
			want:  "paid",
		},
		"ConstraintsHold": {
			reason: "The check constraint still refuses a bad row.",
			user:   testMaster, pw: testPassword,
			query: `SELECT (SELECT count(*) FROM pg_constraint WHERE conrelid = 'sales.orders'::regclass AND contype IN ('p', 'f', 'c'))::text`,
			want:  "3",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			conn, err := login(tc.user, tc.pw)
			if err != nil {
				t.Fatalf("%s\nlogin as %s: %v", tc.reason, tc.user, err)
			}
			defer conn.Close(ctx)
			// Each case's changes are rolled back, so that the cases see the same rows.
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			var got string
			if err := tx.QueryRow(ctx, tc.query).Scan(&got); err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
	if conn, err := login("outsider", "out-Passw0rd"); err == nil {
		conn.Close(ctx)
		t.Errorf("outsider connected to shop: the database's CONNECT privileges were lost")
	}
	if _, err := master.Exec(ctx, `INSERT INTO sales.orders (customer, qty) VALUES (1, 0)`); err == nil {
		t.Errorf("a row breaking the check constraint was accepted")
	}
	// The master still manages the roles it made, as the operator needs.
	if _, err := master.Exec(ctx, `ALTER ROLE app PASSWORD 'new-Passw0rd'`); err != nil {
		t.Errorf("master changing the password of a role it made: %v", err)
	}
}

// serverMajorOf is the major version of the server a session is on.
func serverMajorOf(ctx context.Context, t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var num int
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&num); err != nil {
		t.Fatal(err)
	}
	return num / 10000
}

func TestUpgradeRefusesWhatItCannotCopy(t *testing.T) {
	builds := perMajorBuilds(t)
	majors := builds.Majors()
	if len(majors) < 2 {
		t.Skipf("upgrades need two majors; the set has %v", majors)
	}
	ctx := context.Background()
	src := startMajor(t, majors[len(majors)-2])
	conn, err := pgx.Connect(ctx, masterDSN(src, testPassword, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{`CREATE DATABASE shop`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	shop, err := pgx.Connect(ctx, masterDSN(src, testPassword, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close(ctx)
	if _, err := shop.Exec(ctx, `CREATE DOMAIN positive AS int CHECK (VALUE > 0)`); err != nil {
		t.Fatal(err)
	}
	_, err = src.Upgrade(ctx, Options{Dir: t.TempDir(), Major: majors[len(majors)-1]})
	if err == nil || !strings.Contains(err.Error(), "1 user-defined types other than enums in database shop") {
		t.Errorf("Upgrade with a domain: %v; want it refused, naming the domain's kind and database", err)
	}
}
