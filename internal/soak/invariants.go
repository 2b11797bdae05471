package soak

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/postgres"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/storagesize"
)

// Figure is one number of the report. An invariant has Want set: the number it must be.
type Figure struct {
	Name  string
	Value int
	// Want is the value an invariant must have; nil for a figure that only informs.
	Want *int
}

// Report is what a soak found.
type Report struct {
	Seed       uint64
	Invariants []Figure
	Faults     []Figure
	// Violations says what broke each invariant, one line each.
	Violations []string
	Duration   time.Duration
}

// Err returns the violations as one error, nil when there are none.
func (r *Report) Err() error {
	if len(r.Violations) == 0 {
		return nil
	}
	return fmt.Errorf("%d invariant violations:\n  %s", len(r.Violations), strings.Join(r.Violations, "\n  "))
}

// Print writes the figures as a table, then the violations.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\nsoak figures (seed %d, %s)\n", r.Seed, r.Duration.Round(time.Second))
	table := func(title string, figs []Figure) {
		fmt.Fprintf(w, "  %s\n", title)
		for _, f := range figs {
			mark := ""
			if f.Want != nil {
				mark = "ok"
				if f.Value != *f.Want {
					mark = fmt.Sprintf("VIOLATED (want %d)", *f.Want)
				}
			}
			fmt.Fprintf(w, "    %-62s %7d  %s\n", f.Name, f.Value, mark)
		}
	}
	table("invariants", r.Invariants)
	table("faults injected", r.Faults)
	if len(r.Violations) == 0 {
		fmt.Fprintf(w, "  no violations\n")
		return
	}
	fmt.Fprintf(w, "  violations:\n")
	for _, v := range r.Violations {
		fmt.Fprintf(w, "    - %s\n", v)
	}
}

func zero() *int { z := 0; return &z }

// observed is the real state the invariants are computed from.
type observed struct {
	// ns is the fleet's namespace, neighbourNS the one its neighbour objects live in.
	ns, neighbourNS string
	fleet           []*dbPlan
	// state is what the soak did to each object, by name.
	state map[string]dbState
	// instances are the emulator's instances by identifier; snapshots its manual snapshots
	// by the identifier of the instance they are of.
	instances map[string]types.DBInstance
	snapshots map[string][]string
	// snapshotOf is, by snapshot identifier, what the emulator says of each manual snapshot.
	snapshotOf map[string]cloudSnapshot
	// restoreRefused names the restoring objects whose Provisioned condition says
	// RestoreNotAllowed.
	restoreRefused map[string]bool
	// calls are the operator's RDS calls.
	calls []Call
	// foreignTags are the tags each foreign cloud database was created with.
	foreignTags map[string]map[string]string
	unsettled   []string
	// logins are the results of logging in with each Secret of the live engine-backed objects.
	logins []loginResult
	// drift says, by object name, how a live object's cloud database differs from its spec.
	drift map[string]string
	// crashes are operator runs that ended unasked; failed the steps the soak could not take.
	crashes, failed []string
}

// cloudSnapshot is a snapshot as the emulator has it.
type cloudSnapshot struct {
	// instance is the identifier of the instance it is of; owner its owner tag.
	instance, owner string
}

func (o observed) nsOf(p *dbPlan) string {
	if p.neighbour {
		return o.neighbourNS
	}
	return o.ns
}

// loginResult is one Secret's login.
type loginResult struct {
	secret string
	err    error
	// unfinished is set when the Secret still holds a rotation in progress.
	unfinished bool
}

