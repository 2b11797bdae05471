// Package bench measures the operator against a fleet, end to end: it starts the local stack
// (a real kube-apiserver and etcd, the RDS and Azure emulators without engines and with
// status delays, the manager binary as a process), applies N RDSDatabase objects at once, on
// RDS or (Config.Cloud) on Azure flexible servers through a DatabaseClass, and reports what a
// fleet runs out of: how soon users get their Secrets, how many cloud API calls the create
// wave, the steady state and the delete wave cost and how fast they came, the operator's
// memory and CPU, and its apiserver writes. Every figure is read from a counter (the
// emulator's call log, kube-apiserver's and the operator's own metrics, /proc of the
// manager), never estimated.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/localstack"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/operator"
)

// Config configures a run.
type Config struct {
	// Cloud is where the objects' databases are made: v1.ProviderAWS (or empty), on the RDS
	// emulator through the operator's own account; or v1.ProviderAzure, as PostgreSQL
	// flexible servers on the Azure emulator through the DatabaseClass AzureClass. The
	// figures count that cloud's emulator's calls. Aurora, Exports, Parameters and Drifts
	// are RDS's: a run on Azure refuses them.
	Cloud string
	// N is how many RDSDatabase objects are applied at once.
	N int
	// Users is how many users each object has, each with its own Secret beside the master's.
	Users int
	// Aurora is how many of the N objects are Aurora PostgreSQL clusters (a writer each);
	// the rest are PostgreSQL instances.
	Aurora int
	// Exports gives every object spec.backup.export (a bucket of the emulator's S3
	// stand-in, with a role the manager allows) and operator-taken snapshots every
	// BackupEvery: the create wave then also waits until each object's scheduled snapshot
	// is exported, and the steady state is that of a fleet with exports.
	Exports bool
	// Parameters gives every PostgreSQL instance spec.parameters (benchParameters): the
	// operator then keeps a DB parameter group per object, and the steady state is that of
	// a tuned fleet.
	Parameters bool
	// BackupEvery is spec.backup.every of a run with Exports. The first snapshot is taken
	// at once; the next on the interval's grid (7d: Mondays 00:00 UTC), so a run that does
	// not cross a grid line takes one snapshot per object.
	BackupEvery string
	// Dir holds the local stack's state and logs; OutDir the results and profiles.
	Dir, OutDir string
	// BinDir holds the manager, rds-emulator, cloudsql-emulator and azure-emulator binaries;
	// ToolsDir kube-apiserver and etcd; CRDDir the CRDs.
	BinDir, ToolsDir, CRDDir string
	// Create, BackingUp, Modify and Delete are how long the emulator keeps each status. The
	// Azure emulator has no backing-up: Create is how long a server stays Starting, Modify
	// Updating, Delete Dropping.
	Create, BackingUp, Modify, Delete time.Duration
	// Resync is the operator's --resync, short so the steady state shows Resyncs of them.
	Resync time.Duration
	// Resyncs is how many resync intervals the steady state is measured over.
	Resyncs int
	// PendingRequeue is the operator's --pending-requeue, the cadence of the shared view
	// while some database changes state.
	PendingRequeue time.Duration
	// Feed and FullList are the operator's --feed-interval and --full-list-interval. The
	// steady state lasts at least two FullList, so that its cost per hour at the default
	// intervals can be told from what one read of the feed and one list cost.
	Feed, FullList time.Duration
	// Drifts is how many databases are changed behind the operator's back after the steady
	// state (half a class change, half a master password reset, through the emulator's
	// tamper hook, a few seconds apart); each one's time until the operator repairs it is
	// measured. Zero changes none.
	Drifts int
	// SkipDelete leaves the delete wave out (a run at 10,000 objects, whose figures are
	// the create wave's, the steady state's and the drifts').
	SkipDelete bool
	// ManagerArgs are more flags for the manager (e.g. --aws-rate-limit).
	ManagerArgs []string
	// Profile takes a CPU profile of the create wave's first ProfileSeconds and a heap
	// profile at its end.
	Profile        bool
	ProfileSeconds int
	// WaveTimeout bounds each wave.
	WaveTimeout time.Duration
	// Out receives progress lines.
	Out io.Writer
}

