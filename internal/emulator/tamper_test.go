package emulator

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
)

func TestTamper(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "drift", func(in *rds.CreateDBInstanceInput) {
		in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}, {Key: aws.String("owner"), Value: aws.String("ann")}}
	})
	createAvailable(t, c, "full", nil)
	createAvailable(t, c, "gone", nil)
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("gone"), DBSnapshotIdentifier: aws.String("gone-manual")}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "gone", "available", 5*time.Second)
	e.ResetStats()

	// The console changes class, retention, storage type and tags at once.
	err := e.Tamper("Drift", func(tp *Tampering) {
		tp.DBInstanceClass = "db.r7g.xlarge"
		tp.BackupRetentionPeriod = 0
		tp.StorageType = "gp3"
		tp.Tags["team"] = "ops"
		tp.Tags["cost-center"] = "42"
		delete(tp.Tags, "owner")
	})
	if err != nil {
		t.Fatalf("Tamper drift: %v", err)
	}
	if err := e.Tamper("full", func(tp *Tampering) { tp.Status = "storage-full" }); err != nil {
		t.Fatalf("Tamper status: %v", err)
	}
	if err := e.Tamper("gone", func(tp *Tampering) { tp.Delete = true }); err != nil {
		t.Fatalf("Tamper delete: %v", err)
	}
	if diff := cmp.Diff(0, len(e.Stats().Log)); diff != "" {
		t.Errorf("tampering is not an API call; call log length: -want +got:\n%s", diff)
	}

	got := describe(t, c, "drift")
	tags := map[string]string{}
	for _, tg := range got.TagList {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	type summary struct {
		Status, Class, StorageType string
		Retention                  int32
		Tags                       map[string]string
		Pending                    types.PendingModifiedValues
	}
	want := summary{Status: "available", Class: "db.r7g.xlarge", StorageType: "gp3", Retention: 0, Tags: map[string]string{"team": "ops", "cost-center": "42"}}
	sum := summary{
		Status: aws.ToString(got.DBInstanceStatus), Class: aws.ToString(got.DBInstanceClass), StorageType: aws.ToString(got.StorageType),
		Retention: aws.ToInt32(got.BackupRetentionPeriod), Tags: tags, Pending: *got.PendingModifiedValues,
	}
	if diff := cmp.Diff(want, sum, cmp.Comparer(pendingEqual)); diff != "" {
		t.Errorf("drifted instance (changed at once, nothing pending): -want +got:\n%s", diff)
	}

	if diff := cmp.Diff("storage-full", aws.ToString(describe(t, c, "full").DBInstanceStatus)); diff != "" {
		t.Errorf("tampered status: -want +got:\n%s", diff)
	}
	_, err = c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("full"), DBInstanceClass: aws.String("db.m7g.large"), ApplyImmediately: aws.Bool(true)})
	var state *types.InvalidDBInstanceStateFault
	if !errors.As(err, &state) {
		t.Errorf("class change while storage-full: got %v, want InvalidDBInstanceStateFault", err)
	}
	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("full"), AllocatedStorage: aws.Int32(40), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Errorf("storage increase while storage-full: %v", err)
	}

	_, err = c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("gone")})
	var nf *types.DBInstanceNotFoundFault
	if !errors.As(err, &nf) {
		t.Errorf("instance deleted in the console: got %v, want DBInstanceNotFoundFault", err)
	}
	snaps, err := c.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String("gone")})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, s := range snaps.DBSnapshots {
		left = append(left, aws.ToString(s.DBSnapshotIdentifier))
	}
	if diff := cmp.Diff([]string{"gone-manual"}, left); diff != "" {
		t.Errorf("snapshots after a console delete (automated ones go): -want +got:\n%s", diff)
	}
	if _, err := c.CreateDBInstance(ctx, createInput("gone")); err != nil {
		t.Errorf("the name of a deleted instance is free again: %v", err)
	}

	refused := map[string]struct {
		reason string
		id     string
		fn     func(*Tampering)
	}{
		"Unknown":     {reason: "An unknown instance cannot be tampered with.", id: "nope", fn: func(*Tampering) {}},
		"NoStatus":    {reason: "The status must be a word.", id: "drift", fn: func(tp *Tampering) { tp.Status = "" }},
		"BadStorage":  {reason: "Storage must fit its type (io1 starts at 100 GiB).", id: "drift", fn: func(tp *Tampering) { tp.StorageType = "io1" }},
		"BadClass":    {reason: "Classes start with db.", id: "drift", fn: func(tp *Tampering) { tp.DBInstanceClass = "m5.large" }},
		"LongBackups": {reason: "Retention is at most 35 days.", id: "drift", fn: func(tp *Tampering) { tp.BackupRetentionPeriod = 36 }},
	}
	for name, tc := range refused {
		t.Run(name, func(t *testing.T) {
			if err := e.Tamper(tc.id, tc.fn); err == nil {
				t.Errorf("%s\nTamper succeeded", tc.reason)
			}
		})
	}
	if diff := cmp.Diff("db.r7g.xlarge", aws.ToString(describe(t, c, "drift").DBInstanceClass)); diff != "" {
		t.Errorf("a refused tampering changes nothing: -want +got:\n%s", diff)
	}
}

