package jobstandin_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
	"github.com/matrixmind-cloud/aws-rds-operator/test/jobstandin"
)

// env is the control plane the tests share; skip says why there is none. Each test starts
// its own stand-in (the tests run one after the other), with the Images it needs.
var env struct {
	client client.Client
	config *rest.Config
	log    logr.Logger
}

var skip string

// timeout bounds each wait: a Job runs within a second, on a loaded machine within more.
const timeout = time.Minute

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if _, err := controlplane.ToolsDir(); err != nil {
		skip = err.Error()
		return m.Run()
	}
	// No kube-controller-manager: nothing here needs its namespace or garbage collector
	// controllers, and it runs no Job controller anyway.
	cp, err := controlplane.Start(controlplane.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = cp.Stop() }()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.config = cp.Config()
	if env.client, err = client.New(env.config, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The stand-ins' log goes to the test's output; JOB_STANDIN_DEBUG=1 shows debug lines.
	env.log = zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(os.Getenv("JOB_STANDIN_DEBUG") != ""))
	return m.Run()
}

// start starts a stand-in for the test, on a directory of the test's, with images; it
// stops it at the end of the test, after deleting the Jobs of namespace ns so that the next
// test's stand-in does not take them up.
func start(t *testing.T, ns string, images func(string) (string, bool)) *jobstandin.StandIn {
	t.Helper()
	if skip != "" {
		t.Skip(skip)
	}
	s, err := jobstandin.Start(context.Background(), env.config, jobstandin.Options{Dir: t.TempDir(), Log: env.log.WithName(t.Name()), Images: images})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.client.DeleteAllOf(context.Background(), &batchv1.Job{}, client.InNamespace(ns)); err != nil {
			t.Errorf("delete the Jobs: %v", err)
		}
		if err := s.Stop(); err != nil {
			t.Errorf("stop the stand-in: %v", err)
		}
	})
	return s
}

// anyImage resolves every image to this machine's programs.
func anyImage(string) (string, bool) { return "", true }

// namespace creates a namespace of its own for the test.
func namespace(t *testing.T) string {
	t.Helper()
	if skip != "" {
		t.Skip(skip)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "jobs-"}}
	if err := env.client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// dumpJob is a Job of the shape the operator makes for a logical dump: script runs in
// postgres:17 with the databases db1 and db2 as its arguments, DUMP_DIR in the claim
// db-dumps, and the admin Secret db1-admin in PGHOST, PGPORT, PGPASSWORD and /admin/ca.crt.
func dumpJob(ns, name, script string) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"matrixmind.cloud/managed-by": "aws-rds-operator"}},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](2),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{
					Name:    "dump",
					Image:   "postgres:17",
					Command: []string{"/bin/sh", "-c", script, "dump", "db1", "db2"},
					Env: []corev1.EnvVar{
						{Name: "DUMP_DIR", Value: "/dumps/orders-1a2b/final"},
						{Name: "PGHOST", ValueFrom: secretKey("db1-admin", "host", false)},
						{Name: "PGPORT", ValueFrom: secretKey("db1-admin", "port", true)},
						{Name: "PGPASSWORD", ValueFrom: secretKey("db1-admin", "password", false)},
						{Name: "PGSSLROOTCERT", Value: "/admin/ca.crt"},
					},
					VolumeMounts: []corev1.VolumeMount{{Name: "dumps", MountPath: "/dumps"}, {Name: "admin", MountPath: "/admin", ReadOnly: true}},
				}},
				Volumes: []corev1.Volume{
					{Name: "dumps", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "db-dumps"}}},
					{Name: "admin", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
						SecretName: "db1-admin", Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}, Optional: ptr.To(true),
					}}},
				},
			}},
		},
	}
}

func secretKey(name, key string, optional bool) *corev1.EnvVarSource {
	sel := &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}
	if optional {
		sel.Optional = ptr.To(true)
	}
	return &corev1.EnvVarSource{SecretKeyRef: sel}
}