// Namespace is where the benchmark's objects live.
const Namespace = "bench"

// Run starts the stack, runs the create wave, the steady state and the delete wave, and
// stops the stack. It writes results.json (and profiles) into OutDir.
func Run(ctx context.Context, cfg Config) (_ *Result, err error) {
	if cfg.N <= 0 || cfg.Resyncs < 1 || cfg.Resync <= 0 {
		return nil, errors.New("bench: N, Resync and Resyncs must be positive")
	}
	switch cfg.Cloud {
	case "":
		cfg.Cloud = v1.ProviderAWS
	case v1.ProviderAWS:
	case v1.ProviderAzure:
		if err := azureRefuses(cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("bench: cloud %q: the benchmark runs on %s or %s", cfg.Cloud, v1.ProviderAWS, v1.ProviderAzure)
	}
	if cfg.Aurora < 0 || cfg.Aurora > cfg.N {
		return nil, errors.New("bench: Aurora must be between 0 and N")
	}
	if cfg.Exports && cfg.BackupEvery == "" {
		return nil, errors.New("bench: Exports needs BackupEvery")
	}
	if cfg.Drifts > 0 && (cfg.Feed <= 0 || cfg.Drifts > cfg.N-cfg.Aurora) {
		return nil, errors.New("bench: Drifts needs a Feed and at most N-Aurora drifts")
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, http: &http.Client{Timeout: 2 * time.Minute}, start: time.Now()}
	args := []string{
		"--resync", cfg.Resync.String(),
		"--pending-requeue", cfg.PendingRequeue.String(),
		"--zap-log-level", "info",
	}
	if cfg.Feed > 0 {
		args = append(args, "--feed-interval", cfg.Feed.String(), "--full-list-interval", cfg.FullList.String())
	} else {
		args = append(args, "--feed-interval", "0") // every database listed each resync
	}
	if cfg.Profile {
		port, err := localstack.FreePort()
		if err != nil {
			return nil, err
		}
		b.pprof = "http://127.0.0.1:" + strconv.Itoa(port) + "/debug/pprof"
		args = append(args, "--pprof-bind-address", "127.0.0.1:"+strconv.Itoa(port))
	}
	emulatorArgs := []string{"--no-engine",
		"--create-delay", cfg.Create.String(), "--backup-delay", cfg.BackingUp.String(),
		"--modify-delay", cfg.Modify.String(), "--delete-delay", cfg.Delete.String()}
	if cfg.Exports {
		emu, manager, _ := exportSettings(cfg.BackupEvery)
		emulatorArgs, args = append(emulatorArgs, emu...), append(args, manager...)
	}
	args = append(args, cfg.ManagerArgs...)
	b.logf("starting the local stack: emulators without engines, %d objects to come on %s", cfg.N, cfg.Cloud)
	stack, err := localstack.Start(ctx, localstack.Config{
		Dir: cfg.Dir, BinDir: cfg.BinDir, ToolsDir: cfg.ToolsDir, CRDDir: cfg.CRDDir, Out: cfg.Out,
		EmulatorArgs: emulatorArgs, AzureEmulatorArgs: azureEmulatorArgs(cfg), ManagerArgs: args,
	})
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, stack.Stop()) }()
	b.stack = stack
	b.emulator = emulator{url: stack.EmulatorURL(), http: b.http}
	if b.azure() {
		b.emulator = emulator{url: stack.AzureEmulatorURL(), http: b.http, azure: true}
	}
	if cfg.Exports {
		if b.s3, err = b.emulator.s3Client(ctx); err != nil {
			return nil, err
		}
	}
	b.rest = stack.RESTConfig()
	b.rest.QPS, b.rest.Burst = -1, 0 // the benchmark is the user applying a fleet at once, not a throttled client

	res := &Result{
		Machine: machine(), Date: time.Now().UTC().Format("2006-01-02"), N: cfg.N,
		Settings: Settings{
			Cloud: cfg.Cloud, Users: cfg.Users, Aurora: cfg.Aurora, SecretsPerObject: 1 + cfg.Users, Resync: cfg.Resync.String(), PendingRequeue: cfg.PendingRequeue.String(),
			Feed: cfg.Feed.String(), FullList: cfg.FullList.String(),
			EmulatorDelays: fmt.Sprintf("creating %s, backing-up %s, modifying %s, deleting %s", cfg.Create, cfg.BackingUp, cfg.Modify, cfg.Delete),
			ManagerArgs:    args,
		},
	}
	if b.azure() {
		// The feed and the full lists are the RDS view's: the Azure view lists every server
		// each resync.
		res.Settings.Class, res.Settings.Feed, res.Settings.FullList = AzureClass, "", ""
		res.Settings.EmulatorDelays = fmt.Sprintf("Starting %s, Updating %s, Dropping %s", cfg.Create, cfg.Modify, cfg.Delete)
	}
	if cfg.Exports {
		res.Settings.Exports, res.Settings.BackupEvery = true, cfg.BackupEvery
	}
	res.Settings.Parameters = cfg.Parameters
	if err := b.run(ctx, res); err != nil {
		return res, err
	}
	return res, res.Write(filepath.Join(cfg.OutDir, "results.json"))
}

