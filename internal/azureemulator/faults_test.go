package azureemulator

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	pg "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/postgresql/armpostgresqlflexibleservers"
	"github.com/google/go-cmp/cmp"
)

const getServerMethod = "GET " + serverTemplatePG

// serverTemplatePG is the call log's name of a PostgreSQL server's path.
const serverTemplatePG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{serverName}"

func TestInjectedFaults(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.createPG(t, "pg1", pgServer())
	// One retry, after the Retry-After the emulator sends (one second).
	client := must(pg.NewServersClient(subscription, fakeCredential{}, e.options(&policy.RetryOptions{
		MaxRetries: 1, RetryDelay: time.Millisecond, MaxRetryDelay: 2 * time.Second,
	})))
	cases := map[string]struct {
		reason string
		faults Faults
		want   apiErr
		// calls is how many GETs reached the emulator, retries is how many of them the
		// call log counted as the SDK's retries.
		calls, retries int
	}{
		"Throttled": {
			reason: "A throttled call answers 429 SubscriptionRequestsThrottled, which the SDK retries once and then returns.",
			faults: Faults{ThrottleRate: 1},
			want:   apiErr{429, "SubscriptionRequestsThrottled"},
			calls:  2, retries: 1,
		},
		"Unavailable": {
			reason: "An unavailable service answers 503, which the SDK retries once and then returns.",
			faults: Faults{UnavailableRate: 1},
			want:   apiErr{503, "ServiceUnavailable"},
			calls:  2, retries: 1,
		},
		"Healthy": {
			reason: "Without faults the call succeeds at once.",
			calls:  1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := e.emu.SetFaults(tc.faults); err != nil {
				t.Fatal(err)
			}
			e.emu.ResetStats()
			_, err := client.Get(context.Background(), resourceGroup, "pg1", nil)
			if diff := cmp.Diff(tc.want, errOf(err)); diff != "" {
				t.Errorf("%s\nerror (-want +got):\n%s", tc.reason, diff)
			}
			st := e.emu.Stats()
			type counts struct{ Calls, Retries int }
			if diff := cmp.Diff(counts{tc.calls, tc.retries}, counts{st.Calls[getServerMethod], st.Retries[getServerMethod]}); diff != "" {
				t.Errorf("%s\ncall log (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestThrottledAnswer(t *testing.T) {
	e := start(t, Config{NoEngine: true, Faults: Faults{ThrottleRate: 1, RetryAfter: 1500 * time.Millisecond}})
	resp := e.rawCall(t, http.MethodDelete, serverPathOf("pg1")+"?api-version=2021-06-01", "", nil)
	var body struct{ Error ErrorDetail }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		Status     int
		RetryAfter string
		Code       string
		Delete     bool
	}
	want := answer{429, "2", "SubscriptionRequestsThrottled", true}
	got := answer{resp.StatusCode, resp.Header.Get("Retry-After"), body.Error.Code, strings.Contains(body.Error.Message, "'delete' requests")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("a throttled DELETE, told to come back in 1.5 s (-want +got):\n%s", diff)
	}
}

func TestQuotaExceeded(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.createPG(t, "before", pgServer())
	if err := e.emu.SetFaults(Faults{QuotaExceeded: true}); err != nil {
		t.Fatal(err)
	}
	_, err := e.pg.BeginCreate(context.Background(), resourceGroup, "after", pgServer(), nil)
	if diff := cmp.Diff(apiErr{409, "QuotaExceeded"}, errOf(err)); diff != "" {
		t.Errorf("a create over the quota (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "Current Usage: 1, Additional Required: 1") {
		t.Errorf("the refusal counts the subscription's vCores in the location: %v", err)
	}
	update := pg.ServerForUpdate{Tags: map[string]*string{"x": to.Ptr("y")}}
	if _, err := ended(e.pg.BeginUpdate(context.Background(), resourceGroup, "before", update, nil)); err != nil {
		t.Fatalf("an update is no create: the quota does not refuse it: %v", err)
	}
}

func TestBusyServer(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.createPG(t, "pg1", pgServer())
	ref := ServerRef{Provider: "microsoft.dbforpostgresql", Subscription: subscription, ResourceGroup: resourceGroup, Name: "pg1"}
	if !e.emu.SetBusy(ref, true) {
		t.Fatal("SetBusy did not find the server")
	}
	update := pg.ServerForUpdate{Tags: map[string]*string{"x": to.Ptr("y")}}
	calls := map[string]func() error{
		"update": func() error {
			_, err := e.pg.BeginUpdate(context.Background(), resourceGroup, "pg1", update, nil)
			return err
		},
		"restart": func() error {
			_, err := e.pg.BeginRestart(context.Background(), resourceGroup, "pg1", nil)
			return err
		},
		"delete": func() error {
			_, err := e.pg.BeginDelete(context.Background(), resourceGroup, "pg1", nil)
			return err
		},
	}
	for name, call := range calls {
		if diff := cmp.Diff(apiErr{409, "ServerIsBusy"}, errOf(call())); diff != "" {
			t.Errorf("%s of a busy server (-want +got):\n%s", name, diff)
		}
	}
	e.emu.SetBusy(ref, false)
	if err := calls["update"](); err != nil {
		t.Errorf("once free, the server takes updates again: %v", err)
	}
	if e.emu.SetBusy(ServerRef{Provider: ProviderMySQL, Subscription: subscription, ResourceGroup: resourceGroup, Name: "pg1"}, true) {
		t.Error("SetBusy found a MySQL server by a PostgreSQL server's name")
	}
}

func TestTamper(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.createPG(t, "pg1", pgServer())
	ref := ServerRef{Provider: ProviderPostgreSQL, Subscription: subscription, ResourceGroup: resourceGroup, Name: "pg1"}
	cases := []struct {
		reason string
		t      Tampering
		want   func(*pgSummary)
		err    bool
	}{
		{
			reason: "Someone at the portal scales the server and grows its disk.",
			t:      Tampering{SKU: &SKU{Name: "Standard_D4ds_v5", Tier: "GeneralPurpose"}, StorageSizeGB: 256},
			want:   func(s *pgSummary) { s.SKU, s.Tier, s.StorageGB = "Standard_D4ds_v5", "GeneralPurpose", 256 },
		},
		{
			reason: "Someone replaces the tags.",
			t:      Tampering{Tags: map[string]string{"edited": "by-hand"}},
			want:   func(s *pgSummary) { s.Tags = map[string]string{"edited": "by-hand"} },
		},
		{
			reason: "The portal refuses what the API refuses: a smaller disk.",
			t:      Tampering{StorageSizeGB: 64},
			err:    true,
		},
	}
	for _, tc := range cases {
		before := summarizePG(must(e.pg.Get(context.Background(), resourceGroup, "pg1", nil)).Server)
		err := e.emu.Tamper(ref, tc.t)
		if (err != nil) != tc.err {
			t.Errorf("%s\nTamper error = %v, want an error: %v", tc.reason, err, tc.err)
			continue
		}
		if tc.err {
			continue
		}
		tc.want(&before)
		after := summarizePG(must(e.pg.Get(context.Background(), resourceGroup, "pg1", nil)).Server)
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("%s\nserver (-want +got):\n%s", tc.reason, diff)
		}
	}
	if err := e.emu.Tamper(ServerRef{Provider: ProviderPostgreSQL, Subscription: subscription, ResourceGroup: "other", Name: "pg1"}, Tampering{}); err != ErrNoServer {
		t.Errorf("Tamper of a server in another resource group = %v, want ErrNoServer", err)
	}
}

func TestControlEndpoints(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.createPG(t, "pg1", pgServer())
	post := func(path, body string) int {
		resp, err := http.Post(e.url+"/_emulator/"+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ref := `"provider":"Microsoft.DBforPostgreSQL","subscription":"` + subscription + `","resourceGroup":"` + resourceGroup + `","server":"pg1"`
	cases := []struct {
		reason, path, body string
		want               int
	}{
		{"Faults are set by JSON with durations as strings.", "faults", `{"latency":"1ms","retryAfter":"2s"}`, 204},
		{"A rate above 1 is refused.", "faults", `{"throttleRate":2}`, 400},
		{"A server is made busy by its reference.", "busy", `{` + ref + `,"busy":true}`, 204},
		{"And freed again.", "busy", `{` + ref + `,"busy":false}`, 204},
		{"A server that does not exist answers 404.", "busy", `{"provider":"Microsoft.DBforMySQL","server":"nope","busy":true}`, 404},
		{"Tampering sets the tags.", "tamper", `{` + ref + `,"tags":{"k":"v"}}`, 204},
		{"Tampering with a tag ARM refuses answers ARM's 400.", "tamper", `{` + ref + `,"tags":{"a/b":"v"}}`, 400},
		{"The counters are reset.", "reset-stats", ``, 204},
	}
	for _, tc := range cases {
		if got := post(tc.path, tc.body); got != tc.want {
			t.Errorf("%s\nPOST /_emulator/%s answered %d, want %d", tc.reason, tc.path, got, tc.want)
		}
	}
	resp, err := http.Get(e.url + "/_emulator/servers")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var servers []ServerInfo
	if err := json.NewDecoder(resp.Body).Decode(&servers); err != nil {
		t.Fatal(err)
	}
	if len(servers) != 1 || servers[0].Name != "pg1" || !ownLoopback(servers[0].Address) || servers[0].Port != 5432 {
		t.Errorf("GET /_emulator/servers = %+v, want pg1 on its own address, port 5432", servers)
	}
}

func TestChildResources(t *testing.T) {
	e := start(t, Config{NoEngine: true})
	e.createPG(t, "pg1", pgServer())
	dbs := must(pg.NewDatabasesClient(subscription, fakeCredential{}, e.options(nil)))
	rules := must(pg.NewFirewallRulesClient(subscription, fakeCredential{}, e.options(nil)))
	ctx := context.Background()

	db := pg.Database{Properties: &pg.DatabaseProperties{Charset: to.Ptr("UTF8")}}
	if _, err := ended(dbs.BeginCreate(ctx, resourceGroup, "pg1", "appdb", db, nil)); err != nil {
		t.Fatal(err)
	}
	ruleBody := pg.FirewallRule{Properties: &pg.FirewallRuleProperties{StartIPAddress: to.Ptr("10.0.0.1"), EndIPAddress: to.Ptr("10.0.0.9")}}
	rule, err := ended(rules.BeginCreateOrUpdate(ctx, resourceGroup, "pg1", "office", ruleBody, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := deref(rule.Properties.EndIPAddress); got != "10.0.0.9" {
		t.Errorf("the firewall rule's end address = %q, want it echoed", got)
	}
	listDBs := func() []string {
		var names []string
		pager := dbs.NewListByServerPager(resourceGroup, "pg1", nil)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page.Value {
				names = append(names, deref(d.Name))
			}
		}
		return names
	}
	if diff := cmp.Diff([]string{"appdb", "postgres"}, listDBs()); diff != "" {
		t.Errorf("the server's databases (-want +got):\n%s", diff)
	}
	if _, err := ended(dbs.BeginDelete(ctx, resourceGroup, "pg1", "appdb", nil)); err != nil {
		t.Fatal(err)
	}
	_, err = dbs.Get(ctx, resourceGroup, "pg1", "appdb", nil)
	if diff := cmp.Diff(apiErr{404, "ResourceNotFound"}, errOf(err)); diff != "" {
		t.Errorf("a dropped database (-want +got):\n%s", diff)
	}
	_, err = rules.BeginCreateOrUpdate(ctx, resourceGroup, "pg1", "bad", pg.FirewallRule{Properties: &pg.FirewallRuleProperties{
		StartIPAddress: to.Ptr("10.0.0.9"), EndIPAddress: to.Ptr("10.0.0.1")}}, nil)
	if diff := cmp.Diff(apiErr{400, "InvalidParameterValue"}, errOf(err)); diff != "" {
		t.Errorf("a firewall rule whose range is backwards (-want +got):\n%s", diff)
	}
	_, err = dbs.Get(ctx, resourceGroup, "nope", "appdb", nil)
	if diff := cmp.Diff(apiErr{404, "ParentResourceNotFound"}, errOf(err)); diff != "" {
		t.Errorf("a database of a server that does not exist (-want +got):\n%s", diff)
	}
}
