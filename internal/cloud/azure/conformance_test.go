package azure

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/azureemulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
)

// Where the tests' servers live.
const (
	testSubscription  = "00000000-0000-0000-0000-0000000c0f0e"
	testResourceGroup = "conformance"
	testLocation      = "westeurope"
)

// conformanceDelays keep a new server provisioning long enough for the suite to see it
// so, and everything else short.
var conformanceDelays = azureemulator.Delays{
	Create: 100 * time.Millisecond, Update: 10 * time.Millisecond, Delete: 10 * time.Millisecond, Restart: 10 * time.Millisecond,
}

// TestConformance runs the provider conformance suite against the Azure emulator, without
// database engines. Azure keeps no snapshot that outlives a server: the snapshot cases
// check that the provider refuses them.
func TestConformance(t *testing.T) {
	cloudtest.Conformance(t, cloudtest.Harness{
		Start:       startAzure,
		Desired:     desiredAzure,
		NoSnapshots: true,
	})
}

// desiredAzure is the smallest PostgreSQL flexible server Azure makes.
func desiredAzure(id string, tags map[string]string) cloud.Desired {
	return cloud.Desired{
		Identifier: id, Engine: enginePostgres, EngineVersion: "16", InstanceClass: "Standard_B1ms",
		AllocatedStorageGiB: 32, BackupRetentionDays: 7, MasterUser: "sysadmin",
		MasterPassword: "Conformance-Password-1", Tags: tags,
	}
}

// serve serves a fresh emulator with cfg for the length of t and returns it with its URL.
func serve(t *testing.T, cfg azureemulator.Config) (*azureemulator.Emulator, string) {
	t.Helper()
	cfg.Subscriptions, cfg.ResourceGroups = []string{testSubscription}, []string{testResourceGroup}
	em, err := azureemulator.New(cfg)
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
	return em, srv.URL
}

// newProvider builds a Provider on the emulator at url, as the manager does, without the
// SDK's own retries (so that a throttled call reaches the test at once).
func newProvider(t *testing.T, url string) *Provider {
	t.Helper()
	p, err := New(Config{SubscriptionID: testSubscription, ResourceGroup: testResourceGroup, Location: testLocation, Endpoint: url, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func startAzure(t *testing.T) cloudtest.Cloud {
	em, url := serve(t, azureemulator.Config{NoEngine: true, Delays: conformanceDelays})
	ref := func(id string) azureemulator.ServerRef {
		return azureemulator.ServerRef{Provider: "Microsoft.DBforPostgreSQL", Subscription: testSubscription, ResourceGroup: testResourceGroup, Name: id}
	}
	return cloudtest.Cloud{
		Provider: newProvider(t, url),
		Restart:  func(t *testing.T) cloud.Provider { return newProvider(t, url) },
		CreateDirectly: func(t *testing.T, d cloud.Desired) {
			// As another tool would: the SDK's create, tag names escaped only as ARM needs.
			s, err := newProvider(t, url).newServer("create directly", d)
			if err != nil {
				t.Fatal(err)
			}
			s.Tags = map[string]string{}
			for k, v := range d.Tags {
				s.Tags[escapeName(k)] = v
			}
			if _, err := newProvider(t, url).engines[enginePostgres].create(context.Background(), s, d.MasterPassword); err != nil {
				t.Fatal(err)
			}
		},
		MakeBusy: func(t *testing.T, id string) {
			if !em.SetBusy(ref(id), true) {
				t.Fatalf("no server %s to make busy", id)
			}
		},
		Throttle: func(t *testing.T, on bool) {
			rate := 0.0
			if on {
				rate = 1
			}
			if err := em.SetFaults(azureemulator.Faults{ThrottleRate: rate}); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// TestFailedOperationsAreReported: Azure accepts a change and reports only in its
// operation that it could not make it (a SKU without capacity, a create it gave up on). The
// provider follows each operation it started the Azure way (its Azure-AsyncOperation URL,
// through the SDK's poller), so the next request for the server returns that failure with
// Azure's code, once, instead of sending the same change again and again in silence.
func TestFailedOperationsAreReported(t *testing.T) {
	ctx := context.Background()
	em, url := serve(t, azureemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t, url)
	wait := func(what string, ok func(cloud.Observation) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			obs, err := p.Observe(ctx, "orders")
			if err == nil && ok(obs) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("never %s: %+v, %v", what, obs, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if err := em.SetFaults(azureemulator.Faults{FailOperations: true}); err != nil {
		t.Fatal(err)
	}
	if err := p.Create(ctx, desiredAzure("orders", nil)); err != nil {
		t.Fatalf("Create: Azure accepts it: %v", err)
	}
	wait("gone after its create failed", func(o cloud.Observation) bool { return !o.Exists })
	err := p.Create(ctx, desiredAzure("orders", nil))
	var ce *cloud.Error
	if !errors.As(err, &ce) || ce.Code != "InternalServerError" {
		t.Fatalf("Create again after the first create's operation failed = %v; want that failure, with Azure's code", err)
	}
	if err := em.SetFaults(azureemulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	if err := p.Create(ctx, desiredAzure("orders", nil)); err != nil {
		t.Fatalf("Create once more: the failure is reported once, then the create is sent: %v", err)
	}
	wait("ready", func(o cloud.Observation) bool { return o.Exists && o.Instance.Phase == cloud.PhaseAvailable })

	if err := em.SetFaults(azureemulator.Faults{FailOperations: true}); err != nil {
		t.Fatal(err)
	}
	sku := "Standard_D2ds_v4"
	if err := p.Update(ctx, "orders", cloud.Changes{InstanceClass: &sku}, cloud.UpdateOptions{ApplyImmediately: true}); err != nil {
		t.Fatalf("Update: Azure accepts it: %v", err)
	}
	wait("ready again", func(o cloud.Observation) bool { return o.Instance.Phase == cloud.PhaseAvailable })
	if err := p.Update(ctx, "orders", cloud.Changes{InstanceClass: &sku}, cloud.UpdateOptions{ApplyImmediately: true}); !errors.As(err, &ce) || ce.Code != "InternalServerError" {
		t.Errorf("Update again after the first one's operation failed = %v; want that failure", err)
	}
	obs, err := p.Observe(ctx, "orders")
	if err != nil || obs.Instance.InstanceClass != "Standard_B1ms" {
		t.Errorf("after the failed SKU change the server must be as it was: %+v, %v", obs.Instance, err)
	}
}
