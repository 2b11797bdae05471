package gcpemulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/api/googleapi"
	sqladmin "google.golang.org/api/sqladmin/v1"
)

func TestInsertMakesRunnableInstance(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	op, err := e.svc.Instances.Insert(project, pgInstance("db-one")).Do()
	if err != nil {
		t.Fatal(err)
	}
	type opSummary struct{ Kind, OperationType, Status, TargetID, TargetProject string }
	if diff := cmp.Diff(opSummary{"sql#operation", "CREATE", "PENDING", "db-one", project},
		opSummary{op.Kind, op.OperationType, op.Status, op.TargetId, op.TargetProject}); diff != "" {
		t.Errorf("insert answered an unexpected operation (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(op.TargetLink, "/v1/projects/"+project+"/instances/db-one") {
		t.Errorf("targetLink = %q, want the instance's link", op.TargetLink)
	}
	got := e.create(t, pgInstance("db-two"))
	done := e.waitOp(t, op, nil)
	if done.Error != nil || done.EndTime == "" {
		t.Errorf("create operation = %+v, want DONE without error and with an end time", done)
	}

	type summary struct {
		Kind, State, DatabaseVersion, ConnectionName, Region string
		Tier                                                 string
		Disk, SettingsVersion                                int64
		Labels                                               map[string]string
		Backups                                              bool
	}
	want := summary{
		Kind: "sql#instance", State: "RUNNABLE", DatabaseVersion: "POSTGRES_17",
		ConnectionName: project + ":europe-west1:db-two", Region: "europe-west1",
		Tier: "db-custom-1-3840", Disk: 20, SettingsVersion: 1, Labels: map[string]string{"team": "a"},
	}
	s := got.Settings
	if diff := cmp.Diff(want, summary{got.Kind, got.State, got.DatabaseVersion, got.ConnectionName, got.Region,
		s.Tier, s.DataDiskSizeGb, s.SettingsVersion, s.UserLabels, s.BackupConfiguration.Enabled}); diff != "" {
		t.Errorf("instance (-want +got):\n%s", diff)
	}
	// Each instance has a loopback address of its own, outside 127.0.0.0/16, as its PRIMARY
	// address: the engine's standard port there is its own.
	first, err := e.svc.Instances.Get(project, "db-one").Do()
	if err != nil {
		t.Fatal(err)
	}
	a, b := primaryAddress(t, first), primaryAddress(t, got)
	if a == b || !ownLoopback(a) || !ownLoopback(b) {
		t.Errorf("PRIMARY addresses %s and %s: want two different addresses in 127.0.0.0/8 outside 127.0.0.0/16", a, b)
	}
	if got.CreateTime == "" || got.ServerCaCert == nil {
		t.Errorf("createTime %q, serverCaCert %v: want both set", got.CreateTime, got.ServerCaCert)
	}

	list, err := e.svc.Instances.List(project).MaxResults(1).Do()
	if err != nil {
		t.Fatal(err)
	}
	next, err := e.svc.Instances.List(project).PageToken(list.NextPageToken).Do()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"db-one", "db-two"}, []string{list.Items[0].Name, next.Items[0].Name}); diff != "" {
		t.Errorf("paged list (-want +got):\n%s", diff)
	}
	filtered, err := e.svc.Instances.List(project).Filter("settings.userLabels.team:b").Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(filtered.Items) != 0 {
		t.Errorf("filter on a label no instance has listed %d instances", len(filtered.Items))
	}
}

