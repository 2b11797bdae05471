package azureemulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/calllog"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// Delays sets how long each long-running operation runs before it succeeds.
type Delays struct {
	// Create is how long a new server stays Provisioning (at least as long as its database
	// server takes to start).
	Create time.Duration
	// Update is how long an update (PATCH, or PUT on an existing server) stays Updating.
	Update time.Duration
	// Delete is how long a server stays Dropping before it is gone.
	Delete time.Duration
	// Restart is how long a restart runs (at least as long as the database server takes
	// to come back).
	Restart time.Duration
}

// Config configures New.
type Config struct {
	// DataDir holds the servers' database servers (DataDir/servers/<name>-<n>). Required
	// unless NoEngine.
	DataDir string
	// NoEngine gives servers an address but starts no database server, for scale tests.
	NoEngine bool
	// Subscriptions, when not empty, are the only subscriptions that exist; a call on any
	// other answers 404 SubscriptionNotFound.
	Subscriptions []string
	// ResourceGroups, when not empty, are the only resource groups that exist (in every
	// subscription, compared case-insensitively as ARM does); a call on any other answers
	// 404 ResourceGroupNotFound.
	ResourceGroups []string
	// PageSize is how many servers a list answers per page before a nextLink; zero means
	// 100.
	PageSize int
	// Delays sets how long operations run; zero fields default to one second.
	Delays Delays
	// Faults are the initial injected faults; SetFaults changes them.
	Faults Faults
	// Log receives one line per API call and the database servers' output; nil discards
	// it.
	Log io.Writer
	// Now is the clock of the timestamps answered (createdAt, an operation's startTime);
	// nil means time.Now. Delays run on real time.
	Now func() time.Time
}

// Emulator is the Azure Resource Manager emulator for flexible servers. It is an
// http.Handler.
type Emulator struct {
	cfg    Config
	routes []*route

	// mu guards everything below. It is never held while a database server starts, stops
	// or runs SQL.
	mu         sync.Mutex
	servers    map[serverKey]*server
	operations map[string]*operation
	faults     Faults
	seq        int64
	closed     bool
	// ca signs every database server's certificate, for its address, as DigiCert's and
	// Microsoft's roots sign Azure's (served at /_emulator/ca.pem).
	ca *serverproc.CA

	// addresses, calls and requestIDs have their own locks.
	addresses  addressBook
	calls      calllog.Log[Call]
	requestIDs recentIDs

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns an emulator with no servers.
func New(cfg Config) (*Emulator, error) {
	for _, d := range []*time.Duration{&cfg.Delays.Create, &cfg.Delays.Update, &cfg.Delays.Delete, &cfg.Delays.Restart} {
		if *d == 0 {
			*d = time.Second
		}
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := checkFaults(cfg.Faults); err != nil {
		return nil, fmt.Errorf("new azure emulator: %w", err)
	}
	if !cfg.NoEngine {
		if cfg.DataDir == "" {
			return nil, errors.New("new azure emulator: DataDir is required unless NoEngine is set")
		}
		if err := os.MkdirAll(filepath.Join(cfg.DataDir, "servers"), 0o755); err != nil {
			return nil, fmt.Errorf("new azure emulator: %w", err)
		}
	}
	ca, err := serverproc.NewCA("Azure emulator root CA")
	if err != nil {
		return nil, fmt.Errorf("new azure emulator: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Emulator{
		ca:         ca,
		cfg:        cfg,
		servers:    map[serverKey]*server{},
		operations: map[string]*operation{},
		faults:     cfg.Faults,
		ctx:        ctx,
		cancel:     cancel,
	}
	e.routes = apiRoutes()
	return e, nil
}

// CA is the PEM certificate of the CA the database servers' certificates chain to, issued
// for each server's address: what a client verifies a server against.
func (e *Emulator) CA() []byte { return e.ca.PEM }

// Close stops the background operations and every database server. The data directory
// stays. Closing a closed emulator does nothing.
func (e *Emulator) Close() error {
	if !e.markClosed() {
		return nil
	}
	e.cancel()
	e.wg.Wait()
	var errs []error
	for _, s := range e.withEngines() {
		if err := s.engine.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", s.name, err))
		}
	}
	return errors.Join(errs...)
}

// markClosed turns the emulator to closed; false when it was already.
func (e *Emulator) markClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	was := e.closed
	e.closed = true
	return !was
}

// withEngines lists the servers that have a database server.
func (e *Emulator) withEngines() []*server {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*server
	for _, s := range e.servers {
		if s.engine != nil {
			out = append(out, s)
		}
	}
	return out
}

// ServeHTTP answers ARM's API under /subscriptions/ and the emulator's own under
// /_emulator/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		e.serveControl(w, r)
		return
	}
	rt, vars, allowed := match(e.routes, r.Method, r.URL.Path)
	if rt == nil {
		name := r.Method + " (unknown)"
		aerr := errorf(http.StatusNotFound, "NotFound", "The requested path %s is not served by this emulator.", r.URL.Path)
		if allowed {
			name = r.Method + " (method not allowed)"
			aerr = errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested method %s is not allowed on %s.", r.Method, r.URL.Path)
		}
		e.record(r, name, "", aerr.Status, aerr.Code)
		writeError(w, aerr)
		return
	}
	e.serveAPI(w, r, rt, vars)
}