// bench is one run's state.
type bench struct {
	cfg      Config
	stack    *localstack.Stack
	emulator emulator
	rest     *rest.Config
	client   client.Client
	http     *http.Client
	// s3 reads the export bucket, in a run with exports.
	s3    *s3.Client
	pprof string
	start time.Time
}

// azure reports whether the run is on Azure.
func (b *bench) azure() bool { return b.cfg.Cloud == v1.ProviderAzure }

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.cfg.Out, "[bench %5.0fs] %s\n", time.Since(b.start).Seconds(), fmt.Sprintf(format, args...))
}

func (b *bench) run(ctx context.Context, res *Result) error {
	scheme, err := operator.Scheme()
	if err != nil {
		return err
	}
	if b.client, err = client.New(b.rest, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	if err := b.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}); err != nil {
		return err
	}
	if b.azure() {
		if err := b.client.Create(ctx, azureClass()); err != nil {
			return fmt.Errorf("create DatabaseClass %s: %w", AzureClass, err)
		}
	}
	w, err := startWatch(ctx, b.rest, scheme, 1+b.cfg.Users)
	if err != nil {
		return err
	}
	defer w.stop()
	var mem memoryPeaks
	sampling, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go mem.run(sampling, b.stack.ManagerPID(), 250*time.Millisecond)

	if res.Create, err = b.createWave(ctx, w); err != nil {
		return fmt.Errorf("create wave: %w", err)
	}
	if res.Steady, err = b.steadyState(ctx, w); err != nil {
		return fmt.Errorf("steady state: %w", err)
	}
	if b.cfg.Drifts > 0 {
		if res.Drift, err = b.drifts(ctx); err != nil {
			return fmt.Errorf("drifts: %w", err)
		}
	}
	if !b.cfg.SkipDelete {
		if res.Delete, err = b.deleteWave(ctx, w); err != nil {
			return fmt.Errorf("delete wave: %w", err)
		}
	}
	final, err := readProc(b.stack.ManagerPID())
	if err != nil {
		return err
	}
	res.OperatorPeakRSSMiB = round(final.PeakRSSMiB, 1)
	anon, file := mem.peaks()
	res.OperatorPeakAnonMiB, res.OperatorPeakFileMiB = round(anon, 1), round(file, 1)
	return nil
}

// snapshot is every counter at one moment, so a phase reports the difference.
type snapshot struct {
	at        time.Time
	proc      procStats
	apiserver map[string]float64
	operator  map[string]float64
}