// adminSecret is the admin Secret db1-admin the dump Jobs read.
func adminSecret(ns string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db1-admin"},
		Data: map[string][]byte{
			"host": []byte("db1.example"), "port": []byte("5433"), "password": []byte("s3cr3t/dumps"),
			"ca.crt": []byte("-----BEGIN CERTIFICATE-----\n"),
		},
	}
}

// dumpsClaim is the PersistentVolumeClaim db-dumps the dump Jobs write into.
func dumpsClaim(ns string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db-dumps"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
}

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, obj := range objs {
		if err := env.client.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
}

// summary is what a test compares of a Job's status: the counters, and the conditions as
// Type=Reason in order.
type summary struct {
	Active, Ready, Succeeded, Failed int32
	Conditions                       []string
	Started, Completed               bool
}

func summarize(job *batchv1.Job) summary {
	st := job.Status
	s := summary{Active: st.Active, Ready: ptr.Deref(st.Ready, -1), Succeeded: st.Succeeded, Failed: st.Failed, Started: st.StartTime != nil, Completed: st.CompletionTime != nil}
	for _, c := range st.Conditions {
		s.Conditions = append(s.Conditions, fmt.Sprintf("%s=%s", c.Type, c.Reason))
	}
	return s
}

// waitJob waits until Job ns/name satisfies cond and returns it.
func waitJob(t *testing.T, ns, name string, what string, cond func(*batchv1.Job) bool) *batchv1.Job {
	t.Helper()
	job := &batchv1.Job{}
	err := harness.WaitFor(context.Background(), timeout, func(ctx context.Context) (bool, error) {
		if err := env.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, job); err != nil {
			return false, err
		}
		return cond(job), nil
	})
	if err != nil {
		t.Fatalf("Job %s/%s %s: %v; status %+v", ns, name, what, err, summarize(job))
	}
	return job
}

func finished(job *batchv1.Job) bool {
	for _, c := range job.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// waitWaiting waits until the stand-in says why Job ns/name does not start, containing want.
func waitWaiting(t *testing.T, s *jobstandin.StandIn, ns, name, want string) {
	t.Helper()
	err := harness.WaitFor(context.Background(), timeout, func(context.Context) (bool, error) {
		return strings.Contains(s.Waiting(ns, name), want), nil
	})
	if err != nil {
		t.Fatalf("Job %s/%s waiting for %q: %v; it waits for %q", ns, name, want, err, s.Waiting(ns, name))
	}
}

// TestDumpJobCompletes is the operator's story: a dump Job writes into its claim with the
// admin Secret's credentials, through the image's programs, exits 0 and is Complete; the
// dump is in the claim's directory and the Job's output in its logs.
func TestDumpJobCompletes(t *testing.T) {
	ns := namespace(t)
	// The image's pg_dump: a program of its own, found first on PATH.
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "pg_dump"), []byte("#!/bin/sh\necho \"-- dump of $1 from $PGHOST:$PGPORT\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := start(t, ns, func(image string) (string, bool) { return bin, image == "postgres:17" })
	script := `set -e
mkdir -p "$DUMP_DIR"
for db in "$@"; do pg_dump "$db" > "$DUMP_DIR/$db.sql"; done
cp "$PGSSLROOTCERT" "$DUMP_DIR/ca.crt"
printf '%s' "$PGPASSWORD" > "$DUMP_DIR/password"
echo "dumped $* into $DUMP_DIR"`
	create(t, adminSecret(ns), dumpsClaim(ns), dumpJob(ns, "orders-dump", script))

	job := waitJob(t, ns, "orders-dump", "to finish", finished)

	want := summary{Succeeded: 1, Ready: 0, Conditions: []string{"SuccessCriteriaMet=CompletionsReached", "Complete=CompletionsReached"}, Started: true, Completed: true}
	if diff := cmp.Diff(want, summarize(job)); diff != "" {
		t.Errorf("status -want +got:\n%s\nlogs:\n%s", diff, s.Logs(ns, "orders-dump"))
	}
	if job.Status.CompletionTime != nil && job.Status.CompletionTime.Before(job.Status.StartTime) {
		t.Errorf("completionTime %v before startTime %v", job.Status.CompletionTime, job.Status.StartTime)
	}
	dir := filepath.Join(s.VolumeDir(ns, "db-dumps"), "orders-1a2b", "final")
	for file, want := range map[string]string{
		"db1.sql":  "-- dump of db1 from db1.example:5433\n",
		"db2.sql":  "-- dump of db2 from db1.example:5433\n",
		"ca.crt":   "-----BEGIN CERTIFICATE-----\n",
		"password": "s3cr3t/dumps", // a Secret's value is never rewritten
	} {
		got, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Errorf("the dump's %s: %v", file, err)
		} else if string(got) != want {
			t.Errorf("the dump's %s = %q, want %q", file, got, want)
		}
	}
	if logs, want := s.Logs(ns, "orders-dump"), "dumped db1 db2 into "+dir+"\n"; logs != want {
		t.Errorf("Logs = %q, want %q", logs, want)
	}
	if n := s.Attempts(ns, "orders-dump"); n != 1 {
		t.Errorf("Attempts = %d, want 1", n)
	}
}