func TestTamperAndMaintenanceOverHTTP(t *testing.T) {
	e, err := New(Config{NoEngine: true, Delays: fastDelays})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		srv.Close()
		_ = e.Close()
	})
	c := newClient(t, srv.URL)
	ctx := context.Background()
	createAvailable(t, c, "remote", func(in *rds.CreateDBInstanceInput) {
		in.Tags = []types.Tag{{Key: aws.String("owner"), Value: aws.String("ann")}}
	})
	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("remote"), AllocatedStorage: aws.Int32(50)}); err != nil {
		t.Fatal(err)
	}
	e.ResetStats()

	post := func(path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	cases := []struct {
		reason, path, body string
		wantStatus         int
		wantBody           string
	}{
		{reason: "Tampering sets what the body names.", path: "/_emulator/tamper",
			body:       `{"id":"remote","dbInstanceClass":"db.m7g.large","backupRetentionPeriod":3,"storageType":"gp3","tags":{"team":"ops"},"removeTags":["owner"]}`,
			wantStatus: http.StatusNoContent},
		{reason: "An unknown instance is 404.", path: "/_emulator/tamper", body: `{"id":"nope","status":"failed"}`, wantStatus: http.StatusNotFound},
		{reason: "An unknown member is 400.", path: "/_emulator/tamper", body: `{"id":"remote","colour":"red"}`, wantStatus: http.StatusBadRequest},
		{reason: "A value RDS would never hold is 400.", path: "/_emulator/tamper", body: `{"id":"remote","backupRetentionPeriod":99}`, wantStatus: http.StatusBadRequest},
		{reason: "The maintenance window starts modifying the instances with pending values.", path: "/_emulator/maintenance",
			wantStatus: http.StatusOK, wantBody: `{"modifying":["remote"]}`},
	}
	for _, tc := range cases {
		status, body := post(tc.path, tc.body)
		if diff := cmp.Diff(tc.wantStatus, status); diff != "" {
			t.Errorf("%s\nstatus: -want +got:\n%s\nbody: %s", tc.reason, diff, body)
		}
		if tc.wantBody != "" && tc.wantBody != body {
			t.Errorf("%s\nbody: got %s, want %s", tc.reason, body, tc.wantBody)
		}
	}
	if diff := cmp.Diff(0, len(e.Stats().Log)); diff != "" {
		t.Errorf("introspection calls are not API calls; call log length: -want +got:\n%s", diff)
	}

	waitStatus(t, c, "remote", "available", 5*time.Second)
	got := describe(t, c, "remote")
	var tags []string
	for _, tg := range got.TagList {
		tags = append(tags, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	wantSum := []any{"db.m7g.large", int32(3), "gp3", int32(50), []string{"team=ops"}}
	gotSum := []any{aws.ToString(got.DBInstanceClass), aws.ToInt32(got.BackupRetentionPeriod), aws.ToString(got.StorageType), aws.ToInt32(got.AllocatedStorage), tags}
	if diff := cmp.Diff(wantSum, gotSum); diff != "" {
		t.Errorf("class, retention, storage type, storage (from maintenance), tags: -want +got:\n%s", diff)
	}

	if status, body := post("/_emulator/tamper", `{"id":"remote","delete":true}`); status != http.StatusNoContent {
		t.Errorf("delete over HTTP: status %d, body %s", status, body)
	}
	waitGone(t, c, "remote", time.Second)
}

func TestTamperDeleteStopsEngine(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	dataDir := t.TempDir()
	e, c := start(t, Config{DataDir: dataDir})
	if _, err := c.CreateDBInstance(context.Background(), createInput("console-gone")); err != nil {
		t.Fatal(err)
	}
	// A real server's start and first backup take longer than createAvailable waits on a
	// busy machine.
	waitStatus(t, c, "console-gone", "available", 60*time.Second)
	ep := describe(t, c, "console-gone").Endpoint
	addr := net.JoinHostPort(aws.ToString(ep.Address), strconv.Itoa(int(aws.ToInt32(ep.Port))))
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
		t.Fatalf("engine not reachable before the delete: %v", err)
	} else {
		conn.Close()
	}

	if err := e.Tamper("console-gone", func(tp *Tampering) { tp.Delete = true }); err != nil {
		t.Fatalf("Tamper delete: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("engine still listening on %s after the delete", addr)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "instances", "console-gone")); !os.IsNotExist(err) {
		t.Errorf("instance data directory still there after the delete (stat err %v)", err)
	}
}

func TestTamperEvents(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	cases := map[string]struct {
		reason string
		// tamperings are applied in turn, each at once.
		tamperings []func(*Tampering)
		want       []string
	}{
		"Class": {
			reason:     "A class changed at the console records its applying and finished events.",
			tamperings: []func(*Tampering){func(tp *Tampering) { tp.DBInstanceClass = "db.r7g.xlarge" }},
			want:       after(newInstanceEvents, classApplying, classFinished),
		},
		"Storage": {
			reason:     "Storage grown at the console records RDS-EVENT-0018 and 0017.",
			tamperings: []func(*Tampering){func(tp *Tampering) { tp.AllocatedStorage = 50 }},
			want:       after(newInstanceEvents, storageApplying, storageFinished),
		},
		"BackupsOff": {
			reason:     "Retention set to 0 at the console disables automated backups.",
			tamperings: []func(*Tampering){func(tp *Tampering) { tp.BackupRetentionPeriod = 0 }},
			want:       after(newInstanceEvents, "configuration change: Disabled automated backups"),
		},
		"RetentionOnly": {
			reason:     "A retention that stays above zero has no documented event.",
			tamperings: []func(*Tampering){func(tp *Tampering) { tp.BackupRetentionPeriod = 7 }},
			want:       newInstanceEvents,
		},
		"EngineVersion": {
			reason:     "An engine version changed at the console records the upgrade's start and end.",
			tamperings: []func(*Tampering){func(tp *Tampering) { tp.EngineVersion = "17.4" }},
			want:       after(newInstanceEvents, "maintenance: The engine version upgrade started", "maintenance: The engine version upgrade finished"),
		},
		"StorageFull": {
			reason:     "storage-full records RDS-EVENT-0007 in the low storage category.",
			tamperings: []func(*Tampering){func(tp *Tampering) { tp.Status = "storage-full" }},
			want:       after(newInstanceEvents, "low storage: Allocated storage has been exhausted. Allocate additional storage to resolve."),
		},
		"StoppedAndStarted": {
			reason: "stopped records RDS-EVENT-0087; back to available from stopped records 0088.",
			tamperings: []func(*Tampering){
				func(tp *Tampering) { tp.Status = "stopped" },
				func(tp *Tampering) { tp.Status = "available" },
			},
			want: after(newInstanceEvents, "notification: DB instance stopped", "notification: DB instance started"),
		},
		"Failed": {
			reason:     "failed records RDS-EVENT-0031 naming the state.",
			tamperings: []func(*Tampering){func(tp *Tampering) { tp.Status = "failed" }},
			want: after(newInstanceEvents,
				"failure: DB instance put into failed state. RDS recommends that you initiate a point-in-time-restore."),
		},
		"UndocumentedStatus": {
			reason:     "A status word RDS documents no event for records none.",
			tamperings: []func(*Tampering){func(tp *Tampering) { tp.Status = "incompatible-network" }},
			want:       newInstanceEvents,
		},
		"MasterPassword": {
			reason:     "A console reset of the master password records RDS-EVENT-0016.",
			tamperings: []func(*Tampering){func(tp *Tampering) { tp.MasterUserPassword = "Console-Passw0rd" }},
			want:       after(newInstanceEvents, passwordReset),
		},
		"TagsOnly": {
			reason: "Changing tags alone records nothing.",
			tamperings: []func(*Tampering){func(tp *Tampering) {
				tp.Tags["team"] = "ops"
				delete(tp.Tags, "owner")
			}},
			want: newInstanceEvents,
		},
		"Delete": {
			reason:     "A console delete records the instance deleted at once.",
			tamperings: []func(*Tampering){func(tp *Tampering) { tp.Delete = true }},
			want:       after(newInstanceEvents, deleted),
		},
	}
	for name := range cases {
		createAvailable(t, c, strings.ToLower(name), func(in *rds.CreateDBInstanceInput) {
			in.Tags = []types.Tag{{Key: aws.String("owner"), Value: aws.String("ann")}}
		})
	}
	e.ResetStats()
	for name, tc := range cases {
		id := strings.ToLower(name)
		for _, fn := range tc.tamperings {
			if err := e.Tamper(id, fn); err != nil {
				t.Fatalf("%s\nTamper %s: %v", tc.reason, id, err)
			}
		}
	}
	if diff := cmp.Diff(0, len(e.Stats().Log)); diff != "" {
		t.Errorf("tampering is not an API call; call log length: -want +got:\n%s", diff)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			haveEvents(t, c, tc.reason, sourceInstance, strings.ToLower(name), tc.want...)
		})
	}
}

