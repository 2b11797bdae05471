// Package emulator is a local Amazon RDS Query API (the wire protocol of aws-sdk-go-v2's
// service/rds): DB instances with AWS's status words, validation and error codes, backed
// by real database servers (PostgreSQL through package pgserver for postgres, MariaDB
// through package mariaserver for mysql and mariadb), with read replicas that really
// replicate, Multi-AZ settings, Aurora DB clusters (one real server per cluster behind its
// instances and endpoints), snapshots, tags and injectable faults. An endpoint is a front
// of its own (package pgfront for PostgreSQL, package mysqlfront for MySQL and MariaDB)
// that checks IAM database authentication tokens as RDS does (fronts.go, iamauth.go). It
// is its own product: it knows nothing of its clients.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/calllog"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// Delays sets how long each transient status lasts.
type Delays struct {
	// Create is how long a new instance stays "creating" (at least as long as its engine
	// takes to start).
	Create time.Duration
	// BackingUp is how long "backing-up" lasts, after creation and for each snapshot.
	BackingUp time.Duration
	// Modify is how long "modifying" lasts for an immediate modification.
	Modify time.Duration
	// Delete is how long "deleting" lasts before the instance disappears.
	Delete time.Duration
}

// Faults makes the API misbehave on purpose, to test clients' retries.
type Faults struct {
	// ThrottleEvery answers every Nth API call with Throttling; 0 never.
	ThrottleEvery int
	// ErrorRate is the fraction of API calls answered with 500 InternalFailure.
	ErrorRate float64
	// Latency is added to every API call.
	Latency time.Duration
}

// Config configures New.
type Config struct {
	// DataDir holds the instances' data (DataDir/instances/<id>) and snapshot dumps
	// (DataDir/snapshots/<id>.sql). Required unless NoEngine.
	DataDir string
	// Region is reported in ARNs and availability zones; default us-east-1.
	Region string
	// AccountID is reported in ARNs; default 123456789012.
	AccountID string
	// NoEngine gives instances an endpoint but starts no database server, for scale tests.
	NoEngine bool
	// NoEnginePort is the endpoint port of instances without a server; zero means the
	// engine's usual port (5432, 3306). Tests set a port nothing listens on, so that a
	// database server a machine happens to run there is never reached.
	NoEnginePort int
	// NoEngineTag, when set, is a tag key that makes one instance run without a server, as
	// under NoEngine, while the others get one: an instance created or restored with a tag
	// of this key (whatever its value) gets an endpoint but no engine. It lets one emulator
	// serve a mixed fleet (soak tests); the tag is an ordinary tag on the wire.
	NoEngineTag string
	// Delays sets how long transient statuses last; zero fields default to one second.
	Delays Delays
	// Faults are the initial injected faults; SetFaults changes them.
	Faults Faults
	// Quotas are the account's RDS quotas, none when zero; SetQuotas changes them.
	Quotas Quotas
	// Account is what the account holds besides DefaultAccount: DB subnet groups and KMS
	// keys that calls may name. AddToAccount adds more.
	Account Account
	// Log receives one line per API call and the engines' output; nil discards it.
	Log io.Writer
	// Credentials are the AWS access keys the emulator knows, access key ID to secret
	// access key. An IAM database authentication token (what aws-sdk-go-v2's
	// feature/rds/auth BuildAuthToken makes) must be signed with one of them; the API
	// itself checks no signature. Nil means DefaultCredentials.
	Credentials map[string]string
}