func (b *bench) snapshot(ctx context.Context) (snapshot, error) {
	s := snapshot{at: time.Now()}
	var err error
	if s.proc, err = readProc(b.stack.ManagerPID()); err != nil {
		return s, err
	}
	if s.apiserver, err = apiserverWrites(ctx, b.rest); err != nil {
		return s, err
	}
	families, err := scrape(ctx, b.http, b.stack.ManagerMetricsURL())
	if err != nil {
		return s, err
	}
	s.operator = map[string]float64{}
	for k, v := range sumBy(families, "rds_operator_aws_calls_total", func(l map[string]string) string { return "aws " + l["action"] }) {
		s.operator[k] = v
	}
	for k, v := range sumBy(families, "rest_client_requests_total", func(l map[string]string) string {
		if !writeVerbs[l["method"]] {
			return ""
		}
		return "writes"
	}) {
		s.operator[k] = v
	}
	// Only the views of the run's cloud: on Azure the operator's own RDS view keeps reading
	// an empty account.
	for k, v := range sumBy(families, "rds_operator_cloud_view_reads_total", func(l map[string]string) string {
		if !strings.HasPrefix(l["cloud"], b.cfg.Cloud) {
			return ""
		}
		return "view " + l["kind"]
	}) {
		s.operator[k] = v
	}
	for _, name := range []string{"rds_operator_aws_rate_limit_deferred_total", "rds_operator_aws_rate_limit_delay_seconds", "controller_runtime_reconcile_total"} {
		for k, v := range sumBy(families, name, func(map[string]string) string { return name }) {
			s.operator[k] = v
		}
	}
	return s, nil
}

// phaseCounters fills the figures every phase reports from the counters before and after it.
func (b *bench) phaseCounters(ctx context.Context, before snapshot, p *Phase, benchWrites map[string]float64) error {
	after, err := b.snapshot(ctx)
	if err != nil {
		return err
	}
	st, err := b.emulator.stats(ctx)
	if err != nil {
		return err
	}
	n := float64(b.cfg.N)
	p.Seconds = round(after.at.Sub(before.at).Seconds(), 1)
	p.AWSCalls, p.AWSRetries = st.Calls, st.Retries
	p.AWSErrors = st.Errors
	p.AWSCallsTotal = total(st.Calls)
	p.AWSCallsPerObject = round(float64(p.AWSCallsTotal)/n, 2)
	p.PeakCallsPerSecond, p.PeakCallsPerSecond10s = st.peaks(10)
	p.PeakCallsPerSecond10s = round(p.PeakCallsPerSecond10s, 1)
	op := diff(after.operator, before.operator)
	for k, v := range op {
		// The operator counts its RDS calls only.
		if len(k) > 4 && k[:4] == "aws " && !b.azure() {
			p.OperatorAWSCalls += int(v)
		}
	}
	p.RateLimitDeferred = int(op["rds_operator_aws_rate_limit_deferred_total"])
	if c := op["rds_operator_aws_rate_limit_delay_seconds_count"]; c > 0 {
		p.RateLimitMeanDelaySeconds = round(op["rds_operator_aws_rate_limit_delay_seconds_sum"]/c, 2)
	}
	p.Reconciles = int(op["controller_runtime_reconcile_total"])
	p.OperatorCPUSeconds = round(after.proc.CPUSeconds-before.proc.CPUSeconds, 2)
	p.OperatorCPUSecondsPerObject = round(p.OperatorCPUSeconds/n, 3)
	p.OperatorPeakRSSMiB = round(after.proc.PeakRSSMiB, 1)
	p.OperatorRSSMiB = round(after.proc.RSSMiB, 1)
	p.OperatorAnonMiB, p.OperatorFileMiB = round(after.proc.AnonMiB, 1), round(after.proc.FileMiB, 1)
	writes := diff(after.apiserver, before.apiserver)
	for k, v := range benchWrites { // the benchmark's own creates and deletes are not the operator's
		if writes[k] -= v; writes[k] <= 0 {
			delete(writes, k)
		}
	}
	p.ApiserverWrites = map[string]int{}
	sum := 0
	for k, v := range writes {
		p.ApiserverWrites[k] = int(v)
		sum += int(v)
	}
	p.ApiserverWritesPerObject = round(float64(sum)/n, 2)
	p.OperatorClientWritesPerObject = round(op["writes"]/n, 2)
	return nil
}

