package azureemulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	my "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/mysql/armmysqlflexibleservers"
	pg "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/postgresql/armpostgresqlflexibleservers"
)

const (
	subscription  = "11111111-2222-3333-4444-555555555555"
	resourceGroup = "rg-test"
	// adminPassword satisfies Azure's complexity rule.
	adminPassword = "Secret-Pass-1"
)

// fakeCredential hands out a static token, as a real credential hands out Entra tokens.
type fakeCredential struct{}

func (fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// env is an emulator served over HTTP and the Azure SDK's clients pointed at it.
type env struct {
	emu *Emulator
	url string
	pg  *pg.ServersClient
	my  *my.ServersClient
}

// start serves a new emulator with short delays; cfg's zero fields get test defaults.
func start(t *testing.T, cfg Config) *env {
	t.Helper()
	if cfg.Delays == (Delays{}) {
		cfg.Delays = Delays{Create: 30 * time.Millisecond, Update: 30 * time.Millisecond, Delete: 30 * time.Millisecond, Restart: 30 * time.Millisecond}
	}
	if !cfg.NoEngine && cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Log == nil {
		// The servers' output, and why one did not start, belong in the test's log.
		cfg.Log = testLog{t}
	}
	emu, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		if err := emu.Close(); err != nil {
			t.Errorf("close emulator: %v", err)
		}
	})
	e := &env{emu: emu, url: srv.URL}
	e.pg = must(pg.NewServersClient(subscription, fakeCredential{}, e.options(nil)))
	e.my = must(my.NewServersClient(subscription, fakeCredential{}, e.options(nil)))
	return e
}

// options point an SDK client at the emulator, with the SDK's own retries (fast) unless
// retry says otherwise, and a client request ID per call so that the emulator tells its
// retries.
func (e *env) options(retry *policy.RetryOptions) *arm.ClientOptions {
	r := policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: 2 * time.Second}
	if retry != nil {
		r = *retry
	}
	return &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: "https://login.invalid/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: e.url, Audience: "https://management.azure.com"},
			},
		},
		InsecureAllowCredentialWithHTTP: true,
		Retry:                           r,
		PerCallPolicies:                 []policy.Policy{runtime.NewRequestIDPolicy()},
	}}
}

// poll is how often tests poll operations.
var poll = &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond}

// pgServer is a PostgreSQL create request with every required field.
func pgServer() pg.Server {
	return pg.Server{
		Location: to.Ptr("West Europe"),
		SKU:      &pg.SKU{Name: to.Ptr("Standard_B1ms"), Tier: to.Ptr(pg.SKUTierBurstable)},
		Tags:     map[string]*string{"team": to.Ptr("a")},
		Properties: &pg.ServerProperties{
			AdministratorLogin:         to.Ptr("dbadmin"),
			AdministratorLoginPassword: to.Ptr(adminPassword),
			Version:                    to.Ptr(pg.ServerVersion("16")),
			Storage:                    &pg.Storage{StorageSizeGB: to.Ptr[int32](32)},
		},
	}
}

// myServer is a MySQL create request with every required field.
func myServer() my.Server {
	return my.Server{
		Location: to.Ptr("westeurope"),
		SKU:      &my.SKU{Name: to.Ptr("Standard_B1ms"), Tier: to.Ptr(my.SKUTierBurstable)},
		Properties: &my.ServerProperties{
			AdministratorLogin:         to.Ptr("dbadmin"),
			AdministratorLoginPassword: to.Ptr(adminPassword),
			Version:                    to.Ptr(my.ServerVersionEight021),
			Storage:                    &my.Storage{StorageSizeGB: to.Ptr[int32](20)},
		},
	}
}

// ended waits until a long-running operation the SDK began has ended, and returns its
// result or the error of its start or its end: ended(client.BeginCreate(...)).
func ended[T any](p *runtime.Poller[T], err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	return p.PollUntilDone(context.Background(), poll)
}

// createPG creates a PostgreSQL server and waits until its operation succeeded.
func (e *env) createPG(t *testing.T, name string, s pg.Server) pg.Server {
	t.Helper()
	res, err := ended(e.pg.BeginCreate(context.Background(), resourceGroup, name, s, nil))
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return res.Server
}

// createMySQL creates a MySQL server and waits until its operation succeeded.
func (e *env) createMySQL(t *testing.T, name string, s my.Server) my.Server {
	t.Helper()
	res, err := ended(e.my.BeginCreate(context.Background(), resourceGroup, name, s, nil))
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return res.Server
}

// apiErr is the HTTP status and ARM error code of an SDK error, or zero.
type apiErr struct {
	Status int
	Code   string
}

func errOf(err error) apiErr {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return apiErr{}
	}
	return apiErr{re.StatusCode, re.ErrorCode}
}

// rawCall sends an ARM request without the SDK and returns the response, whose body the
// caller closes.
func (e *env) rawCall(t *testing.T, method, path, body string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer test-token")
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// serverPath is the ARM path of a PostgreSQL server.
func serverPathOf(name string) string {
	return "/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/" + name
}

// eventually polls cond every 10ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ownLoopback reports whether addr is a loopback address outside 127.0.0.0/16.
func ownLoopback(addr string) bool {
	ip := net.ParseIP(addr).To4()
	return ip != nil && ip[0] == 127 && ip[1] != 0
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// testLog writes to the test's log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