// Emulator is the RDS API emulator. It is an http.Handler.
type Emulator struct {
	cfg Config
	// ca signs every server's TLS certificate; clients get it at /_emulator/ca.pem.
	ca *serverproc.CA
	// tokens checks the IAM database authentication tokens of logins through the fronts
	// of instances and clusters (fronts.go).
	tokens tokenVerifier
	// iamPasswords are the passwords MySQL and MariaDB servers know IAM users by
	// (mysqlfronts.go).
	iamPasswords iamPasswords
	// exportState holds the snapshot export tasks and the S3 stand-in they write to; it
	// has its own locks.
	exportState *exportState
	// events is the feed DescribeEvents serves (events.go); it has its own lock.
	events *eventLog

	// mu guards everything below. It is never held while an engine starts, stops or dumps.
	mu        sync.Mutex
	instances map[string]*instance
	snapshots map[string]*snapshot
	// clusters and clusterSnapshots are the Aurora DB clusters and their snapshots.
	clusters         map[string]*cluster
	clusterSnapshots map[string]*clusterSnapshot
	// paramGroups are the DB parameter groups by name: those made by
	// CreateDBParameterGroup and the default groups used so far (paramgroups.go);
	// clusterParamGroups the DB cluster parameter groups likewise
	// (cluster_paramgroups.go).
	paramGroups        map[string]*paramGroup
	clusterParamGroups map[string]*paramGroup
	faults             Faults
	// quotas limit what creates may add to the account (quotas.go).
	quotas Quotas
	// account holds the subnet groups and KMS keys calls may name.
	account Account
	// faultCalls counts the API calls since the faults were set, for ThrottleEvery.
	faultCalls int
	closed     bool
	// calls is the call log; it has its own lock.
	calls calllog.Log[Call]

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns an emulator with no instances.
func New(cfg Config) (*Emulator, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	if err := cfg.Account.check(); err != nil {
		return nil, fmt.Errorf("new emulator: account: %w", err)
	}
	if err := cfg.Quotas.check(); err != nil {
		return nil, fmt.Errorf("new emulator: %w", err)
	}
	account := DefaultAccount()
	account.add(cfg.Account)
	for _, d := range []*time.Duration{&cfg.Delays.Create, &cfg.Delays.BackingUp, &cfg.Delays.Modify, &cfg.Delays.Delete} {
		if *d == 0 {
			*d = time.Second
		}
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Credentials == nil {
		cfg.Credentials = DefaultCredentials
	}
	if cfg.DataDir == "" && !cfg.NoEngine {
		return nil, errors.New("new emulator: DataDir is required unless NoEngine is set")
	}
	if cfg.DataDir != "" {
		for _, d := range []string{"instances", "clusters", "snapshots"} {
			if err := os.MkdirAll(filepath.Join(cfg.DataDir, d), 0o755); err != nil {
				return nil, fmt.Errorf("new emulator: %w", err)
			}
		}
	}
	if !cfg.NoEngine {
		fmt.Fprintf(cfg.Log, "rds-emulator: %s\n", describeEngines())
	}
	ca, err := newCA(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("new emulator: %w", err)
	}
	iamPasswords, err := loadIAMPasswords(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("new emulator: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Emulator{
		cfg:          cfg,
		ca:           ca,
		tokens:       tokenVerifier{region: cfg.Region, keys: maps.Clone(cfg.Credentials), now: time.Now},
		iamPasswords: iamPasswords,
		exportState:  newExportState(),
		events:       newEventLog(cfg.Log),
		instances:    map[string]*instance{},
		snapshots:    map[string]*snapshot{},

		clusters:         map[string]*cluster{},
		clusterSnapshots: map[string]*clusterSnapshot{},
		paramGroups:      map[string]*paramGroup{},
		faults:           cfg.Faults,
		quotas:           cfg.Quotas,
		account:          account,
		ctx:              ctx,
		cancel:           cancel,

		clusterParamGroups: map[string]*paramGroup{},
	}, nil
}

// Close stops the background transitions, every endpoint's front and every engine. The
// data directory stays.
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

	// The fronts go first, and without the lock, which their connections take to find
	// their server.
	e.mu.Lock()
	fronts := map[string]endpointFront{}
	for _, in := range e.instances {
		fronts[in.ID], in.front = in.front, nil
	}
	for _, c := range e.clusters {
		fronts["cluster "+c.ID], c.front = c.front, nil
	}
	e.mu.Unlock()
	var errs []error
	for name, f := range fronts {
		errs = append(errs, closeFront(name, f))
	}

	e.mu.Lock()
	for _, in := range e.instances {
		if in.server != nil {
			if err := in.server.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stop %s: %w", in.ID, err))
			}
			in.server = nil
		}
	}
	for _, c := range e.clusters {
		if c.server != nil {
			if err := c.server.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stop cluster %s: %w", c.ID, err))
			}
			c.server = nil
		}
	}
	e.mu.Unlock()
	return errors.Join(errs...)
}

// ServeHTTP answers the RDS Query API on POST / and the introspection API under
// /_emulator/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Path) >= len(introspectionPrefix) && r.URL.Path[:len(introspectionPrefix)] == introspectionPrefix {
		e.serveIntrospection(w, r)
		return
	}
	requestID := newRequestID()
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		writeError(w, requestID, &apiError{Status: http.StatusServiceUnavailable, Code: codeServiceUnavailable, Message: "The emulator is shutting down."})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, requestID, newError(codeInvalidValue, "Malformed request body."))
		return
	}
	p := params{r.Form}
	action := p.str("Action")
	if r.Header.Get("Authorization") == "" {
		e.record(r, action, p.subject(), codeMissingAuth)
		writeError(w, requestID, &apiError{Status: http.StatusForbidden, Code: codeMissingAuth, Message: "Request is missing Authentication Token"})
		return
	}
	if err := e.injectFault(r.Context(), action); err != nil {
		e.record(r, action, p.subject(), err.Code)
		writeError(w, requestID, err)
		return
	}
	result, id, err := e.dispatch(action, p)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = newError(codeInternalFailure, "An internal error occurred.")
			fmt.Fprintf(e.cfg.Log, "rds-emulator: %s %s: internal error: %v\n", action, id, err)
		}
		e.record(r, action, id, ae.Code)
		writeError(w, requestID, ae)
		return
	}
	e.record(r, action, id, "")
	writeResult(w, action, requestID, result)
}

// handler answers one action; it returns the result element's content and the
// identifier the call concerned (for the call log).
type handler func(e *Emulator, p params) (result any, id string, err error)

