package gcpemulator

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

	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/calllog"
)

// Delays sets how long each operation runs before it is DONE.
type Delays struct {
	// Create is how long a new instance stays PENDING_CREATE (at least as long as its
	// server takes to start).
	Create time.Duration
	// Update is how long an instances.patch operation runs.
	Update time.Duration
	// Delete is how long an instance stays PENDING_DELETE before it is gone.
	Delete time.Duration
	// Backup is how long a backup run stays RUNNING (at least as long as the dump).
	Backup time.Duration
	// Export is how long an instances.export operation runs (at least as long as the dump).
	Export time.Duration
}

// Config configures New.
type Config struct {
	// DataDir holds the instances' servers (DataDir/instances/<name>-<n>) and the backups'
	// dumps (DataDir/backups/<id>.sql). Required unless NoEngine.
	DataDir string
	// NoEngine gives instances an address but starts no database server, for scale tests.
	NoEngine bool
	// Projects, when not empty, are the only projects the emulator serves; a call on any
	// other answers 403 notAuthorized, as Google does for a project the caller cannot see.
	Projects []string
	// NameReservation is how long the name of a deleted instance stays taken. Cloud SQL
	// keeps it about a week; zero means 7 days, a negative value frees names at once.
	NameReservation time.Duration
	// Buckets are the Cloud Storage buckets the project can write to: the Cloud Storage
	// stand-in (ListenGCS) holds them, empty, from the start, and exports write into them.
	Buckets []string
	// Delays sets how long operations run; zero fields default to one second.
	Delays Delays
	// Faults are the initial injected faults; SetFaults changes them.
	Faults Faults
	// Log receives one line per API call and the servers' output; nil discards it.
	Log io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Emulator is the Cloud SQL Admin API emulator. It is an http.Handler.
type Emulator struct {
	cfg Config
	mux *http.ServeMux

	// mu guards everything below. It is never held while a server starts, stops or dumps.
	mu         sync.Mutex
	instances  map[instanceKey]*instance
	reserved   map[instanceKey]time.Time // deleted names, until when they stay taken
	addresses  map[string]bool           // loopback addresses given to instances
	operations map[string]*operation     // by name
	opOrder    []*operation
	backups    map[int64]*backup
	seq        int64
	faults     Faults
	closed     bool
	// gcs is the Cloud Storage stand-in exports write to; it has its own lock.
	gcs *gcsStore
	// calls is the call log; it has its own lock.
	calls calllog.Log[Call]

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns an emulator with no instances.
func New(cfg Config) (*Emulator, error) {
	for _, d := range []*time.Duration{&cfg.Delays.Create, &cfg.Delays.Update, &cfg.Delays.Delete, &cfg.Delays.Backup, &cfg.Delays.Export} {
		if *d == 0 {
			*d = time.Second
		}
	}
	if cfg.NameReservation == 0 {
		cfg.NameReservation = 7 * 24 * time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DataDir == "" && !cfg.NoEngine {
		return nil, errors.New("new cloud sql emulator: DataDir is required unless NoEngine is set")
	}
	if cfg.DataDir != "" {
		for _, d := range []string{"instances", "backups"} {
			if err := os.MkdirAll(filepath.Join(cfg.DataDir, d), 0o755); err != nil {
				return nil, fmt.Errorf("new cloud sql emulator: %w", err)
			}
		}
	}
	gcs, err := newGCSStore(cfg.Buckets)
	if err != nil {
		return nil, fmt.Errorf("new cloud sql emulator: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Emulator{
		cfg:        cfg,
		instances:  map[instanceKey]*instance{},
		reserved:   map[instanceKey]time.Time{},
		addresses:  map[string]bool{},
		operations: map[string]*operation{},
		backups:    map[int64]*backup{},
		seq:        cfg.Now().Unix() % 1000000 * 1000,
		faults:     cfg.Faults,
		gcs:        gcs,
		ctx:        ctx,
		cancel:     cancel,
	}
	e.mux = e.routes()
	return e, nil
}

// Close stops the background operations and every server. The data directory stays.
func (e *Emulator) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()

	e.cancel()
	e.wg.Wait()
	e.gcs.server.Stop()

	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for _, in := range e.instances {
		if in.server != nil {
			if err := in.server.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stop %s: %w", in.key.name, err))
			}
			in.server = nil
		}
	}
	return errors.Join(errs...)
}

// handlerFunc answers one API method. It returns the response body, or an error.
type handlerFunc func(e *Emulator, r *http.Request) (any, error)

// routes maps the Admin API's method paths to their handlers. The patterns are the
// method templates of the discovery document; stats count calls by them.
func (e *Emulator) routes() *http.ServeMux {
	m := http.NewServeMux()
	api := map[string]handlerFunc{
		"POST /v1/projects/{project}/instances":                                   (*Emulator).insertInstance,
		"GET /v1/projects/{project}/instances":                                    (*Emulator).listInstances,
		"GET /v1/projects/{project}/instances/{instance}":                         (*Emulator).getInstance,
		"PATCH /v1/projects/{project}/instances/{instance}":                       (*Emulator).patchInstance,
		"PUT /v1/projects/{project}/instances/{instance}":                         (*Emulator).patchInstance,
		"DELETE /v1/projects/{project}/instances/{instance}":                      (*Emulator).deleteInstance,
		"POST /v1/projects/{project}/instances/{instance}/restoreBackup":          (*Emulator).restoreBackup,
		"POST /v1/projects/{project}/instances/{instance}/export":                 (*Emulator).exportInstance,
		"POST /v1/projects/{project}/instances/{instance}/restart":                (*Emulator).restartInstance,
		"GET /v1/projects/{project}/operations":                                   (*Emulator).listOperations,
		"GET /v1/projects/{project}/operations/{operation}":                       (*Emulator).getOperation,
		"POST /v1/projects/{project}/instances/{instance}/users":                  (*Emulator).insertUser,
		"GET /v1/projects/{project}/instances/{instance}/users":                   (*Emulator).listUsers,
		"GET /v1/projects/{project}/instances/{instance}/users/{name}":            (*Emulator).getUser,
		"PUT /v1/projects/{project}/instances/{instance}/users":                   (*Emulator).updateUser,
		"DELETE /v1/projects/{project}/instances/{instance}/users":                (*Emulator).deleteUser,
		"POST /v1/projects/{project}/instances/{instance}/databases":              (*Emulator).insertDatabase,
		"GET /v1/projects/{project}/instances/{instance}/databases":               (*Emulator).listDatabases,
		"GET /v1/projects/{project}/instances/{instance}/databases/{database}":    (*Emulator).getDatabase,
		"DELETE /v1/projects/{project}/instances/{instance}/databases/{database}": (*Emulator).deleteDatabase,
		"POST /v1/projects/{project}/instances/{instance}/backupRuns":             (*Emulator).insertBackupRun,
		"GET /v1/projects/{project}/instances/{instance}/backupRuns":              (*Emulator).listBackupRuns,
		"GET /v1/projects/{project}/instances/{instance}/backupRuns/{id}":         (*Emulator).getBackupRun,
		"DELETE /v1/projects/{project}/instances/{instance}/backupRuns/{id}":      (*Emulator).deleteBackupRun,
		"GET /v1/projects/{project}/backups":                                      (*Emulator).listBackups,
		"GET /v1/projects/{project}/backups/{backup}":                             (*Emulator).getBackup,
		"DELETE /v1/projects/{project}/backups/{backup}":                          (*Emulator).deleteBackup,
	}
	for pattern, h := range api {
		m.HandleFunc(pattern, e.serveAPI(pattern, h))
	}
	m.HandleFunc(introspectionPrefix, e.serveIntrospection)
	m.HandleFunc("GET "+introspectionPrefix+"gcs", e.serveGCSInfo)
	m.HandleFunc("POST "+introspectionPrefix+"grow-storage", e.serveGrowStorage)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		e.record(r.Method+" (unknown)", "", http.StatusNotFound)
		writeError(w, errorf(http.StatusNotFound, "notFound", "The requested URL %s was not found on this server.", r.URL.Path))
	})
	return m
}