// TestAttempts proves the backoff limit and the deadline: failed attempts are tried again
// until backoffLimit+1 of them failed or activeDeadlineSeconds passed, and the status counts
// them as the Job controller does.
func TestAttempts(t *testing.T) {
	ns := namespace(t)
	s := start(t, ns, anyImage)
	create(t, adminSecret(ns), dumpsClaim(ns))
	cases := []struct {
		name, reason string
		script       string
		backoffLimit *int32
		deadline     *int64
		want         summary
		wantAttempts int
		wantLogs     string
	}{
		{
			name: "fails", reason: "an attempt exiting 1 with backoffLimit 1 is tried twice, then the Job fails",
			script: `echo "attempt"; exit 1`, backoffLimit: ptr.To[int32](1),
			want:         summary{Failed: 2, Ready: 0, Conditions: []string{"FailureTarget=BackoffLimitExceeded", "Failed=BackoffLimitExceeded"}, Started: true},
			wantAttempts: 2, wantLogs: "attempt\nattempt\n",
		},
		{
			name: "no-retry", reason: "backoffLimit 0 allows one attempt",
			script: `exit 3`, backoffLimit: ptr.To[int32](0),
			want:         summary{Failed: 1, Ready: 0, Conditions: []string{"FailureTarget=BackoffLimitExceeded", "Failed=BackoffLimitExceeded"}, Started: true},
			wantAttempts: 1,
		},
		{
			name: "second-time", reason: "a Job whose first attempt fails and second succeeds is Complete, counting both",
			script:       `mkdir -p "$DUMP_DIR"; if [ -e "$DUMP_DIR/tried" ]; then echo second; exit 0; fi; touch "$DUMP_DIR/tried"; echo first; exit 1`,
			want:         summary{Failed: 1, Succeeded: 1, Ready: 0, Conditions: []string{"SuccessCriteriaMet=CompletionsReached", "Complete=CompletionsReached"}, Started: true, Completed: true},
			wantAttempts: 2, wantLogs: "first\nsecond\n",
		},
		{
			name: "no-command", reason: "a command that is not found fails the attempt as a container that cannot start",
			script: `exec no-such-program`, backoffLimit: ptr.To[int32](0),
			want:         summary{Failed: 1, Ready: 0, Conditions: []string{"FailureTarget=BackoffLimitExceeded", "Failed=BackoffLimitExceeded"}, Started: true},
			wantAttempts: 1, wantLogs: "not found",
		},
		{
			name: "deadline", reason: "an attempt still running at activeDeadlineSeconds is killed, counted, and the Job fails",
			script: `echo started; exec sleep 600`, backoffLimit: ptr.To[int32](2), deadline: ptr.To[int64](1),
			want:         summary{Failed: 1, Ready: 0, Conditions: []string{"FailureTarget=DeadlineExceeded", "Failed=DeadlineExceeded"}, Started: true},
			wantAttempts: 1, wantLogs: "started\n",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			job := dumpJob(ns, c.name, c.script)
			job.Spec.Template.Spec.Containers[0].Env[0].Value = "/dumps/" + c.name
			job.Spec.BackoffLimit, job.Spec.ActiveDeadlineSeconds = c.backoffLimit, c.deadline
			create(t, job)
			got := waitJob(t, ns, c.name, "to finish", finished)
			if diff := cmp.Diff(c.want, summarize(got)); diff != "" {
				t.Errorf("%s: status -want +got:\n%s", c.reason, diff)
			}
			if n := s.Attempts(ns, c.name); n != c.wantAttempts {
				t.Errorf("%s: Attempts = %d, want %d", c.reason, n, c.wantAttempts)
			}
			if logs := s.Logs(ns, c.name); !strings.Contains(logs, c.wantLogs) {
				t.Errorf("%s: Logs = %q, want them to contain %q", c.reason, logs, c.wantLogs)
			}
		})
	}
}

