// Package localstack runs the whole project on one machine with no cloud and no cluster: a
// real control plane (kube-apiserver, etcd and kube-controller-manager's namespace and
// garbage collector controllers, through package controlplane), the RDS, Cloud SQL and Azure
// Resource Manager emulators and the operator, each a child process whose output goes to a
// log file in the state directory, and a PostgreSQL server, db1, standing in for an
// on-premises server that exists already, whose administrator's login it keeps in the Secret
// the sample existing class names. It writes a kubeconfig and a shell env file a user can
// source, marks readiness with a file, and on a signal stops everything in dependency order.
package localstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controllermanager"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
)

// Config says where the stack keeps its state and finds its binaries.
type Config struct {
	// Dir holds everything the stack writes: kubeconfig, env file, logs, state of etcd and the
	// emulators. It is wiped of old state on start.
	Dir string
	// BinDir holds the project's own binaries: manager, rds-emulator, cloudsql-emulator and
	// azure-emulator. db1 runs the PostgreSQL of pgserver.DefaultBuilds.
	BinDir string
	// ToolsDir holds kube-apiserver, kube-controller-manager, etcd and kubectl
	// (hack/tools.sh --print). Empty means controlplane.ToolsDir().
	ToolsDir string
	// CRDDir holds the CustomResourceDefinitions installed into the control plane.
	CRDDir string
	// AdmissionDir holds the API's admission policies (config/admission), created once the
	// CRDs are installed; empty creates none.
	AdmissionDir string
	// EmulatorArgs are passed to rds-emulator after the ones the stack sets.
	EmulatorArgs []string
	// AzureEmulatorArgs are passed to azure-emulator after the ones the stack sets.
	AzureEmulatorArgs []string
	// ManagerArgs are passed to the manager after the ones the stack sets, so they win.
	ManagerArgs []string
	// Out receives the progress lines.
	Out io.Writer
}

// What the local account offers for backup exports (spec.backup.export): the bucket, the
// role the manager lets the default namespace use, and the key to encrypt with.
const (
	ExportBucket  = "demo-exports"
	ExportRole    = "arn:aws:iam::123456789012:role/rds-export"
	ExportKMSKey  = "alias/rds-export"
	exportGrantNS = "default"
)

// Files the stack writes into Config.Dir; the hack scripts rely on these names.
const (
	KubeconfigFile = "kubeconfig"
	EnvFile        = "env"
	ReadyFile      = "ready"
	// EngineCAFile is the CA the RDS emulator signs its servers' certificates with, as
	// it serves it at /_emulator/ca.pem: the manager verifies every server against it.
	EngineCAFile = "engine-ca.pem"
	// AzureCAFile is the CA the Azure emulator signs its servers' certificates with, as
	// Azure's servers chain to DigiCert's and Microsoft's roots (--azure-ca-bundle).
	AzureCAFile = "azure-ca.pem"
	EmulatorLog = "rds-emulator.log"
	// CloudSQLEmulatorLog is cloudsql-emulator's log.
	CloudSQLEmulatorLog = "cloudsql-emulator.log"
	// AzureEmulatorLog is azure-emulator's log.
	AzureEmulatorLog = "azure-emulator.log"
	ManagerLog       = "manager.log"
	// ControllerManagerLog is kube-controller-manager's log.
	ControllerManagerLog = controlplane.ControllerManagerLog
)

// How long each part may take to come up or to go down before the stack gives up on it.
const (
	emulatorStartTimeout = 60 * time.Second
	managerStartTimeout  = 90 * time.Second
	managerStopTimeout   = 15 * time.Second
	// An emulator stops its database servers on SIGTERM; give it time to do so cleanly.
	emulatorStopTimeout = 30 * time.Second
)

// logTailLines is how much of a dead child's log the stack prints.
const logTailLines = 10

// stack is what Run has started so far; shutdown stops whatever of it is running.
type stack struct {
	cfg         Config
	log         *progress
	cp          *controlplane.ControlPlane
	rds         *child
	rdsEndpoint string // rds-emulator's base URL
	s3Endpoint  string // its S3 stand-in's, where backups are exported to
	cloudSQL    *child
	// cloudSQLEndpoint is cloudsql-emulator's base URL, without a trailing slash.
	cloudSQLEndpoint string
	azure            *child
	// azureEndpoint is azure-emulator's base URL, without a trailing slash.
	azureEndpoint string
	manager       *child
	// metrics is the manager's metrics endpoint, http://host:port/metrics.
	metrics string

	// controllers is kube-controller-manager, which deletes namespaces and collects
	// garbage as in a cluster.
	controllers *controllermanager.ControllerManager
	// db1 is the PostgreSQL server standing in for an on-premises one.
	db1 *existingServer
}

