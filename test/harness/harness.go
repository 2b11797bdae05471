// Package harness starts the real parts the integration tests run against: a kube-apiserver
// and etcd (package controlplane) with kube-controller-manager's namespace and garbage
// collector controllers, the RDS emulator backed by real PostgreSQL servers, CloudNativePG's
// CRDs with a stand-in for its controller (package cnpgstandin), a stand-in for the Job
// controller and the kubelet (package jobstandin), and the operator itself,
// wired exactly as the manager binary wires it. A test then reads as a
// user's story: apply this object, wait for this condition, log in with this Secret.
package harness

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/azureemulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudnativepg"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/gcp"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/rds"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/gcpemulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/logapi"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/operator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
	"github.com/matrixmind-cloud/aws-rds-operator/test/cnpgstandin"
	"github.com/matrixmind-cloud/aws-rds-operator/test/jobstandin"
)

// ExportBucket is the bucket the emulators' accounts hold for backup exports: an S3 bucket
// of the RDS emulator's, a Cloud Storage bucket of the Cloud SQL emulator's.
const ExportBucket = "shop-exports"

// ExportRole is the export role the operator allows every namespace (--allow-export-roles).
const ExportRole = "arn:aws:iam::123456789012:role/rds-export"

// Stack is a running control plane, emulator and operator.
type Stack struct {
	// Client talks to the apiserver directly (no cache), as kubectl would.
	Client client.Client
	// Config reaches the apiserver as an administrator.
	Config *rest.Config
	// Emulator is the RDS emulator, for its call counts and for arranging cloud state.
	Emulator *emulator.Emulator
	// EmulatorURL is the emulator's endpoint, as AWS_ENDPOINT_URL_RDS holds it.
	EmulatorURL string
	// S3URL is the emulator's S3 stand-in, where backups are exported to (path-style).
	S3URL string
	// CloudSQL is the Cloud SQL emulator, which DatabaseClasses with provider gcp reach at
	// CloudSQLURL (GCP_SQLADMIN_ENDPOINT) in project GCPProject.
	CloudSQL    *gcpemulator.Emulator
	CloudSQLURL string
	// CNPG stands in for CloudNativePG's controller: it serves each Cluster with a
	// PostgreSQL server, which the operator reaches through it by the Cluster's Services.
	CNPG *cnpgstandin.StandIn
	// Jobs stands in for the Job controller and the kubelet: it runs each Job's container
	// on this machine (a PostgreSQL image with PGClient's programs, a MariaDB or MySQL one
	// with the machine's mariadb-dump) and writes the Job's status; VolumeDir shows what
	// a Job wrote into a claim, Logs what it printed.
	Jobs *jobstandin.StandIn
	// Azure is the Azure Resource Manager emulator, which DatabaseClasses with provider
	// azure reach at AzureURL (AZURE_ARM_ENDPOINT), in subscription AzureSubscription and
	// resource group AzureResourceGroup.
	Azure    *azureemulator.Emulator
	AzureURL string
	// Root is the repository's root directory.
	Root string
	// EngineCA is the CA bundle StartOperator gives the operator (--engine-ca-bundle); nil
	// gives it the emulator's CA, as the local stack does.
	EngineCA []byte

	cp       *controlplane.ControlPlane
	logAPI   operator.LogAPIOptions
	server   *http.Server
	gcpSrv   *http.Server
	azureSrv *http.Server
	api      apiLog
	cancel   context.CancelFunc
	done     chan error
	recorder *callRecorder
	crash    crashSwitch
	clock    offsetClock
	opts     Options
	actions  actionLog
	logs     *LockedBuffer
}

// Logs returns everything the operator logged so far.
func (s *Stack) Logs() string {
	return s.logs.String()
}