// createWave applies every object at once and waits until each has its Secrets and its
// cloud database is provisioned, and, with Exports, its exports complete in the bucket and
// its status saying so (else the status catching up would count in the steady state).
func (b *bench) createWave(ctx context.Context, w *watch) (*Phase, error) {
	if err := b.emulator.reset(ctx); err != nil {
		return nil, err
	}
	before, err := b.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	b.logf("create wave: applying %d objects", b.cfg.N)
	var profiled sync.WaitGroup
	if b.pprof != "" {
		profiled.Add(1)
		go func() {
			defer profiled.Done()
			b.saveProfile(ctx, fmt.Sprintf("/profile?seconds=%d", max(b.cfg.ProfileSeconds, 1)), "cpu-create.pprof")
		}()
	}
	applied, applyTook, err := b.apply(ctx)
	if err != nil {
		return nil, err
	}
	b.logf("applied %d objects in %s", b.cfg.N, applyTook.Round(time.Millisecond))
	what := "every object provisioned"
	if b.cfg.Exports {
		what += ", its exports complete and its status saying so"
	}
	err = b.waitFor(ctx, what, func() (int, bool, error) {
		if b.cfg.Exports {
			_, done, err := listExports(ctx, b.s3)
			if err != nil {
				return 0, false, err
			}
			w.exported(done, time.Now())
		}
		n := w.count(func(o *objectTimes) bool {
			return !o.provisioned.IsZero() && !o.secrets.IsZero() && (!b.cfg.Exports || !o.exported.IsZero() && o.reported)
		})
		return n, n == b.cfg.N, nil
	})
	if err != nil {
		return nil, err
	}
	p := &Phase{ApplySeconds: round(applyTook.Seconds(), 2)}
	var secrets, provisioned, ready, exported []time.Duration
	for name, at := range applied {
		o := w.get(name)
		secrets = append(secrets, max(o.secrets.Sub(at), 0))
		provisioned = append(provisioned, o.provisioned.Sub(at))
		if !o.ready.IsZero() {
			ready = append(ready, o.ready.Sub(at))
		}
		if !o.exported.IsZero() {
			exported = append(exported, o.exported.Sub(at))
		}
	}
	p.Secrets, p.Provisioned, p.Ready = summarize(secrets), summarize(provisioned), summarize(ready)
	if b.cfg.Exports {
		p.Exported = summarize(exported)
	}
	err = b.phaseCounters(ctx, before, p, map[string]float64{"POST rdsdatabases": float64(b.cfg.N)})
	if b.pprof != "" {
		b.saveProfile(ctx, "/heap", "heap-create.pprof")
	}
	profiled.Wait()
	return p, err
}

// apply creates every object with a pool of clients, as a script applying a directory of
// manifests would, and returns when each create returned.
func (b *bench) apply(ctx context.Context) (map[string]time.Time, time.Duration, error) {
	start := time.Now()
	applied := make(map[string]time.Time, b.cfg.N)
	var mu sync.Mutex
	indexes := make(chan int)
	errs := make(chan error, 32)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range indexes {
				name := objectName(i)
				if err := b.client.Create(ctx, b.object(i)); err != nil {
					errs <- fmt.Errorf("create %s: %w", name, err)
					return
				}
				mu.Lock()
				applied[name] = time.Now()
				mu.Unlock()
			}
		}()
	}
	var err error
	for i := 0; i < b.cfg.N && err == nil; i++ {
		select {
		case indexes <- i:
		case err = <-errs:
		}
	}
	close(indexes)
	wg.Wait()
	close(errs)
	if err == nil {
		err = <-errs
	}
	return applied, time.Since(start), err
}

