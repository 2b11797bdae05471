package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// annotationTouched is what the chaos writer changes on objects and Secrets.
const annotationTouched = "soak.matrixmind.cloud/touched"

// runner carries out the plan and remembers what it did.
type runner struct {
	st  *stack
	cfg Config
	log *progress
	// ns is the fleet's namespace; neighbourNS the second one, whose objects try to
	// restore the fleet's snapshots.
	ns, neighbourNS string
	fleet           []*dbPlan

	mu sync.Mutex
	// live are the objects created and not yet deleted, for the chaos writer.
	live map[string]*dbPlan
	// state is what was done to each object, by name.
	state map[string]*dbState
	// failed lists steps the soak could not carry out.
	failed  []string
	touches int
	// foreignTags are the tags each foreign cloud database was created with, by identifier.
	foreignTags map[string]map[string]string
}

// dbState is what the soak did to one object.
type dbState struct {
	uid     k8stypes.UID
	created bool
	deleted bool
	// rotations holds the last rotation asked for, by rotate annotation key.
	rotations map[string]string
	steps     int
	// snapshot is the snapshot a restoring object was created from.
	snapshot string
}

func (r *runner) stateOf(name string) *dbState {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == nil {
		r.state = map[string]*dbState{}
	}
	s, ok := r.state[name]
	if !ok {
		s = &dbState{rotations: map[string]string{}}
		r.state[name] = s
	}
	return s
}

// nsOf is the namespace p lives in.
func (r *runner) nsOf(p *dbPlan) string {
	if p.neighbour {
		return r.neighbourNS
	}
	return r.ns
}

func (r *runner) id(p *dbPlan) string { return naming.Identifier(r.nsOf(p), p.name) }

// planOf is the fleet object named name.
func (r *runner) planOf(name string) *dbPlan {
	for _, p := range r.fleet {
		if p.name == name {
			return p
		}
	}
	return nil
}

// createForeign puts the foreign cloud databases in the emulator before the operator sees
// the objects whose identifiers they hold.
func (r *runner) createForeign(ctx context.Context) error {
	r.foreignTags = map[string]map[string]string{}
	for _, p := range r.fleet {
		if p.foreign == "" {
			continue
		}
		tags := map[string]string{}
		switch p.foreign {
		case foreignOtherOwner:
			tags = map[string]string{v1.TagOwner: "other-team/billing", NoEngineTag: "true"}
		case foreignLookalike:
			tags = map[string]string{v1.TagOwner: "elsewhere/" + p.name, v1.TagManagedBy: v1.ManagedByValue, NoEngineTag: "true"}
		case foreignUntagged: // and so a real server
		}
		in := &awsrds.CreateDBInstanceInput{
			DBInstanceIdentifier: aws.String(r.id(p)), Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t4g.micro"),
			AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("someone"), MasterUserPassword: aws.String("Someone-Else-1"),
		}
		for k, v := range tags {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		if _, err := r.st.rds.CreateDBInstance(ctx, in); err != nil {
			return fmt.Errorf("create foreign cloud database %s: %w", r.id(p), err)
		}
		r.foreignTags[r.id(p)] = tags
		r.log.logf("foreign cloud database %s (%s) holds the identifier of %s/%s", r.id(p), p.foreign, r.ns, p.name)
	}
	return nil
}

// runActions carries out every object's steps at their moments, each object in order.
func (r *runner) runActions(ctx context.Context) error {
	start := time.Now()
	var wg sync.WaitGroup
	for _, p := range r.fleet {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, s := range p.steps {
				select {
				case <-ctx.Done():
					r.fail(p, s, errors.New("the faults phase ended first"))
					return
				case <-time.After(time.Until(start.Add(s.at))):
				}
				if err := r.apply(ctx, p, s); err != nil {
					r.fail(p, s, err)
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

func (r *runner) fail(p *dbPlan, s step, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, fmt.Sprintf("%s: %s: %v", p.name, s.what, err))
}

// apply carries out one step as a user would, retrying when someone wrote in between.
func (r *runner) apply(ctx context.Context, p *dbPlan, s step) error {
	st := r.stateOf(p.name)
	c := r.st.client
	key := client.ObjectKey{Namespace: r.nsOf(p), Name: p.name}
	switch s.what {
	case stepCreate:
		db := r.newObject(p)
		if p.restoreFrom != "" {
			// The snapshot is named as the operator names it, from the source's UID: it
			// may not be taken yet, and the operator must wait for it.
			src, srcState := r.planOf(p.restoreFrom), r.stateOf(p.restoreFrom)
			r.mu.Lock()
			uid := srcState.uid
			r.mu.Unlock()
			if uid == "" {
				return fmt.Errorf("%s, whose final snapshot it restores, was never created", src.name)
			}
			db.Spec.RestoreFrom = &v1.RestoreFrom{Snapshot: naming.FinalSnapshotIdentifier(r.id(src), string(uid))}
			// Storage never shrinks: ask for what the source grew to.
			db.Spec.Size = fmt.Sprintf("%dGB", 20+10*src.count(stepGrow))
		}
		if err := c.Create(ctx, db); err != nil {
			return err
		}
		r.mu.Lock()
		if db.Spec.RestoreFrom != nil {
			st.snapshot = db.Spec.RestoreFrom.Snapshot
		}
		st.created, st.uid = true, db.UID
		if r.live == nil {
			r.live = map[string]*dbPlan{}
		}
		r.live[p.name] = p
		r.mu.Unlock()
		return nil
	case stepDelete:
		r.mu.Lock()
		delete(r.live, p.name)
		st.deleted = true
		r.mu.Unlock()
		return client.IgnoreNotFound(c.Delete(ctx, &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: r.nsOf(p), Name: p.name}}))
	}
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		db := &v1.RDSDatabase{}
		if err := c.Get(ctx, key, db); err != nil {
			return err
		}
		r.mu.Lock()
		st.steps++
		n := st.steps
		r.mu.Unlock()
		rotate := func(key string) {
			if db.Annotations == nil {
				db.Annotations = map[string]string{}
			}
			value := fmt.Sprintf("soak-%d", n)
			db.Annotations[v1.AnnotationRotatePrefix+key] = value
			r.mu.Lock()
			st.rotations[key] = value
			r.mu.Unlock()
		}
		spec := &db.Spec
		switch s.what {
		case stepGrow:
			gb, _ := strconv.Atoi(strings.TrimSuffix(spec.Size, "GB"))
			spec.Size = fmt.Sprintf("%dGB", gb+10)
		case stepClass:
			spec.InstanceClass = "db.t4g.small"
		case stepRetention:
			spec.Backup.Retention = "3d"
		case stepTag:
			if spec.Tags == nil {
				spec.Tags = map[string]string{}
			}
			spec.Tags["team"] = fmt.Sprintf("team-%d", n)
		case stepAddUser:
			spec.Users["extra"] = v1.UserRoles{}
			spec.Databases["data"] = append(spec.Databases["data"], "extra")
		case stepRemoveUser:
			delete(spec.Users, "reporting")
			var keep v1.DatabaseUsers
			for _, u := range spec.Databases["data"] {
				if u != "reporting" {
					keep = append(keep, u)
				}
			}
			spec.Databases["data"] = keep
		case stepRotateUser:
			rotate("app")
		case stepRotateMaster:
			rotate(v1.RotateMaster)
		default:
			return fmt.Errorf("unknown step %q", s.what)
		}
		return c.Update(ctx, db)
	})
}