// LockedBuffer is a bytes.Buffer safe for concurrent writes and reads (the logger's, a
// follower's output read while it is written).
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Root returns the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Start starts the control plane, the emulator (with short status delays, data under
// dataDir) and the operator. Stop it when done.
func Start(dataDir string) (*Stack, error) {
	return StartWith(Options{DataDir: dataDir})
}

// Options configures a Stack.
type Options struct {
	// DataDir holds the emulator's data (PostgreSQL data directories, snapshots).
	DataDir string
	// NoEngine runs the emulator without database servers: instances get an endpoint but
	// nothing listens there. For scale tests of the cloud side.
	NoEngine bool
	// Resync is the operator's resync interval; zero means 2 seconds.
	Resync time.Duration
	// Feed is how often the operator reads RDS's event feed, and SafetyNet how often it
	// lists every database meanwhile; zero means half a second and 10 seconds.
	Feed, SafetyNet time.Duration
}

// StartWith starts a Stack configured by opts.
func StartWith(opts Options) (*Stack, error) {
	dataDir := opts.DataDir
	// The operator's log goes to the test's output; OPERATOR_TEST_DEBUG=1 shows debug lines.
	// The operator's log goes to the test's output and to Logs, which tests search for
	// anything that must never be logged.
	logs := &LockedBuffer{}
	logf.SetLogger(zap.New(zap.WriteTo(io.MultiWriter(os.Stderr, logs)), zap.UseDevMode(os.Getenv("OPERATOR_TEST_DEBUG") != "")))
	s := &Stack{Root: Root(), done: make(chan error, 1), opts: opts, logs: logs}
	cnpgCRDs, err := CNPGCRDDir()
	if err != nil {
		return nil, err
	}
	if s.cp, err = controlplane.Start(controlplane.Options{
		CRDDir: filepath.Join(s.Root, "config", "crd", "bases"), CRDDirs: []string{cnpgCRDs},
		ManifestDir: filepath.Join(s.Root, "config", "admission"),
	}); err != nil {
		return nil, err
	}
	s.Config = s.cp.Config()
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()
	scheme, err := operator.Scheme()
	if err != nil {
		return nil, err
	}
	if s.Client, err = client.New(s.Config, client.Options{Scheme: scheme}); err != nil {
		return nil, err
	}
	// Namespaces delete and owner references collect as in a cluster.
	if _, err := s.cp.StartControllerManager(context.Background(), controlplane.ControllerManagerOptions{}); err != nil {
		return nil, err
	}
	// CloudNativePG's objects go with their Cluster through that garbage collector.
	cnpgDir := ""
	if dataDir != "" {
		cnpgDir = filepath.Join(dataDir, "cloudnativepg")
	}
	if s.CNPG, err = cnpgstandin.Start(context.Background(), s.Config, cnpgstandin.Options{Dir: cnpgDir, Log: logf.Log.WithName("cnpg-standin")}); err != nil {
		return nil, err
	}
	jobsDir := ""
	if dataDir != "" {
		jobsDir = filepath.Join(dataDir, "jobs")
	}
	if s.Jobs, err = jobstandin.Start(context.Background(), s.Config, jobstandin.Options{Dir: jobsDir, Log: logf.Log.WithName("job-standin"), Images: jobImages}); err != nil {
		return nil, err
	}
	if err := s.registerLogAPI(); err != nil {
		return nil, err
	}
	if err := s.startEmulator(dataDir); err != nil {
		return nil, err
	}
	if err := s.startCloudSQL(dataDir); err != nil {
		return nil, err
	}
	if err := s.startAzure(dataDir); err != nil {
		return nil, err
	}
	if err := s.startOperator(); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// registerLogAPI gives the operator's log API a port, a certificate, and the APIService
// through which kube-apiserver reaches it.
func (s *Stack) registerLogAPI() error {
	port, err := serverproc.FreePort()
	if err != nil {
		return err
	}
	ca, err := serverproc.NewCA("log-api-ca")
	if err != nil {
		return err
	}
	local, certPEM, keyPEM, err := logapi.NewLocal(ca, port)
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	s.logAPI = operator.LogAPIOptions{Addr: fmt.Sprintf("127.0.0.1:%d", port), Certificate: cert, Poll: 200 * time.Millisecond}
	return logapi.RegisterLocal(context.Background(), s.Client, local)
}

// UserConfig adds a user in groups to the control plane, with no rights beyond what RBAC
// grants them, and returns a configuration that reaches kube-apiserver as them.
func (s *Stack) UserConfig(name string, groups ...string) (*rest.Config, error) {
	return s.cp.AddUser(name, groups...)
}

func (s *Stack) startEmulator(dataDir string) error {
	em, err := emulator.New(emulator.Config{
		DataDir:  dataDir,
		NoEngine: s.opts.NoEngine,
		// Port 9 (discard) is served by nothing here: engine logins fail at once.
		NoEnginePort: 9,
		Delays:       emulator.Delays{Create: 300 * time.Millisecond, BackingUp: 200 * time.Millisecond, Modify: time.Second, Delete: 300 * time.Millisecond},
		// The account holds the subnet group and KMS keys the operator allows (StartOperator),
		// and the bucket backups are exported to.
		Account: emulator.Account{SubnetGroups: []string{"private"}, KMSAliases: []string{"alias/shop-data", "alias/rds-data", "alias/rds-export"},
			Buckets: []string{ExportBucket}},
	})
	if err != nil {
		return err
	}
	s.Emulator = em
	if s.S3URL, err = em.ListenS3("127.0.0.1:0"); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.server = &http.Server{Handler: s.actions.wrap(em), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(ln) }()
	s.EmulatorURL = "http://" + ln.Addr().String()
	// The operator finds the emulator the way it finds AWS: the SDK's own settings.
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_RDS": s.EmulatorURL, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
	} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}

// GCPProject is the project the Cloud SQL emulator serves.
const GCPProject = "local-project"

func (s *Stack) startCloudSQL(dataDir string) error {
	cfg := gcpemulator.Config{
		NoEngine: s.opts.NoEngine, Projects: []string{GCPProject}, NameReservation: -1, Buckets: []string{ExportBucket},
		Delays: gcpemulator.Delays{Create: 300 * time.Millisecond, Update: 500 * time.Millisecond, Delete: 300 * time.Millisecond, Backup: 200 * time.Millisecond, Export: 200 * time.Millisecond},
	}
	if !s.opts.NoEngine {
		cfg.DataDir = filepath.Join(dataDir, "cloudsql")
	}
	em, err := gcpemulator.New(cfg)
	if err != nil {
		return err
	}
	s.CloudSQL = em
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.gcpSrv = &http.Server{Handler: em, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.gcpSrv.Serve(ln) }()
	s.CloudSQLURL = "http://" + ln.Addr().String() + "/"
	// The operator finds it as on a workstation: an endpoint override and an access token
	// (the emulator takes any).
	for k, v := range map[string]string{gcp.EnvEndpoint: s.CloudSQLURL, gcp.EnvAccessToken: "local"} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}

// The subscription and resource group the Azure emulator serves.
const (
	AzureSubscription  = "00000000-0000-0000-0000-0000000a2e00"
	AzureResourceGroup = "e2e"
)

func (s *Stack) startAzure(dataDir string) error {
	cfg := azureemulator.Config{
		NoEngine: s.opts.NoEngine, Subscriptions: []string{AzureSubscription}, ResourceGroups: []string{AzureResourceGroup},
		Delays: azureemulator.Delays{Create: 300 * time.Millisecond, Update: 300 * time.Millisecond, Delete: 300 * time.Millisecond, Restart: 300 * time.Millisecond},
	}
	if !s.opts.NoEngine {
		cfg.DataDir = filepath.Join(dataDir, "azure")
	}
	em, err := azureemulator.New(cfg)
	if err != nil {
		return err
	}
	s.Azure = em
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.azureSrv = &http.Server{Handler: em, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.azureSrv.Serve(ln) }()
	s.AzureURL = "http://" + ln.Addr().String()
	return nil
}

func (s *Stack) startOperator() error {
	provider, err := rds.NewFromEnvironment(context.Background())
	if err != nil {
		return err
	}
	s.recorder = &callRecorder{Provider: provider, client: s.Client, firstCalls: &firstCalls{firstCall: map[string][]string{}}, crash: &s.crash}
	return s.StartOperator()
}

// Resync is the operator's resync interval.
func (s *Stack) Resync() time.Duration {
	if s.opts.Resync != 0 {
		return s.opts.Resync
	}
	return 2 * time.Second
}

// StartOperator starts the operator (again, after StopOperator), wired as the manager binary
// wires it, with short requeue intervals.
func (s *Stack) StartOperator() error {
	ctx, cancel := context.WithCancel(context.Background())
	defaults := controller.DefaultDefaults
	defaults.PendingRequeue = 250 * time.Millisecond
	defaults.Resync = s.Resync()
	// The feed of RDS events is read every half second; every database is listed every 10
	// seconds, for what the feed does not carry.
	defaults.Feed, defaults.SafetyNet = 500*time.Millisecond, 10*time.Second
	if s.opts.Feed != 0 {
		defaults.Feed = s.opts.Feed
	}
	if s.opts.SafetyNet != 0 {
		defaults.SafetyNet = s.opts.SafetyNet
	}
	// As a platform admin would allow them: the KMS keys and subnet group the tests name
	// (the MySQL sample's key among them). Anything else beyond the defaults is refused,
	// which the tenancy tests rely on.
	defaults.Allow = controller.Allowances{
		KMSKeyIDs:    controller.Grants{{Namespace: "*", Value: "alias/shop-data"}, {Namespace: "*", Value: "alias/rds-data"}},
		SubnetGroups: controller.Grants{{Namespace: "*", Value: "private"}},
		ExportRoles:  controller.Grants{{Namespace: "*", Value: ExportRole}},
	}
	var engineCA *engine.CABundle
	if pem := s.EngineCA; pem != nil || s.Emulator != nil {
		if pem == nil {
			pem = s.Emulator.CA()
		}
		var err error
		if engineCA, err = engine.ParseCABundle(pem); err != nil {
			cancel()
			return err
		}
	}
	var azureCA *engine.CABundle
	if s.Azure != nil {
		var err error
		if azureCA, err = engine.ParseCABundle(s.Azure.CA()); err != nil {
			cancel()
			return err
		}
	}
	// The operator's requests are recorded, so a test can count what it did in a namespace.
	cfg := rest.CopyConfig(s.Config)
	cfg.Wrap(s.api.wrap)
	mgr, err := operator.New(ctx, cfg, operator.Options{
		MetricsAddr: "0", ProbeAddr: "0", Defaults: defaults, Cloud: s.recorder, Restartable: true,
		Engines:  crashingConnector{Connector: operator.EnginesDialing(s.CNPG.Dial), crash: &s.crash},
		EngineCA: engineCA,
		Clock:    &s.clock,
		LogAPI:   s.logAPI,
		NewGCP: func(ctx context.Context, project, region string) (cloud.Provider, error) {
			p, err := operator.NewGCP(s.CloudSQLURL)(ctx, project, region)
			if err != nil {
				return nil, err
			}
			return s.recorder.alsoRecording(p), nil
		},
		AzureCA: azureCA,
		NewAzure: func(ctx context.Context, subscription, resourceGroup, location string) (cloud.Provider, error) {
			p, err := operator.NewAzure(s.AzureURL)(ctx, subscription, resourceGroup, location)
			if err != nil {
				return nil, err
			}
			return s.recorder.alsoRecording(p), nil
		},
		NewExisting: func(cfg existing.Config) (cloud.Provider, error) {
			p, err := existing.New(cfg)
			if err != nil {
				return nil, err
			}
			return s.recorder.alsoRecording(p), nil
		},
		NewCloudNativePG: func(cfg cloudnativepg.Config) (cloud.Provider, error) {
			p, err := cloudnativepg.New(cfg)
			if err != nil {
				return nil, err
			}
			return s.recorder.alsoRecording(p), nil
		},
	})
	if err != nil {
		cancel()
		return err
	}
	s.cancel = cancel
	s.crash.arm("", "", cancel)
	go func() { s.done <- mgr.Start(ctx) }()
	return nil
}

// StopOperator stops the operator and waits until it has stopped, as a crash would leave
// things: whatever it was doing is not finished.
func (s *Stack) StopOperator() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.cancel = nil
}

