package e2e

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestParameters: spec.parameters lands in the database's own DB parameter group and on the
// real server; a dynamic change applies at once, a static one waits for a restart that
// rebootPolicy governs; an unknown parameter is named in the condition; a settled object
// costs no parameter call; deleting the object deletes the group after the database.
func TestParameters(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "params")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tuned"}}
	db.Spec.Size = "20GB"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Parameters = map[string]string{"max_connections": "150", "log_min_duration_statement": "500"}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, db)
	id := naming.Identifier(ns, db.Name)
	group := id + "-postgres17" // the database's own, of its family
	master := string(secretData(t, ns, "tuned.rds.master")["uri"])
	show := func(name string) string { return setting(ctx, master, name) }
	waitShow := func(name, want string) {
		t.Helper()
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) { return show(name) == want, nil })
		if err != nil {
			t.Fatalf("SHOW %s never said %s (now %s)", name, want, show(name))
		}
	}
	status := func() *v1.RDSDatabase {
		t.Helper()
		cur := &v1.RDSDatabase{}
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
			t.Fatal(err)
		}
		return cur
	}

	t.Run("MadeWithTheDatabase", func(t *testing.T) {
		waitCondition(t, db, v1.ConditionParametersApplied, v1.ReasonParametersInSync)
		if p := status().Status.Parameters; p == nil || p.Group != group || p.Applied == "" || p.PendingReboot {
			t.Errorf("status.parameters = %+v, want group %s applied and nothing pending", p, group)
		}
		if v := show("max_connections"); v != "150" {
			t.Errorf("max_connections is %s on the server, want 150 (a new database starts with its group)", v)
		}
		if v := show("log_min_duration_statement"); v != "500ms" {
			t.Errorf("log_min_duration_statement is %s on the server, want 500ms", v)
		}
	})

	t.Run("SettledCostsNoParameterCall", func(t *testing.T) {
		before := callsFor(id)
		passes(t, 5)
		for action, n := range callsFor(id) {
			if strings.Contains(action, "Parameter") && n != before[action] {
				t.Errorf("%d %s calls over 5 passes of a settled object, want none", n-before[action], action)
			}
		}
	})

	t.Run("DynamicAppliesAtOnce", func(t *testing.T) {
		reboots := callsFor(id)["RebootDBInstance"]
		if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) { s.Parameters["log_min_duration_statement"] = "250" }); err != nil {
			t.Fatal(err)
		}
		waitShow("log_min_duration_statement", "250ms")
		if n := callsFor(id)["RebootDBInstance"]; n != reboots {
			t.Errorf("%d reboots for a dynamic parameter, want none", n-reboots)
		}
	})

	t.Run("StaticWaitsAsTheRebootPolicySays", func(t *testing.T) {
		if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) {
			s.Parameters["max_connections"] = "120"
			s.RebootPolicy = v1.RebootNever
		}); err != nil {
			t.Fatal(err)
		}
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			p := status().Status.Parameters
			return p != nil && p.PendingReboot && slices.Contains(p.PendingRebootParameters, "max_connections"), nil
		})
		if err != nil {
			t.Fatalf("max_connections never showed as waiting for a reboot: %+v", status().Status.Parameters)
		}
		waitCondition(t, db, v1.ConditionParametersApplied, v1.ReasonRebootPending)
		reboots := callsFor(id)["RebootDBInstance"]
		passes(t, 3)
		if n := callsFor(id)["RebootDBInstance"]; n != reboots {
			t.Errorf("%d reboots with rebootPolicy Never, want none", n-reboots)
		}
		if v := show("max_connections"); v != "150" {
			t.Errorf("max_connections is %s before the restart, want still 150", v)
		}

		if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) { s.RebootPolicy = v1.RebootImmediately }); err != nil {
			t.Fatal(err)
		}
		waitShow("max_connections", "120")
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			p := status().Status.Parameters
			return p != nil && !p.PendingReboot && len(p.PendingRebootParameters) == 0, nil
		})
		if err != nil {
			t.Fatalf("status still shows a pending reboot after it: %+v", status().Status.Parameters)
		}
		if n := callsFor(id)["RebootDBInstance"]; n != reboots+1 {
			t.Errorf("%d reboots with rebootPolicy Immediately, want one", n-reboots)
		}
		if !eventSays(t, ns, db.Name, v1.EventRebooting, "max_connections") {
			var list eventsv1.EventList
			_ = stack.Client.List(ctx, &list, client.InNamespace(ns))
			for _, e := range list.Items {
				t.Logf("event %s %s: %s", e.Type, e.Reason, e.Note)
			}
			t.Errorf("no %s Event naming max_connections", v1.EventRebooting)
		}
	})

	t.Run("UnknownParameterIsNamed", func(t *testing.T) {
		if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) { s.Parameters["no_such_setting"] = "1" }); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, db, v1.ConditionParametersApplied, v1.ReasonParametersRefused)
		c := meta.FindStatusCondition(status().Status.Conditions, v1.ConditionParametersApplied)
		if c == nil || !strings.Contains(c.Message, "spec.parameters") || !strings.Contains(c.Message, "no_such_setting") {
			t.Errorf("ParametersApplied = %+v, want it to name spec.parameters and no_such_setting", c)
		}
		if !eventSays(t, ns, db.Name, v1.ReasonParametersRefused, "no_such_setting") {
			t.Errorf("no %s Event naming no_such_setting", v1.ReasonParametersRefused)
		}
		if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) { delete(s.Parameters, "no_such_setting") }); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, db, v1.ConditionParametersApplied, v1.ReasonParametersInSync)
	})

	t.Run("RemovedGoesBackToTheDefault", func(t *testing.T) {
		if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) { delete(s.Parameters, "log_min_duration_statement") }); err != nil {
			t.Fatal(err)
		}
		waitShow("log_min_duration_statement", "-1")
	})

	t.Run("DeletedAfterTheDatabase", func(t *testing.T) {
		cur := status()
		if err := stack.Client.Delete(ctx, cur); err != nil {
			t.Fatal(err)
		}
		waitGone(t, cur)
		var order []string
		for _, c := range stack.Emulator.Stats().Log {
			if (c.ID == id || c.ID == group) && c.Code == "" && (c.Action == "DeleteDBInstance" || c.Action == "DeleteDBParameterGroup") {
				order = append(order, c.Action)
			}
		}
		if !slices.Equal(order, []string{"DeleteDBInstance", "DeleteDBParameterGroup"}) {
			t.Errorf("deletes of %s: %v, want the database's, then its parameter group's", id, order)
		}
	})
}

