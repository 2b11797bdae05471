package azureemulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	my "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/mysql/armmysqlflexibleservers"
	pg "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/postgresql/armpostgresqlflexibleservers"
	"github.com/google/go-cmp/cmp"
)

// pgSummary is what the tests compare of a PostgreSQL server.
type pgSummary struct {
	Name, Type, Location, State, Version, Admin, SKU, Tier, HAMode, HAState, Zone, Public string
	StorageGB, Retention                                                                  int32
	Tags                                                                                  map[string]string
	Password                                                                              bool
}

func summarizePG(s pg.Server) pgSummary {
	p := s.Properties
	out := pgSummary{
		Name: deref(s.Name), Type: deref(s.Type), Location: deref(s.Location), State: string(deref(p.State)),
		Version: string(deref(p.Version)), Admin: deref(p.AdministratorLogin),
		SKU: deref(s.SKU.Name), Tier: string(deref(s.SKU.Tier)),
		HAMode: string(deref(p.HighAvailability.Mode)), HAState: string(deref(p.HighAvailability.State)),
		Zone: deref(p.AvailabilityZone), Public: string(deref(p.Network.PublicNetworkAccess)),
		StorageGB: deref(p.Storage.StorageSizeGB), Retention: deref(p.Backup.BackupRetentionDays),
		Tags: map[string]string{}, Password: p.AdministratorLoginPassword != nil,
	}
	for k, v := range s.Tags {
		out.Tags[k] = deref(v)
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func TestCreatePostgresServer(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	got := e.createPG(t, "pg-one", pgServer())
	want := pgSummary{
		Name: "pg-one", Type: "Microsoft.DBforPostgreSQL/flexibleServers", Location: "westeurope", State: "Ready",
		Version: "16", Admin: "dbadmin", SKU: "Standard_B1ms", Tier: "Burstable", HAMode: "Disabled", HAState: "NotEnabled",
		Zone: "1", Public: "Enabled", StorageGB: 32, Retention: 7, Tags: map[string]string{"team": "a"},
	}
	if diff := cmp.Diff(want, summarizePG(got)); diff != "" {
		t.Errorf("the create operation's result (-want +got):\n%s", diff)
	}
	if fqdn := deref(got.Properties.FullyQualifiedDomainName); !ownLoopback(fqdn) {
		t.Errorf("fullyQualifiedDomainName = %q, want a loopback address of its own", fqdn)
	}
	if got.SystemData == nil || got.SystemData.CreatedAt == nil || got.Properties.Backup.EarliestRestoreDate == nil {
		t.Errorf("systemData.createdAt and backup.earliestRestoreDate are set once Ready: %+v %+v", got.SystemData, got.Properties.Backup)
	}
	second := e.createPG(t, "pg-two", pgServer())
	if a, b := deref(got.Properties.FullyQualifiedDomainName), deref(second.Properties.FullyQualifiedDomainName); a == b {
		t.Errorf("two servers share the address %s", a)
	}
}

func TestCreateMySQLServer(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	got := e.createMySQL(t, "my-one", myServer())
	type summary struct {
		Type, State, Version, Admin, AutoGrow, Role string
		StorageGB, Iops, Retention                  int32
	}
	p := got.Properties
	want := summary{Type: "Microsoft.DBforMySQL/flexibleServers", State: "Ready", Version: "8.0.21", Admin: "dbadmin",
		AutoGrow: "Enabled", Role: "None", StorageGB: 20, Iops: 360, Retention: 7}
	if diff := cmp.Diff(want, summary{deref(got.Type), string(deref(p.State)), string(deref(p.Version)), deref(p.AdministratorLogin),
		string(deref(p.Storage.AutoGrow)), string(deref(p.ReplicationRole)), deref(p.Storage.StorageSizeGB), deref(p.Storage.Iops),
		deref(p.Backup.BackupRetentionDays)}); diff != "" {
		t.Errorf("the MySQL server (-want +got):\n%s", diff)
	}
}

// TestCreateWire checks the wire of a create the SDK hides: 201 with the server Provisioning
// and both polling headers; the async operation InProgress, then Succeeded; the Location
// URL 202, then the server.
func TestCreateWire(t *testing.T) {
	e := start(t, Config{NoEngine: true, Delays: Delays{Create: 300 * time.Millisecond, Update: time.Millisecond, Delete: time.Millisecond, Restart: time.Millisecond}})
	body := `{"location":"westeurope","sku":{"name":"Standard_D2ds_v4","tier":"GeneralPurpose"},
		"properties":{"administratorLogin":"dbadmin","administratorLoginPassword":"` + adminPassword + `","version":"15"}}`
	resp := e.rawCall(t, http.MethodPut, serverPathOf("wire")+"?api-version=2021-06-01", body, nil)
	var created Server
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		t.Fatal(err)
	}
	async, loc := resp.Header.Get("Azure-AsyncOperation"), resp.Header.Get("Location")
	type first struct {
		Status        int
		State         string
		Async, Loc    bool
		PasswordShown bool
	}
	if diff := cmp.Diff(first{201, "Provisioning", true, true, false}, first{resp.StatusCode, created.Properties.State,
		strings.Contains(async, "/azureAsyncOperation/"), strings.Contains(loc, "/operationResults/"),
		strings.Contains(fmt.Sprint(created), adminPassword)}); diff != "" {
		t.Fatalf("PUT create answered (-want +got):\n%s", diff)
	}
	status := func() OperationStatus {
		resp := e.rawCall(t, http.MethodGet, strings.TrimPrefix(async, e.url), "", nil)
		var st OperationStatus
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := status(); st.Status != "InProgress" || st.StartTime == "" || st.EndTime != "" {
		t.Errorf("the running operation = %+v, want InProgress with a start time only", st)
	}
	if resp := e.rawCall(t, http.MethodGet, strings.TrimPrefix(loc, e.url), "", nil); resp.StatusCode != http.StatusAccepted {
		t.Errorf("the Location URL of a running operation answered %d, want 202", resp.StatusCode)
	}
	eventually(t, 5*time.Second, "the operation succeeds", func() bool { return status().Status == "Succeeded" })
	resp = e.rawCall(t, http.MethodGet, strings.TrimPrefix(loc, e.url), "", nil)
	var done Server
	if err := json.NewDecoder(resp.Body).Decode(&done); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || done.Properties.State != "Ready" {
		t.Errorf("the Location URL of the finished create answered %d with state %q, want 200 and Ready", resp.StatusCode, done.Properties.State)
	}
}

func TestPutExistingServer(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.createPG(t, "pg1", pgServer())
	cases := []struct {
		reason string
		change func(*pg.Server)
		want   apiErr
		tier   string
		atOnce bool
	}{
		{
			reason: "A PUT that repeats the server's settings changes nothing and answers at once.",
			change: func(*pg.Server) {},
			tier:   "Burstable",
			atOnce: true,
		},
		{
			reason: "A PUT on an existing server updates it, as ARM's create-or-update does.",
			change: func(s *pg.Server) {
				s.SKU = &pg.SKU{Name: to.Ptr("Standard_D2ds_v4"), Tier: to.Ptr(pg.SKUTierGeneralPurpose)}
			},
			tier: "GeneralPurpose",
		},
		{
			reason: "A PUT cannot move a server to another location.",
			change: func(s *pg.Server) { s.Location = to.Ptr("northeurope") },
			want:   apiErr{409, "InvalidResourceLocation"},
		},
		{
			reason: "The administrator login is set at creation only.",
			change: func(s *pg.Server) { s.Properties.AdministratorLogin = to.Ptr("other") },
			want:   apiErr{400, "InvalidParameterValue"},
		},
	}
	for _, tc := range cases {
		s := pgServer()
		tc.change(&s)
		poller, err := e.pg.BeginCreate(context.Background(), resourceGroup, "pg1", s, nil)
		if err == nil && poller.Done() != tc.atOnce {
			t.Errorf("%s\nthe PUT's operation was done at once: %v, want %v", tc.reason, poller.Done(), tc.atOnce)
		}
		if err == nil {
			var res pg.ServersClientCreateResponse
			res, err = poller.PollUntilDone(context.Background(), poll)
			if err == nil && string(deref(res.SKU.Tier)) != tc.tier {
				t.Errorf("%s\ntier after the PUT = %s, want %s", tc.reason, deref(res.SKU.Tier), tc.tier)
			}
		}
		if diff := cmp.Diff(tc.want, errOf(err)); diff != "" {
			t.Errorf("%s\nerror (-want +got):\n%s", tc.reason, diff)
		}
	}
}

func TestUpdateServer(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.createPG(t, "pg1", pgServer())
	cases := []struct {
		reason string
		update pg.ServerForUpdate
		want   func(*pgSummary)
		err    apiErr
	}{
		{
			reason: "A new SKU and a larger disk are applied when the update ends.",
			update: pg.ServerForUpdate{
				SKU:        &pg.SKU{Name: to.Ptr("Standard_E2ds_v4"), Tier: to.Ptr(pg.SKUTierMemoryOptimized)},
				Properties: &pg.ServerPropertiesForUpdate{Storage: &pg.Storage{StorageSizeGB: to.Ptr[int32](128)}},
			},
			want: func(s *pgSummary) { s.SKU, s.Tier, s.StorageGB = "Standard_E2ds_v4", "MemoryOptimized", 128 },
		},
		{
			reason: "Backup retention and tags change; tags are replaced as a whole.",
			update: pg.ServerForUpdate{
				Tags:       map[string]*string{"owner": to.Ptr("b")},
				Properties: &pg.ServerPropertiesForUpdate{Backup: &pg.Backup{BackupRetentionDays: to.Ptr[int32](21)}},
			},
			want: func(s *pgSummary) { s.Retention, s.Tags = 21, map[string]string{"owner": "b"} },
		},
		{
			reason: "A new administrator password is accepted and never echoed.",
			update: pg.ServerForUpdate{Properties: &pg.ServerPropertiesForUpdate{AdministratorLoginPassword: to.Ptr("Another-Pass-2")}},
			want:   func(*pgSummary) {},
		},
		{
			reason: "Azure refuses to shrink storage.",
			update: pg.ServerForUpdate{Properties: &pg.ServerPropertiesForUpdate{Storage: &pg.Storage{StorageSizeGB: to.Ptr[int32](64)}}},
			err:    apiErr{400, "InvalidParameterValue"},
		},
		{
			reason: "PostgreSQL keeps backups 7 to 35 days.",
			update: pg.ServerForUpdate{Properties: &pg.ServerPropertiesForUpdate{Backup: &pg.Backup{BackupRetentionDays: to.Ptr[int32](3)}}},
			err:    apiErr{400, "InvalidParameterValue"},
		},
		{
			reason: "A password that is not complex enough is refused.",
			update: pg.ServerForUpdate{Properties: &pg.ServerPropertiesForUpdate{AdministratorLoginPassword: to.Ptr("alllowercase")}},
			err:    apiErr{400, "PasswordNotComplex"},
		},
		{
			reason: "Geo-redundant backup is chosen at creation only.",
			update: pg.ServerForUpdate{Properties: &pg.ServerPropertiesForUpdate{Backup: &pg.Backup{GeoRedundantBackup: to.Ptr(pg.GeoRedundantBackupEnumEnabled)}}},
			err:    apiErr{400, "InvalidParameterValue"},
		},
		{
			reason: "A Burstable server cannot have a standby.",
			update: pg.ServerForUpdate{
				SKU:        &pg.SKU{Name: to.Ptr("Standard_B2s"), Tier: to.Ptr(pg.SKUTierBurstable)},
				Properties: &pg.ServerPropertiesForUpdate{HighAvailability: &pg.HighAvailability{Mode: to.Ptr(pg.HighAvailabilityModeZoneRedundant)}},
			},
			err: apiErr{400, "InvalidParameterValue"},
		},
	}
	for _, tc := range cases {
		before, err := e.pg.Get(context.Background(), resourceGroup, "pg1", nil)
		if err != nil {
			t.Fatal(err)
		}
		want := summarizePG(before.Server)
		res, err := ended(e.pg.BeginUpdate(context.Background(), resourceGroup, "pg1", tc.update, nil))
		if err == nil {
			tc.want(&want)
			if diff := cmp.Diff(want, summarizePG(res.Server)); diff != "" {
				t.Errorf("%s\nserver after the update (-want +got):\n%s", tc.reason, diff)
			}
		}
		if diff := cmp.Diff(tc.err, errOf(err)); diff != "" {
			t.Errorf("%s\nerror (-want +got):\n%s", tc.reason, diff)
		}
	}
}

func TestCreateErrors(t *testing.T) {
	e := start(t, Config{NoEngine: true, ResourceGroups: []string{resourceGroup, "other-rg"}})
	e.createPG(t, "taken", pgServer())
	with := func(f func(*pg.Server)) pg.Server {
		s := pgServer()
		f(&s)
		return s
	}
	manyTags := map[string]*string{}
	for i := range 51 {
		manyTags[fmt.Sprintf("t%d", i)] = to.Ptr("v")
	}
	cases := map[string]struct {
		reason string
		name   string
		rg     string
		server pg.Server
		want   apiErr
	}{
		"NoLocation": {
			reason: "ARM requires a tracked resource's location.",
			server: with(func(s *pg.Server) { s.Location = nil }),
			want:   apiErr{400, "LocationRequired"},
		},
		"BadName": {
			reason: "Server names are lowercase letters, digits and hyphens.",
			name:   "Bad_Name",
			server: pgServer(),
			want:   apiErr{400, "InvalidResourceName"},
		},
		"NameTaken": {
			reason: "A server name is a DNS name, unique across resource groups.",
			name:   "taken",
			rg:     "other-rg",
			server: pgServer(),
			want:   apiErr{409, "ServerNameAlreadyExists"},
		},
		"NoSKU": {
			reason: "The SKU is required.",
			server: with(func(s *pg.Server) { s.SKU = nil }),
			want:   apiErr{400, "InvalidParameterValue"},
		},
		"SKUNotOfTier": {
			reason: "A D-series compute is GeneralPurpose, not Burstable.",
			server: with(func(s *pg.Server) { s.SKU.Name = to.Ptr("Standard_D2s_v3") }),
			want:   apiErr{400, "InvalidParameterValue"},
		},
		"UnknownVersion": {
			reason: "PostgreSQL 10 is not offered.",
			server: with(func(s *pg.Server) { s.Properties.Version = to.Ptr(pg.ServerVersion("10")) }),
			want:   apiErr{400, "InvalidParameterValue"},
		},
		"NoAdmin": {
			reason: "The administrator login is required at creation.",
			server: with(func(s *pg.Server) { s.Properties.AdministratorLogin = nil }),
			want:   apiErr{400, "InvalidParameterValue"},
		},
		"ReservedAdmin": {
			reason: "azure_superuser is reserved.",
			server: with(func(s *pg.Server) { s.Properties.AdministratorLogin = to.Ptr("azure_superuser") }),
			want:   apiErr{400, "InvalidParameterValue"},
		},
		"AdminWithPgPrefix": {
			reason: "PostgreSQL logins may not start with pg_.",
			server: with(func(s *pg.Server) { s.Properties.AdministratorLogin = to.Ptr("pg_owner") }),
			want:   apiErr{400, "InvalidParameterValue"},
		},
		"NoPassword": {
			reason: "The administrator password is required at creation.",
			server: with(func(s *pg.Server) { s.Properties.AdministratorLoginPassword = nil }),
			want:   apiErr{400, "PasswordNotComplex"},
		},
		"TwoCategoryPassword": {
			reason: "A password needs three of upper, lower, digit and symbol.",
			server: with(func(s *pg.Server) { s.Properties.AdministratorLoginPassword = to.Ptr("onlylower123") }),
			want:   apiErr{400, "PasswordNotComplex"},
		},
		"PasswordWithLogin": {
			reason: "A password may not hold three consecutive characters of the login.",
			server: with(func(s *pg.Server) { s.Properties.AdministratorLoginPassword = to.Ptr("My-DBADM-pass1") }),
			want:   apiErr{400, "PasswordNotComplex"},
		},
		"OddStorage": {
			reason: "PostgreSQL offers fixed storage sizes; 100 GB is none of them.",
			server: with(func(s *pg.Server) { s.Properties.Storage.StorageSizeGB = to.Ptr[int32](100) }),
			want:   apiErr{400, "InvalidParameterValue"},
		},
		"LongRetention": {
			reason: "Backups are kept at most 35 days.",
			server: with(func(s *pg.Server) { s.Properties.Backup = &pg.Backup{BackupRetentionDays: to.Ptr[int32](36)} }),
			want:   apiErr{400, "InvalidParameterValue"},
		},
		"RestoreMode": {
			reason: "The emulator makes new servers only.",
			server: with(func(s *pg.Server) { s.Properties.CreateMode = to.Ptr(pg.CreateModePointInTimeRestore) }),
			want:   apiErr{400, "InvalidParameterValue"},
		},
		"TooManyTags": {
			reason: "ARM allows at most 50 tags.",
			server: with(func(s *pg.Server) { s.Tags = manyTags }),
			want:   apiErr{400, "InvalidTags"},
		},
		"TagNameWithSlash": {
			reason: "A Kubernetes-style tag name (with /) has a reserved character.",
			server: with(func(s *pg.Server) { s.Tags = map[string]*string{"matrixmind.cloud/owner": to.Ptr("x")} }),
			want:   apiErr{400, "InvalidTagNameCharacters"},
		},
		"TagNameWithPercent": {
			reason: "% is reserved in tag names.",
			server: with(func(s *pg.Server) { s.Tags = map[string]*string{"100%": to.Ptr("x")} }),
			want:   apiErr{400, "InvalidTagNameCharacters"},
		},
		"LongTagName": {
			reason: "A tag name has at most 512 characters.",
			server: with(func(s *pg.Server) { s.Tags = map[string]*string{strings.Repeat("n", 513): to.Ptr("x")} }),
			want:   apiErr{400, "InvalidTagName"},
		},
		"LongTagValue": {
			reason: "A tag value has at most 256 characters.",
			server: with(func(s *pg.Server) { s.Tags = map[string]*string{"n": to.Ptr(strings.Repeat("v", 257))} }),
			want:   apiErr{400, "InvalidTagValueLength"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			server, rg := tc.name, tc.rg
			if server == "" {
				server = "new-server"
			}
			if rg == "" {
				rg = resourceGroup
			}
			_, err := e.pg.BeginCreate(context.Background(), rg, server, tc.server, nil)
			if diff := cmp.Diff(tc.want, errOf(err)); diff != "" {
				t.Errorf("%s\ncreate error (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCreateMySQLErrors(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	cases := map[string]struct {
		reason string
		change func(*my.Server)
		want   apiErr
	}{
		"RootAdmin": {
			reason: "root is reserved on MySQL.",
			change: func(s *my.Server) { s.Properties.AdministratorLogin = to.Ptr("root") },
			want:   apiErr{400, "InvalidParameterValue"},
		},
		"SmallDisk": {
			reason: "MySQL storage starts at 20 GB.",
			change: func(s *my.Server) { s.Properties.Storage.StorageSizeGB = to.Ptr[int32](10) },
			want:   apiErr{400, "InvalidParameterValue"},
		},
		"OneDayRetention": {
			reason: "MySQL keeps backups from 1 day on, unlike PostgreSQL.",
			change: func(s *my.Server) { s.Properties.Backup = &my.Backup{BackupRetentionDays: to.Ptr[int32](1)} },
		},
		"Version8dot4": {
			reason: "The 2021-05-01 API offers 5.7 and 8.0.21.",
			change: func(s *my.Server) { s.Properties.Version = to.Ptr(my.ServerVersion("8.4")) },
			want:   apiErr{400, "InvalidParameterValue"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := myServer()
			tc.change(&s)
			_, err := e.my.BeginCreate(context.Background(), resourceGroup, strings.ToLower(name), s, nil)
			if diff := cmp.Diff(tc.want, errOf(err)); diff != "" {
				t.Errorf("%s\ncreate error (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDeleteServer(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.createPG(t, "doomed", pgServer())
	for _, reason := range []string{
		"Deleting a server runs an operation that ends with the server gone.",
		"Deleting it again finds nothing and answers 204 at once.",
	} {
		if _, err := ended(e.pg.BeginDelete(context.Background(), resourceGroup, "doomed", nil)); err != nil {
			t.Fatalf("%s\ndelete: %v", reason, err)
		}
	}
	_, err := e.pg.Get(context.Background(), resourceGroup, "doomed", nil)
	if diff := cmp.Diff(apiErr{404, "ResourceNotFound"}, errOf(err)); diff != "" {
		t.Errorf("getting a deleted server (-want +got):\n%s", diff)
	}
	if n := len(e.emu.Servers()); n != 0 {
		t.Errorf("the emulator still has %d servers", n)
	}
}

func TestDeleteIsDropping(t *testing.T) {
	e := start(t, Config{NoEngine: true, Delays: Delays{Create: time.Millisecond, Update: time.Millisecond, Delete: 300 * time.Millisecond, Restart: time.Millisecond}})
	e.createPG(t, "slow", pgServer())
	poller, err := e.pg.BeginDelete(context.Background(), resourceGroup, "slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.pg.Get(context.Background(), resourceGroup, "slow", nil)
	if err != nil || deref(got.Properties.State) != pg.ServerStateDropping {
		t.Errorf("a server being deleted = %v, %v; want state Dropping", deref(got.Properties.State), err)
	}
	_, err = e.pg.BeginRestart(context.Background(), resourceGroup, "slow", nil)
	if diff := cmp.Diff(apiErr{409, "ServerIsBusy"}, errOf(err)); diff != "" {
		t.Errorf("restarting a server being deleted (-want +got):\n%s", diff)
	}
	if _, err := poller.PollUntilDone(context.Background(), poll); err != nil {
		t.Fatal(err)
	}
}

func TestListServers(t *testing.T) {
	e := start(t, Config{NoEngine: true, PageSize: 1})
	for _, name := range []string{"b-server", "a-server"} {
		e.createPG(t, name, pgServer())
	}
	if _, err := ended(e.pg.BeginCreate(context.Background(), "elsewhere", "c-server", pgServer(), nil)); err != nil {
		t.Fatal(err)
	}
	e.createMySQL(t, "my-server", myServer())

	var byRG, bySub []string
	rg := e.pg.NewListByResourceGroupPager(resourceGroup, nil)
	for rg.More() {
		page, err := rg.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Value {
			byRG = append(byRG, deref(s.Name))
		}
	}
	sub := e.pg.NewListPager(nil)
	for sub.More() {
		page, err := sub.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Value {
			bySub = append(bySub, deref(s.Name))
		}
	}
	if diff := cmp.Diff([]string{"a-server", "b-server"}, byRG); diff != "" {
		t.Errorf("the resource group's PostgreSQL servers, a page each (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a-server", "b-server", "c-server"}, bySub); diff != "" {
		t.Errorf("the subscription's PostgreSQL servers, a page each (-want +got):\n%s", diff)
	}
}

func TestRestartServer(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.createPG(t, "pg1", pgServer())
	if _, err := ended(e.pg.BeginRestart(context.Background(), resourceGroup, "pg1", nil)); err != nil {
		t.Fatalf("restart: %v", err)
	}
	got, err := e.pg.Get(context.Background(), resourceGroup, "pg1", nil)
	if err != nil || deref(got.Properties.State) != pg.ServerStateReady {
		t.Errorf("after the restart: %v, %v; want Ready", deref(got.Properties.State), err)
	}
}

func TestUnknownResources(t *testing.T) {
	e := start(t, Config{NoEngine: true, Subscriptions: []string{subscription}, ResourceGroups: []string{resourceGroup}})
	other := must(pg.NewServersClient("99999999-0000-0000-0000-000000000000", fakeCredential{}, e.options(nil)))
	cases := map[string]struct {
		reason string
		call   func() error
		want   apiErr
	}{
		"Server": {
			reason: "An unknown server answers 404 ResourceNotFound.",
			call:   func() error { _, err := e.pg.Get(context.Background(), resourceGroup, "nope", nil); return err },
			want:   apiErr{404, "ResourceNotFound"},
		},
		"PatchServer": {
			reason: "Updating an unknown server answers 404 ResourceNotFound.",
			call: func() error {
				_, err := e.pg.BeginUpdate(context.Background(), resourceGroup, "nope", pg.ServerForUpdate{}, nil)
				return err
			},
			want: apiErr{404, "ResourceNotFound"},
		},
		"ResourceGroup": {
			reason: "A resource group that does not exist answers 404 ResourceGroupNotFound.",
			call:   func() error { _, err := e.pg.Get(context.Background(), "nope-rg", "pg1", nil); return err },
			want:   apiErr{404, "ResourceGroupNotFound"},
		},
		"CreateInResourceGroup": {
			reason: "Creating in a resource group that does not exist answers 404 ResourceGroupNotFound.",
			call: func() error {
				_, err := e.pg.BeginCreate(context.Background(), "nope-rg", "pg1", pgServer(), nil)
				return err
			},
			want: apiErr{404, "ResourceGroupNotFound"},
		},
		"Subscription": {
			reason: "A subscription that does not exist answers 404 SubscriptionNotFound.",
			call:   func() error { _, err := other.Get(context.Background(), resourceGroup, "pg1", nil); return err },
			want:   apiErr{404, "SubscriptionNotFound"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, errOf(tc.call())); diff != "" {
				t.Errorf("%s\nerror (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRawRequests(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.createPG(t, "pg1", pgServer())
	cases := map[string]struct {
		reason string
		method string
		path   string
		body   string
		header http.Header
		status int
		code   string
	}{
		"NewerAPIVersion": {
			reason: "The newer GA API versions are served too.",
			method: http.MethodGet, path: serverPathOf("pg1") + "?api-version=2024-08-01",
			status: 200,
		},
		"CaseInsensitivePath": {
			reason: "ARM compares the path's fixed words and the namespace case-insensitively.",
			method: http.MethodGet,
			path:   "/subscriptions/" + subscription + "/resourcegroups/" + resourceGroup + "/providers/microsoft.dbforpostgresql/flexibleservers/pg1?api-version=2021-06-01",
			status: 200,
		},
		"UnknownAPIVersion": {
			reason: "An API version the provider never had answers 400 NoRegisteredProviderFound.",
			method: http.MethodGet, path: serverPathOf("pg1") + "?api-version=2099-01-01",
			status: 400, code: "NoRegisteredProviderFound",
		},
		"MalformedAPIVersion": {
			reason: "An api-version that is no date answers 400 InvalidApiVersionParameter.",
			method: http.MethodGet, path: serverPathOf("pg1") + "?api-version=latest",
			status: 400, code: "InvalidApiVersionParameter",
		},
		"NoAPIVersion": {
			reason: "ARM requires the api-version.",
			method: http.MethodGet, path: serverPathOf("pg1"),
			status: 400, code: "MissingApiVersionParameter",
		},
		"NoToken": {
			reason: "A call without an Authorization header answers 401 AuthenticationFailed.",
			method: http.MethodGet, path: serverPathOf("pg1") + "?api-version=2021-06-01",
			header: http.Header{"Authorization": {""}},
			status: 401, code: "AuthenticationFailed",
		},
		"NotBearer": {
			reason: "A call with another scheme than Bearer answers 401 InvalidAuthenticationToken.",
			method: http.MethodGet, path: serverPathOf("pg1") + "?api-version=2021-06-01",
			header: http.Header{"Authorization": {"Basic dXNlcjpwdw=="}},
			status: 401, code: "InvalidAuthenticationToken",
		},
		"BadJSON": {
			reason: "A body that is no JSON answers 400 InvalidRequestContent.",
			method: http.MethodPut, path: serverPathOf("new") + "?api-version=2021-06-01", body: `{"location":`,
			status: 400, code: "InvalidRequestContent",
		},
		"DeleteNothing": {
			reason: "Deleting a server that does not exist answers 204.",
			method: http.MethodDelete, path: serverPathOf("nothing") + "?api-version=2021-06-01",
			status: 204,
		},
		"UnknownOperation": {
			reason: "An operation URL nobody was given answers 404.",
			method: http.MethodGet,
			path:   "/subscriptions/" + subscription + "/providers/Microsoft.DBforPostgreSQL/locations/westeurope/azureAsyncOperation/nope?api-version=2021-06-01",
			status: 404, code: "OperationNotFound",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp := e.rawCall(t, tc.method, tc.path, tc.body, tc.header)
			var body struct{ Error ErrorDetail }
			if resp.StatusCode >= 400 {
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
					t.Fatalf("error body: %v", err)
				}
			}
			type result struct {
				Status int
				Code   string
			}
			if diff := cmp.Diff(result{tc.status, tc.code}, result{resp.StatusCode, body.Error.Code}); diff != "" {
				t.Errorf("%s\nanswer (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}