// Stop stops the operator, the emulator (and its PostgreSQL servers), the CloudNativePG
// stand-in (and its), the Job stand-in (and the Jobs it runs), kube-controller-manager and
// the control plane.
func (s *Stack) Stop() {
	s.StopOperator()
	if s.CNPG != nil {
		_ = s.CNPG.Stop()
	}
	if s.Jobs != nil {
		_ = s.Jobs.Stop()
	}
	if s.server != nil {
		_ = s.server.Close()
	}
	if s.Emulator != nil {
		_ = s.Emulator.Close()
	}
	if s.gcpSrv != nil {
		_ = s.gcpSrv.Close()
	}
	if s.CloudSQL != nil {
		_ = s.CloudSQL.Close()
	}
	if s.azureSrv != nil {
		_ = s.azureSrv.Close()
	}
	if s.Azure != nil {
		_ = s.Azure.Close()
	}
	if s.cp != nil {
		_ = s.cp.Stop()
	}
}

// SecretsAtFirstCloudCall returns the names of the Secrets of the RDSDatabase that existed in
// the apiserver when the operator made its first cloud call for the cloud identifier id.
func (s *Stack) SecretsAtFirstCloudCall(id string) ([]string, bool) {
	return s.recorder.secretsAtFirstCall(id)
}

