package gcpemulator

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sqladmin "google.golang.org/api/sqladmin/v1"
)

// replicable is pgInstance with automated backups on, as Cloud SQL wants of a primary.
func replicable(name string) *sqladmin.DatabaseInstance {
	in := pgInstance(name)
	in.Settings.BackupConfiguration = &sqladmin.BackupConfiguration{Enabled: true}
	return in
}

// replicaOf is the instances.insert request of a read replica of primary.
func replicaOf(name, primary, version string) *sqladmin.DatabaseInstance {
	return &sqladmin.DatabaseInstance{
		Name: name, MasterInstanceName: primary, DatabaseVersion: version, Region: "europe-west1",
		Settings: &sqladmin.Settings{Tier: "db-custom-1-3840", LocationPreference: &sqladmin.LocationPreference{Zone: "europe-west1-c"}},
	}
}

func TestReplicaLifecycle(t *testing.T) {
	t.Parallel()
	e := start(t, Config{NoEngine: true})
	e.create(t, replicable("main"))

	op, err := e.svc.Instances.Insert(project, replicaOf("main-r1", "main", "POSTGRES_17")).Do()
	if err != nil {
		t.Fatalf("insert a read replica: %v", err)
	}
	pending, err := e.svc.Instances.Get(project, "main-r1").Do()
	if err != nil {
		t.Fatal(err)
	}
	if pending.State != "PENDING_CREATE" || len(pending.IpAddresses) != 0 {
		t.Errorf("a replica being made: state %s, addresses %v; want PENDING_CREATE without an address", pending.State, pending.IpAddresses)
	}
	if done := e.waitOp(t, op, nil); done.Error != nil {
		t.Fatalf("create the replica: %+v", done.Error.Errors[0])
	}

	primary, err := e.svc.Instances.Get(project, "main").Do()
	if err != nil {
		t.Fatal(err)
	}
	replica, err := e.svc.Instances.Get(project, "main-r1").Do()
	if err != nil {
		t.Fatal(err)
	}
	type shape struct {
		Type, Master, State, Version, Zone, Tier string
		Replicas                                 []string
		Backups                                  bool
	}
	shapeOf := func(in *sqladmin.DatabaseInstance) shape {
		return shape{in.InstanceType, in.MasterInstanceName, in.State, in.DatabaseVersion, in.GceZone, in.Settings.Tier,
			in.ReplicaNames, in.Settings.BackupConfiguration.Enabled}
	}
	if diff := cmp.Diff(shape{"CLOUD_SQL_INSTANCE", "", "RUNNABLE", "POSTGRES_17", "europe-west1-a", "db-custom-1-3840", []string{"main-r1"}, true}, shapeOf(primary)); diff != "" {
		t.Errorf("the primary lists its replica (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(shape{"READ_REPLICA_INSTANCE", project + ":main", "RUNNABLE", "POSTGRES_17", "europe-west1-c", "db-custom-1-3840", nil, false}, shapeOf(replica)); diff != "" {
		t.Errorf("the replica names its primary, is in the zone asked for, takes no backups (-want +got):\n%s", diff)
	}
	if a, b := primaryAddress(t, primary), primaryAddress(t, replica); a == b || !ownLoopback(b) || net.ParseIP(b) == nil {
		t.Errorf("replica address %s, primary's %s: want an own loopback address", b, a)
	}
	users, err := e.svc.Users.List(project, "main-r1").Do()
	if err != nil || len(users.Items) != 1 || users.Items[0].Name != "postgres" {
		t.Errorf("users of the replica = %+v, %v; want its primary's postgres", users, err)
	}

	// A second replica, by project:instance.
	e.wait(t)(e.svc.Instances.Insert(project, replicaOf("main-r2", project+":main", "POSTGRES_17")).Do())
	if got, _ := e.svc.Instances.Get(project, "main").Do(); !cmp.Equal(got.ReplicaNames, []string{"main-r1", "main-r2"}) {
		t.Errorf("replicaNames with two replicas = %v", got.ReplicaNames)
	}

	// The primary cannot go while it has replicas; a replica can, and leaves replicaNames.
	_, err = e.svc.Instances.Delete(project, "main").Do()
	if diff := cmp.Diff(apiErr{http.StatusBadRequest, "errorReplicationMasterInvalidOperation"}, errOf(err)); diff != "" {
		t.Errorf("delete a primary that has replicas (-want +got):\n%s", diff)
	}
	_, err = e.svc.Instances.Delete(project, "main-r1").EnableFinalBackup(true).Do()
	if diff := cmp.Diff(apiErr{http.StatusBadRequest, "invalid"}, errOf(err)); diff != "" {
		t.Errorf("a final backup of a replica (-want +got):\n%s", diff)
	}
	for _, r := range []string{"main-r1", "main-r2"} {
		e.wait(t)(e.svc.Instances.Delete(project, r).Do())
	}
	eventually(t, 5*time.Second, func() bool {
		got, err := e.svc.Instances.Get(project, "main").Do()
		return err == nil && len(got.ReplicaNames) == 0
	})
	e.wait(t)(e.svc.Instances.Delete(project, "main").Do())
}

func TestReplicaRefusals(t *testing.T) {
	t.Parallel()
	e := start(t, Config{NoEngine: true})
	e.create(t, replicable("main"))
	noBackups := pgInstance("nobackups")
	e.create(t, noBackups)
	mysql := replicable("mysql")
	mysql.DatabaseVersion = "MYSQL_8_0"
	e.create(t, mysql)
	e.create(t, replicaOf("main-r1", "main", "POSTGRES_17"))

	cases := []struct {
		reason string
		req    *sqladmin.DatabaseInstance
		want   apiErr
	}{
		{"A replica has its primary's databaseVersion.", replicaOf("r", "main", "POSTGRES_16"), apiErr{http.StatusBadRequest, "invalid"}},
		{"A primary needs automated backups.", replicaOf("r", "nobackups", "POSTGRES_17"), apiErr{http.StatusBadRequest, "invalid"}},
		{"A MySQL primary needs binary logging too.", replicaOf("r", "mysql", "MYSQL_8_0"), apiErr{http.StatusBadRequest, "invalid"}},
		{"A replica has no replicas.", replicaOf("r", "main-r1", "POSTGRES_17"), apiErr{http.StatusBadRequest, "invalid"}},
		{"Cloud SQL answers an unknown primary as one the caller may not use.", replicaOf("r", "ghost", "POSTGRES_17"), apiErr{http.StatusForbidden, "notAuthorized"}},
		{"The zone must be one of the region's.", func() *sqladmin.DatabaseInstance {
			r := replicaOf("r", "main", "POSTGRES_17")
			r.Settings.LocationPreference.Zone = "us-east1-b"
			return r
		}(), apiErr{http.StatusBadRequest, "invalid"}},
		{"The name is taken by the primary.", replicaOf("main", "main", "POSTGRES_17"), apiErr{http.StatusConflict, "instanceAlreadyExists"}},
	}
	for _, tc := range cases {
		_, err := e.svc.Instances.Insert(project, tc.req).Do()
		if diff := cmp.Diff(tc.want, errOf(err)); diff != "" {
			t.Errorf("%s\ninsert (-want +got):\n%s", tc.reason, diff)
		}
	}

	refusedCalls := []struct {
		reason string
		call   func() error
		want   apiErr
	}{
		{"A replica's users are its primary's.", func() error {
			_, err := e.svc.Users.Insert(project, "main-r1", &sqladmin.User{Name: "app", Password: "pw"}).Do()
			return err
		}, apiErr{http.StatusBadRequest, "invalid"}},
		{"A replica's databases are its primary's.", func() error {
			_, err := e.svc.Databases.Insert(project, "main-r1", &sqladmin.Database{Name: "shop"}).Do()
			return err
		}, apiErr{http.StatusBadRequest, "invalid"}},
		{"Cloud SQL takes no backups of a replica.", func() error {
			_, err := e.svc.BackupRuns.Insert(project, "main-r1", &sqladmin.BackupRun{}).Do()
			return err
		}, apiErr{http.StatusBadRequest, "invalid"}},
		{"A replica cannot have backups turned on.", func() error {
			_, err := e.svc.Instances.Patch(project, "main-r1", &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{
				BackupConfiguration: &sqladmin.BackupConfiguration{Enabled: true}}}).Do()
			return err
		}, apiErr{http.StatusBadRequest, "invalid"}},
		{"A primary with replicas keeps its backups.", func() error {
			_, err := e.svc.Instances.Patch(project, "main", &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{
				BackupConfiguration: &sqladmin.BackupConfiguration{Enabled: false, ForceSendFields: []string{"Enabled"}}}}).Do()
			return err
		}, apiErr{http.StatusBadRequest, "errorReplicationMasterInvalidOperation"}},
	}
	for _, tc := range refusedCalls {
		if diff := cmp.Diff(tc.want, errOf(tc.call())); diff != "" {
			t.Errorf("%s\n(-want +got):\n%s", tc.reason, diff)
		}
	}
	users, err := e.svc.Users.List(project, "main-r1").Do()
	if err != nil || len(users.Items) != 1 || users.Items[0].Name != "postgres" || users.Items[0].Instance != "main-r1" {
		t.Errorf("users of the replica = %+v, %v; want its primary's postgres, as the replica's", users, err)
	}

	// A primary being deleted is not running: no replica of it.
	e.wait(t)(e.svc.Instances.Delete(project, "main-r1").Do())
	if _, err := e.svc.Instances.Delete(project, "main").Do(); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Instances.Insert(project, replicaOf("r", "main", "POSTGRES_17")).Do()
	if diff := cmp.Diff(apiErr{http.StatusBadRequest, "invalid"}, errOf(err)); diff != "" {
		t.Errorf("a replica of a primary being deleted (-want +got):\n%s", diff)
	}
	if _, err := e.svc.Instances.Get(project, "r").Do(); errOf(err).Code != http.StatusNotFound {
		t.Errorf("a refused replica was recorded: %v", err)
	}
}
