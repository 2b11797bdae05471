package emulator

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// serverSettings reads engine parameters off an instance's real server, as a client sees
// them in a new session, in the order of names.
type serverSettings func(t *testing.T, names ...string) []string

// pgSettings reads parameters of a postgres instance's server from pg_settings (the value
// in the parameter's unit, as RDS writes it: 250 for 250ms).
func pgSettings(c *rds.Client, id string) serverSettings {
	return func(t *testing.T, names ...string) []string {
		t.Helper()
		ep := describe(t, c, id).Endpoint
		ctx := context.Background()
		dsn := fmt.Sprintf("postgres://master:%s@%s/shop?sslmode=require", testPassword,
			net.JoinHostPort(aws.ToString(ep.Address), fmt.Sprint(aws.ToInt32(ep.Port))))
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("log in to %s: %v", id, err)
		}
		defer conn.Close(ctx)
		out := make([]string, len(names))
		for i, name := range names {
			if err := conn.QueryRow(ctx, `SELECT setting FROM pg_settings WHERE name = $1`, name).Scan(&out[i]); err != nil {
				t.Fatalf("read %s on %s: %v", name, id, err)
			}
		}
		return out
	}
}

// mariaSettings reads global variables of a mysql or mariadb instance's server.
func mariaSettings(c *rds.Client, id string) serverSettings {
	return func(t *testing.T, names ...string) []string {
		t.Helper()
		db, err := mysqlLogin(t, c, id, "master", testPassword, "shop")
		if err != nil {
			t.Fatalf("log in to %s: %v", id, err)
		}
		defer db.Close()
		out := make([]string, len(names))
		for i, name := range names {
			if err := db.QueryRow("SELECT @@GLOBAL." + name).Scan(&out[i]); err != nil {
				t.Fatalf("read %s on %s: %v", name, id, err)
			}
		}
		return out
	}
}

// engineCase is one engine's run of the parameter group story: a static and a dynamic
// parameter, each with two values to set, and the static one's value in a second group.
type engineCase struct {
	engine, version, family string
	static, dynamic         string
	staticValues            [2]string
	dynamicValues           [2]string
	// dynamicDefault is the dynamic parameter's value on a server no group set it on.
	dynamicDefault string
	otherStatic    string
	read           func(c *rds.Client, id string) serverSettings
}

// TestParamGroupsOnPostgres proves on real PostgreSQL servers that a DB parameter group
// reaches the server: see testParamGroupsOnEngine.
func TestParamGroupsOnPostgres(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	testParamGroupsOnEngine(t, engineCase{
		engine: "postgres", version: "17", family: "postgres17",
		static: "max_connections", staticValues: [2]string{"150", "175"}, otherStatic: "120",
		dynamic: "log_min_duration_statement", dynamicValues: [2]string{"250", "500"}, dynamicDefault: "-1",
		read: pgSettings,
	})
}

// TestParamGroupsOnMariaDB does the same on a real MariaDB server of a mariadb instance.
func TestParamGroupsOnMariaDB(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("MariaDB is not installed: %v", err)
	}
	testParamGroupsOnEngine(t, engineCase{
		engine: "mariadb", version: "10.11", family: "mariadb10.11",
		static: "back_log", staticValues: [2]string{"120", "130"}, otherStatic: "110",
		// 50, not the engine's 151: the emulator's MariaDB servers start with 50 (mariaserver).
		dynamic: "max_connections", dynamicValues: [2]string{"90", "95"}, dynamicDefault: "50",
		read: mariaSettings,
	})
}