// check gathers the real state (the apiserver's objects and Secrets, the emulator's instances
// and snapshots, logins to the databases, the operator's calls) and computes the report.
func (r *runner) check(ctx context.Context) (*Report, error) {
	o := observed{ns: r.ns, neighbourNS: r.neighbourNS, fleet: r.fleet, state: map[string]dbState{}, foreignTags: r.foreignTags,
		drift: map[string]string{}, restoreRefused: map[string]bool{}}
	var err error
	if o.instances, err = r.cloudInstances(ctx); err != nil {
		return nil, err
	}
	if o.snapshotOf, err = r.manualSnapshots(ctx); err != nil {
		return nil, err
	}
	o.snapshots = byInstance(o.snapshotOf)
	o.calls = r.st.calls.Calls()
	o.unsettled = r.unsettled(ctx)
	for _, p := range r.fleet {
		st := r.stateOf(p.name)
		r.mu.Lock()
		o.state[p.name] = *st
		r.mu.Unlock()
		if !st.created || st.deleted || p.foreign != "" {
			continue
		}
		if p.restoreFrom != "" {
			refused, err := r.restoreRefused(ctx, p)
			if err != nil {
				return nil, err
			}
			o.restoreRefused[p.name] = refused
		}
		if in, ok := o.instances[r.id(p)]; ok {
			if why := r.differsFromSpec(ctx, p, in); why != "" {
				o.drift[p.name] = why
			}
		}
		if p.engine {
			o.logins = append(o.logins, r.logins(ctx, p)...)
		}
	}
	runs, kills, crashes := r.st.operator.counts()
	o.crashes = crashes
	r.mu.Lock()
	o.failed = append([]string(nil), r.failed...)
	touches := r.touches
	r.mu.Unlock()

	rep := evaluate(o)
	rep.Seed = r.cfg.Seed
	stats := r.st.emulator.Stats()
	fig := func(name string, v int) { rep.Faults = append(rep.Faults, Figure{Name: name, Value: v}) }
	fig("operator runs", runs)
	fig("operator SIGKILLs", kills)
	fig("RDS API calls by the operator", len(o.calls))
	fig("emulator Throttling answers", stats.Errors["Throttling"])
	fig("emulator InternalFailure (500) answers", stats.Errors["InternalFailure"])
	fig("emulator latency added to each call during faults (ms)", int(r.cfg.Faults.Latency/time.Millisecond))
	fig("apiserver 409 Conflict made up by the proxy", int(r.st.proxy.conflicts.Load()))
	fig("apiserver 409 Conflict sent by the apiserver itself", int(r.st.proxy.genuine.Load()))
	fig("optimistic writes by the operator", int(r.st.proxy.writes.Load()))
	fig("chaos writes to objects and Secrets", touches)
	return rep, nil
}

// restoreRefused tells whether the Provisioned condition of p says RestoreNotAllowed.
func (r *runner) restoreRefused(ctx context.Context, p *dbPlan) (bool, error) {
	db := &v1.RDSDatabase{}
	if err := r.st.client.Get(ctx, client.ObjectKey{Namespace: r.nsOf(p), Name: p.name}, db); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned)
	return c != nil && c.Status == metav1.ConditionFalse && c.Reason == v1.ReasonRestoreNotAllowed, nil
}

// logins logs in with every Secret of a live engine-backed object: the master's and each
// user's in the spec.
func (r *runner) logins(ctx context.Context, p *dbPlan) []loginResult {
	db := &v1.RDSDatabase{}
	if err := r.st.client.Get(ctx, client.ObjectKey{Namespace: r.nsOf(p), Name: p.name}, db); err != nil {
		return []loginResult{{secret: naming.MasterSecretName(p.name), err: fmt.Errorf("read the object: %w", err)}}
	}
	var out []loginResult
	for _, user := range append([]string{db.Spec.MasterUser}, slices.Sorted(maps.Keys(db.Spec.Users))...) {
		name := naming.UserSecretName(p.name, user)
		if user == db.Spec.MasterUser {
			name = naming.MasterSecretName(p.name)
		}
		res := loginResult{secret: name}
		sec := &corev1.Secret{}
		if err := r.st.client.Get(ctx, client.ObjectKey{Namespace: r.nsOf(p), Name: name}, sec); err != nil {
			res.err = err
		} else {
			res.err = login(ctx, sec)
			_, previous := sec.Data["password-previous"]
			res.unfinished = previous || sec.Annotations[v1.AnnotationRotationPending] != ""
		}
		out = append(out, res)
	}
	return out
}