// passes waits until the operator has read the cloud n more times (its reads of RDS's event
// feed, each followed by a look at the databases it names) and resynced every object at
// least twice, for tests that count calls over a number of passes.
func passes(t *testing.T, n int) {
	t.Helper()
	start, began := stack.Emulator.Stats().Operations("DescribeEvents"), time.Now()
	err := harness.WaitFor(context.Background(), time.Duration(n+5)*stack.Resync()+readyTimeout, func(ctx context.Context) (bool, error) {
		return stack.Emulator.Stats().Operations("DescribeEvents") >= start+n && time.Since(began) >= 2*stack.Resync(), nil
	})
	if err != nil {
		t.Fatalf("the operator did not read the cloud %d times: %v", n, err)
	}
}

// TestStorageAutoscaling: maxSize turns on the cloud's storage autoscaling; storage the
// cloud grows by itself shows in status and is never asked back down or again, over many
// resyncs; maxSize equal to size turns autoscaling off.
func TestStorageAutoscaling(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "autoscale")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "growing"}}
	db.Spec.Size = "20GB"
	db.Spec.MaxSize = "100GB"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, db)
	if c := got.Status.Cloud; c == nil || c.MaxAllocatedStorageGiB != 100 || c.AllocatedStorageGiB != 20 {
		t.Fatalf("status.cloud = %+v, want 20 GiB allowed to grow to 100", c)
	}
	id := naming.Identifier(ns, db.Name)
	// The cloud's autoscaler acts on an available instance (it may still be taking its
	// first backup).
	err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		return stack.Emulator.FillStorage(id) == nil, nil
	})
	if err != nil {
		t.Fatalf("the storage could not run low: %v", stack.Emulator.FillStorage(id))
	}
	cur := &v1.RDSDatabase{}
	err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
			return false, err
		}
		c := cur.Status.Cloud
		return c != nil && c.AllocatedStorageGiB > 20 && c.Status == "available", nil
	})
	if err != nil {
		t.Fatalf("the grown storage never showed: %+v", cur.Status.Cloud)
	}
	grown := cur.Status.Cloud.AllocatedStorageGiB
	modifies := callsFor(id)["ModifyDBInstance"]
	passes(t, 10)
	if n := callsFor(id)["ModifyDBInstance"]; n != modifies {
		t.Errorf("%d ModifyDBInstance calls after the cloud grew the storage, want none: the operator must not fight the autoscaler", n-modifies)
	}
	waitReady(t, db)

	if err := update(ctx, cur, func(s *v1.RDSDatabaseSpec) { s.MaxSize = s.Size }); err != nil { // equal to size: off
		t.Fatal(err)
	}
	err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
			return false, err
		}
		c := cur.Status.Cloud
		return c != nil && c.MaxAllocatedStorageGiB == 0, nil
	})
	if err != nil {
		t.Fatalf("autoscaling was not turned off: %+v", cur.Status.Cloud)
	}
	if a := cur.Status.Cloud.AllocatedStorageGiB; a != grown {
		t.Errorf("storage is %d GiB after autoscaling was turned off, want the %d GiB it grew to", a, grown)
	}
	if err := stack.Client.Delete(ctx, cur); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cur)
}