// Stack is a running local stack, for programs that drive it (the benchmark) rather than
// wait for a signal.
type Stack struct {
	s *stack
}

// Start starts the stack and returns once every part is up and the env and ready files are
// written. Stop it when done.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	s, err := start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Stack{s: s}, nil
}

// Stop stops every part, the manager first.
func (st *Stack) Stop() error { return st.s.shutdown() }

// RESTConfig reaches the apiserver as an administrator.
func (st *Stack) RESTConfig() *rest.Config { return st.s.cp.Config() }

// EmulatorURL is the emulator's endpoint, as AWS_ENDPOINT_URL_RDS holds it.
func (st *Stack) EmulatorURL() string { return st.s.rdsEndpoint }

// AzureEmulatorURL is the Azure emulator's endpoint, as AZURE_ARM_ENDPOINT holds it.
func (st *Stack) AzureEmulatorURL() string { return st.s.azureEndpoint }

// ManagerPID is the process id of the operator.
func (st *Stack) ManagerPID() int { return st.s.manager.cmd.Process.Pid }

// ManagerMetricsURL is the operator's Prometheus endpoint.
func (st *Stack) ManagerMetricsURL() string { return st.s.metrics }

// ManagerExited is closed when the operator process has exited.
func (st *Stack) ManagerExited() <-chan struct{} { return st.s.manager.exited() }

// Path names a file in the stack's state directory (its logs, for instance).
func (st *Stack) Path(name string) string { return st.s.path(name) }

// Run starts the stack, blocks until ctx is done or a child dies, then stops everything. It
// returns nil after a shutdown asked for through ctx, and an error when something failed to
// start or died on its own.
func Run(ctx context.Context, cfg Config) (err error) {
	s, err := start(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.shutdown()) }()
	watching, stopWatching := context.WithCancel(ctx)
	defer stopWatching()

	select {
	case <-ctx.Done():
		s.log.logf("shutting down (%v)", context.Cause(ctx))
		return nil
	case <-s.manager.exited():
		return s.died(s.manager)
	case <-s.rds.exited():
		return s.died(s.rds)
	case <-s.cloudSQL.exited():
		return s.died(s.cloudSQL)
	case <-s.azure.exited():
		return s.died(s.azure)
	case <-s.db1.exited(watching):
		return s.db1Died()
	case <-s.controllers.Exited():
		err := fmt.Errorf("kube-controller-manager exited unexpectedly (%v); see %s", s.controllers.ExitErr(), s.path(ControllerManagerLog))
		s.log.logf("%v; its last lines:\n%s", err, s.controllers.LogTail())
		return err
	}
}

// start starts every part in dependency order; when one fails it stops what it started.
func start(ctx context.Context, cfg Config) (_ *stack, err error) {
	cfg, err = cfg.resolve()
	if err != nil {
		return nil, err
	}
	s := &stack{cfg: cfg, log: newProgress(cfg.Out)}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.shutdown())
		}
	}()
	if err := s.prepareDir(); err != nil {
		return nil, err
	}
	// db1 needs nothing of the rest until its Secret is written: its initdb overlaps their
	// start.
	s.startExistingServer(ctx)
	if err := s.startControlPlane(); err != nil {
		return nil, err
	}
	if err := s.startControllerManager(ctx); err != nil {
		return nil, err
	}
	s.rds, s.rdsEndpoint, err = s.startEmulator(ctx, emulator{
		name: "rds-emulator", dataDir: rdsEmulatorDir, log: EmulatorLog,
		// The account holds the KMS key the MySQL sample names, and a bucket and key for
		// backup exports.
		args: append([]string{"--kms-aliases", "alias/shop-data," + ExportKMSKey, "--s3-buckets", ExportBucket}, cfg.EmulatorArgs...),
	})
	if err != nil {
		return nil, err
	}
	s.cloudSQL, s.cloudSQLEndpoint, err = s.startEmulator(ctx, emulator{
		name: "cloudsql-emulator", dataDir: cloudSQLEmulatorDir, log: CloudSQLEmulatorLog,
	})
	if err != nil {
		return nil, err
	}
	s.azure, s.azureEndpoint, err = s.startEmulator(ctx, emulator{
		name: "azure-emulator", dataDir: azureEmulatorDir, log: AzureEmulatorLog,
		// Only the subscription and resource group the env file and the azure sample name
		// exist, as in a real tenant: a class naming another gets Azure's 404, not a server.
		args: append([]string{"--subscriptions", AzureSubscription, "--resource-groups", AzureResourceGroup}, cfg.AzureEmulatorArgs...),
	})
	if err != nil {
		return nil, err
	}
	// Before the manager, so that the sample class is served as soon as it is applied.
	if err := s.publishExistingServer(ctx); err != nil {
		return nil, err
	}
	if err := s.startManager(ctx); err != nil {
		return nil, err
	}
	if err := s.writeEnvAndReady(); err != nil {
		return nil, err
	}
	s.log.logf("ready: source %s", s.path(EnvFile))
	return s, nil
}

