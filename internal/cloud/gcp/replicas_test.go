package gcp

import (
	"database/sql"
	"errors"
	"net"
	"strconv"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/gcpemulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
)

// replicaOf is the read replica of source the controller asks for.
func replicaOf(id, source, engine string) cloud.Replica {
	return cloud.Replica{
		Identifier: id, Source: source, Engine: engine, InstanceClass: "db-custom-1-3840",
		AvailabilityZone: testRegion + "-c", PubliclyAccessible: true,
		Tags: map[string]string{"matrixmind.cloud/owner": "shop/orders", "matrixmind.cloud/role": "reader"},
	}
}

func TestNewReplica(t *testing.T) {
	p := &Provider{project: "acme", region: "europe-west1"}
	sourceLabels, err := encodeLabels(map[string]string{"team": "payments"}, map[string]string{keyMasterUser: "sysadmin"})
	if err != nil {
		t.Fatal(err)
	}
	source := func() *sqladmin.DatabaseInstance {
		return &sqladmin.DatabaseInstance{
			Name: "orders", DatabaseVersion: "POSTGRES_16",
			Settings: &sqladmin.Settings{Tier: "db-f1-micro", DataDiskType: "PD_HDD", DataDiskSizeGb: 50, UserLabels: sourceLabels},
		}
	}
	type summary struct {
		Name, Region, Version, Master, Tier, Disk, Zone string
		DiskGB                                          int64
		Public                                          bool
		Tags, Internal                                  map[string]string
	}
	summarise := func(db *sqladmin.DatabaseInstance) summary {
		s := db.Settings
		l := readLabels(s.UserLabels)
		out := summary{Name: db.Name, Region: db.Region, Version: db.DatabaseVersion, Master: db.MasterInstanceName, Tier: s.Tier,
			Disk: s.DataDiskType, DiskGB: s.DataDiskSizeGb, Public: s.IpConfiguration.Ipv4Enabled, Tags: l.tags, Internal: l.internal}
		if s.LocationPreference != nil {
			out.Zone = s.LocationPreference.Zone
		}
		return out
	}
	full := summary{
		Name: "orders-r1", Region: "europe-west1", Version: "POSTGRES_16", Master: "orders", Tier: "db-custom-1-3840",
		Disk: "PD_HDD", DiskGB: 50, Zone: "europe-west1-c", Public: true,
		Tags:     map[string]string{"matrixmind.cloud/owner": "shop/orders", "matrixmind.cloud/role": "reader"},
		Internal: map[string]string{keyMasterUser: "sysadmin"},
	}
	cases := []struct {
		reason string
		change func(*cloud.Replica, *sqladmin.DatabaseInstance)
		want   summary
	}{
		{
			reason: "Everything set: the source's version and disk, the replica's own tier, zone, address and tags, the source's master user.",
			change: func(*cloud.Replica, *sqladmin.DatabaseInstance) {},
			want:   full,
		},
		{
			reason: "No class and no zone: the source's tier, Cloud SQL's choice of zone; no public address when not asked for.",
			change: func(r *cloud.Replica, _ *sqladmin.DatabaseInstance) {
				r.InstanceClass, r.AvailabilityZone, r.PubliclyAccessible = "", "", false
			},
			want: func() summary { s := full; s.Tier, s.Zone, s.Public = "db-f1-micro", "", false; return s }(),
		},
		{
			reason: "A source the operator did not make has no master user label: the replica has none either.",
			change: func(_ *cloud.Replica, src *sqladmin.DatabaseInstance) { src.Settings.UserLabels = nil },
			want:   func() summary { s := full; s.Internal = map[string]string{}; return s }(),
		},
	}
	for _, tc := range cases {
		r, src := replicaOf("orders-r1", "orders", "postgres"), source()
		r.AvailabilityZone = "europe-west1-c"
		tc.change(&r, src)
		db, err := p.newReplica("op", r, src)
		if err != nil {
			t.Errorf("%s\nnewReplica: %v", tc.reason, err)
			continue
		}
		if diff := cmp.Diff(tc.want, summarise(db)); diff != "" {
			t.Errorf("%s\ninstances.insert request, -want +got:\n%s", tc.reason, diff)
		}
	}

	refused := []struct {
		reason string
		change func(*cloud.Replica)
	}{
		{"A replica runs its source's engine.", func(r *cloud.Replica) { r.Engine = "mysql" }},
		{"A tag that fits no label must change.", func(r *cloud.Replica) { r.Tags = map[string]string{"Department.XXXXXXXXXXXXXXXXXXXX": "x"} }},
	}
	for _, tc := range refused {
		r := replicaOf("orders-r1", "orders", "postgres")
		tc.change(&r)
		_, err := p.newReplica("op", r, source())
		var ce *cloud.Error
		if !errors.As(err, &ce) || ce.Kind != nil {
			t.Errorf("%s\nnewReplica = %v; want a permanent *cloud.Error", tc.reason, err)
		}
	}
}

