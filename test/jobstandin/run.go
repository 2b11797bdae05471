package jobstandin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

const (
	// defaultBackoffLimit is the Job's backoffLimit when it sets none, as Kubernetes
	// defaults it.
	defaultBackoffLimit = 6
	// retryPause is the pause before the attempt after a failed one, in place of the Job
	// controller's backoff (10s doubling): a test waits for no more.
	retryPause = 200 * time.Millisecond
	// waitPoll is how often a pod that cannot start yet (a Secret, claim or image missing)
	// looks again, as the kubelet and the scheduler retry.
	waitPoll = 250 * time.Millisecond
	// killWait bounds how long an attempt's output is waited for once its process is killed.
	killWait = 5 * time.Second
)

// errGone means the Job was deleted, or replaced by another of its name.
var errGone = errors.New("the Job is gone")

// runJob runs the Job of that name and uid until it finishes, is gone, or ctx ends (Stop,
// the Job deleted or suspended). It reads the Job afresh before every step, so it never runs
// a finished Job, and picks up after a restart where the status says the Job is: a Job that
// was active runs a new attempt, the one that ran then is not counted.
func (s *StandIn) runJob(ctx context.Context, key types.NamespacedName, uid types.UID) {
	log := s.opts.Log.WithValues("job", key)
	for ctx.Err() == nil {
		job, err := s.current(ctx, key, uid)
		if errors.Is(err, errGone) {
			return
		}
		if err != nil {
			log.Error(err, "read the Job")
			sleep(ctx, waitPoll)
			continue
		}
		done, err := s.step(ctx, log, job)
		if errors.Is(err, errGone) || done && err == nil {
			s.setWaiting(key, uid, "")
			return
		}
		if err != nil && ctx.Err() == nil {
			log.Error(err, "run the Job")
			sleep(ctx, waitPoll)
		}
	}
}

// step takes Job job one step on: it finishes what a restart interrupted, fails it past its
// deadline, or runs one attempt, and reports whether the Job has finished.
func (s *StandIn) step(ctx context.Context, log logr.Logger, job *batchv1.Job) (done bool, err error) {
	key := types.NamespacedName{Namespace: job.Namespace, Name: job.Name}
	st := job.Status
	switch {
	case finished(job):
		return true, nil
	case hasCondition(st, batchv1.JobSuccessCriteriaMet):
		return true, s.writeStatus(ctx, job, func(st *batchv1.JobStatus) { jobComplete(st, metav1.Now()) })
	case hasCondition(st, batchv1.JobFailureTarget):
		return true, s.writeStatus(ctx, job, func(st *batchv1.JobStatus) { jobFailed(st, metav1.Now()) })
	case !job.DeletionTimestamp.IsZero():
		return false, errGone
	case ptr.Deref(job.Spec.Suspend, false):
		s.setWaiting(key, job.UID, "the Job is suspended")
		sleep(ctx, waitPoll)
		return false, nil
	case st.Failed > ptr.Deref(job.Spec.BackoffLimit, defaultBackoffLimit):
		return true, s.fail(ctx, job, batchv1.JobReasonBackoffLimitExceeded, messageBackoffLimitExceeded)
	case pastDeadline(job):
		return true, s.fail(ctx, job, batchv1.JobReasonDeadlineExceeded, messageDeadlineExceeded)
	}
	// The Job controller has made the pod: the Job is active, its pod not ready.
	if err := s.writeStatus(ctx, job, func(st *batchv1.JobStatus) { podCreated(st, metav1.Now()) }); err != nil {
		return false, err
	}
	if job, err = s.current(ctx, key, job.UID); err != nil { // its startTime, for the deadline
		return false, err
	}
	attemptCtx, cancel := withDeadline(ctx, job)
	defer cancel()
	exit, err := s.attempt(attemptCtx, log, job)
	var waiting waitError
	switch {
	case errors.As(err, &waiting):
		s.setWaiting(key, job.UID, waiting.Error())
		sleep(attemptCtx, waitPoll)
		return false, nil
	case err != nil:
		return false, err
	case ctx.Err() != nil:
		return false, ctx.Err() // stopped, deleted or suspended: the attempt is not counted
	case exit == 0:
		log.Info("the Job's pod succeeded")
		if err := s.writeStatus(ctx, job, func(st *batchv1.JobStatus) { podSucceeded(st, metav1.Now()) }); err != nil {
			return false, err
		}
		return true, s.writeStatus(ctx, job, func(st *batchv1.JobStatus) { jobComplete(st, metav1.Now()) })
	}
	log.Info("the Job's pod failed", "exitCode", exit)
	if err := s.writeStatus(ctx, job, podFailed); err != nil {
		return false, err
	}
	sleep(ctx, retryPause)
	return false, nil // the next step fails the Job past its backoff limit or deadline
}