func TestTamperMasterPasswordRefused(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "shop", nil)
	if _, err := c.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String("shop-replica"),
		SourceDBInstanceIdentifier: aws.String("shop")}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "shop-replica", "available", 5*time.Second)
	cases := map[string]struct {
		reason string
		id     string
		fn     func(*Tampering)
		want   []string
	}{
		"ShortPassword": {
			reason: "A password the engine refuses is refused, and the status change with it: nothing changes, nothing is recorded.",
			id:     "shop",
			fn: func(tp *Tampering) {
				tp.MasterUserPassword = "short"
				tp.Status = "storage-full"
			},
			want: newInstanceEvents,
		},
		"Replica": {
			reason: "A read replica's master password follows its source's: it cannot be reset on the replica.",
			id:     "shop-replica",
			fn:     func(tp *Tampering) { tp.MasterUserPassword = "Console-Passw0rd" },
			want:   []string{created, "read replica: Replication for the Read Replica resumed"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := e.Tamper(tc.id, tc.fn); err == nil {
				t.Errorf("%s\nTamper succeeded", tc.reason)
			}
			haveEvents(t, c, tc.reason, sourceInstance, tc.id, tc.want...)
		})
	}
	if diff := cmp.Diff("available", aws.ToString(describe(t, c, "shop").DBInstanceStatus)); diff != "" {
		t.Errorf("a refused tampering changes nothing: -want +got:\n%s", diff)
	}
}