// resolve makes every path absolute: the children run with their own working directory
// semantics, and local-down finds leftover processes by the absolute state path.
func (c Config) resolve() (Config, error) {
	if c.ToolsDir == "" {
		var err error
		if c.ToolsDir, err = controlplane.ToolsDir(); err != nil {
			return c, err
		}
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	for _, p := range []*string{&c.Dir, &c.BinDir, &c.ToolsDir, &c.CRDDir, &c.AdmissionDir} {
		if p == &c.AdmissionDir && *p == "" {
			continue // none
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return c, fmt.Errorf("resolve path %q: %w", *p, err)
		}
		*p = abs
	}
	return c, nil
}

// prepareDir creates the state directory and removes what a previous run left (the control
// plane removes its own), so every run starts from an empty cluster and empty emulators
// that agree with each other.
func (s *stack) prepareDir() error {
	if err := os.MkdirAll(s.cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	for _, name := range []string{ReadyFile, EnvFile, KubeconfigFile, EngineCAFile, AzureCAFile, ExistingCAFile,
		rdsEmulatorDir, cloudSQLEmulatorDir, azureEmulatorDir, ExistingServerDir} {
		if err := os.RemoveAll(s.path(name)); err != nil {
			return fmt.Errorf("remove stale %s: %w", name, err)
		}
	}
	return nil
}

// died reports a child that exited while the stack was up.
func (s *stack) died(c *child) error {
	err := fmt.Errorf("%s exited unexpectedly (%v); see %s", c.name, c.exitErr(), c.logPath)
	s.log.logf("%v; its last lines:\n%s", err, c.logTail(logTailLines))
	return err
}

// shutdown stops the manager first, so it does not act on a vanishing cloud or cluster, then
// the emulators and their database servers and db1, together so that the slow stop of one
// does not delay the others, then kube-controller-manager and the control plane. It tries
// every step even when an earlier one failed.
func (s *stack) shutdown() error {
	var errs []error
	if s.manager != nil {
		s.log.logf("stopping manager")
		errs = append(errs, s.manager.stop(managerStopTimeout))
	}
	db1 := make(chan error, 1)
	if s.db1 != nil {
		s.log.logf("stopping PostgreSQL db1")
		go func() { db1 <- s.db1.stop() }()
	} else {
		db1 <- nil
	}
	errs = append(errs, s.stopTogether(emulatorStopTimeout, s.rds, s.cloudSQL, s.azure), <-db1)
	if s.cp != nil {
		s.log.logf("stopping kube-controller-manager and control plane")
		errs = append(errs, s.cp.Stop())
	}
	if err := os.Remove(s.path(ReadyFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	err := errors.Join(errs...)
	if err == nil {
		s.log.logf("stopped")
	}
	return err
}

// path names a file in the state directory.
func (s *stack) path(name string) string { return filepath.Join(s.cfg.Dir, name) }

// stopTogether stops the children that were started, at the same time, and waits for all.
func (s *stack) stopTogether(timeout time.Duration, children ...*child) error {
	errc := make(chan error, len(children))
	started := 0
	for _, c := range children {
		if c == nil {
			continue
		}
		s.log.logf("stopping %s", c.name)
		started++
		go func() { errc <- c.stop(timeout) }()
	}
	var errs []error
	for range started {
		errs = append(errs, <-errc)
	}
	return errors.Join(errs...)
}