// TestEnvironment proves that the container's variables reach the process as the kubelet
// resolves them, mount paths rewritten.
func TestEnvironment(t *testing.T) {
	ns := namespace(t)
	s := start(t, ns, anyImage)
	settings := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "settings"}, Data: map[string]string{"format": "custom"}}
	create(t, adminSecret(ns), dumpsClaim(ns), settings)
	cases := []struct {
		name, reason string
		env          corev1.EnvVar
		want         string
	}{
		{"secret", "a secretKeyRef is the Secret's value", corev1.EnvVar{Name: "V", ValueFrom: secretKey("db1-admin", "password", false)}, "s3cr3t/dumps"},
		{"optional-key", "an optional secretKeyRef to a missing key leaves the variable unset", corev1.EnvVar{Name: "V", ValueFrom: secretKey("db1-admin", "user", true)}, "<unset>"},
		{"optional-secret", "an optional secretKeyRef to a missing Secret leaves the variable unset", corev1.EnvVar{Name: "V", ValueFrom: secretKey("other", "user", true)}, "<unset>"},
		{"configmap", "a configMapKeyRef is the ConfigMap's value", corev1.EnvVar{Name: "V", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "format",
		}}}, "custom"},
		{"expansion", "$(VAR) in a value is expanded against the variables before it, then rewritten", corev1.EnvVar{Name: "V", Value: "$(DUMP_DIR)/x.sql"}, "<dumps>/expansion/x.sql"},
		{"mount", "a mount path in a value is rewritten", corev1.EnvVar{Name: "V", Value: "/admin/ca.crt"}, "<admin>/ca.crt"},
		{"namespace", "fieldRef metadata.namespace is the Job's namespace", corev1.EnvVar{Name: "V", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}, ns},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			job := dumpJob(ns, c.name, `echo "${V-<unset>}"; echo "$HOME" "$PWD"`)
			ctr := &job.Spec.Template.Spec.Containers[0]
			ctr.Env[0].Value = "/dumps/" + c.name
			ctr.Env = append(ctr.Env, c.env)
			create(t, job)
			waitJob(t, ns, c.name, "to finish", finished)
			lines := strings.Split(s.Logs(ns, c.name), "\n")
			if len(lines) < 2 {
				t.Fatalf("Logs = %q: want the value and the directories", s.Logs(ns, c.name))
			}
			got := strings.Replace(lines[0], s.VolumeDir(ns, "db-dumps"), "<dumps>", 1)
			if home := strings.Fields(lines[1]); len(home) == 2 && strings.HasSuffix(got, "/ca.crt") {
				// The secret volume is the attempt's, beside its home directory.
				got = strings.Replace(got, filepath.Join(filepath.Dir(home[0]), "volumes", "admin"), "<admin>", 1)
			}
			if got != c.want {
				t.Errorf("%s: V = %q, want %q (logs %q)", c.reason, got, c.want, s.Logs(ns, c.name))
			}
		})
	}
}

