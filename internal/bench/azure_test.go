package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAzureAction(t *testing.T) {
	const (
		rg  = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
		sub = "/subscriptions/{subscriptionId}/providers/"
	)
	cases := map[string]struct {
		reason string
		method string
		want   string
	}{
		"Get": {
			reason: "a GET of one server is the SDK's Servers.Get, with its resource provider",
			method: "GET " + rg + "Microsoft.DBforPostgreSQL/flexibleServers/{serverName}",
			want:   "PostgreSQL Servers.Get",
		},
		"ListByResourceGroup": {
			reason: "the list of a resource group's servers is what the shared view pages through",
			method: "GET " + rg + "Microsoft.DBforMySQL/flexibleServers",
			want:   azureMySQLList,
		},
		"List": {
			reason: "the list of a subscription's servers is told from a resource group's",
			method: "GET " + sub + "Microsoft.DBforPostgreSQL/flexibleServers",
			want:   "PostgreSQL Servers.List",
		},
		"Create": {
			reason: "a PUT of a server is its create (the provider changes servers with PATCH)",
			method: "PUT " + rg + "Microsoft.DBforPostgreSQL/flexibleServers/{serverName}",
			want:   "PostgreSQL Servers.Create",
		},
		"Operation": {
			reason: "a look at a long-running operation is named as one, whatever its location",
			method: "GET " + sub + "Microsoft.DBforPostgreSQL/locations/{location}/azureAsyncOperation/{operationId}",
			want:   "PostgreSQL AsyncOperation.Get",
		},
		"Unknown": {
			reason: "a call the benchmark does not know keeps the emulator's name, so it is still counted apart",
			method: "GET (unknown)",
			want:   "GET (unknown)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, azureAction(tc.method)); diff != "" {
				t.Errorf("%s\nazureAction(%q): -want +got:\n%s", tc.reason, tc.method, diff)
			}
		})
	}
}

func TestAzureStats(t *testing.T) {
	list := "GET /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.DBforPostgreSQL/flexibleServers"
	get := "GET /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{serverName}"
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	a := azureStats{
		Calls: map[string]int{list: 3, get: 1}, Retries: map[string]int{get: 1}, Errors: map[string]int{"ResourceNotFound": 1},
	}
	a.Log = []azureCall{
		{at, list, ""}, {at.Add(time.Second), list, ""}, {at.Add(2 * time.Second), get, "db-1"}, {at.Add(time.Minute), list, ""},
	}
	st := a.stats()
	want := emulatorStats{
		Calls:   map[string]int{azurePostgreSQLList: 3, "PostgreSQL Servers.Get": 1},
		Retries: map[string]int{"PostgreSQL Servers.Get": 1},
		Errors:  map[string]int{"ResourceNotFound": 1},
		Log: []call{
			{at, azurePostgreSQLList, ""}, {at.Add(time.Second), azurePostgreSQLList, ""},
			{at.Add(2 * time.Second), "PostgreSQL Servers.Get", "db-1"}, {at.Add(time.Minute), azurePostgreSQLList, ""},
		},
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("the Azure emulator's stats are read as the RDS emulator's, calls named by SDK operation: -want +got:\n%s", diff)
	}
	if got := st.refreshes(); got != 2 {
		t.Errorf("refreshes() = %d, want 2: two list pages a second apart are one refresh, a GET of one server none", got)
	}
}

func TestAzureRefuses(t *testing.T) {
	cases := map[string]struct {
		reason string
		cfg    Config
		want   string // a word of the error; "" for none
	}{
		"Fleet": {
			reason: "a fleet of PostgreSQL instances runs on Azure",
			cfg:    Config{N: 200},
		},
		"Aurora": {
			reason: "Azure has no Aurora clusters",
			cfg:    Config{N: 200, Aurora: 10},
			want:   "Aurora",
		},
		"Exports": {
			reason: "the Azure provider makes no exports",
			cfg:    Config{N: 200, Exports: true, BackupEvery: "7d"},
			want:   "Exports",
		},
		"Parameters": {
			reason: "the Azure provider sets no server parameters",
			cfg:    Config{N: 200, Parameters: true},
			want:   "Parameters",
		},
		"Drifts": {
			reason: "the drifts need RDS's tamper hook and event feed",
			cfg:    Config{N: 200, Drifts: 20},
			want:   "Drifts",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := azureRefuses(tc.cfg)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if (tc.want == "") != (err == nil) || !strings.Contains(got, tc.want) {
				t.Errorf("%s\nazureRefuses(): %v, want an error naming %q", tc.reason, err, tc.want)
			}
		})
	}
}