// callRecorder is the real provider with a look at the apiserver before the first call for
// each identifier: it proves Secrets are written before anything is sent to the cloud.
type callRecorder struct {
	cloud.Provider
	crash  *crashSwitch
	client client.Client
	*firstCalls
}

// firstCalls are the Secrets present at the first call for each identifier, shared by the
// recorders of every cloud.
type firstCalls struct {
	mu        sync.Mutex
	firstCall map[string][]string
}

// alsoRecording returns a recorder of p that shares c's record.
func (c *callRecorder) alsoRecording(p cloud.Provider) *callRecorder {
	return &callRecorder{Provider: p, crash: c.crash, client: c.client, firstCalls: c.firstCalls}
}

func (c *callRecorder) before(ctx context.Context, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, seen := c.firstCall[id]; seen {
		return
	}
	var list corev1.SecretList
	names := []string{}
	if err := c.client.List(ctx, &list, client.HasLabels{v1.LabelDatabase}); err == nil {
		for _, sec := range list.Items {
			if sec.Annotations[v1.AnnotationOwner] != "" && identifierOf(sec) == id {
				names = append(names, sec.Name)
			}
		}
	}
	c.firstCall[id] = names
}

// identifierOf returns the cloud identifier of the RDSDatabase a Secret belongs to.
func identifierOf(sec corev1.Secret) string {
	ns, name, _ := strings.Cut(sec.Annotations[v1.AnnotationOwner], "/")
	return naming.Identifier(ns, name)
}