func TestReplicaLifecycle(t *testing.T) {
	em := serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t)
	ctx := t.Context()
	if err := p.Create(ctx, desiredCloudSQL("orders", nil)); err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, p, "orders")
	r := replicaOf("orders-r1", "orders", "postgres")
	if err := p.CreateReplica(ctx, r); err != nil {
		t.Fatalf("CreateReplica: %v", err)
	}
	if err := p.CreateReplica(ctx, r); err != nil {
		t.Errorf("CreateReplica retried = %v; want nil", err)
	}
	replica := waitAvailable(t, p, "orders-r1")
	type seen struct {
		Source, Zone, Class, MasterUser string
		Incomplete, Public              bool
		Port                            int32
		Retention                       int32
		Tags                            map[string]string
	}
	if diff := cmp.Diff(seen{"orders", testRegion + "-c", "db-custom-1-3840", "sysadmin", false, true, 5432, 0, r.Tags},
		seen{replica.ReplicaSource, replica.AvailabilityZone, replica.InstanceClass, replica.MasterUser, replica.Incomplete,
			replica.PubliclyAccessible, replica.Port, replica.BackupRetentionDays, replica.Tags}); diff != "" {
		t.Errorf("the replica as Observe reports it, -want +got:\n%s", diff)
	}
	if ip := net.ParseIP(replica.Endpoint); ip == nil || !ip.IsLoopback() {
		t.Errorf("replica endpoint %q: want its own address", replica.Endpoint)
	}
	primary := waitAvailable(t, p, "orders")
	if diff := cmp.Diff([]string{"orders-r1"}, primary.ReplicaIDs); diff != "" || primary.Endpoint == replica.Endpoint {
		t.Errorf("the primary's replicas, -want +got:\n%s\n(endpoints %s and %s)", diff, primary.Endpoint, replica.Endpoint)
	}
	listed, err := p.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{}
	for _, in := range listed {
		sources[in.Identifier] = in.ReplicaSource
	}
	if diff := cmp.Diff(map[string]string{"orders": "", "orders-r1": "orders"}, sources); diff != "" {
		t.Errorf("List's replica sources, -want +got:\n%s", diff)
	}

	if err := p.Update(ctx, "orders-r1", cloud.Changes{InstanceClass: new("db-custom-2-7680")}, cloud.UpdateOptions{ApplyImmediately: true}); err != nil {
		t.Fatalf("Update of the replica's class: %v", err)
	}
	if got := waitAvailable(t, p, "orders-r1"); got.InstanceClass != "db-custom-2-7680" {
		t.Errorf("replica class after Update = %s; want db-custom-2-7680", got.InstanceClass)
	}

	err = p.Delete(ctx, "orders", cloud.DeleteOptions{FinalSnapshotIdentifier: "orders-final"})
	var ce *cloud.Error
	if !errors.As(err, &ce) || !errors.Is(err, cloud.ErrBusy) {
		t.Errorf("Delete of a primary that has a replica = %v; want a *cloud.Error of kind ErrBusy", err)
	}
	if err := p.Delete(ctx, "orders-r1", cloud.DeleteOptions{FinalSnapshotIdentifier: "orders-r1-final"}); err != nil {
		t.Fatalf("Delete of the replica: %v", err)
	}
	eventually(t, "the replica gone from the primary's replicas", func() (bool, string) {
		in := waitAvailable(t, p, "orders")
		return len(in.ReplicaIDs) == 0, in.Status
	})
	backups, err := adminClient(t, em).Backups.ListBackups("projects/" + testProject).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(backups.Backups) != 0 {
		t.Errorf("deleting a replica took backups %+v; Cloud SQL takes none of a replica", backups.Backups)
	}
	if err := p.Delete(ctx, "orders", cloud.DeleteOptions{}); err != nil {
		t.Errorf("Delete of the primary once its replica is gone: %v", err)
	}
}

