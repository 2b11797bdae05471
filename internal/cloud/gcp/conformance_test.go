package gcp

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/gcpemulator"
)

// Where the tests' databases live.
const (
	testProject = "conformance"
	testRegion  = "europe-west1"
)

// conformanceDelays keep a new instance creating long enough for the suite to see it
// creating, and everything else short.
var conformanceDelays = gcpemulator.Delays{
	Create: 100 * time.Millisecond, Update: 10 * time.Millisecond, Delete: 10 * time.Millisecond, Backup: 10 * time.Millisecond,
}

// TestConformance runs the provider conformance suite against the Cloud SQL emulator,
// without database engines.
func TestConformance(t *testing.T) {
	cloudtest.Conformance(t, cloudtest.Harness{
		Start:   startCloudSQL,
		Desired: desiredCloudSQL,
	})
}

// desiredCloudSQL is the smallest PostgreSQL instance Cloud SQL makes, with backups on.
func desiredCloudSQL(id string, tags map[string]string) cloud.Desired {
	return cloud.Desired{
		Identifier: id, Engine: "postgres", EngineVersion: "17", InstanceClass: "db-f1-micro",
		AllocatedStorageGiB: 10, BackupRetentionDays: 7, MasterUser: "sysadmin",
		MasterPassword: "Conformance-Password-1", Tags: tags,
	}
}

// emulator is a Cloud SQL emulator served for one test, and how to reach it.
type emulator struct {
	*gcpemulator.Emulator
	url string
}

// serve serves a fresh emulator with cfg for the length of t, and sets the environment the
// manager reads (GCP_PROJECT, GCP_SQLADMIN_ENDPOINT and an access token) for t.
func serve(t *testing.T, cfg gcpemulator.Config) *emulator {
	t.Helper()
	em, err := gcpemulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(func() {
		srv.Close()
		if err := em.Close(); err != nil {
			t.Errorf("close the emulator: %v", err)
		}
	})
	t.Setenv(EnvProject, testProject)
	t.Setenv(EnvEndpoint, srv.URL)
	// The emulator, like Google, wants a bearer token; any will do.
	t.Setenv(EnvAccessToken, "conformance-token")
	return &emulator{Emulator: em, url: srv.URL}
}

// newProvider builds a Provider from the environment serve set, as the manager does, with
// short waits.
func newProvider(t *testing.T) *Provider {
	t.Helper()
	p, err := New(t.Context(), Config{
		Project: os.Getenv(EnvProject), Region: testRegion, Endpoint: os.Getenv(EnvEndpoint),
		OperationWait: 10 * time.Second, PollInterval: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// startCloudSQL serves an emulator without engines for t and builds the provider on it.
func startCloudSQL(t *testing.T) cloudtest.Cloud {
	em := serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	return cloudtest.Cloud{
		Provider:       newProvider(t),
		Restart:        func(t *testing.T) cloud.Provider { return newProvider(t) },
		CreateDirectly: func(t *testing.T, d cloud.Desired) { createWithClient(t, em.url, d) },
		Mutations: func() []string {
			var out []string
			for _, c := range em.Stats().Log {
				if !strings.HasPrefix(c.Method, "GET ") {
					out = append(out, c.Method+" "+c.Instance)
				}
			}
			return out
		},
		MakeBusy: func(t *testing.T, id string) {
			t.Helper()
			// Cloud SQL refuses changes of an instance under maintenance ("instance is
			// not running"); the emulator keeps it there until told otherwise.
			if ok, err := em.Tamper(testProject, id, "MAINTENANCE"); err != nil || !ok {
				t.Fatalf("make %s busy: found %t, %v", id, ok, err)
			}
		},
		Throttle: func(t *testing.T, on bool) {
			f := gcpemulator.Faults{}
			if on {
				f.ThrottleRate = 1
			}
			em.SetFaults(f)
		},
	}
}

// createWithClient creates d with Google's own client, as another tool would: no Provider,
// no labels but d's tags (stored as this provider stores tags, the only way a tag such as
// matrixmind.cloud/owner fits a label), and none of the provider's own.
func createWithClient(t *testing.T, url string, d cloud.Desired) {
	t.Helper()
	svc, err := sqladmin.NewService(t.Context(), option.WithEndpoint(url+"/"), option.WithHTTPClient(&http.Client{Transport: bearer{}}))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := encodeLabels(d.Tags, nil)
	if err != nil {
		t.Fatalf("labels of %v: %v", d.Tags, err)
	}
	version, err := databaseVersion(d.Engine, d.EngineVersion)
	if err != nil {
		t.Fatal(err)
	}
	in := &sqladmin.DatabaseInstance{
		Name: d.Identifier, Region: testRegion, DatabaseVersion: version, RootPassword: d.MasterPassword,
		Settings: &sqladmin.Settings{Tier: d.InstanceClass, DataDiskSizeGb: int64(d.AllocatedStorageGiB), UserLabels: labels},
	}
	if _, err := svc.Instances.Insert(testProject, in).Do(); err != nil {
		t.Fatalf("create %s with Google's client: %v", d.Identifier, err)
	}
}

// bearer adds a bearer token to every request, as Google's client does with credentials.
type bearer struct{}

func (bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer another-tool")
	return http.DefaultTransport.RoundTrip(r)
}