// objectName names the i-th object.
// benchParameters are the parameters of a run with Parameters: one static, one dynamic.
var benchParameters = map[string]string{"max_connections": "200", "log_min_duration_statement": "500"}

func objectName(i int) string { return fmt.Sprintf("db-%04d", i) }

// object is the i-th benchmark database: the defaults (an Aurora PostgreSQL cluster for the
// first Aurora of them), Users users, deleted without a snapshot; with Exports, snapshots
// every BackupEvery and every backup exported; on Azure, of the class AzureClass.
func (b *bench) object(i int) *v1.RDSDatabase {
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: objectName(i)}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	if b.azure() {
		db.Spec.Class = AzureClass
	}
	if b.cfg.Exports {
		_, _, db.Spec.Backup = exportSettings(b.cfg.BackupEvery)
	}
	if i < b.cfg.Aurora {
		db.Spec.Type = v1.TypeAuroraPostgreSQL
	} else if b.cfg.Parameters {
		db.Spec.Parameters = maps.Clone(benchParameters)
	}
	if b.cfg.Users > 0 {
		db.Spec.Users = map[string]v1.UserRoles{}
		for u := range b.cfg.Users {
			db.Spec.Users[fmt.Sprintf("user%d", u)] = v1.UserRoles{}
		}
	}
	return db
}

// steadyState lets the fleet settle, then counts what Resyncs resync intervals (and at least
// two full lists) cost while nothing changes.
func (b *bench) steadyState(ctx context.Context, w *watch) (*Steady, error) {
	settle := b.cfg.Resync + 2*b.cfg.PendingRequeue
	window := time.Duration(b.cfg.Resyncs) * b.cfg.Resync
	if b.cfg.Feed > 0 && !b.azure() {
		// A read of the feed covers the interval since the last and an overlap (at most a
		// minute) before it: until one interval and the overlap have passed, reads still
		// page through the create wave's last events.
		settle = max(settle, 2*b.cfg.Feed+min(time.Minute, 2*b.cfg.Feed))
		window = max(window, 2*b.cfg.FullList)
	}
	b.logf("steady state: settling for %s, then measuring %s (%d resyncs of %s, at least two full lists)", settle, window, b.cfg.Resyncs, b.cfg.Resync)
	if err := sleep(ctx, settle); err != nil {
		return nil, err
	}
	s := &Steady{Resyncs: b.cfg.Resyncs, ResyncSeconds: b.cfg.Resync.Seconds()}
	if b.cfg.Exports {
		// Read before the window: the S3 stand-in's calls are not the emulator's, but the
		// list of export tasks the shared view pages through is this long in it.
		var err error
		if s.Exports, _, err = listExports(ctx, b.s3); err != nil {
			return nil, err
		}
		s.ExportTasks = s.Exports.Completed
		b.logf("%d exports completed, %d bytes in %d objects", s.Exports.Completed, s.Exports.Bytes, s.Exports.Objects)
	}
	s.Budget = budget(b.cfg.N, b.cfg.Aurora, s.ExportTasks)
	if b.azure() {
		s.Budget = azureBudget(b.cfg.N)
	}
	if err := b.emulator.reset(ctx); err != nil {
		return nil, err
	}
	before, err := b.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	restorableBefore := w.restorableOnly.Load()
	if err := sleep(ctx, window); err != nil {
		return nil, err
	}
	after, err := b.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if err := b.phaseCounters(ctx, before, &s.Phase, nil); err != nil {
		return nil, err
	}
	s.RestorableWrites = int(w.restorableOnly.Load() - restorableBefore)
	s.CallsPerResync = round(float64(s.AWSCallsTotal)/(float64(window)/float64(b.cfg.Resync)), 2)
	st, err := b.emulator.stats(ctx)
	if err != nil {
		return nil, err
	}
	if s.Refreshes = st.refreshes(); s.Refreshes > 0 {
		// The reads of the feed are the feed's figure (perHour), not a refresh's.
		s.CallsPerRefresh = round(float64(s.AWSCallsTotal-s.AWSCalls["DescribeEvents"])/float64(s.Refreshes), 2)
	}
	switch {
	case b.azure():
		s.azurePerHour(diff(after.operator, before.operator))
	case b.cfg.Feed > 0:
		s.perHour(diff(after.operator, before.operator), b.cfg.N, b.cfg.Aurora)
	}
	return s, nil
}

