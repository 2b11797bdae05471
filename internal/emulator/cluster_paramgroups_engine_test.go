package emulator

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"
)

// clusterSettings reads parameters off the server behind a cluster's writer endpoint,
// from pg_settings in a new session (the value in the parameter's unit, as RDS writes
// it: 250 for 250ms), in the order of names.
func clusterSettings(t *testing.T, c *rds.Client, id string, names ...string) []string {
	t.Helper()
	ctx := context.Background()
	cl := describeCluster(t, c, id)
	conn, err := pgConnect(aws.ToString(cl.Endpoint), aws.ToInt32(cl.Port), testPassword, "shop")
	if err != nil {
		t.Fatalf("log in at the endpoint of cluster %s: %v", id, err)
	}
	defer conn.Close(ctx)
	out := make([]string, len(names))
	for i, name := range names {
		if err := conn.QueryRow(ctx, `SELECT setting FROM pg_settings WHERE name = $1`, name).Scan(&out[i]); err != nil {
			t.Fatalf("read %s on cluster %s: %v", name, id, err)
		}
	}
	return out
}

// TestClusterParamGroupsOnPostgres proves on a real PostgreSQL server behind an
// aurora-postgresql cluster that its DB cluster parameter group reaches the server: the
// new cluster runs with the group's values, the static max_connections too; an immediate
// change of the dynamic log_min_duration_statement shows at the endpoint at once and
// leaves the members in-sync; a pending-reboot change of max_connections does not, and
// the members are pending-reboot until the writer's reboot restarts the server with it;
// another group associated waits for the next reboot of the writer, which also resets
// what the new group does not set.
func TestClusterParamGroupsOnPostgres(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	_, c := start(t, Config{})
	ctx := context.Background()
	createClusterGroup(t, c, "tuned", "aurora-postgresql16",
		param("max_connections", "150", "pending-reboot"), param("log_min_duration_statement", "250", "immediate"))
	createClusterGroup(t, c, "other", "aurora-postgresql16", param("max_connections", "120", "pending-reboot"))
	createAuroraCluster(t, c, "ledger", "16.6", aws.String("tuned"), "ledger-1", "ledger-2")

	type state struct {
		MaxConnections, LogMinDuration string
		Group                          []string
	}
	now := func() state {
		got := clusterSettings(t, c, "ledger", "max_connections", "log_min_duration_statement")
		return state{got[0], got[1], clusterGroupState(t, c, "ledger")}
	}
	steps := []struct {
		reason string
		do     func()
		want   state
	}{
		{"A new cluster's server starts with its group's values, the static one too.",
			func() {}, state{"150", "250", []string{"tuned", "ledger-1:in-sync", "ledger-2:in-sync"}}},
		{"An immediate change of a dynamic parameter reaches the server at once: in-sync.",
			func() { modifyClusterGroup(t, c, "tuned", param("log_min_duration_statement", "500", "immediate")) },
			state{"150", "500", []string{"tuned", "ledger-1:in-sync", "ledger-2:in-sync"}}},
		{"A pending-reboot change of a static parameter waits: the server is unchanged, the members pending-reboot.",
			func() { modifyClusterGroup(t, c, "tuned", param("max_connections", "175", "pending-reboot")) },
			state{"150", "500", []string{"tuned", "ledger-1:pending-reboot", "ledger-2:pending-reboot"}}},
		{"RebootDBInstance of the writer goes rebooting and restarts the cluster's server with the group's values; the reader (16.6 has read availability) waits for its own reboot.",
			func() {
				if diff := cmp.Diff([]string{"rebooting", "available"}, reboot(t, c, "ledger-1")); diff != "" {
					t.Errorf("statuses of the writer's reboot: -want +got:\n%s", diff)
				}
			},
			state{"175", "500", []string{"tuned", "ledger-1:in-sync", "ledger-2:pending-reboot"}}},
		{"The reader's reboot makes it in-sync and leaves the server alone.",
			func() { reboot(t, c, "ledger-2") },
			state{"175", "500", []string{"tuned", "ledger-1:in-sync", "ledger-2:in-sync"}}},
		{"Another group is associated at once and waits for the reboot: the server is unchanged.",
			func() {
				if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger"), DBClusterParameterGroupName: aws.String("other")}); err != nil {
					t.Fatal(err)
				}
			},
			state{"175", "500", []string{"other", "ledger-1:pending-reboot", "ledger-2:pending-reboot"}}},
		{"The writer's reboot into the other group applies its value and resets what it does not set.",
			func() { reboot(t, c, "ledger-1") },
			state{"120", "-1", []string{"other", "ledger-1:in-sync", "ledger-2:pending-reboot"}}},
	}
	for _, s := range steps {
		s.do()
		if diff := cmp.Diff(s.want, now()); diff != "" {
			t.Errorf("%s\n-want +got:\n%s", s.reason, diff)
		}
	}

	del := func(name string) error {
		_, err := c.DeleteDBClusterParameterGroup(ctx, &rds.DeleteDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String(name)})
		return err
	}
	if err := del("tuned"); err != nil {
		t.Errorf("delete the group no cluster uses any more: %v", err)
	}
	if got := errorCode(del("other")); got != codeInvalidParamGroupState {
		t.Errorf("delete the group the cluster uses: %s, want %s", got, codeInvalidParamGroupState)
	}
	waitClusterStatus(t, c, "ledger", "available", time.Minute)
}