// ServeHTTP answers the Admin API under /v1/ and the introspection API under /_emulator/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }

// serveAPI wraps an API handler with what every call goes through: the shutdown check,
// authentication, the project check, injected faults and the call log.
func (e *Emulator) serveAPI(pattern string, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		target := r.PathValue("instance")
		result, err := e.call(r, h)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: %s %s: internal error: %v\n", pattern, target, err)
				ae = errorf(http.StatusInternalServerError, "internalError", "Internal error encountered.")
			}
			e.record(pattern, target, ae.Code)
			writeError(w, ae)
			return
		}
		e.record(pattern, target, http.StatusOK)
		writeJSON(w, http.StatusOK, result)
	}
}

func (e *Emulator) call(r *http.Request, h handlerFunc) (any, error) {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, errorf(http.StatusServiceUnavailable, "backendError", "The service is currently unavailable.")
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return nil, errorf(http.StatusUnauthorized, "required", "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
	}
	if err := e.checkProject(r.PathValue("project")); err != nil {
		return nil, err
	}
	if err := e.injectFault(r.Context()); err != nil {
		return nil, err
	}
	return h(e, r)
}

func (e *Emulator) checkProject(project string) error {
	if len(e.cfg.Projects) == 0 {
		return nil
	}
	for _, p := range e.cfg.Projects {
		if p == project {
			return nil
		}
	}
	return errorf(http.StatusForbidden, "notAuthorized", "The client is not authorized to make this request.")
}

// decodeBody reads a JSON request body into v.
func decodeBody(r *http.Request, v any) error {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "parseError", "Invalid JSON payload received. %v", err)
	}
	return nil
}

// background runs fn in a goroutine that Close waits for; fn must return soon after ctx
// is done. After Close it does nothing. The caller must not hold mu.
func (e *Emulator) background(fn func(ctx context.Context)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.backgroundLocked(fn)
}

// backgroundLocked is background for a caller that holds mu.
func (e *Emulator) backgroundLocked(fn func(ctx context.Context)) {
	if e.closed {
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		fn(e.ctx)
	}()
}

// sleep waits for d; false when the emulator closed meanwhile.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// nextID returns a new number for backups and operation names. It runs under mu.
func (e *Emulator) nextID() int64 {
	e.seq++
	return e.seq
}

// baseURL is the URL clients reached the emulator at, for selfLink and targetLink.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// timestamp formats t as the API's RFC 3339 timestamps.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