// TestAuroraParameters: on Aurora spec.parameters land in the cluster's own DB cluster
// parameter group, on the cluster's server, and a static one waits for the restart of the
// cluster's instances, which rebootPolicy Immediately has the operator do.
func TestAuroraParameters(t *testing.T) {
	ctx := context.Background()
	addNodes(t)
	ns := namespace(t, "aurora-params")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ledger"}}
	db.Spec.Type = v1.TypeAuroraPostgreSQL
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.RebootPolicy = v1.RebootImmediately
	db.Spec.Parameters = map[string]string{"log_min_duration_statement": "500"}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitReady(t, db)
	waitCondition(t, db, v1.ConditionParametersApplied, v1.ReasonParametersInSync)
	id := naming.Identifier(ns, db.Name)
	master := string(secretData(t, ns, "ledger.rds.master")["uri"])
	show := func(name string) string { return setting(ctx, master, name) }
	if v := show("log_min_duration_statement"); v != "500ms" {
		t.Errorf("log_min_duration_statement is %s on the cluster, want 500ms", v)
	}
	cur := &v1.RDSDatabase{}
	if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
		t.Fatal(err)
	}
	if p := cur.Status.Parameters; p == nil || !strings.HasPrefix(p.Group, id+"-aurora-postgresql") {
		t.Errorf("status.parameters = %+v, want the cluster's own group %s-aurora-postgresql<major>", p, id)
	}
	group := cur.Status.Parameters.Group

	rebootsOf := func() int { // the writer, the cluster's only instance
		n := 0
		for _, c := range stack.Emulator.Stats().Log {
			if c.Action == "RebootDBInstance" && c.Code == "" && strings.HasPrefix(c.ID, id) {
				n++
			}
		}
		return n
	}
	reboots := rebootsOf()
	if err := update(ctx, cur, func(s *v1.RDSDatabaseSpec) { s.Parameters["max_connections"] = "140" }); err != nil {
		t.Fatal(err)
	}
	err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) { return show("max_connections") == "140", nil })
	if err != nil {
		t.Fatalf("max_connections never reached the cluster's server (now %s)", show("max_connections"))
	}
	waitCondition(t, db, v1.ConditionParametersApplied, v1.ReasonParametersInSync)
	if n := rebootsOf() - reboots; n != 1 {
		t.Errorf("%d reboots of the writer for a static parameter, want one", n)
	}
	if err := stack.Client.Delete(ctx, cur); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cur)
	if n := callsFor(group)["DeleteDBClusterParameterGroup"]; n != 1 {
		t.Errorf("%d deletes of the cluster's parameter group, want one after the cluster", n)
	}
}

// TestParametersAcrossAMajorUpgrade: a database with spec.parameters upgraded to another
// major moves to its parameter group of the new family, made with the same parameters, which
// the upgraded server runs with.
func TestParametersAcrossAMajorUpgrade(t *testing.T) {
	builds, err := pgserver.DefaultBuilds()
	if err != nil {
		t.Fatalf("look up PostgreSQL builds: %v", err)
	}
	if _, err := builds.ForMajor(16); err != nil || !builds.PerMajor() {
		t.Skipf("no PostgreSQL 16 build (%v): hack/postgres.sh fetches 14 to 18", err)
	}
	ctx := context.Background()
	ns := namespace(t, "params-upgrade")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aging"}}
	db.Spec.Size = "20GB"
	db.Spec.Version = "16"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.RebootPolicy = v1.RebootImmediately
	db.Spec.Parameters = map[string]string{"work_mem": "8192", "max_connections": "130"}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, db)
	id := naming.Identifier(ns, db.Name)
	if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) { s.Version, s.AllowMajorVersionUpgrade = "17", true }); err != nil {
		t.Fatal(err)
	}
	master := string(secretData(t, ns, "aging.rds.master")["uri"])
	show := func(name string) string { return setting(ctx, master, name) }
	cur := &v1.RDSDatabase{}
	err = harness.WaitFor(ctx, 2*readyTimeout, func(ctx context.Context) (bool, error) {
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
			return false, err
		}
		c, p := cur.Status.Cloud, cur.Status.Parameters
		return c != nil && strings.HasPrefix(c.EngineVersion, "17") && p != nil && p.Group == id+"-postgres17" && !p.PendingReboot &&
			show("max_connections") == "130" && show("work_mem") == "8MB", nil
	})
	if err != nil {
		t.Fatalf("after the upgrade: status.cloud %+v, status.parameters %+v, max_connections %s, work_mem %s",
			cur.Status.Cloud, cur.Status.Parameters, show("max_connections"), show("work_mem"))
	}
	if err := stack.Client.Delete(ctx, cur); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cur)
	if n := callsFor(id + "-postgres16")["DeleteDBParameterGroup"] + callsFor(id + "-postgres17")["DeleteDBParameterGroup"]; n != 2 {
		for _, c := range stack.Emulator.Stats().Log {
			if strings.HasPrefix(c.ID, id) && strings.Contains(c.Action, "Parameter") {
				t.Logf("%s %s %s", c.Action, c.ID, c.Code)
			}
		}
		t.Errorf("%d of the database's two parameter groups deleted with it, want both", n)
	}
}

