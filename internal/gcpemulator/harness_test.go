package gcpemulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	sqladmin "google.golang.org/api/sqladmin/v1"
)

const project = "acme-test"

// bearer adds a static bearer token, as Google's client does with real credentials.
type bearer struct{}

func (bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer test-token")
	return http.DefaultTransport.RoundTrip(r)
}

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is an emulator served over HTTP and Google's client pointed at it.
type env struct {
	emu   *Emulator
	url   string
	svc   *sqladmin.Service
	clock *clock
}

// start serves a new emulator with short delays; cfg's zero fields get test defaults.
func start(t *testing.T, cfg Config) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	// The clock follows real time so that operation timestamps stay ordered.
	base := time.Now()
	cfg.Now = func() time.Time { return c.Now().Add(time.Since(base)) }
	if cfg.Delays == (Delays{}) {
		cfg.Delays = Delays{Create: 50 * time.Millisecond, Update: 50 * time.Millisecond, Delete: 50 * time.Millisecond, Backup: 20 * time.Millisecond}
	}
	if cfg.NameReservation == 0 {
		cfg.NameReservation = time.Hour
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
	svc, err := sqladmin.NewService(context.Background(),
		option.WithEndpoint(srv.URL+"/"),
		option.WithHTTPClient(&http.Client{Transport: bearer{}}))
	if err != nil {
		t.Fatal(err)
	}
	return &env{emu: emu, url: srv.URL, svc: svc, clock: c}
}

// wait returns a function that polls the operation a call answered until it is DONE and
// returns it; it is used as e.wait(t)(call.Do()).
func (e *env) wait(t *testing.T) func(op *sqladmin.Operation, err error) *sqladmin.Operation {
	return func(op *sqladmin.Operation, err error) *sqladmin.Operation {
		t.Helper()
		return e.waitOp(t, op, err)
	}
}

func (e *env) waitOp(t *testing.T, op *sqladmin.Operation, err error) *sqladmin.Operation {
	t.Helper()
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	var got *sqladmin.Operation
	eventually(t, 30*time.Second, func() bool {
		got, err = e.svc.Operations.Get(project, op.Name).Do()
		if err != nil {
			t.Fatalf("get operation: %v", err)
		}
		return got.Status == "DONE"
	})
	return got
}

// create inserts an instance and waits until its operation is DONE.
func (e *env) create(t *testing.T, in *sqladmin.DatabaseInstance) *sqladmin.DatabaseInstance {
	t.Helper()
	op := e.wait(t)(e.svc.Instances.Insert(project, in).Do())
	if op.Error != nil {
		t.Fatalf("create %s failed: %+v", in.Name, op.Error.Errors[0])
	}
	got, err := e.svc.Instances.Get(project, in.Name).Do()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// eventually polls cond every 20ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// apiErr is the HTTP status and first reason of a client error, or zero.
type apiErr struct {
	Code   int
	Reason string
}

func errOf(err error) apiErr {
	var g *googleapi.Error
	if !errors.As(err, &g) {
		return apiErr{}
	}
	out := apiErr{Code: g.Code}
	if len(g.Errors) > 0 {
		out.Reason = g.Errors[0].Reason
	}
	return out
}

func pgInstance(name string) *sqladmin.DatabaseInstance {
	return &sqladmin.DatabaseInstance{
		Name: name, DatabaseVersion: "POSTGRES_17", Region: "europe-west1", RootPassword: "root-Secret-1",
		Settings: &sqladmin.Settings{Tier: "db-custom-1-3840", DataDiskSizeGb: 20, UserLabels: map[string]string{"team": "a"}},
	}
}

// primaryAddress is the instance's PRIMARY IP address, failing the test when it has none.
func primaryAddress(t *testing.T, in *sqladmin.DatabaseInstance) string {
	t.Helper()
	for _, ip := range in.IpAddresses {
		if ip.Type == "PRIMARY" {
			return ip.IpAddress
		}
	}
	t.Fatalf("instance %s has no PRIMARY address: %+v", in.Name, in.IpAddresses)
	return ""
}

// ownLoopback reports whether addr is a loopback address outside 127.0.0.0/16.
func ownLoopback(addr string) bool {
	ip := net.ParseIP(addr).To4()
	return ip != nil && ip[0] == 127 && ip[1] != 0
}

// testLog writes to the test's log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