// deleteWave deletes every object at once and waits until each is gone (its cloud database
// deleted and its finalizer removed).
func (b *bench) deleteWave(ctx context.Context, w *watch) (*Phase, error) {
	if err := b.emulator.reset(ctx); err != nil {
		return nil, err
	}
	before, err := b.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	b.logf("delete wave: deleting %d objects", b.cfg.N)
	start := time.Now()
	deleted := make(map[string]time.Time, b.cfg.N)
	var mu sync.Mutex
	var wg sync.WaitGroup
	names := make(chan string)
	var firstErr error
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: name}}
				err := b.client.Delete(ctx, db)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("delete %s: %w", name, err)
				}
				deleted[name] = time.Now()
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < b.cfg.N; i++ {
		names <- fmt.Sprintf("db-%04d", i)
	}
	close(names)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	took := time.Since(start)
	b.logf("deleted %d objects in %s", b.cfg.N, took.Round(time.Millisecond))
	err = b.waitFor(ctx, "every object gone", func() (int, bool, error) {
		n := w.count(func(o *objectTimes) bool { return !o.gone.IsZero() })
		return n, n == b.cfg.N, nil
	})
	if err != nil {
		return nil, err
	}
	p := &Phase{ApplySeconds: round(took.Seconds(), 2)}
	var gone []time.Duration
	for name, at := range deleted {
		gone = append(gone, max(w.get(name).gone.Sub(at), 0))
	}
	p.Gone = summarize(gone)
	return p, b.phaseCounters(ctx, before, p, map[string]float64{"DELETE rdsdatabases": float64(b.cfg.N)})
}

// waitFor polls done every second until it holds, printing progress every ten.
func (b *bench) waitFor(ctx context.Context, what string, done func() (int, bool, error)) error {
	deadline := time.Now().Add(b.cfg.WaveTimeout)
	last := time.Now()
	for {
		n, ok, err := done()
		if err != nil || ok {
			return err
		}
		select {
		case <-b.stack.ManagerExited():
			return fmt.Errorf("the manager exited while waiting for %s; see %s", what, b.stack.Path(localstack.ManagerLog))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d after %s waiting for %s", n, b.cfg.N, b.cfg.WaveTimeout, what)
		}
		if time.Since(last) >= 10*time.Second {
			b.logf("waiting for %s: %d of %d", what, n, b.cfg.N)
			last = time.Now()
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
	}
}

// saveProfile fetches a pprof profile from the manager into OutDir.
func (b *bench) saveProfile(ctx context.Context, path, file string) {
	body, err := get(ctx, b.http, b.pprof+path)
	if err == nil {
		err = os.WriteFile(filepath.Join(b.cfg.OutDir, file), body, 0o644)
	}
	if err != nil {
		b.logf("profile %s: %v", file, err)
		return
	}
	b.logf("wrote %s (go tool pprof -top bin/manager %s)", filepath.Join(b.cfg.OutDir, file), filepath.Join(b.cfg.OutDir, file))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

// budget is the most AWS calls one refresh of the shared view may take: one page of 100 per
// hundred instances (an Aurora cluster's writer is an instance too), one per hundred
// clusters, one per hundred export tasks in the account (the shared list of exports, listed
// once per refresh whatever the number of objects exporting), and one more for a database
// looked at on its own.
func budget(n, aurora, exportTasks int) int {
	return pages(n) + pages(aurora) + pages(exportTasks) + 1
}

// pages is how many list pages of 100 n items take.
func pages(n int) int { return int(math.Ceil(float64(n) / 100)) }