func TestReplicaOnPostgreSQL(t *testing.T) {
	requirePostgres(t)
	p := serveEngines(t)
	ctx := t.Context()
	d := desiredCloudSQL("orders", nil)
	primary := makeMaster(t, p, d)
	conn, err := pgConnect(t, primary, d.MasterUser, d.MasterPassword, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE shop`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := p.CreateReplica(ctx, replicaOf("orders-r1", "orders", "postgres")); err != nil {
		t.Fatalf("CreateReplica: %v", err)
	}
	replica := waitAvailable(t, p, "orders-r1")
	if replica.Port != 5432 || replica.Endpoint == primary.Endpoint {
		t.Errorf("replica at %s:%d, primary at %s: want its own address on 5432", replica.Endpoint, replica.Port, primary.Endpoint)
	}
	// Written after the replica was made: streamed to it.
	onPrimary, err := pgConnect(t, primary, d.MasterUser, d.MasterPassword, "shop")
	if err != nil {
		t.Fatal(err)
	}
	defer onPrimary.Close(ctx)
	if _, err := onPrimary.Exec(ctx, `CREATE TABLE orders (id int); INSERT INTO orders VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	onReplica, err := pgConnect(t, replica, d.MasterUser, d.MasterPassword, "shop")
	if err != nil {
		t.Fatalf("log in to the replica with the master password: %v", err)
	}
	defer onReplica.Close(ctx)
	eventually(t, "the primary's row on the replica", func() (bool, string) {
		var id int
		err := onReplica.QueryRow(ctx, `SELECT id FROM orders`).Scan(&id)
		return err == nil && id == 42, "err " + errString(err)
	})
	if _, err := onReplica.Exec(ctx, `INSERT INTO orders VALUES (1)`); err == nil {
		t.Error("a write on the replica succeeded; want it refused")
	}
}

func TestReplicaOnMySQL(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("no MariaDB server on this machine: %v", err)
	}
	p := serveEngines(t)
	d := desiredCloudSQL("orders", nil)
	d.Engine, d.EngineVersion = "mysql", "8.0"
	primary := makeMaster(t, p, d)
	if err := p.CreateReplica(t.Context(), replicaOf("orders-r1", "orders", "mysql")); err != nil {
		t.Fatalf("CreateReplica: %v", err)
	}
	replica := waitAvailable(t, p, "orders-r1")
	open := func(in cloud.Instance) *sql.DB {
		t.Helper()
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = d.MasterUser, d.MasterPassword, "tcp", net.JoinHostPort(in.Endpoint, strconv.Itoa(int(in.Port)))
		c, err := mysql.NewConnector(cfg)
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(c)
		t.Cleanup(func() { db.Close() })
		return db
	}
	onPrimary, onReplica := open(primary), open(replica)
	for _, q := range []string{`CREATE DATABASE shop`, `CREATE TABLE shop.orders (id int)`, `INSERT INTO shop.orders VALUES (42)`} {
		if _, err := onPrimary.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s on the primary: %v", q, err)
		}
	}
	eventually(t, "the primary's row on the replica", func() (bool, string) {
		var id int
		err := onReplica.QueryRowContext(t.Context(), `SELECT id FROM shop.orders`).Scan(&id)
		return err == nil && id == 42, "err " + errString(err)
	})
	if _, err := onReplica.ExecContext(t.Context(), `INSERT INTO shop.orders VALUES (1)`); err == nil {
		t.Error("a write on the replica succeeded; want it refused (read_only)")
	}
}

// errString is err's text, "nil" for none.
func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

func TestSetRetention(t *testing.T) {
	type got struct {
		Enabled, BinaryLog bool
		Forced             []string
	}
	cases := []struct {
		reason string
		days   int32
		engine string
		want   got
	}{
		{"PostgreSQL replicas need backups only: binary logging is MySQL's.", 7, enginePostgres, got{true, false, []string{"Enabled"}}},
		{"A MySQL primary needs binary logging with its backups to have replicas.", 7, engineMySQL, got{true, true, []string{"Enabled", "BinaryLogEnabled"}}},
		{"Binary logging needs backups: both go off together, and are sent as off.", 0, engineMySQL, got{false, false, []string{"Enabled", "BinaryLogEnabled"}}},
	}
	for _, tc := range cases {
		b := &sqladmin.BackupConfiguration{}
		setRetention(b, tc.days, tc.engine)
		if diff := cmp.Diff(tc.want, got{b.Enabled, b.BinaryLogEnabled, b.ForceSendFields}); diff != "" {
			t.Errorf("%s\nbackupConfiguration, -want +got:\n%s", tc.reason, diff)
		}
	}
}