// fail fails Job job for reason: FailureTarget, then Failed.
func (s *StandIn) fail(ctx context.Context, job *batchv1.Job, reason, message string) error {
	s.opts.Log.Info("the Job failed", "job", types.NamespacedName{Namespace: job.Namespace, Name: job.Name}, "reason", reason)
	if err := s.writeStatus(ctx, job, func(st *batchv1.JobStatus) { failureTarget(st, reason, message, metav1.Now()) }); err != nil {
		return err
	}
	return s.writeStatus(ctx, job, func(st *batchv1.JobStatus) { jobFailed(st, metav1.Now()) })
}

// waitError says why a pod cannot start yet; the attempt is tried again, not failed.
type waitError struct{ error }

// attempt runs Job job's container once, as the pod of one attempt, and returns its exit
// code (-1 when it was killed); a waitError when the pod cannot start yet.
func (s *StandIn) attempt(ctx context.Context, log logr.Logger, job *batchv1.Job) (int, error) {
	podName := job.Name + "-" + utilrand.String(5)
	podDir := filepath.Join(s.opts.Dir, "pods", job.Namespace, podName)
	defer func() {
		if err := os.RemoveAll(podDir); err != nil {
			log.Error(err, "remove the pod's directory")
		}
	}()
	c := job.Spec.Template.Spec.Containers[0]
	binDir, ok := "", true
	if s.opts.Images != nil {
		binDir, ok = s.opts.Images(c.Image)
	}
	if !ok {
		return 0, waitError{fmt.Errorf("image %q cannot be pulled: no programs stand in for it here", c.Image)}
	}
	src := newSources(s.reader, job.Namespace)
	mounts, err := s.volumes(ctx, src, job.Spec.Template.Spec, c, podDir)
	if err != nil {
		return 0, waitError{err}
	}
	vars, err := environment(ctx, src, podName, c)
	if err != nil {
		return 0, waitError{err}
	}
	home, work := filepath.Join(podDir, "home"), filepath.Join(podDir, "work")
	for _, dir := range []string{home, work} {
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return 0, err
		}
	}
	s.setWaiting(types.NamespacedName{Namespace: job.Namespace, Name: job.Name}, job.UID, "")
	p := process(c, vars, mounts, binDir, home, podName)
	if p.dir == "" {
		p.dir = work
	}
	logFile, n, err := s.newLog(job.Namespace, job.Name)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err := logFile.Close(); err != nil {
			log.Error(err, "close the attempt's log")
		}
	}()
	log = log.WithValues("attempt", n, "pod", podName)
	return s.exec(ctx, log, job, p, logFile), nil
}

// exec runs p with its output in logFile and returns its exit code, -1 when it was killed.
// A command that cannot be started fails as the container's would (exit code 128).
func (s *StandIn) exec(ctx context.Context, log logr.Logger, job *batchv1.Job, p proc, logFile *os.File) int {
	path, err := lookPath(p.argv[0], p.path)
	if err != nil {
		fmt.Fprintf(logFile, "[job stand-in] cannot start the container: %v\n", err)
		log.Info("the container cannot start", "error", err.Error())
		return 128
	}
	cmd := exec.CommandContext(ctx, path, p.argv[1:]...)
	cmd.Args[0] = p.argv[0]
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = p.env, p.dir, logFile, logFile
	// Its own process group, killed whole as a container's processes are when it stops.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = killWait
	log.Info("running the Job's pod", "command", p.argv)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(logFile, "[job stand-in] cannot start the container: %v\n", err)
		return 128
	}
	if err := s.writeStatus(ctx, job, podReady); err != nil && ctx.Err() == nil {
		log.Error(err, "write that the pod is ready")
	}
	err = cmd.Wait()
	// What the main process left behind goes with it, as with a container.
	if kerr := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) {
		log.Error(kerr, "kill what the container left running")
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	case errors.As(err, &exit):
		return -1 // killed by a signal
	}
	fmt.Fprintf(logFile, "[job stand-in] %v\n", err)
	return -1
}

// proc is what an attempt runs: the container's command line, environment and working
// directory, resolved and rewritten to this machine's directories.
type proc struct {
	argv []string
	env  []string
	dir  string
	// path is the PATH the command is looked up in.
	path string
}