// TestParametersOnMySQL: on MySQL the same map sets the server's variables, a dynamic one at
// once and a static one at the restart rebootPolicy Immediately asks for.
func TestParametersOnMySQL(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "params-mysql")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "carts"}}
	db.Spec.Type = v1.TypeMySQL
	db.Spec.Size = "20GB"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.RebootPolicy = v1.RebootImmediately
	db.Spec.Parameters = map[string]string{"innodb_lock_wait_timeout": "20"}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, db)
	waitCondition(t, db, v1.ConditionParametersApplied, v1.ReasonParametersInSync)
	uri := string(secretData(t, ns, "carts.rds.master")["uri"])
	variable := func(name string) string {
		conn, err := mysqlLogin(ctx, t, uri, "")
		if err != nil {
			return ""
		}
		defer conn.Close()
		var v string
		_ = conn.QueryRowContext(ctx, "SELECT @@GLOBAL."+name).Scan(&v)
		return v
	}
	if v := variable("innodb_lock_wait_timeout"); v != "20" {
		t.Errorf("innodb_lock_wait_timeout is %s, want 20", v)
	}
	if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) { s.Parameters["back_log"] = "90" }); err != nil {
		t.Fatal(err)
	}
	err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) { return variable("back_log") == "90", nil })
	if err != nil {
		t.Fatalf("the static back_log never reached the server (now %s)", variable("back_log"))
	}
	if v := variable("innodb_lock_wait_timeout"); v != "20" {
		t.Errorf("innodb_lock_wait_timeout is %s after the restart, want 20", v)
	}
	cur := &v1.RDSDatabase{}
	if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
		t.Fatal(err)
	}
	if err := stack.Client.Delete(ctx, cur); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cur)
}

// TestParametersWithAReadReplica: parameters added to a database with a read replica reach
// the replica too (it takes the group, and is restarted before its source, so that a
// PostgreSQL replica never runs a lower max_connections than its source).
func TestParametersWithAReadReplica(t *testing.T) {
	ctx := context.Background()
	addNodes(t)
	ns := namespace(t, "params-replica")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mirrored"}}
	db.Spec.Size = "20GB"
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.HighAvailability = &v1.HighAvailability{ReadReplicas: 1}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := waitReady(t, db)
	data := secretData(t, ns, "mirrored.rds.master")
	if len(data["ro-host"]) == 0 {
		t.Fatalf("no reader host in the master Secret: %v", slices.Sorted(maps.Keys(data)))
	}
	primary := string(data["uri"])
	u, err := url.Parse(primary)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = string(data["ro-host"]) + ":" + string(data["ro-port"])
	reader := u.String()
	show := func(uri string) string { return setting(ctx, uri, "max_connections") }
	if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) {
		s.Parameters, s.RebootPolicy = map[string]string{"max_connections": "150"}, v1.RebootImmediately
	}); err != nil {
		t.Fatal(err)
	}
	err = harness.WaitFor(ctx, 2*readyTimeout, func(ctx context.Context) (bool, error) {
		return show(primary) == "150" && show(reader) == "150", nil
	})
	if err != nil {
		t.Fatalf("max_connections is %s on the primary and %s on the replica, want 150 on both", show(primary), show(reader))
	}
	cur := &v1.RDSDatabase{}
	if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
		t.Fatal(err)
	}
	if err := stack.Client.Delete(ctx, cur); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cur)
}

// setting is what SHOW name says on the PostgreSQL server uri reaches, "" when it cannot be
// read (the server restarting).
func setting(ctx context.Context, uri, name string) string {
	conn, err := loginWith(ctx, uri, "")
	if err != nil {
		return ""
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SHOW "+name).Scan(&v); err != nil {
		return ""
	}
	return v
}