// TestWaitsForWhatThePodNeeds proves that a pod that cannot start yet (a claim, Secret or
// key missing) keeps the Job active, its process not run, until what it needs exists; then
// the Job runs and completes.
func TestWaitsForWhatThePodNeeds(t *testing.T) {
	cases := []struct {
		name, reason string
		// have are created before the Job, then missing once it waits.
		have        func(ns string) []client.Object
		missing     func(ns string) client.Object
		wantWaiting string
	}{
		{
			name: "claim", reason: "a pod whose claim does not exist is not scheduled",
			have:        func(ns string) []client.Object { return []client.Object{adminSecret(ns)} },
			missing:     func(ns string) client.Object { return dumpsClaim(ns) },
			wantWaiting: `persistentvolumeclaim "db-dumps" not found`,
		},
		{
			name: "secret", reason: "a container whose secretKeyRef's Secret does not exist cannot be created",
			have:        func(ns string) []client.Object { return []client.Object{dumpsClaim(ns)} },
			missing:     adminSecretAsObject,
			wantWaiting: `secret "db1-admin" not found`,
		},
		{
			name: "key", reason: "a container whose secretKeyRef's key does not exist cannot be created",
			have: func(ns string) []client.Object {
				sec := adminSecret(ns)
				sec.Name = "partial"
				delete(sec.Data, "password")
				return []client.Object{dumpsClaim(ns), adminSecret(ns), sec}
			},
			missing:     nil, // the key is added by an update
			wantWaiting: "couldn't find key password in Secret",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ns := namespace(t)
			s := start(t, ns, anyImage)
			create(t, c.have(ns)...)
			job := dumpJob(ns, "waits", `echo ran`)
			if c.missing == nil {
				job.Spec.Template.Spec.Containers[0].Env[3].ValueFrom = secretKey("partial", "password", false)
			}
			create(t, job)

			waitWaiting(t, s, ns, "waits", c.wantWaiting)
			got := waitJob(t, ns, "waits", "active", func(j *batchv1.Job) bool { return j.Status.Active == 1 })
			if diff := cmp.Diff(summary{Active: 1, Ready: 0, Started: true}, summarize(got)); diff != "" {
				t.Errorf("%s: while it waits, status -want +got:\n%s", c.reason, diff)
			}
			if n := s.Attempts(ns, "waits"); n != 0 {
				t.Errorf("%s: %d attempts while it waits, want none", c.reason, n)
			}

			if c.missing != nil {
				create(t, c.missing(ns))
			} else {
				sec := &corev1.Secret{}
				if err := env.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "partial"}, sec); err != nil {
					t.Fatal(err)
				}
				sec.Data["password"] = []byte("late")
				if err := env.client.Update(context.Background(), sec); err != nil {
					t.Fatal(err)
				}
			}
			got = waitJob(t, ns, "waits", "to finish", finished)
			if !strings.Contains(strings.Join(summarize(got).Conditions, " "), "Complete") || s.Logs(ns, "waits") != "ran\n" {
				t.Errorf("%s: once it exists, status %+v and logs %q: want Complete, having run once", c.reason, summarize(got), s.Logs(ns, "waits"))
			}
		})
	}
}

func adminSecretAsObject(ns string) client.Object { return adminSecret(ns) }

// TestImageThatCannotBePulled proves that a Job whose image the stand-in cannot resolve
// stays active and never runs, as a pod whose image cannot be pulled.
func TestImageThatCannotBePulled(t *testing.T) {
	ns := namespace(t)
	s := start(t, ns, func(image string) (string, bool) { return "", image == "postgres:17" })
	create(t, adminSecret(ns), dumpsClaim(ns))
	job := dumpJob(ns, "unpullable", `echo ran`)
	job.Spec.Template.Spec.Containers[0].Image = "registry.example/no-such-image:1"
	create(t, job)

	waitWaiting(t, s, ns, "unpullable", `image "registry.example/no-such-image:1" cannot be pulled`)
	got := waitJob(t, ns, "unpullable", "active", func(j *batchv1.Job) bool { return j.Status.Active == 1 })
	if diff := cmp.Diff(summary{Active: 1, Ready: 0, Started: true}, summarize(got)); diff != "" {
		t.Errorf("status -want +got:\n%s", diff)
	}
	if n, logs := s.Attempts(ns, "unpullable"), s.Logs(ns, "unpullable"); n != 0 || logs != "" {
		t.Errorf("%d attempts, logs %q: want none", n, logs)
	}
}