var handlers = map[string]handler{
	"CreateDBInstance":                   (*Emulator).createInstance,
	"CreateDBInstanceReadReplica":        (*Emulator).createReadReplica,
	"DescribeDBInstances":                (*Emulator).describeInstances,
	"DescribeDBEngineVersions":           (*Emulator).describeEngineVersions,
	"DescribeOrderableDBInstanceOptions": (*Emulator).describeOrderable,
	"ModifyDBInstance":                   (*Emulator).modifyInstance,
	"DeleteDBInstance":                   (*Emulator).deleteInstance,
	"RebootDBInstance":                   (*Emulator).rebootInstance,
	"RestoreDBInstanceFromDBSnapshot":    (*Emulator).restoreInstance,
	"CreateDBSnapshot":                   (*Emulator).createSnapshot,
	"DescribeDBSnapshots":                (*Emulator).describeSnapshots,
	"DeleteDBSnapshot":                   (*Emulator).deleteSnapshot,
	"CreateDBCluster":                    (*Emulator).createCluster,
	"DescribeDBClusters":                 (*Emulator).describeClusters,
	"ModifyDBCluster":                    (*Emulator).modifyCluster,
	"DeleteDBCluster":                    (*Emulator).deleteCluster,
	"CreateDBClusterSnapshot":            (*Emulator).createClusterSnapshot,
	"DescribeDBClusterSnapshots":         (*Emulator).describeClusterSnapshots,
	"DeleteDBClusterSnapshot":            (*Emulator).deleteClusterSnapshot,
	"RestoreDBClusterFromSnapshot":       (*Emulator).restoreCluster,
	"AddTagsToResource":                  (*Emulator).addTags,
	"RemoveTagsFromResource":             (*Emulator).removeTags,
	"ListTagsForResource":                (*Emulator).listTags,
	"DescribeDBLogFiles":                 (*Emulator).describeLogFiles,
	"DownloadDBLogFilePortion":           (*Emulator).downloadLogFilePortion,
	"StartExportTask":                    (*Emulator).startExportTask,
	"DescribeExportTasks":                (*Emulator).describeExportTasks,
	"DescribeEvents":                     (*Emulator).describeEvents,
	"CancelExportTask":                   (*Emulator).cancelExportTask,
	"CreateDBParameterGroup":             onGroups(instanceGroups{}, (*Emulator).createGroup),
	"DescribeDBParameterGroups":          onGroups(instanceGroups{}, (*Emulator).describeGroups),
	"DescribeDBParameters":               onGroups(instanceGroups{}, (*Emulator).describeParameters),
	"ModifyDBParameterGroup":             onGroups(instanceGroups{}, (*Emulator).modifyGroup),
	"ResetDBParameterGroup":              onGroups(instanceGroups{}, (*Emulator).resetGroup),
	"DeleteDBParameterGroup":             onGroups(instanceGroups{}, (*Emulator).deleteGroup),
	"CreateDBClusterParameterGroup":      onGroups(clusterGroups{}, (*Emulator).createGroup),
	"DescribeDBClusterParameterGroups":   onGroups(clusterGroups{}, (*Emulator).describeGroups),
	"DescribeDBClusterParameters":        onGroups(clusterGroups{}, (*Emulator).describeParameters),
	"ModifyDBClusterParameterGroup":      onGroups(clusterGroups{}, (*Emulator).modifyGroup),
	"ResetDBClusterParameterGroup":       onGroups(clusterGroups{}, (*Emulator).resetGroup),
	"DeleteDBClusterParameterGroup":      onGroups(clusterGroups{}, (*Emulator).deleteGroup),
	"RebootDBCluster":                    (*Emulator).rebootCluster,
}

func (e *Emulator) dispatch(action string, p params) (any, string, error) {
	if v := p.str("Version"); v != "" && v != "2014-10-31" {
		return nil, "", newError(codeInvalidValue, "Unsupported API version %s.", v)
	}
	h, ok := handlers[action]
	if !ok {
		return nil, "", newError(codeInvalidAction, "The action %s is not valid for this web service.", action)
	}
	return h(e, p)
}

// instanceARN and snapshotARN build ARNs as RDS does.
func (e *Emulator) instanceARN(id string) string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", e.cfg.Region, e.cfg.AccountID, id)
}

func (e *Emulator) snapshotARN(id string) string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:snapshot:%s", e.cfg.Region, e.cfg.AccountID, id)
}

// clusterARN and clusterSnapshotARN build the ARNs of Aurora DB clusters and their
// snapshots as RDS does.
func (e *Emulator) clusterARN(id string) string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", e.cfg.Region, e.cfg.AccountID, id)
}

func (e *Emulator) clusterSnapshotARN(id string) string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:cluster-snapshot:%s", e.cfg.Region, e.cfg.AccountID, id)
}

// background runs fn in a goroutine that Close waits for; fn must return soon after ctx
// is done. After Close it does nothing. The caller must not hold mu.
func (e *Emulator) background(fn func(ctx context.Context)) {
	e.mu.Lock()
	defer e.mu.Unlock()
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
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// setStatus moves an instance from one status to another; it does nothing when the
// instance is gone or has moved on meanwhile (for example to deleting).
func (e *Emulator) setStatus(id, from, to string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.instances[id]
	if !ok || in.Status != from {
		return false
	}
	in.Status = to
	return true
}
