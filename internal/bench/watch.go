package bench

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// objectTimes is when the benchmark's watch first saw each milestone of one object.
type objectTimes struct {
	// secretSeen holds the first sighting of each of its Secrets.
	secretSeen map[string]time.Time
	// secrets is when the last of its Secrets appeared.
	secrets     time.Time
	provisioned time.Time
	ready       time.Time
	// snapshot is the latest snapshot the schedule took, and exported when the benchmark
	// first found its exports complete in the bucket.
	snapshot string
	exported time.Time
	// reported is whether the object's status shows its newest export complete, as the
	// operator last wrote it: the bucket holds the files a refresh of the operator's view
	// before the status says so.
	reported bool
	gone     time.Time
}

// watch follows the benchmark's RDSDatabases and Secrets through informers, as a user
// watching with kubectl would, and records when each milestone was first seen.
type watch struct {
	secretsPerObject int
	cancel           context.CancelFunc

	mu      sync.Mutex
	objects map[string]*objectTimes
	// restorableOnly counts the updates of an RDSDatabase that changed nothing but
	// status.backup.latestRestorableTime: the cloud moving it, followed.
	restorableOnly atomic.Int64
}

func startWatch(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, secretsPerObject int) (*watch, error) {
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{Namespace: {}}})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &watch{secretsPerObject: secretsPerObject, cancel: cancel, objects: map[string]*objectTimes{}}
	secrets, err := c.GetInformer(ctx, &corev1.Secret{})
	if err != nil {
		cancel()
		return nil, err
	}
	if _, err := secrets.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    w.secret,
		UpdateFunc: func(_, o any) { w.secret(o) },
	}); err != nil {
		cancel()
		return nil, err
	}
	dbs, err := c.GetInformer(ctx, &v1.RDSDatabase{})
	if err != nil {
		cancel()
		return nil, err
	}
	if _, err := dbs.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: w.database,
		UpdateFunc: func(old, o any) {
			w.countRestorableOnly(old, o)
			w.database(o)
		},
		DeleteFunc: w.deleted,
	}); err != nil {
		cancel()
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		cancel()
		return nil, ctx.Err()
	}
	return w, nil
}

func (w *watch) stop() { w.cancel() }

// countRestorableOnly counts an update that moved status.backup.latestRestorableTime and
// changed nothing else.
func (w *watch) countRestorableOnly(oldObj, newObj any) {
	old, ok1 := oldObj.(*v1.RDSDatabase)
	now, ok2 := newObj.(*v1.RDSDatabase)
	if !ok1 || !ok2 || old.Status.Backup == nil || now.Status.Backup == nil ||
		old.Status.Backup.LatestRestorableTime.Equal(now.Status.Backup.LatestRestorableTime) {
		return
	}
	a, b := old.DeepCopy(), now.DeepCopy()
	a.Status.Backup.LatestRestorableTime, b.Status.Backup.LatestRestorableTime = nil, nil
	a.ResourceVersion, b.ResourceVersion = "", ""
	a.ManagedFields, b.ManagedFields = nil, nil
	if equality.Semantic.DeepEqual(a, b) {
		w.restorableOnly.Add(1)
	}
}

// at returns the record of name; call it with mu held.
func (w *watch) at(name string) *objectTimes {
	o, ok := w.objects[name]
	if !ok {
		o = &objectTimes{secretSeen: map[string]time.Time{}}
		w.objects[name] = o
	}
	return o
}

func (w *watch) secret(obj any) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return
	}
	owner := s.Labels[v1.LabelDatabase]
	if owner == "" {
		return
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	o := w.at(owner)
	if _, seen := o.secretSeen[s.Name]; !seen {
		o.secretSeen[s.Name] = now
		if len(o.secretSeen) == w.secretsPerObject {
			o.secrets = now
		}
	}
}

func (w *watch) database(obj any) {
	db, ok := obj.(*v1.RDSDatabase)
	if !ok {
		return
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	o := w.at(db.Name)
	if o.provisioned.IsZero() && meta.IsStatusConditionTrue(db.Status.Conditions, v1.ConditionProvisioned) {
		o.provisioned = now
	}
	if o.ready.IsZero() && meta.IsStatusConditionTrue(db.Status.Conditions, v1.ConditionReady) {
		o.ready = now
	}
	if st := db.Status.Backup; st != nil {
		o.snapshot = st.LatestSnapshot
		o.reported = st.LastExport != nil && st.LastExport.Status == "COMPLETE"
	}
}

func (w *watch) deleted(obj any) {
	if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	db, ok := obj.(*v1.RDSDatabase)
	if !ok {
		return
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if o := w.at(db.Name); o.gone.IsZero() {
		o.gone = now
	}
}

// exported marks, at now, the objects whose exports are all complete among done (complete
// export tasks by identifier): its latest scheduled snapshot's, and exportsPerObject in all.
// Status shows only the newest export, and the two may start in the same pass.
func (w *watch) exported(done map[string]bool, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, o := range w.objects {
		id := naming.Identifier(Namespace, name)
		if o.snapshot == "" || !o.exported.IsZero() || !done[naming.ExportIdentifier(id, o.snapshot)] {
			continue
		}
		n := 0
		for task := range done {
			if strings.HasPrefix(task, naming.ExportPrefix(id)) {
				n++
			}
		}
		if n >= exportsPerObject {
			o.exported = now
		}
	}
}

// count returns how many objects satisfy f.
func (w *watch) count(f func(*objectTimes) bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, o := range w.objects {
		if f(o) {
			n++
		}
	}
	return n
}

// get returns a copy of name's record.
func (w *watch) get(name string) objectTimes {
	w.mu.Lock()
	defer w.mu.Unlock()
	return *w.at(name)
}