// testParamGroupsOnEngine: an instance created with a group runs with its values, static
// ones too; an immediate change of a dynamic parameter reaches the server at once and
// leaves the instance in-sync; a pending-reboot change of a static one does not, and the
// instance is pending-reboot until RebootDBInstance, after which the server has it; another
// group associated waits for the next reboot, which also resets what the new group does
// not set; and the first group can be deleted once no instance uses it.
func testParamGroupsOnEngine(t *testing.T, ec engineCase) {
	_, c := start(t, Config{})
	ctx := context.Background()
	createGroup(t, c, "tuned", ec.family,
		param(ec.static, ec.staticValues[0], "pending-reboot"), param(ec.dynamic, ec.dynamicValues[0], "immediate"))
	createGroup(t, c, "other", ec.family, param(ec.static, ec.otherStatic, "pending-reboot"))

	in := createInput("db")
	in.Engine, in.EngineVersion, in.DBName = aws.String(ec.engine), aws.String(ec.version), aws.String("shop")
	in.DBParameterGroupName, in.BackupRetentionPeriod = aws.String("tuned"), aws.Int32(0)
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	waitStatus(t, c, "db", "available", 90*time.Second)
	read := ec.read(c, "db")

	type state struct {
		Static, Dynamic string
		Group           []string
	}
	now := func() state {
		got := read(t, ec.static, ec.dynamic)
		return state{Static: got[0], Dynamic: got[1], Group: groupStatus(describe(t, c, "db"))}
	}
	steps := []struct {
		reason string
		do     func()
		want   state
	}{
		{"A new instance starts with its group's values, the static one too.",
			func() {}, state{ec.staticValues[0], ec.dynamicValues[0], []string{"tuned:in-sync"}}},
		{"An immediate change of a dynamic parameter reaches the server at once: in-sync.",
			func() { modifyGroup(t, c, "tuned", param(ec.dynamic, ec.dynamicValues[1], "immediate")) },
			state{ec.staticValues[0], ec.dynamicValues[1], []string{"tuned:in-sync"}}},
		{"A pending-reboot change of a static parameter waits: the server is unchanged, the instance pending-reboot.",
			func() { modifyGroup(t, c, "tuned", param(ec.static, ec.staticValues[1], "pending-reboot")) },
			state{ec.staticValues[0], ec.dynamicValues[1], []string{"tuned:pending-reboot"}}},
		{"RebootDBInstance goes rebooting, restarts the server with the group's values and is in-sync.",
			func() {
				if diff := cmp.Diff([]string{"rebooting", "available"}, reboot(t, c, "db")); diff != "" {
					t.Errorf("statuses of the reboot: -want +got:\n%s", diff)
				}
			},
			state{ec.staticValues[1], ec.dynamicValues[1], []string{"tuned:in-sync"}}},
		{"Another group is associated at once and waits for the reboot: the server is unchanged.",
			func() {
				if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("db"), DBParameterGroupName: aws.String("other")}); err != nil {
					t.Fatal(err)
				}
			},
			state{ec.staticValues[1], ec.dynamicValues[1], []string{"other:pending-reboot"}}},
	}
	for _, s := range steps {
		s.do()
		if diff := cmp.Diff(s.want, now()); diff != "" {
			t.Errorf("%s\n-want +got:\n%s", s.reason, diff)
		}
	}
	// The reboot into the other group applies its value and resets what it does not set.
	reboot(t, c, "db")
	if diff := cmp.Diff(state{ec.otherStatic, ec.dynamicDefault, []string{"other:in-sync"}}, now()); diff != "" {
		t.Errorf("after the reboot into the other group, which does not set %s: -want +got:\n%s", ec.dynamic, diff)
	}

	del := func(name string) error {
		_, err := c.DeleteDBParameterGroup(ctx, &rds.DeleteDBParameterGroupInput{DBParameterGroupName: aws.String(name)})
		return err
	}
	if err := del("tuned"); err != nil {
		t.Errorf("delete the group no instance uses any more: %v", err)
	}
	if got := errorCode(del("other")); got != codeInvalidParamGroupState {
		t.Errorf("delete the group the instance uses: %s, want %s", got, codeInvalidParamGroupState)
	}
	if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("db"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c, "db", 60*time.Second)
	if err := del("other"); err != nil {
		t.Errorf("delete the group once its instance is gone: %v", err)
	}
}