// newObject is the object of p as a user applies it.
func (r *runner) newObject(p *dbPlan) *v1.RDSDatabase {
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: r.nsOf(p), Name: p.name}}
	db.Spec.Size = "20GB"
	db.Spec.DeletionPolicy = p.policy
	if p.engine {
		db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "reporting": {}}
		db.Spec.Databases = map[string]v1.DatabaseUsers{"data": {"app", "reporting"}}
	} else {
		db.Spec.Tags = map[string]string{NoEngineTag: "true"}
	}
	return db
}

// chaos keeps touching live objects and their Secrets (an annotation, with a merge patch
// that never conflicts itself), so that the operator's writes from what it read before
// meet genuine conflicts.
func (r *runner) chaos(ctx context.Context, rng *rand.Rand) {
	if r.cfg.TouchEvery <= 0 {
		return
	}
	t := time.NewTicker(r.cfg.TouchEvery)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		var live []*dbPlan
		for _, p := range r.live {
			live = append(live, p)
		}
		r.mu.Unlock()
		if len(live) == 0 {
			continue
		}
		p := live[rng.IntN(len(live))]
		name, ns := p.name, r.nsOf(p)
		var obj client.Object = &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		switch rng.IntN(3) {
		case 1:
			obj = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: naming.MasterSecretName(name)}}
		case 2:
			obj = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: naming.UserSecretName(name, "app")}}
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"%d"}}}`, annotationTouched, n)
		err := r.st.client.Patch(ctx, obj, client.RawPatch(k8stypes.MergePatchType, []byte(patch)))
		if err == nil {
			r.mu.Lock()
			r.touches++
			r.mu.Unlock()
		}
	}
}

// kills kills the operator with SIGKILL cfg.Kills times at random moments of the phase (half
// of them just after a step) and starts it again after a random pause.
func (r *runner) kills(ctx context.Context, rng *rand.Rand) {
	start := time.Now()
	var steps []time.Duration
	for _, p := range r.fleet {
		for _, s := range p.steps {
			steps = append(steps, s.at)
		}
	}
	moments := make([]time.Duration, r.cfg.Kills)
	for i := range moments {
		if i%2 == 0 || len(steps) == 0 {
			moments[i] = time.Duration((0.03 + rng.Float64()*0.92) * float64(r.cfg.Duration))
			continue
		}
		// Every other kill lands just after a step, when the operator is busiest with
		// what the step asked for: mid-write, mid-call.
		moments[i] = steps[rng.IntN(len(steps))] + time.Duration(rng.Float64()*1.5*float64(time.Second))
	}
	sortDurations(moments)
	for _, m := range moments {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(m))):
		}
		r.st.operator.kill()
		pause := time.Duration(rng.Float64() * 1.5 * float64(time.Second))
		r.log.logf("SIGKILLed the operator; starting it again in %s", pause.Round(time.Millisecond))
		time.Sleep(pause)
		if err := r.st.operator.start(); err != nil {
			r.log.logf("start the operator again: %v", err)
		}
	}
}

func sortDurations(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

// waitConverged waits until every object is where its plan leads (see settled), or the
// timeout passes; it reports whether all settled.
func (r *runner) waitConverged(ctx context.Context, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	lastReport := time.Now()
	for {
		unsettled := r.unsettled(ctx)
		if len(unsettled) == 0 {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		if time.Since(lastReport) > 15*time.Second {
			lastReport = time.Now()
			r.log.logf("%d objects not settled yet, e.g. %s", len(unsettled), unsettled[0])
		}
		time.Sleep(2 * time.Second)
	}
}

// unsettled lists the objects not (yet) where their plan leads: deleted ones gone; a
// foreign one refused with OwnedByOther; one restoring another namespace's snapshot refused
// with RestoreNotAllowed; an engine-backed one Ready with every rotation carried out; a
// no-engine one Provisioned (it has no server for users to be made in).
// Each condition must be for the object's current generation.
func (r *runner) unsettled(ctx context.Context) []string {
	var out []string
	for _, p := range r.fleet {
		st := r.stateOf(p.name)
		if !st.created {
			out = append(out, p.name+": never created")
			continue
		}
		db := &v1.RDSDatabase{}
		err := r.st.client.Get(ctx, client.ObjectKey{Namespace: r.nsOf(p), Name: p.name}, db)
		switch {
		case apierrors.IsNotFound(err) && st.deleted:
			continue
		case apierrors.IsNotFound(err):
			out = append(out, p.name+": gone without being deleted")
			continue
		case err != nil:
			out = append(out, fmt.Sprintf("%s: %v", p.name, err))
			continue
		case st.deleted:
			out = append(out, fmt.Sprintf("%s: still there after its deletion (phase %s)", p.name, db.Status.Phase))
			continue
		}
		if why := r.notSettled(ctx, p, st, db); why != "" {
			out = append(out, p.name+": "+why)
		}
	}
	return out
}

func (r *runner) notSettled(ctx context.Context, p *dbPlan, st *dbState, db *v1.RDSDatabase) string {
	condition := func(t string) string {
		c := meta.FindStatusCondition(db.Status.Conditions, t)
		if c == nil {
			return t + " not set"
		}
		return fmt.Sprintf("%s %s/%s for generation %d of %d: %s", t, c.Status, c.Reason, c.ObservedGeneration, db.Generation, c.Message)
	}
	is := func(t string, status metav1.ConditionStatus, reason string) bool {
		c := meta.FindStatusCondition(db.Status.Conditions, t)
		return c != nil && c.Status == status && c.ObservedGeneration == db.Generation && (reason == "" || c.Reason == reason)
	}
	switch {
	case p.foreign != "":
		if !is(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonOwnedByOther) {
			return condition(v1.ConditionProvisioned)
		}
	case p.neighbour:
		if !is(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonRestoreNotAllowed) {
			return condition(v1.ConditionProvisioned)
		}
	case !p.engine:
		if !is(v1.ConditionProvisioned, metav1.ConditionTrue, "") {
			return condition(v1.ConditionProvisioned)
		}
	default:
		if !is(v1.ConditionReady, metav1.ConditionTrue, "") {
			return condition(v1.ConditionReady)
		}
		r.mu.Lock()
		rotations := make(map[string]string, len(st.rotations))
		for k, v := range st.rotations {
			rotations[k] = v
		}
		r.mu.Unlock()
		for key, want := range rotations {
			name := naming.MasterSecretName(p.name)
			if key != v1.RotateMaster {
				name = naming.UserSecretName(p.name, key)
			}
			sec := &corev1.Secret{}
			if err := r.st.client.Get(ctx, client.ObjectKey{Namespace: r.nsOf(p), Name: name}, sec); err != nil {
				return err.Error()
			}
			if got := sec.Annotations[v1.AnnotationRotated]; got != want || sec.Annotations[v1.AnnotationRotationPending] != "" {
				return fmt.Sprintf("rotation %s of %s not carried out (rotated %q, pending %q)", want, name, got, sec.Annotations[v1.AnnotationRotationPending])
			}
		}
	}
	return ""
}
