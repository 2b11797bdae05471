package bench

import (
	"errors"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/localstack"
)

// AzureClass is the DatabaseClass every object of a run on Azure names: the local stack's
// subscription and resource group, in westeurope.
const AzureClass = "bench-azure"

// azureClass is the DatabaseClass AzureClass.
func azureClass() *v1.DatabaseClass {
	return &v1.DatabaseClass{
		ObjectMeta: metav1.ObjectMeta{Name: AzureClass},
		Spec: v1.DatabaseClassSpec{Provider: v1.ProviderAzure, Azure: &v1.AzureClassParameters{
			SubscriptionID: localstack.AzureSubscription, ResourceGroup: localstack.AzureResourceGroup, Location: "westeurope",
		}},
	}
}

// azureRefuses says why cfg cannot run on Azure: what it asks for is RDS's, and the Azure
// provider would refuse it (Aurora, exports, parameters) or could not show it (a drift).
func azureRefuses(cfg Config) error {
	var errs []error
	if cfg.Aurora > 0 {
		errs = append(errs, errors.New("bench: Aurora on Azure: flexible servers have no Aurora clusters"))
	}
	if cfg.Exports {
		errs = append(errs, errors.New("bench: Exports on Azure: the Azure provider makes no snapshots and no exports"))
	}
	if cfg.Parameters {
		errs = append(errs, errors.New("bench: Parameters on Azure: the Azure provider sets no server parameters, and refuses objects that have some"))
	}
	if cfg.Drifts > 0 {
		errs = append(errs, errors.New("bench: Drifts on Azure: the drifts are made through the RDS emulator's tamper hook and found through RDS's event feed; "+
			"Azure has no feed, and a password reset at the portal shows in no list; run with Drifts 0"))
	}
	return errors.Join(errs...)
}

// azureEmulatorArgs are azure-emulator's flags of a run: on Azure, no engines and the run's
// delays (Azure has no backing-up); on RDS, no engines either, as nothing is made there.
func azureEmulatorArgs(cfg Config) []string {
	args := []string{"--no-engine"}
	if cfg.Cloud == v1.ProviderAzure {
		args = append(args, "--create-delay", cfg.Create.String(), "--update-delay", cfg.Modify.String(), "--delete-delay", cfg.Delete.String())
	}
	return args
}

// azureBudget is the most Azure calls one refresh of the shared view of N PostgreSQL
// servers may take: a page of 100 per hundred servers, the one page of MySQL's (empty)
// list, and one more for a server looked at on its own.
func azureBudget(n int) int {
	return max(pages(n), 1) + 1 + 1
}

// azureStats is what the Azure emulator's GET /_emulator/stats answers: calls by method and
// path template, errors by ARM code, and the call log.
type azureStats struct {
	Calls   map[string]int `json:"calls"`
	Retries map[string]int `json:"retries"`
	Errors  map[string]int `json:"errors"`
	Log     []azureCall    `json:"log"`
}

// azureCall is one entry of the Azure emulator's call log: its method and path template,
// and the server it named ("" for a list).
type azureCall struct {
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Server string    `json:"server"`
}

// stats names each call as the Azure SDK operation it is (azureAction), the server as the
// call's identifier, so that the rest of the benchmark reads either emulator alike.
func (a azureStats) stats() emulatorStats {
	st := emulatorStats{Calls: map[string]int{}, Retries: map[string]int{}, Errors: a.Errors}
	for k, v := range a.Calls {
		st.Calls[azureAction(k)] += v
	}
	for k, v := range a.Retries {
		st.Retries[azureAction(k)] += v
	}
	st.Log = make([]call, len(a.Log))
	for i, c := range a.Log {
		st.Log[i] = call{Time: c.Time, Action: azureAction(c.Method), ID: c.Server}
	}
	return st
}

// Azure's list of every server of a resource group, as azureAction names it: what a refresh
// of the operator's shared view pages through, once per resource provider.
const (
	azurePostgreSQLList = "PostgreSQL Servers.ListByResourceGroup"
	azureMySQLList      = "MySQL Servers.ListByResourceGroup"
)

// azureOperations name the Azure emulator's methods, by HTTP method and the path below the
// resource provider's namespace, as the Azure SDK's operations.
var azureOperations = map[string]string{
	"GET flexibleServers":                                                  "Servers.List",
	"GET flexibleServers/{serverName}":                                     "Servers.Get",
	"PUT flexibleServers/{serverName}":                                     "Servers.Create",
	"PATCH flexibleServers/{serverName}":                                   "Servers.Update",
	"DELETE flexibleServers/{serverName}":                                  "Servers.Delete",
	"POST flexibleServers/{serverName}/restart":                            "Servers.Restart",
	"GET locations/{location}/azureAsyncOperation/{operationId}":           "AsyncOperation.Get",
	"GET locations/{location}/operationResults/{operationId}":              "OperationResults.Get",
	"PUT flexibleServers/{serverName}/databases/{databaseName}":            "Databases.Create",
	"GET flexibleServers/{serverName}/databases/{databaseName}":            "Databases.Get",
	"DELETE flexibleServers/{serverName}/databases/{databaseName}":         "Databases.Delete",
	"GET flexibleServers/{serverName}/databases":                           "Databases.ListByServer",
	"PUT flexibleServers/{serverName}/firewallRules/{firewallRuleName}":    "FirewallRules.CreateOrUpdate",
	"GET flexibleServers/{serverName}/firewallRules/{firewallRuleName}":    "FirewallRules.Get",
	"DELETE flexibleServers/{serverName}/firewallRules/{firewallRuleName}": "FirewallRules.Delete",
	"GET flexibleServers/{serverName}/firewallRules":                       "FirewallRules.ListByServer",
}

// azureAction names a call of the Azure emulator's log ("GET /subscriptions/{subscriptionId}/
// resourceGroups/{resourceGroupName}/providers/Microsoft.DBforPostgreSQL/flexibleServers")
// by its resource provider and SDK operation ("PostgreSQL Servers.ListByResourceGroup"), as
// the RDS emulator names its calls by action. A call it does not know keeps its name.
func azureAction(method string) string {
	const namespace = "/providers/Microsoft.DBfor"
	verb, path, _ := strings.Cut(method, " ")
	scope, below, ok := strings.Cut(path, namespace)
	if !ok {
		return method
	}
	provider, rest, _ := strings.Cut(below, "/")
	op, ok := azureOperations[verb+" "+rest]
	if !ok {
		return method
	}
	if op == "Servers.List" && strings.Contains(scope, "/resourceGroups/") {
		op = "Servers.ListByResourceGroup"
	}
	return provider + " " + op
}