// TestDeletedJobStopsItsPod proves that deleting a running Job kills its process, and what
// it started, as the pod's deletion would.
func TestDeletedJobStopsItsPod(t *testing.T) {
	ns := namespace(t)
	s := start(t, ns, anyImage)
	create(t, adminSecret(ns), dumpsClaim(ns))
	// The child's pid, once it runs; the shell waits for it.
	create(t, dumpJob(ns, "long", `mkdir -p "$DUMP_DIR"; sleep 600 & echo $! > "$DUMP_DIR/pid"; wait`))
	pidFile := filepath.Join(s.VolumeDir(ns, "db-dumps"), "orders-1a2b", "final", "pid")
	waitJob(t, ns, "long", "ready", func(j *batchv1.Job) bool { return ptr.Deref(j.Status.Ready, 0) == 1 })
	var pid int
	err := harness.WaitFor(context.Background(), timeout, func(context.Context) (bool, error) {
		data, err := os.ReadFile(pidFile)
		_, serr := fmt.Sscan(string(data), &pid)
		return err == nil && serr == nil, nil
	})
	if err != nil {
		t.Fatalf("the Job's child never wrote its pid: %v", err)
	}

	if err := env.client.Delete(context.Background(), &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "long"}}); err != nil {
		t.Fatal(err)
	}
	err = harness.WaitFor(context.Background(), timeout, func(context.Context) (bool, error) {
		// Gone, or a zombie its new parent has not reaped yet.
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return os.IsNotExist(err) || err == nil && strings.Contains(string(stat), ") Z "), nil
	})
	if err != nil {
		t.Errorf("the Job's child %d still runs after the Job was deleted: %v", pid, err)
	}
}

// TestRestart proves what a restart of the stand-in does: a Job that was running is run
// again by the next stand-in, in a new attempt; one that had finished is not.
func TestRestart(t *testing.T) {
	ns := namespace(t)
	if skip != "" {
		t.Skip(skip)
	}
	dir := t.TempDir()
	startOn := func(name string) *jobstandin.StandIn {
		s, err := jobstandin.Start(context.Background(), env.config, jobstandin.Options{Dir: dir, Log: env.log.WithName(name), Images: anyImage})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Stop(); err != nil { // again, for the first: nothing
				t.Errorf("stop the %s stand-in: %v", name, err)
			}
		})
		return s
	}
	t.Cleanup(func() {
		if err := env.client.DeleteAllOf(context.Background(), &batchv1.Job{}, client.InNamespace(ns)); err != nil {
			t.Errorf("delete the Jobs: %v", err)
		}
	})
	first := startOn("first")
	create(t, adminSecret(ns), dumpsClaim(ns))
	create(t, dumpJob(ns, "done", `echo done`))
	waitJob(t, ns, "done", "to finish", finished)
	// The second run of the Job ends at once.
	create(t, dumpJob(ns, "interrupted", `mkdir -p "$DUMP_DIR"; if [ -e "$DUMP_DIR/ran" ]; then echo again; exit 0; fi; touch "$DUMP_DIR/ran"; echo first; exec sleep 600`))
	waitJob(t, ns, "interrupted", "ready", func(j *batchv1.Job) bool { return ptr.Deref(j.Status.Ready, 0) == 1 })
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	next := startOn("second")
	got := waitJob(t, ns, "interrupted", "to finish", finished)
	if diff := cmp.Diff(summary{Succeeded: 1, Ready: 0, Conditions: []string{"SuccessCriteriaMet=CompletionsReached", "Complete=CompletionsReached"}, Started: true, Completed: true}, summarize(got)); diff != "" {
		t.Errorf("the interrupted Job: status -want +got (the interrupted attempt is not counted):\n%s", diff)
	}
	if logs := next.Logs(ns, "interrupted"); logs != "first\nagain\n" {
		t.Errorf("the interrupted Job's logs = %q, want both attempts", logs)
	}
	if n := next.Attempts(ns, "done"); n != 1 {
		t.Errorf("the finished Job ran %d times, want once", n)
	}
}