// evaluate computes the invariants from what was observed.
func evaluate(o observed) *Report {
	rep := &Report{}
	violate := func(format string, args ...any) {
		rep.Violations = append(rep.Violations, fmt.Sprintf(format, args...))
	}
	inv := func(name string, value int) {
		rep.Invariants = append(rep.Invariants, Figure{Name: name, Value: value, Want: zero()})
	}
	info := func(name string, value int) {
		rep.Invariants = append(rep.Invariants, Figure{Name: name, Value: value})
	}
	id := func(p *dbPlan) string { return naming.Identifier(o.nsOf(p), p.name) }
	creates := map[string]int{}
	for _, c := range o.calls {
		if c.Action == "CreateDBInstance" && c.Code == "" {
			creates[c.ID]++
		}
	}

	// Every object converged.
	for _, u := range o.unsettled {
		violate("not converged: %s", u)
	}
	info("objects in the fleet", len(o.fleet))
	inv("objects not converged (Ready / Provisioned / OwnedByOther / gone)", len(o.unsettled))

	// Every password in every Secret logs in.
	lost, unfinished := 0, 0
	for _, l := range o.logins {
		if l.err != nil {
			lost++
			violate("password lost: Secret %s does not log in: %v", l.secret, l.err)
		}
		if l.unfinished {
			unfinished++
			violate("Secret %s still holds an unfinished rotation", l.secret)
		}
	}
	info("passwords checked by logging in (engine-backed objects)", len(o.logins))
	inv("passwords lost (Secret does not log in)", lost)
	inv("Secrets left with an unfinished rotation", unfinished)

	// Final snapshots: exactly one for each object deleted with Snapshot whose cloud
	// database was created, none otherwise.
	deletedSnapshot, missing, doubled, unexpected := 0, 0, 0, 0
	byOwner := map[string]*dbPlan{}
	for _, p := range o.fleet {
		byOwner[naming.Owner(o.nsOf(p), p.name)] = p
		if p.foreign != "" || !o.state[p.name].deleted {
			continue
		}
		want := 0
		if p.policy == v1.DeletionSnapshot {
			deletedSnapshot++
			if creates[id(p)] > 0 {
				want = 1
			}
		}
		got := len(o.snapshots[id(p)])
		switch {
		case got < want:
			missing++
			violate("%s (%s) was deleted with deletionPolicy Snapshot but has no final snapshot", p.name, id(p))
		case got > want && p.policy == v1.DeletionSnapshot && want == 1:
			doubled++
			violate("%s (%s) has %d final snapshots: %v", p.name, id(p), got, o.snapshots[id(p)])
		case got > want:
			unexpected++
			violate("%s (%s) was deleted with deletionPolicy %s but has snapshots %v", p.name, id(p), p.policy, o.snapshots[id(p)])
		}
	}
	info("objects deleted with deletionPolicy Snapshot", deletedSnapshot)
	inv("final snapshots missing", missing)
	inv("final snapshots doubled", doubled)
	inv("snapshots not asked for (Delete, Retain, or never created)", unexpected)

	// Leaks: every cloud database but the foreign ones belongs to a live object, or to a
	// deleted one that asked to retain it.
	retained, leaks, drift := 0, 0, 0
	for _, iid := range slices.Sorted(maps.Keys(o.instances)) {
		if _, foreign := o.foreignTags[iid]; foreign {
			continue
		}
		in := o.instances[iid]
		owner := tagValue(in.TagList, v1.TagOwner)
		p := byOwner[owner]
		switch {
		case p == nil:
			leaks++
			violate("leak: cloud database %s has owner tag %q, which names no object", iid, owner)
		case id(p) != iid:
			leaks++
			violate("leak: cloud database %s is tagged for %s, whose identifier is %s", iid, owner, id(p))
		case o.state[p.name].deleted && p.policy == v1.DeletionRetain:
			retained++
		case o.state[p.name].deleted:
			leaks++
			violate("leak: cloud database %s (%s) outlived its object, deleted with deletionPolicy %s", iid, aws.ToString(in.DBInstanceStatus), p.policy)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(o.drift)) {
		drift++
		violate("%s: the cloud database differs from the spec: %s", name, o.drift[name])
	}
	info("cloud databases retained as deletionPolicy Retain asks", retained)
	inv("cloud databases without an owning object (leaks)", leaks)
	doubles := 0
	for _, cid := range slices.Sorted(maps.Keys(creates)) {
		if creates[cid] > 1 {
			doubles++
			violate("cloud database %s was created %d times", cid, creates[cid])
		}
	}
	info("cloud databases created (CreateDBInstance that went through)", len(creates))
	inv("cloud databases created twice for one object", doubles)
	inv("live cloud databases differing from their spec", drift)

	// Foreign cloud databases: never modified, tagged, snapshotted or deleted.
	touched, changed := 0, 0
	for _, c := range o.calls {
		if _, foreign := o.foreignTags[c.ID]; foreign && !readOnly[c.Action] {
			touched++
			violate("the operator called %s on foreign cloud database %s (answer %q)", c.Action, c.ID, c.Code)
		}
	}
	for _, fid := range slices.Sorted(maps.Keys(o.foreignTags)) {
		want := o.foreignTags[fid]
		in, ok := o.instances[fid]
		if !ok {
			changed++
			violate("foreign cloud database %s is gone", fid)
			continue
		}
		got := map[string]string{}
		for _, t := range in.TagList {
			got[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if !maps.Equal(got, want) || aws.ToString(in.DBInstanceStatus) != "available" || len(o.snapshots[fid]) > 0 {
			changed++
			violate("foreign cloud database %s changed: status %s, tags %v (created with %v), snapshots %v",
				fid, aws.ToString(in.DBInstanceStatus), got, want, o.snapshots[fid])
		}
	}
	info("foreign cloud databases (same identifier, another owner or none)", len(o.foreignTags))
	inv("calls that touched a foreign cloud database", touched)
	inv("foreign cloud databases changed or gone", changed)

	// Restores: only of snapshots taken for an object of the same namespace.
	figs, violations := restoreFigures(o)
	rep.Invariants = append(rep.Invariants, figs...)
	rep.Violations = append(rep.Violations, violations...)

	for _, c := range o.crashes {
		violate("the operator exited without being killed: %s", c)
	}
	inv("operator exits the soak did not cause", len(o.crashes))
	for _, f := range o.failed {
		violate("step not carried out: %s", f)
	}
	inv("planned steps the soak could not carry out", len(o.failed))
	return rep
}

// readOnly are the actions that change nothing.
var readOnly = map[string]bool{"DescribeDBInstances": true, "DescribeDBSnapshots": true, "ListTagsForResource": true}

// login logs in with what a Secret holds, as an application would.
func login(ctx context.Context, sec *corev1.Secret) error {
	port, err := strconv.Atoi(string(sec.Data["port"]))
	if err != nil {
		return fmt.Errorf("port %q: %w", sec.Data["port"], err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ep := engine.Endpoint{Engine: "postgres", Host: string(sec.Data["host"]), Port: int32(port),
		User: string(sec.Data["username"]), Password: string(sec.Data["password"])}
	return postgres.Connector{}.Verify(ctx, ep, string(sec.Data["dbname"]))
}

// differsFromSpec compares a live object's cloud database with its spec.
func (r *runner) differsFromSpec(ctx context.Context, p *dbPlan, in types.DBInstance) string {
	db := &v1.RDSDatabase{}
	if err := r.st.client.Get(ctx, client.ObjectKey{Namespace: r.nsOf(p), Name: p.name}, db); err != nil {
		if apierrors.IsNotFound(err) {
			return "the object is gone"
		}
		return err.Error()
	}
	var diffs []string
	requested, err := storagesize.Parse(db.Spec.Size)
	if err != nil {
		return err.Error()
	}
	storageType := db.Spec.StorageType
	if storageType == "" {
		storageType = "gp3"
	}
	if want, _ := storagesize.Effective(requested, storageType); aws.ToInt32(in.AllocatedStorage) != want {
		diffs = append(diffs, fmt.Sprintf("storage %d GiB, spec %d GiB", aws.ToInt32(in.AllocatedStorage), want))
	}
	class := db.Spec.InstanceClass
	if class == "" {
		class = "db.t4g.micro"
	}
	if got := aws.ToString(in.DBInstanceClass); got != class {
		diffs = append(diffs, fmt.Sprintf("class %s, spec %s", got, class))
	}
	if days := strings.TrimSuffix(db.Spec.Backup.Retention, "d"); fmt.Sprint(aws.ToInt32(in.BackupRetentionPeriod)) != days {
		diffs = append(diffs, fmt.Sprintf("backup retention %d days, spec %s", aws.ToInt32(in.BackupRetentionPeriod), db.Spec.Backup.Retention))
	}
	for k, v := range db.Spec.Tags {
		if got := tagValue(in.TagList, k); got != v {
			diffs = append(diffs, fmt.Sprintf("tag %s=%q, spec %q", k, got, v))
		}
	}
	return strings.Join(diffs, "; ")
}

func tagValue(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// cloudInstances lists every instance in the emulator, by identifier.
func (r *runner) cloudInstances(ctx context.Context) (map[string]types.DBInstance, error) {
	out := map[string]types.DBInstance{}
	p := awsrds.NewDescribeDBInstancesPaginator(r.st.rds, &awsrds.DescribeDBInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list cloud databases: %w", err)
		}
		for _, in := range page.DBInstances {
			out[aws.ToString(in.DBInstanceIdentifier)] = in
		}
	}
	return out, nil
}

// manualSnapshots lists the manual snapshots in the emulator by their identifier.
func (r *runner) manualSnapshots(ctx context.Context) (map[string]cloudSnapshot, error) {
	out := map[string]cloudSnapshot{}
	p := awsrds.NewDescribeDBSnapshotsPaginator(r.st.rds, &awsrds.DescribeDBSnapshotsInput{SnapshotType: aws.String("manual")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list snapshots: %w", err)
		}
		for _, s := range page.DBSnapshots {
			out[aws.ToString(s.DBSnapshotIdentifier)] = cloudSnapshot{instance: aws.ToString(s.DBInstanceIdentifier), owner: tagValue(s.TagList, v1.TagOwner)}
		}
	}
	return out, nil
}

// byInstance lists snapshot identifiers by the instance they are of.
func byInstance(snapshots map[string]cloudSnapshot) map[string][]string {
	out := map[string][]string{}
	for _, id := range slices.Sorted(maps.Keys(snapshots)) {
		in := snapshots[id].instance
		out[in] = append(out[in], id)
	}
	return out
}