// process resolves container c's command line and environment as the kubelet does, with
// the mount paths rewritten to their local directories, PATH binDir before this machine's,
// HOME home and HOSTNAME the pod's name. The working directory is c's when it lies in a
// mount, else empty (a directory of the attempt's own).
func process(c corev1.Container, vars []envVar, mounts []mount, binDir, home, podName string) proc {
	lookup := lookupIn(vars)
	var argv []string
	for _, a := range append(append([]string{}, c.Command...), c.Args...) {
		argv = append(argv, rewrite(expand(a, lookup), mounts))
	}
	path := os.Getenv("PATH")
	if binDir != "" {
		path = binDir + string(os.PathListSeparator) + path
	}
	env := []string{"PATH=" + path, "HOME=" + home, "HOSTNAME=" + podName}
	for _, v := range vars {
		switch v.name {
		case "PATH", "HOME", "HOSTNAME":
			continue // those of the stand-in: an image's directories do not exist here
		}
		env = append(env, v.name+"="+rewrite(v.value, mounts))
	}
	p := proc{argv: argv, env: env, path: path}
	if wd := rewrite(c.WorkingDir, mounts); wd != c.WorkingDir {
		p.dir = wd
	}
	return p
}

// lookPath finds the program file as a shell would in the directories of path.
func lookPath(file, path string) (string, error) {
	if strings.Contains(file, "/") {
		return file, executable(file)
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, file); executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", file)
}

func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return &fs.PathError{Op: "exec", Path: path, Err: fs.ErrPermission}
	}
	return nil
}

// newLog creates the log file of the next attempt of the Jobs named job, and returns its
// number.
func (s *StandIn) newLog(namespace, job string) (*os.File, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(s.logDir(namespace, job), 0o755); err != nil {
		return nil, 0, err
	}
	n := 1
	if files := s.logFiles(namespace, job); len(files) > 0 {
		last, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(files[len(files)-1]), ".log"))
		n = last + 1
	}
	f, err := os.OpenFile(filepath.Join(s.logDir(namespace, job), strconv.Itoa(n)+".log"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	return f, n, err
}

// current reads the Job of that name from the apiserver; errGone when it is gone or
// another Job has its name.
func (s *StandIn) current(ctx context.Context, key types.NamespacedName, uid types.UID) (*batchv1.Job, error) {
	job := &batchv1.Job{}
	err := s.reader.Get(ctx, key, job)
	if apierrors.IsNotFound(err) || err == nil && job.UID != uid {
		return nil, errGone
	}
	return job, err
}

// writeStatus applies change to Job job's status as it is in the apiserver and writes it
// through the status subresource, reading it again on a conflict; it writes nothing when
// change changes nothing. It tries again until ctx ends when the apiserver fails, so that
// an attempt's outcome is not lost, but not when the Job is gone or the write is invalid.
func (s *StandIn) writeStatus(ctx context.Context, job *batchv1.Job, change func(*batchv1.JobStatus)) error {
	for {
		err := s.tryWriteStatus(ctx, job, change)
		if err == nil || errors.Is(err, errGone) || apierrors.IsInvalid(err) || ctx.Err() != nil {
			return err
		}
		s.opts.Log.Error(err, "write the Job's status; trying again", "job", types.NamespacedName{Namespace: job.Namespace, Name: job.Name})
		sleep(ctx, waitPoll)
	}
}

// tryWriteStatus is one try of writeStatus.
func (s *StandIn) tryWriteStatus(ctx context.Context, job *batchv1.Job, change func(*batchv1.JobStatus)) error {
	key := types.NamespacedName{Namespace: job.Namespace, Name: job.Name}
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		got, err := s.current(ctx, key, job.UID)
		if err != nil {
			return err
		}
		before := got.Status.DeepCopy()
		change(&got.Status)
		if equality.Semantic.DeepEqual(*before, got.Status) {
			return nil
		}
		if err := s.client.Status().Update(ctx, got); err != nil {
			return fmt.Errorf("write the status of Job %s: %w", key, err)
		}
		return nil
	})
}

// hasCondition reports whether st has condition t, True.
func hasCondition(st batchv1.JobStatus, t batchv1.JobConditionType) bool {
	for _, c := range st.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// pastDeadline reports whether Job job has been active longer than its
// activeDeadlineSeconds.
func pastDeadline(job *batchv1.Job) bool {
	d, start := job.Spec.ActiveDeadlineSeconds, job.Status.StartTime
	return d != nil && start != nil && !time.Now().Before(start.Add(time.Duration(*d)*time.Second))
}

// withDeadline bounds ctx by Job job's activeDeadlineSeconds, counted from its startTime.
func withDeadline(ctx context.Context, job *batchv1.Job) (context.Context, context.CancelFunc) {
	d, start := job.Spec.ActiveDeadlineSeconds, job.Status.StartTime
	if d == nil || start == nil {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, start.Add(time.Duration(*d)*time.Second))
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
