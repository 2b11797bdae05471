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
