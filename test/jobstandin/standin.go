package jobstandin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// Options configures Start.
type Options struct {
	// Dir holds the PersistentVolumeClaims' directories (volumes/<namespace>/<claim>), the
	// attempts' logs (logs/<namespace>/<job>/<n>.log) and, while an attempt runs, its own
	// directory (pods/); empty means a new temporary directory, which Stop removes.
	Dir string
	// Log receives the stand-in's log; the zero Logger discards it.
	Log logr.Logger
	// Images resolves a container's image to the directory of the programs that stand in
	// for the image's, put first on the process's PATH (the rest of PATH is this machine's);
	// ok false means the image cannot be pulled: the Job stays active and never finishes.
	// nil runs every image with this machine's programs alone.
	Images func(image string) (binDir string, ok bool)
}

// StandIn is a running stand-in for the Job controller and the kubelet.
type StandIn struct {
	opts    Options
	tempDir bool
	reader  client.Reader
	client  client.Client
	cancel  context.CancelFunc
	// done is closed once the manager has stopped, runErr then holding why.
	done   chan struct{}
	runErr error
	// runs counts the goroutines running Jobs, which Stop waits for.
	runs sync.WaitGroup

	mu sync.Mutex
	// jobs are the Jobs seen, by name: the run of the current one, or why it is not run.
	jobs map[types.NamespacedName]*jobState
}

// jobState is what the stand-in knows of one Job (one UID) between its reconciles.
type jobState struct {
	uid types.UID
	// cancel stops its run; nil when it is not run (ignored). ended is closed once the run
	// has ended.
	cancel context.CancelFunc
	ended  chan struct{}
	// waiting says why its next attempt does not run: a Secret, a claim or an image
	// missing, or something of its spec the stand-in does not support.
	waiting string
}

// Start starts the stand-in against the cluster at cfg and returns once it watches Jobs;
// ctx bounds the start only. It runs until Stop.
func Start(ctx context.Context, cfg *rest.Config, opts Options) (_ *StandIn, err error) {
	s := &StandIn{opts: opts, done: make(chan struct{}), jobs: map[types.NamespacedName]*jobState{}}
	if s.opts.Log.GetSink() == nil {
		s.opts.Log = logr.Discard() // not controller-runtime's global logger, which the manager would take
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme, Logger: s.opts.Log,
		Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, err
	}
	// Runs read and write the apiserver directly: a cache a step behind would restart a
	// finished Job or lose a status write to a conflict.
	s.reader, s.client = mgr.GetAPIReader(), mgr.GetClient()
	err = ctrl.NewControllerManagedBy(mgr).
		Named("job-standin").
		For(&batchv1.Job{}).
		// Several stand-ins may run in one test binary, one after the other.
		WithOptions(controller.Options{MaxConcurrentReconciles: 4, SkipNameValidation: ptr.To(true)}).
		Complete(&reconciler{client: mgr.GetClient(), s: s})
	if err != nil {
		return nil, err
	}
	if _, err := mgr.GetCache().GetInformer(ctx, &batchv1.Job{}); err != nil {
		return nil, err
	}
	if s.opts.Dir == "" {
		if s.opts.Dir, err = os.MkdirTemp("", "job-standin-"); err != nil {
			return nil, err
		}
		s.tempDir = true
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		defer close(s.done)
		s.runErr = mgr.Start(runCtx)
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return nil, errors.Join(fmt.Errorf("the stand-in's cache did not sync: %w", ctx.Err()), s.Stop())
	}
	return s, nil
}

// Stop stops watching, kills the attempts that run (their Jobs stay active, as a node that
// went away leaves them) and waits for them, and removes Dir when Start made it. Calling it
// again does nothing.
func (s *StandIn) Stop() error {
	s.cancel()
	<-s.done
	s.mu.Lock()
	for _, j := range s.jobs {
		if j.cancel != nil {
			j.cancel()
		}
	}
	s.jobs = map[types.NamespacedName]*jobState{}
	s.mu.Unlock()
	s.runs.Wait()
	errs := []error{s.runErr}
	if s.tempDir {
		errs = append(errs, os.RemoveAll(s.opts.Dir))
		s.tempDir = false
	}
	s.runErr = nil
	return errors.Join(errs...)
}