func (c *callRecorder) secretsAtFirstCall(id string) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	names, ok := c.firstCall[id]
	return names, ok
}

// Observe implements cloud.Provider.
func (c *callRecorder) Observe(ctx context.Context, id string) (cloud.Observation, error) {
	c.before(ctx, id)
	obs, err := c.Provider.Observe(ctx, id)
	return obs, c.crash.after("Observe", id, err)
}

// Create implements cloud.Provider.
func (c *callRecorder) Create(ctx context.Context, d cloud.Desired) error {
	c.before(ctx, d.Identifier)
	// BeforeCreate crashes with the Secrets written and nothing yet sent to the cloud.
	if err := c.crash.after("BeforeCreate", d.Identifier, nil); err != nil {
		return err
	}
	return c.crash.after("Create", d.Identifier, c.Provider.Create(ctx, d))
}

// StartExport implements cloud.Provider.
func (c *callRecorder) StartExport(ctx context.Context, r cloud.ExportRequest) error {
	return c.crash.after("StartExport", r.Identifier, c.Provider.StartExport(ctx, r))
}

// Update implements cloud.Provider.
func (c *callRecorder) Update(ctx context.Context, id string, ch cloud.Changes, opts cloud.UpdateOptions) error {
	return c.crash.after("Update", id, c.Provider.Update(ctx, id, ch, opts))
}

// Delete implements cloud.Provider.
func (c *callRecorder) Delete(ctx context.Context, id string, opts cloud.DeleteOptions) error {
	c.before(ctx, id)
	return c.crash.after("Delete", id, c.Provider.Delete(ctx, id, opts))
}

// WaitFor polls cond every 100ms until it returns true, an error, or timeout passes.
func WaitFor(ctx context.Context, timeout time.Duration, cond func(ctx context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	for {
		done, err := cond(ctx)
		if err == nil && done {
			return nil
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("timed out after %s: %w", timeout, lastErr)
			}
			return errors.New("timed out after " + timeout.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Namespace creates a namespace with a unique name for one test.
func (s *Stack) Namespace(ctx context.Context, prefix string) (string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := s.Client.Create(ctx, ns); err != nil {
		return "", err
	}
	return ns.Name, nil
}

// RDS returns an AWS SDK RDS client pointed at the emulator, to look at the cloud as a user
// of the AWS CLI would.
func (s *Stack) RDS(ctx context.Context) (*awsrds.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return awsrds.NewFromConfig(cfg), nil
}