func TestTamperMasterPasswordOverHTTP(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	createAvailable(t, c, "remote", nil)
	resp, err := http.Post(srv.URL+"/_emulator/tamper", "application/json", strings.NewReader(`{"id":"remote","masterUserPassword":"Console-Passw0rd"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if diff := cmp.Diff(http.StatusNoContent, resp.StatusCode); diff != "" {
		t.Errorf("status: -want +got:\n%s", diff)
	}
	haveEvents(t, c, "masterUserPassword in the tamper body resets the password.", sourceInstance, "remote", after(newInstanceEvents, passwordReset)...)
}

func TestTamperMasterPasswordReachesEngine(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	e, c := start(t, Config{})
	in := createInput("console-reset")
	in.DBName = aws.String("shop")
	if _, err := c.CreateDBInstance(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "console-reset", "available", 60*time.Second)
	const newPassword = "Console-Passw0rd"
	if err := e.Tamper("console-reset", func(tp *Tampering) { tp.MasterUserPassword = newPassword }); err != nil {
		t.Fatalf("Tamper: %v", err)
	}
	ep := describe(t, c, "console-reset").Endpoint
	login := func(password string) error {
		conn, err := pgConnect(aws.ToString(ep.Address), aws.ToInt32(ep.Port), password, "shop")
		if err == nil {
			err = conn.Close(context.Background())
		}
		return err
	}
	if err := login(newPassword); err != nil {
		t.Errorf("the master logs in with the password set at the console: %v", err)
	}
	if err := login(testPassword); err == nil {
		t.Errorf("the master still logs in with the old password")
	}
	haveEvents(t, c, "The reset is recorded once the engine has the new password.", sourceInstance, "console-reset", after(newInstanceEvents, passwordReset)...)
}