// VolumeDir returns the directory that stands in for the PersistentVolumeClaim claim of
// namespace: what the Jobs mounting it wrote there.
func (s *StandIn) VolumeDir(namespace, claim string) string {
	return filepath.Join(s.opts.Dir, "volumes", namespace, claim)
}

// Logs returns what the attempts of the Jobs named job in namespace wrote on their standard
// output and error, attempt after attempt, as `kubectl logs` of each pod would show them.
func (s *StandIn) Logs(namespace, job string) string {
	var b strings.Builder
	for _, path := range s.logFiles(namespace, job) {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(&b, "[job stand-in: %v]\n", err)
			continue
		}
		b.Write(data)
	}
	return b.String()
}

// Attempts returns how many processes the Jobs named job in namespace started, over every
// run of the stand-in on Dir.
func (s *StandIn) Attempts(namespace, job string) int {
	return len(s.logFiles(namespace, job))
}

// Waiting returns why the next attempt of the Job named job in namespace does not run (a
// Secret, ConfigMap, key or claim missing, an image that cannot be pulled, or a spec the
// stand-in does not run); empty when nothing holds it, or when the stand-in has not seen it.
func (s *StandIn) Waiting(namespace, job string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[types.NamespacedName{Namespace: namespace, Name: job}]; j != nil {
		return j.waiting
	}
	return ""
}

// logDir holds the logs of the attempts of the Jobs named job in namespace, one file each.
func (s *StandIn) logDir(namespace, job string) string {
	return filepath.Join(s.opts.Dir, "logs", namespace, job)
}

// logFiles returns the attempts' log files of the Jobs named job in namespace, in the order
// they started (<n>.log).
func (s *StandIn) logFiles(namespace, job string) []string {
	entries, err := os.ReadDir(s.logDir(namespace, job))
	if err != nil {
		return nil // no attempt yet
	}
	var numbers []int
	for _, e := range entries {
		if n, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".log")); err == nil && strings.HasSuffix(e.Name(), ".log") {
			numbers = append(numbers, n)
		}
	}
	sort.Ints(numbers)
	paths := make([]string, len(numbers))
	for i, n := range numbers {
		paths[i] = filepath.Join(s.logDir(namespace, job), strconv.Itoa(n)+".log")
	}
	return paths
}

// run starts running Job job unless it runs already; a run of an earlier Job of its name is
// stopped.
func (s *StandIn) run(job *batchv1.Job) {
	key := types.NamespacedName{Namespace: job.Namespace, Name: job.Name}
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[key]; j != nil {
		if j.uid == job.UID && j.cancel != nil {
			return
		}
		if j.cancel != nil {
			j.cancel()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	state := &jobState{uid: job.UID, cancel: cancel, ended: make(chan struct{})}
	s.jobs[key] = state
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		defer close(state.ended)
		s.runJob(ctx, key, job.UID)
	}()
}

// ignore records that Job job is not run, and why, saying so once.
func (s *StandIn) ignore(job *batchv1.Job, why string) {
	key := types.NamespacedName{Namespace: job.Namespace, Name: job.Name}
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[key]; j != nil {
		if j.uid == job.UID && j.cancel == nil {
			return
		}
		if j.cancel != nil {
			j.cancel()
		}
	}
	s.jobs[key] = &jobState{uid: job.UID, waiting: why}
	s.opts.Log.Info("not running the Job: the stand-in does not support it", "job", key, "why", why)
}

// forget stops the run of the Job of that name, if any, and forgets it: the Job is gone,
// being deleted or suspended, and its pod with it.
func (s *StandIn) forget(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[key]; j != nil && j.cancel != nil {
		select {
		case <-j.ended:
		default:
			s.opts.Log.Info("the Job is gone, being deleted or suspended: its pod goes", "job", key)
		}
		j.cancel()
	}
	delete(s.jobs, key)
}

// setWaiting records why the next attempt of the Job (uid) does not run, saying so when it
// changes.
func (s *StandIn) setWaiting(key types.NamespacedName, uid types.UID, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[key]
	if j == nil || j.uid != uid || j.waiting == why {
		return
	}
	j.waiting = why
	if why != "" {
		s.opts.Log.Info("the Job's pod cannot start yet", "job", key, "why", why)
	}
}