// call is one API request as a handler sees it.
type call struct {
	r          *http.Request
	p          *provider
	vars       map[string]string
	apiVersion string
	// base is the URL clients reached the emulator at, for operation URLs and nextLinks.
	base string
}

func (c *call) v(name string) string { return c.vars[name] }

// reply is a handler's answer: a status, extra headers and a JSON body (nil for none).
type reply struct {
	status int
	header http.Header
	body   any
}

// handlerFunc answers one API method.
type handlerFunc func(e *Emulator, c *call) (*reply, error)

// serveAPI runs what every API call goes through: the shutdown check, authentication, the
// api-version, subscription and resource group checks, injected faults and the call log.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request, rt *route, vars map[string]string) {
	c := &call{r: r, p: rt.provider, vars: vars, apiVersion: r.URL.Query().Get("api-version"), base: baseURL(r)}
	w.Header().Set("x-ms-request-id", newUUID())
	if id := r.Header.Get("x-ms-correlation-request-id"); id != "" {
		w.Header().Set("x-ms-correlation-request-id", id)
	}
	rep, err := e.dispatch(c, rt)
	if err != nil {
		var aerr *armError
		if !errors.As(err, &aerr) {
			fmt.Fprintf(e.cfg.Log, "azure-emulator: %s %s: internal error: %v\n", rt.name, vars["serverName"], err)
			aerr = errInternal()
		}
		e.record(r, rt.name, vars["serverName"], aerr.Status, aerr.Code)
		writeError(w, aerr)
		return
	}
	e.record(r, rt.name, vars["serverName"], rep.status, "")
	for k, vs := range rep.header {
		w.Header()[k] = vs
	}
	writeJSON(w, rep.status, rep.body)
}

func (e *Emulator) dispatch(c *call, rt *route) (*reply, error) {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, errUnavailable()
	}
	auth := c.r.Header.Get("Authorization")
	if auth == "" {
		return nil, errMissingAuth()
	}
	if token, ok := strings.CutPrefix(auth, "Bearer "); !ok || strings.TrimSpace(token) == "" {
		return nil, errBadToken()
	}
	if c.apiVersion == "" {
		return nil, errMissingAPIVersion()
	}
	if !c.p.servesAPIVersion(c.apiVersion) {
		return nil, errBadAPIVersion(c.p, c.apiVersion, c.v("location"))
	}
	if err := e.checkScope(c.v("subscriptionId"), c.v("resourceGroupName")); err != nil {
		return nil, err
	}
	if err := e.injectFault(c.r.Context(), c.r.Method, c.v("subscriptionId")); err != nil {
		return nil, err
	}
	return rt.handle(e, c)
}

// checkScope answers 404 for a subscription or resource group that does not exist.
func (e *Emulator) checkScope(sub, rg string) error {
	if !containsFold(e.cfg.Subscriptions, sub) {
		return errSubscriptionNotFound(sub)
	}
	if rg != "" && !containsFold(e.cfg.ResourceGroups, rg) {
		return errResourceGroupNotFound(rg)
	}
	return nil
}

// containsFold tells whether list is empty (anything exists) or holds v, ignoring case.
func containsFold(list []string, v string) bool {
	if len(list) == 0 {
		return true
	}
	for _, s := range list {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// decodeBody reads a JSON request body into v.
func decodeBody(r *http.Request, v any) error {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
		return errRequestContent(err)
	}
	return nil
}

// background runs fn in a goroutine that Close waits for; fn must return soon after the
// emulator's context is done. After Close it does nothing. The caller holds mu.
func (e *Emulator) background(fn func(ctx context.Context)) {
	if !e.closed {
		e.wg.Go(func() { fn(e.ctx) })
	}
}

// runFor waits until an operation begun at start has run for d; false when ctx ended
// first (the emulator closed, or the client went away).
func runFor(ctx context.Context, start time.Time, d time.Duration) bool {
	select {
	case <-time.After(time.Until(start.Add(d))):
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}

// baseURL is the URL clients reached the emulator at.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// timestamp formats t as ARM's ISO 8601 timestamps.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

// newUUID returns a random UUID, the form of ARM's request and operation IDs.
func newUUID() string { return uuid.NewString() }