func TestInsertErrors(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.create(t, pgInstance("taken"))
	with := func(name string, f func(*sqladmin.DatabaseInstance)) *sqladmin.DatabaseInstance {
		in := pgInstance(name)
		f(in)
		return in
	}
	cases := map[string]struct {
		reason string
		in     *sqladmin.DatabaseInstance
		want   apiErr
	}{
		"Taken": {
			reason: "A name in use answers 409 instanceAlreadyExists.",
			in:     pgInstance("taken"),
			want:   apiErr{409, "instanceAlreadyExists"},
		},
		"BadVersion": {
			reason: "An unknown databaseVersion answers 400.",
			in:     with("v", func(in *sqladmin.DatabaseInstance) { in.DatabaseVersion = "POSTGRES_99" }),
			want:   apiErr{400, "invalid"},
		},
		"BadTier": {
			reason: "An unknown machine type answers 400.",
			in:     with("t", func(in *sqladmin.DatabaseInstance) { in.Settings.Tier = "db-huge" }),
			want:   apiErr{400, "invalid"},
		},
		"OddCustomTier": {
			reason: "A custom machine type with an odd vCPU count above one answers 400.",
			in:     with("t", func(in *sqladmin.DatabaseInstance) { in.Settings.Tier = "db-custom-3-7680" }),
			want:   apiErr{400, "invalid"},
		},
		"SmallDisk": {
			reason: "A disk under 10 GB answers 400.",
			in:     with("d", func(in *sqladmin.DatabaseInstance) { in.Settings.DataDiskSizeGb = 5 }),
			want:   apiErr{400, "invalid"},
		},
		"BadName": {
			reason: "An instance ID with upper case answers 400.",
			in:     pgInstance("Bad_Name"),
			want:   apiErr{400, "invalid"},
		},
		"BadLabel": {
			reason: "A label key with upper case answers 400.",
			in:     with("l", func(in *sqladmin.DatabaseInstance) { in.Settings.UserLabels = map[string]string{"Team": "a"} }),
			want:   apiErr{400, "invalid"},
		},
		"LabelWithADot": {
			reason: "A label key with a dot (as in a Kubernetes-style key) answers 400.",
			in: with("l", func(in *sqladmin.DatabaseInstance) {
				in.Settings.UserLabels = map[string]string{"matrixmind.cloud/owner": "a"}
			}),
			want: apiErr{400, "invalid"},
		},
		"LongLabelValue": {
			reason: "A label value of 64 characters answers 400.",
			in: with("l", func(in *sqladmin.DatabaseInstance) {
				in.Settings.UserLabels = map[string]string{"owner": strings.Repeat("a", 64)}
			}),
			want: apiErr{400, "invalid"},
		},
		"TooManyLabels": {
			reason: "More than 64 labels answer 400.",
			in: with("l", func(in *sqladmin.DatabaseInstance) {
				in.Settings.UserLabels = map[string]string{}
				for i := range 65 {
					in.Settings.UserLabels[fmt.Sprintf("l%d", i)] = ""
				}
			}),
			want: apiErr{400, "invalid"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := e.svc.Instances.Insert(project, tc.in).Do()
			if diff := cmp.Diff(tc.want, errOf(err)); diff != "" {
				t.Errorf("%s\ninsert error (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUnknownResources(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	cases := map[string]struct {
		reason string
		call   func() error
		want   apiErr
	}{
		"Get": {
			reason: "Getting an unknown instance answers 404 instanceDoesNotExist.",
			call:   func() error { _, err := e.svc.Instances.Get(project, "nope").Do(); return err },
			want:   apiErr{404, "instanceDoesNotExist"},
		},
		"Patch": {
			reason: "Patching an unknown instance answers 404.",
			call: func() error {
				_, err := e.svc.Instances.Patch(project, "nope", &sqladmin.DatabaseInstance{}).Do()
				return err
			},
			want: apiErr{404, "instanceDoesNotExist"},
		},
		"Delete": {
			reason: "Deleting an unknown instance answers 404.",
			call:   func() error { _, err := e.svc.Instances.Delete(project, "nope").Do(); return err },
			want:   apiErr{404, "instanceDoesNotExist"},
		},
		"Operation": {
			reason: "An unknown operation answers 404 operationDoesNotExist.",
			call:   func() error { _, err := e.svc.Operations.Get(project, "nope").Do(); return err },
			want:   apiErr{404, "operationDoesNotExist"},
		},
		"Users": {
			reason: "Listing the users of an unknown instance answers 404.",
			call:   func() error { _, err := e.svc.Users.List(project, "nope").Do(); return err },
			want:   apiErr{404, "instanceDoesNotExist"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, errOf(tc.call())); diff != "" {
				t.Errorf("%s\n(-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPatch(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.create(t, pgInstance("db"))
	patch := func(s *sqladmin.Settings) error {
		op, err := e.svc.Instances.Patch(project, "db", &sqladmin.DatabaseInstance{Settings: s}).Do()
		if err != nil {
			return err
		}
		if done := e.waitOp(t, op, nil); done.Error != nil {
			t.Fatalf("patch operation failed: %+v", done.Error.Errors[0])
		}
		return nil
	}
	type settings struct {
		Tier                  string
		Disk, SettingsVersion int64
		Labels                map[string]string
	}
	cases := []struct {
		name    string
		reason  string
		patch   *sqladmin.Settings
		wantErr apiErr
		want    settings
	}{
		{
			name:   "GrowAndRetier",
			reason: "A patch with the current settingsVersion grows the disk, changes the tier and bumps settingsVersion.",
			patch:  &sqladmin.Settings{SettingsVersion: 1, Tier: "db-custom-2-7680", DataDiskSizeGb: 30},
			want:   settings{"db-custom-2-7680", 30, 2, map[string]string{"team": "a"}},
		},
		{
			name:    "Stale",
			reason:  "A patch with a stale settingsVersion answers 412 staleData and changes nothing.",
			patch:   &sqladmin.Settings{SettingsVersion: 1, Tier: "db-custom-4-15360"},
			wantErr: apiErr{412, "staleData"},
			want:    settings{"db-custom-2-7680", 30, 2, map[string]string{"team": "a"}},
		},
		{
			name:    "Shrink",
			reason:  "Shrinking the disk answers 400.",
			patch:   &sqladmin.Settings{DataDiskSizeGb: 25},
			wantErr: apiErr{400, "invalid"},
			want:    settings{"db-custom-2-7680", 30, 2, map[string]string{"team": "a"}},
		},
		{
			name:   "Labels",
			reason: "A patch without settingsVersion replaces the labels.",
			patch:  &sqladmin.Settings{UserLabels: map[string]string{"team": "b"}},
			want:   settings{"db-custom-2-7680", 30, 3, map[string]string{"team": "b"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.wantErr, errOf(patch(tc.patch))); diff != "" {
				t.Errorf("%s\npatch error (-want +got):\n%s", tc.reason, diff)
			}
			got, err := e.svc.Instances.Get(project, "db").Do()
			if err != nil {
				t.Fatal(err)
			}
			s := got.Settings
			if diff := cmp.Diff(tc.want, settings{s.Tier, s.DataDiskSizeGb, s.SettingsVersion, s.UserLabels}); diff != "" {
				t.Errorf("%s\nsettings (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestOperationInProgress(t *testing.T) {
	e := start(t, Config{NoEngine: true, Delays: Delays{Create: 300 * time.Millisecond, Update: 10 * time.Millisecond, Delete: 10 * time.Millisecond, Backup: 10 * time.Millisecond}})
	if _, err := e.svc.Instances.Insert(project, pgInstance("slow")).Do(); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Instances.Delete(project, "slow").Do()
	if diff := cmp.Diff(apiErr{409, "operationInProgress"}, errOf(err)); diff != "" {
		t.Errorf("delete during create (-want +got):\n%s", diff)
	}
}

func TestDeleteReservesName(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.create(t, pgInstance("gone"))
	if op := e.wait(t)(e.svc.Instances.Delete(project, "gone").Do()); op.Error != nil || op.OperationType != "DELETE" {
		t.Fatalf("delete operation = %+v", op)
	}
	steps := []struct {
		reason  string
		advance time.Duration
		want    apiErr
	}{
		{reason: "Right after the delete the instance is gone.", want: apiErr{404, "instanceDoesNotExist"}},
		{reason: "Its name stays taken within the reservation window.", want: apiErr{409, "instanceAlreadyExists"}},
		{reason: "After the window the name is free again.", advance: 2 * time.Hour},
	}
	for i, s := range steps {
		e.clock.Advance(s.advance)
		var err error
		if i == 0 {
			_, err = e.svc.Instances.Get(project, "gone").Do()
		} else {
			_, err = e.svc.Instances.Insert(project, pgInstance("gone")).Do()
		}
		if diff := cmp.Diff(s.want, errOf(err)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.reason, diff)
		}
	}
}

func TestUsersAndDatabases(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.create(t, pgInstance("pg"))
	mysql := pgInstance("my")
	mysql.DatabaseVersion = "MYSQL_8_0"
	e.create(t, mysql)

	for _, step := range []struct {
		reason string
		call   func() (*sqladmin.Operation, error)
	}{
		{"users.insert adds a user", func() (*sqladmin.Operation, error) {
			return e.svc.Users.Insert(project, "pg", &sqladmin.User{Name: "app", Password: "pw"}).Do()
		}},
		{"users.update sets a password", func() (*sqladmin.Operation, error) {
			return e.svc.Users.Update(project, "pg", &sqladmin.User{Password: "pw2"}).Name("app").Do()
		}},
		{"users.insert on MySQL defaults host to %", func() (*sqladmin.Operation, error) {
			return e.svc.Users.Insert(project, "my", &sqladmin.User{Name: "app", Password: "pw"}).Do()
		}},
		{"databases.insert adds a database", func() (*sqladmin.Operation, error) {
			return e.svc.Databases.Insert(project, "pg", &sqladmin.Database{Name: "appdb"}).Do()
		}},
		{"databases.delete drops it", func() (*sqladmin.Operation, error) {
			return e.svc.Databases.Insert(project, "pg", &sqladmin.Database{Name: "tmp"}).Do()
		}},
		{"databases.delete drops it", func() (*sqladmin.Operation, error) {
			return e.svc.Databases.Delete(project, "pg", "tmp").Do()
		}},
	} {
		if op := e.wait(t)(step.call()); op.Error != nil {
			t.Fatalf("%s: operation failed: %+v", step.reason, op.Error.Errors[0])
		}
	}
	_, err := e.svc.Users.Insert(project, "pg", &sqladmin.User{Name: "app", Password: "pw"}).Do()
	if diff := cmp.Diff(apiErr{409, "alreadyExists"}, errOf(err)); diff != "" {
		t.Errorf("second users.insert of one name (-want +got):\n%s", diff)
	}

	names := func(instance string) ([]string, []string) {
		us, err := e.svc.Users.List(project, instance).Do()
		if err != nil {
			t.Fatal(err)
		}
		ds, err := e.svc.Databases.List(project, instance).Do()
		if err != nil {
			t.Fatal(err)
		}
		var u, d []string
		for _, x := range us.Items {
			u = append(u, x.Name+"@"+x.Host)
		}
		for _, x := range ds.Items {
			d = append(d, x.Name)
		}
		return u, d
	}
	cases := []struct {
		reason    string
		instance  string
		users     []string
		databases []string
	}{
		{"PostgreSQL lists postgres and the new user, without host, and its databases.", "pg", []string{"postgres@", "app@"}, []string{"postgres", "appdb"}},
		{"MySQL lists root@% and app@%, and its system schemas.", "my", []string{"root@%", "app@%"}, []string{"information_schema", "mysql", "performance_schema", "sys"}},
	}
	for _, tc := range cases {
		u, d := names(tc.instance)
		if diff := cmp.Diff(tc.users, u); diff != "" {
			t.Errorf("%s\nusers (-want +got):\n%s", tc.reason, diff)
		}
		if diff := cmp.Diff(tc.databases, d); diff != "" {
			t.Errorf("%s\ndatabases (-want +got):\n%s", tc.reason, diff)
		}
	}
	if op := e.wait(t)(e.svc.Users.Delete(project, "pg").Name("app").Do()); op.Error != nil {
		t.Errorf("users.delete failed: %+v", op.Error.Errors[0])
	}
}

func TestAuthAndProjects(t *testing.T) {
	e := start(t, Config{NoEngine: true, Projects: []string{project}})
	cases := []struct {
		reason string
		path   string
		token  string
		code   int
		body   string
	}{
		{
			reason: "A request without a bearer token answers 401 UNAUTHENTICATED in Google's format.",
			path:   "/v1/projects/" + project + "/instances",
			code:   401,
			body:   `{"error":{"code":401,"message":"Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","errors":[{"message":"Login Required.","domain":"global","reason":"required","location":"Authorization","locationType":"header"}],"status":"UNAUTHENTICATED"}}`,
		},
		{
			reason: "Any bearer token is accepted.",
			path:   "/v1/projects/" + project + "/instances",
			token:  "Bearer anything",
			code:   200,
			body:   `{"kind":"sql#instancesList"}`,
		},
		{
			reason: "A project the emulator does not serve answers 403 notAuthorized.",
			path:   "/v1/projects/other/instances",
			token:  "Bearer anything",
			code:   403,
			body:   `{"error":{"code":403,"message":"The client is not authorized to make this request.","errors":[{"message":"The client is not authorized to make this request.","domain":"global","reason":"notAuthorized"}],"status":"PERMISSION_DENIED"}}`,
		},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(http.MethodGet, e.url+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", tc.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var got, want any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: body %q: %v", tc.reason, b, err)
		}
		_ = json.Unmarshal([]byte(tc.body), &want)
		if diff := cmp.Diff(fmt.Sprint(tc.code, want), fmt.Sprint(res.StatusCode, got)); diff != "" {
			t.Errorf("%s\n(-want +got):\n%s", tc.reason, diff)
		}
	}
}

func TestFaultsAndStats(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	cases := []struct {
		reason string
		faults Faults
		want   apiErr
	}{
		{"Every call throttled answers 429 rateLimitExceeded.", Faults{ThrottleRate: 1}, apiErr{429, "rateLimitExceeded"}},
		{"Every call unavailable answers 503 backendError.", Faults{UnavailableRate: 1}, apiErr{503, "backendError"}},
		{"Without faults the call answers 404 as usual.", Faults{}, apiErr{404, "instanceDoesNotExist"}},
	}
	e.emu.ResetStats()
	for _, tc := range cases {
		e.emu.SetFaults(tc.faults)
		_, err := e.svc.Instances.Get(project, "x").Do()
		if diff := cmp.Diff(tc.want, errOf(err)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
		}
	}
	s := e.emu.Stats()
	want := Stats{
		Calls:  map[string]int{"GET /v1/projects/{project}/instances/{instance}": 3},
		Errors: map[string]int{"404": 1, "429": 1, "503": 1},
	}
	if diff := cmp.Diff(want, Stats{Calls: s.Calls, Errors: s.Errors}); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if len(s.Log) != 3 || s.Log[0].Instance != "x" {
		t.Errorf("call log = %+v, want three calls on instance x", s.Log)
	}
}

func TestFinalBackupOutlivesInstance(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.create(t, pgInstance("src"))
	if op := e.wait(t)(e.svc.BackupRuns.Insert(project, "src", &sqladmin.BackupRun{Description: "manual"}).Do()); op.Error != nil || op.OperationType != "BACKUP_VOLUME" {
		t.Fatalf("backup operation = %+v", op)
	}
	runs, err := e.svc.BackupRuns.List(project, "src").Do()
	if err != nil || len(runs.Items) != 1 || runs.Items[0].Status != "SUCCESSFUL" || runs.Items[0].Type != "ON_DEMAND" {
		t.Fatalf("backup runs = %+v, %v; want one SUCCESSFUL ON_DEMAND run", runs, err)
	}
	if op := e.wait(t)(e.svc.Instances.Delete(project, "src").EnableFinalBackup(true).FinalBackupTtlDays(3).Do()); op.Error != nil {
		t.Fatalf("delete failed: %+v", op.Error.Errors[0])
	}
	list, err := e.svc.Backups.ListBackups("projects/" + project).Do()
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Type, State, Instance string
		TTL                   int64
		Deleted               bool
	}
	var got []summary
	for _, b := range list.Backups {
		got = append(got, summary{b.Type, b.State, b.Instance, b.TtlDays, b.InstanceDeletionTime != ""})
	}
	if diff := cmp.Diff([]summary{{"FINAL", "SUCCESSFUL", "src", 3, true}}, got); diff != "" {
		t.Errorf("backups after delete: the on-demand one goes with the instance, the final one stays (-want +got):\n%s", diff)
	}
	e.create(t, pgInstance("dst"))
	op := e.wait(t)(e.svc.Instances.RestoreBackup(project, "dst", &sqladmin.InstancesRestoreBackupRequest{Backup: list.Backups[0].Name}).Do())
	if op.Error != nil || op.OperationType != "RESTORE_VOLUME" {
		t.Errorf("restore of the final backup = %+v, want a RESTORE_VOLUME operation without error", op)
	}
	e.clock.Advance(4 * 24 * time.Hour)
	_, err = e.svc.Backups.GetBackup(list.Backups[0].Name).Do()
	if diff := cmp.Diff(apiErr{404, "notFound"}, errOf(err)); diff != "" {
		t.Errorf("final backup past its TTL (-want +got):\n%s", diff)
	}
}

func TestBackupsAPIFilterAndDelete(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	for _, name := range []string{"a", "b"} {
		e.create(t, pgInstance(name))
		if op := e.wait(t)(e.svc.BackupRuns.Insert(project, name, &sqladmin.BackupRun{Description: "of " + name}).Do()); op.Error != nil {
			t.Fatalf("backup of %s: %+v", name, op.Error.Errors[0])
		}
	}
	listed := func(filter string) []string {
		t.Helper()
		out, err := e.svc.Backups.ListBackups("projects/" + project).Filter(filter).Do()
		if err != nil {
			t.Fatalf("list backups %q: %v", filter, err)
		}
		var got []string
		for _, b := range out.Backups {
			got = append(got, b.Description)
		}
		return got
	}
	cases := []struct {
		reason, filter string
		want           []string
	}{
		{"No filter lists every backup of the project, newest first.", "", []string{"of b", "of a"}},
		{"instance:<name> lists that instance's backups only.", "instance:a", []string{"of a"}},
		{"Terms joined by AND must all hold.", "instance:a AND type:FINAL", nil},
		{"type:<TYPE> lists backups of that type.", "type:ON_DEMAND", []string{"of b", "of a"}},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, listed(tc.filter)); diff != "" {
			t.Errorf("%s\nfilter %q (-want +got):\n%s", tc.reason, tc.filter, diff)
		}
	}

	ofA, err := e.svc.Backups.ListBackups("projects/" + project).Filter("instance:a").Do()
	if err != nil {
		t.Fatal(err)
	}
	name := ofA.Backups[0].Name
	if ofA.Backups[0].BackupInterval == nil || ofA.Backups[0].BackupInterval.StartTime == "" {
		t.Errorf("backup %s has no backupInterval.startTime", name)
	}
	// A patch keeps the instance busy: the backup's delete waits for it, as backupRuns.delete does.
	if _, err := e.svc.Instances.Patch(project, "a", &sqladmin.DatabaseInstance{Settings: &sqladmin.Settings{Tier: "db-f1-micro"}}).Do(); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Backups.DeleteBackup(name).Do()
	if diff := cmp.Diff(apiErr{409, "operationInProgress"}, errOf(err)); diff != "" {
		t.Errorf("delete of a backup of an instance being patched (-want +got):\n%s", diff)
	}
	eventually(t, 10*time.Second, func() bool {
		_, err := e.svc.Backups.DeleteBackup(name).Do()
		return err == nil
	})
	runs, err := e.svc.BackupRuns.List(project, "a").Do()
	if err != nil || len(runs.Items) != 0 {
		t.Errorf("backup runs of a after the Backups API delete = %+v, %v; want none", runs, err)
	}
	_, err = e.svc.Backups.DeleteBackup(name).Do()
	if diff := cmp.Diff(apiErr{404, "notFound"}, errOf(err)); diff != "" {
		t.Errorf("second delete of a backup (-want +got):\n%s", diff)
	}

	// The final backup of a deleted instance is deleted through the Backups API only.
	if op := e.wait(t)(e.svc.Instances.Delete(project, "b").EnableFinalBackup(true).FinalBackupDescription("last of b").Do()); op.Error != nil {
		t.Fatalf("delete b: %+v", op.Error.Errors[0])
	}
	final, err := e.svc.Backups.ListBackups("projects/" + project).Filter("instance:b AND type:FINAL").Do()
	if err != nil || len(final.Backups) != 1 || final.Backups[0].Description != "last of b" {
		t.Fatalf("final backups of b = %+v, %v; want the one described \"last of b\"", final, err)
	}
	if _, err := e.svc.Backups.DeleteBackup(final.Backups[0].Name).Do(); err != nil {
		t.Fatalf("delete the final backup: %v", err)
	}
	if got := listed("instance:b"); len(got) != 0 {
		t.Errorf("backups of b after deleting its final backup: %q; want none", got)
	}
}

func TestRestoreToNewInstance(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.create(t, pgInstance("src"))
	if op := e.wait(t)(e.svc.Users.Insert(project, "src", &sqladmin.User{Name: "app", Password: "pw"}).Do()); op.Error != nil {
		t.Fatalf("users.insert: %+v", op.Error.Errors[0])
	}
	if op := e.wait(t)(e.svc.BackupRuns.Insert(project, "src", &sqladmin.BackupRun{}).Do()); op.Error != nil {
		t.Fatalf("backup: %+v", op.Error.Errors[0])
	}
	list, err := e.svc.Backups.ListBackups("projects/" + project).Filter("instance:src").Do()
	if err != nil || len(list.Backups) != 1 {
		t.Fatalf("backups of src = %+v, %v", list, err)
	}
	backup := list.Backups[0].Name
	settings := pgInstance("ignored")
	settings.Settings.UserLabels = map[string]string{"restored": "yes"}
	restore := func(name string, s *sqladmin.DatabaseInstance) (*sqladmin.Operation, error) {
		return e.svc.Instances.RestoreBackup(project, name, &sqladmin.InstancesRestoreBackupRequest{Backup: backup, RestoreInstanceSettings: s}).Do()
	}

	op := e.wait(t)(restore("dst", settings))
	if op.Error != nil || op.OperationType != "CREATE" || op.TargetId != "dst" {
		t.Fatalf("restore into a new instance = %+v; want a CREATE operation of dst without error", op)
	}
	dst, err := e.svc.Instances.Get(project, "dst").Do()
	if err != nil {
		t.Fatal(err)
	}
	users, err := e.svc.Users.List(project, "dst").Do()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users.Items {
		names = append(names, u.Name)
	}
	type summary struct {
		State  string
		Labels map[string]string
		Users  []string
	}
	if diff := cmp.Diff(summary{"RUNNABLE", map[string]string{"restored": "yes"}, []string{"postgres", "app"}},
		summary{dst.State, dst.Settings.UserLabels, names}); diff != "" {
		t.Errorf("instance restored from a backup: the settings asked for, the backup's users (-want +got):\n%s", diff)
	}

	cases := []struct {
		reason string
		name   string
		change func(*sqladmin.DatabaseInstance)
		want   apiErr
	}{
		{"A new instance's name must be free.", "dst", func(*sqladmin.DatabaseInstance) {}, apiErr{409, "instanceAlreadyExists"}},
		{"The major version cannot change.", "other", func(s *sqladmin.DatabaseInstance) { s.DatabaseVersion = "POSTGRES_16" }, apiErr{400, "invalid"}},
		{"The settings are checked as an insert's.", "other", func(s *sqladmin.DatabaseInstance) { s.Settings.Tier = "db-huge" }, apiErr{400, "invalid"}},
	}
	for _, tc := range cases {
		s := pgInstance("ignored")
		tc.change(s)
		_, err := restore(tc.name, s)
		if diff := cmp.Diff(tc.want, errOf(err)); diff != "" {
			t.Errorf("%s\nrestore error (-want +got):\n%s", tc.reason, diff)
		}
	}
}

func TestDeletionProtection(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	patch := func(t *testing.T, name string, s *sqladmin.Settings) {
		t.Helper()
		if op := e.wait(t)(e.svc.Instances.Patch(project, name, &sqladmin.DatabaseInstance{Settings: s}).Do()); op.Error != nil {
			t.Fatalf("patch %s: %+v", name, op.Error.Errors[0])
		}
	}
	protected := func(name string) *sqladmin.DatabaseInstance {
		in := pgInstance(name)
		in.Settings.DeletionProtectionEnabled = true
		return in
	}
	e.create(t, pgInstance("src"))
	if op := e.wait(t)(e.svc.BackupRuns.Insert(project, "src", &sqladmin.BackupRun{}).Do()); op.Error != nil {
		t.Fatalf("backup of src: %+v", op.Error.Errors[0])
	}
	backups, err := e.svc.Backups.ListBackups("projects/" + project).Filter("instance:src").Do()
	if err != nil || len(backups.Backups) != 1 {
		t.Fatalf("backups of src = %+v, %v", backups, err)
	}

	cases := []struct {
		name   string
		reason string
		make   func(t *testing.T, name string)
	}{
		{
			name:   "Insert",
			reason: "Deletion protection asked for at instances.insert protects the instance.",
			make:   func(t *testing.T, name string) { e.create(t, protected(name)) },
		},
		{
			name:   "Patch",
			reason: "A patch turning deletion protection on protects the instance once its operation is done.",
			make: func(t *testing.T, name string) {
				e.create(t, pgInstance(name))
				patch(t, name, &sqladmin.Settings{DeletionProtectionEnabled: true})
			},
		},
		{
			name:   "RestoreToNew",
			reason: "A restore into a new instance takes deletion protection from its restoreInstanceSettings.",
			make: func(t *testing.T, name string) {
				req := &sqladmin.InstancesRestoreBackupRequest{Backup: backups.Backups[0].Name, RestoreInstanceSettings: protected("ignored")}
				if op := e.wait(t)(e.svc.Instances.RestoreBackup(project, name, req).Do()); op.Error != nil {
					t.Fatalf("restore into %s: %+v", name, op.Error.Errors[0])
				}
			},
		},
	}
	type refusal struct {
		Code            int
		Reason, Message string
	}
	wantRefusal := refusal{400, "errorProtectedInstanceDeletionFailure",
		"The instance is protected. Please disable the deletion protection and try again. To disable deletion protection, update the instance settings with deletionProtectionEnabled set to false."}
	type summary struct {
		State     string
		Protected bool
		Finals    int
	}
	look := func(t *testing.T, name string) summary {
		t.Helper()
		in, err := e.svc.Instances.Get(project, name).Do()
		if err != nil {
			t.Fatal(err)
		}
		finals, err := e.svc.Backups.ListBackups("projects/" + project).Filter("instance:" + name + " AND type:FINAL").Do()
		if err != nil {
			t.Fatal(err)
		}
		return summary{in.State, in.Settings.DeletionProtectionEnabled, len(finals.Backups)}
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("kept-%d", i)
			tc.make(t, name)
			if diff := cmp.Diff(summary{"RUNNABLE", true, 0}, look(t, name)); diff != "" {
				t.Fatalf("%s\nprotected instance (-want +got):\n%s", tc.reason, diff)
			}
			list, err := e.svc.Instances.List(project).Filter("name:" + name).Do()
			if err != nil || len(list.Items) != 1 || !list.Items[0].Settings.DeletionProtectionEnabled {
				t.Errorf("%s\ninstances.list = %+v, %v; want the instance, protected", tc.reason, list, err)
			}

			_, err = e.svc.Instances.Delete(project, name).EnableFinalBackup(true).Do()
			var g *googleapi.Error
			got := refusal{}
			if errors.As(err, &g) && len(g.Errors) == 1 {
				got = refusal{g.Code, g.Errors[0].Reason, g.Message}
			}
			if diff := cmp.Diff(wantRefusal, got); diff != "" {
				t.Errorf("%s\ndelete of a protected instance: Cloud SQL's refusal (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(summary{"RUNNABLE", true, 0}, look(t, name)); diff != "" {
				t.Errorf("%s\nafter the refused delete: nothing deleted, no final backup (-want +got):\n%s", tc.reason, diff)
			}

			// The client leaves false out unless told to send it.
			patch(t, name, &sqladmin.Settings{DeletionProtectionEnabled: false, ForceSendFields: []string{"DeletionProtectionEnabled"}})
			if diff := cmp.Diff(summary{"RUNNABLE", false, 0}, look(t, name)); diff != "" {
				t.Errorf("%s\nafter the patch turning protection off (-want +got):\n%s", tc.reason, diff)
			}
			if op := e.wait(t)(e.svc.Instances.Delete(project, name).Do()); op.Error != nil {
				t.Fatalf("%s\ndelete after protection was turned off: %+v", tc.reason, op.Error.Errors[0])
			}
			_, err = e.svc.Instances.Get(project, name).Do()
			if diff := cmp.Diff(apiErr{404, "instanceDoesNotExist"}, errOf(err)); diff != "" {
				t.Errorf("%s\nget after the delete (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestMaintenanceWindow(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	anyWindow := &sqladmin.MaintenanceWindow{Kind: "sql#maintenanceWindow"}
	sunday3 := &sqladmin.MaintenanceWindow{Kind: "sql#maintenanceWindow", Day: 7, Hour: 3, UpdateTrack: "stable"}
	window := func(t *testing.T, name string) (*sqladmin.MaintenanceWindow, int64) {
		t.Helper()
		in, err := e.svc.Instances.Get(project, name).Do()
		if err != nil {
			t.Fatal(err)
		}
		return in.Settings.MaintenanceWindow, in.Settings.SettingsVersion
	}

	inserts := []struct {
		name    string
		reason  string
		window  *sqladmin.MaintenanceWindow
		wantErr apiErr
		wantMsg string
		want    *sqladmin.MaintenanceWindow
	}{
		{name: "Absent", reason: "Without a window the instance has any window (day 0), as Cloud SQL answers it.", want: anyWindow},
		{name: "Given", reason: "A window asked for is stored and echoed with its kind.",
			window: &sqladmin.MaintenanceWindow{Day: 7, Hour: 3, UpdateTrack: "stable"}, want: sunday3},
		{name: "Week5", reason: "week5 is one of Cloud SQL's update tracks.",
			window: &sqladmin.MaintenanceWindow{Day: 1, Hour: 0, UpdateTrack: "week5"},
			want:   &sqladmin.MaintenanceWindow{Kind: "sql#maintenanceWindow", Day: 1, UpdateTrack: "week5"}},
		{name: "DayEight", reason: "Days run from 1 (Monday) to 7 (Sunday): 8 answers 400 naming the day.",
			window: &sqladmin.MaintenanceWindow{Day: 8, Hour: 3}, wantErr: apiErr{400, "invalid"}, wantMsg: "maintenanceWindow.day"},
		{name: "NegativeDay", reason: "A negative day answers 400 naming the day.",
			window: &sqladmin.MaintenanceWindow{Day: -1}, wantErr: apiErr{400, "invalid"}, wantMsg: "maintenanceWindow.day"},
		{name: "Hour24", reason: "Hours run from 0 to 23: 24 answers 400 naming the hour.",
			window: &sqladmin.MaintenanceWindow{Day: 2, Hour: 24}, wantErr: apiErr{400, "invalid"}, wantMsg: "maintenanceWindow.hour"},
		{name: "UnknownTrack", reason: "An update track other than canary, stable or week5 answers 400 naming it.",
			window: &sqladmin.MaintenanceWindow{Day: 2, UpdateTrack: "weekly"}, wantErr: apiErr{400, "invalid"}, wantMsg: "maintenanceWindow.updateTrack"},
	}
	for i, tc := range inserts {
		t.Run("Insert"+tc.name, func(t *testing.T) {
			in := pgInstance(fmt.Sprintf("mw-%d", i))
			in.Settings.MaintenanceWindow = tc.window
			if tc.wantErr != (apiErr{}) {
				_, err := e.svc.Instances.Insert(project, in).Do()
				if diff := cmp.Diff(tc.wantErr, errOf(err)); diff != "" || !strings.Contains(fmt.Sprint(err), tc.wantMsg) {
					t.Errorf("%s\ninsert error %v: want %v saying %q (-want +got):\n%s", tc.reason, err, tc.wantErr, tc.wantMsg, diff)
				}
				return
			}
			e.create(t, in)
			got, _ := window(t, in.Name)
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(sqladmin.MaintenanceWindow{}, "ForceSendFields", "NullFields")); diff != "" {
				t.Errorf("%s\nmaintenanceWindow (-want +got):\n%s", tc.reason, diff)
			}
		})
	}

	// The patches run in order on one instance, each from the window the last one left.
	in := pgInstance("patched")
	in.Settings.MaintenanceWindow = &sqladmin.MaintenanceWindow{Day: 7, Hour: 3, UpdateTrack: "stable"}
	e.create(t, in)
	patches := []struct {
		name    string
		reason  string
		patch   *sqladmin.Settings
		wantErr apiErr
		want    *sqladmin.MaintenanceWindow
		version int64
	}{
		{name: "Replace", reason: "A patch sending only a window replaces it and bumps settingsVersion.",
			patch:   &sqladmin.Settings{MaintenanceWindow: &sqladmin.MaintenanceWindow{Day: 1, Hour: 23, UpdateTrack: "canary"}},
			want:    &sqladmin.MaintenanceWindow{Kind: "sql#maintenanceWindow", Day: 1, Hour: 23, UpdateTrack: "canary"},
			version: 2},
		{name: "Whole", reason: "The window sent is the whole window: the hour and track it leaves out are gone.",
			patch:   &sqladmin.Settings{MaintenanceWindow: &sqladmin.MaintenanceWindow{Day: 2}},
			want:    &sqladmin.MaintenanceWindow{Kind: "sql#maintenanceWindow", Day: 2},
			version: 3},
		{name: "Untouched", reason: "A patch of other settings leaves the window as it is.",
			patch:   &sqladmin.Settings{UserLabels: map[string]string{"team": "b"}},
			want:    &sqladmin.MaintenanceWindow{Kind: "sql#maintenanceWindow", Day: 2},
			version: 4},
		{name: "BadHour", reason: "A patch with a bad window answers 400 and changes nothing.",
			patch:   &sqladmin.Settings{MaintenanceWindow: &sqladmin.MaintenanceWindow{Day: 3, Hour: 25}},
			wantErr: apiErr{400, "invalid"},
			want:    &sqladmin.MaintenanceWindow{Kind: "sql#maintenanceWindow", Day: 2},
			version: 4},
		{name: "AnyWindow", reason: "A window sent as null (gcloud's --maintenance-window-any) puts the instance back to any window.",
			patch:   &sqladmin.Settings{NullFields: []string{"MaintenanceWindow"}},
			want:    anyWindow,
			version: 5},
	}
	for _, tc := range patches {
		t.Run("Patch"+tc.name, func(t *testing.T) {
			op, err := e.svc.Instances.Patch(project, "patched", &sqladmin.DatabaseInstance{Settings: tc.patch}).Do()
			if diff := cmp.Diff(tc.wantErr, errOf(err)); diff != "" {
				t.Errorf("%s\npatch error (-want +got):\n%s", tc.reason, diff)
			}
			if err == nil {
				if done := e.waitOp(t, op, nil); done.Error != nil {
					t.Fatalf("%s\npatch operation failed: %+v", tc.reason, done.Error.Errors[0])
				}
			}
			got, version := window(t, "patched")
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(sqladmin.MaintenanceWindow{}, "ForceSendFields", "NullFields")); diff != "" {
				t.Errorf("%s\nmaintenanceWindow (-want +got):\n%s", tc.reason, diff)
			}
			if version != tc.version {
				t.Errorf("%s\nsettingsVersion = %d, want %d", tc.reason, version, tc.version)
			}
		})
	}
}
