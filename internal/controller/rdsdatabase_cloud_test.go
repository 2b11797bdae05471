package controller

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
)

// phaseDB is an object whose spec matches phaseInstance: a pass over the two changes nothing.
func phaseDB() *v1.RDSDatabase {
	return &v1.RDSDatabase{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "orders", UID: "u1", Generation: 1},
		Spec: v1.RDSDatabaseSpec{Version: "17", Size: "20GB", MasterUser: "sysadmin",
			Backup: v1.Backup{Every: "24h", Retention: "7d"}, DeletionPolicy: v1.DeletionSnapshot},
	}
}

// phaseInstance is the cloud database of phaseDB as the cloud reports it, in phase.
func phaseInstance(r *RDSDatabaseReconciler, db *v1.RDSDatabase, phase cloud.Phase) cloud.Instance {
	return cloud.Instance{Identifier: newScope(db).identifier, ARN: "arn:db", Status: "some-word", Phase: phase,
		Engine: "postgres", EngineVersion: "17.4", InstanceClass: "db.t4g.micro", StorageType: "gp3", AllocatedStorageGiB: 20,
		BackupRetentionDays: 7, MasterUser: "sysadmin", StorageEncrypted: true, Endpoint: "db.example", Port: 5432,
		Tags: cloudTags(placed(r, db)), TagsCopiedToSnapshots: true}
}

// placed is newScope(db) placed, in an earlier pass, as reconcilePlacement places an object
// on no DatabaseClass: on r's own cloud, with r's defaults.
func placed(r *RDSDatabaseReconciler, db *v1.RDSDatabase) *scope {
	db.Status.Provider = v1.ProviderAWS
	s := newScope(db)
	s.cloud, s.defaults, s.engineCA = r.Cloud, r.Defaults, r.EngineCA
	return s
}

// calls counts the changing calls a fake received.
type calls struct {
	creates   int
	completes int
	updates   []cloud.Changes
	deletes   []cloud.DeleteOptions
}

// fakeWith returns a provider observing obs (or failing with err) and recording changes.
func fakeWith(c *calls, obs cloud.Observation, err error, deleteErr error) *cloudtest.Provider {
	return &cloudtest.Provider{
		ObserveFn:  func(context.Context, string) (cloud.Observation, error) { return obs, err },
		CreateFn:   func(context.Context, cloud.Desired) error { c.creates++; return nil },
		CompleteFn: func(context.Context, cloud.Desired) error { c.completes++; return nil },
		UpdateFn: func(_ context.Context, _ string, ch cloud.Changes, _ cloud.UpdateOptions) error {
			c.updates = append(c.updates, ch)
			return nil
		},
		DeleteFn: func(_ context.Context, _ string, o cloud.DeleteOptions) error {
			c.deletes = append(c.deletes, o)
			return deleteErr
		},
		// The fake cloud's rules: a different class, or more storage, is a change.
		PlanFn: func(d cloud.Desired, in cloud.Instance, _ bool) cloud.Plan {
			var p cloud.Plan
			if d.InstanceClass != in.InstanceClass {
				p.Changes.InstanceClass = &d.InstanceClass
				p.Described = append(p.Described, "instance class to "+d.InstanceClass)
			}
			if d.AllocatedStorageGiB > in.AllocatedStorageGiB {
				p.Changes.AllocatedStorageGiB = &d.AllocatedStorageGiB
				p.Described = append(p.Described, "storage")
			}
			return p
		},
	}
}

func TestReconcileCloudDatabasePhases(t *testing.T) {
	class := "db.r6g.large"
	grown := int32(50)
	cases := map[string]struct {
		reason     string
		exists     bool
		phase      cloud.Phase
		mutateDB   func(*v1.RDSDatabase)
		mutateInst func(*cloud.Instance)
		observeErr error
		wantCreate int
		// wantComplete is how many times the rest of an incomplete database is asked for.
		wantComplete int
		wantUpdate   []cloud.Changes
		wantReason   string
		wantStatus   metav1.ConditionStatus
		wantErr      bool
		wantNext     bool // the pass goes on to the next phase
	}{
		"NewIsCreated": {reason: "No cloud database and none seen before: one create.",
			wantCreate: 1, wantReason: v1.ReasonCreating, wantStatus: metav1.ConditionFalse},
		"DeletedOutsideIsReported": {reason: "Seen before and gone now: reported, never silently made anew.",
			mutateDB:   func(db *v1.RDSDatabase) { db.Status.Cloud = &v1.CloudStatus{Identifier: "x"} },
			wantReason: v1.ReasonCloudDatabaseMissing, wantStatus: metav1.ConditionFalse},
		"GoneBeforeItServedIsMadeAgain": {reason: "Seen creating, gone before its users were ever made (a create the cloud failed after taking it): nothing was used, so it is asked for again, as never made.",
			mutateDB: func(db *v1.RDSDatabase) {
				db.Status.Cloud = &v1.CloudStatus{Identifier: "x", Status: "Provisioning"}
				waitForDatabase(db)
			},
			wantCreate: 1, wantReason: v1.ReasonCreating, wantStatus: metav1.ConditionFalse},
		"OwnedByOther": {reason: "Another owner's database is never changed.", exists: true, phase: cloud.PhaseAvailable,
			mutateInst: func(in *cloud.Instance) {
				in.Tags = map[string]string{v1.TagOwner: "other/db"}
				in.InstanceClass = "db.x.y"
			},
			wantReason: v1.ReasonOwnedByOther, wantStatus: metav1.ConditionFalse},
		"Creating": {reason: "A database being made is waited for.", exists: true, phase: cloud.PhaseCreating,
			wantReason: v1.ReasonCloudStatus, wantStatus: metav1.ConditionFalse},
		"Changing": {reason: "A database applying a change is waited for, whatever the cloud calls it.", exists: true, phase: cloud.PhaseChanging,
			mutateInst: func(in *cloud.Instance) { in.InstanceClass = "db.x.y" },
			wantReason: v1.ReasonCloudStatus, wantStatus: metav1.ConditionFalse},
		"BackingUpServes": {reason: "A database backing up serves: the pass goes on.", exists: true, phase: cloud.PhaseBackingUp,
			wantReason: v1.ReasonAvailable, wantStatus: metav1.ConditionTrue, wantNext: true},
		"BackingUpWaitsToChange": {reason: "A change waits for the backup to end: nothing is sent meanwhile.", exists: true, phase: cloud.PhaseBackingUp,
			mutateDB:   func(db *v1.RDSDatabase) { db.Spec.InstanceClass = class },
			wantReason: v1.ReasonCloudStatus, wantStatus: metav1.ConditionFalse},
		"StorageFullOnlyGrows": {reason: "Out of storage, only the storage increase is sent, the rest waits.", exists: true, phase: cloud.PhaseStorageFull,
			mutateDB:   func(db *v1.RDSDatabase) { db.Spec.InstanceClass, db.Spec.Size = class, "50GB" },
			wantUpdate: []cloud.Changes{{AllocatedStorageGiB: &grown}}, wantReason: v1.ReasonModifying, wantStatus: metav1.ConditionFalse},
		"AvailableModifies": {reason: "A spec change of an available database is sent in one request.", exists: true, phase: cloud.PhaseAvailable,
			mutateDB:   func(db *v1.RDSDatabase) { db.Spec.InstanceClass = class },
			wantUpdate: []cloud.Changes{{InstanceClass: &class}}, wantReason: v1.ReasonModifying, wantStatus: metav1.ConditionFalse},
		"AvailableUnchanged": {reason: "Nothing differs: no call, the pass goes on.", exists: true, phase: cloud.PhaseAvailable,
			wantReason: v1.ReasonAvailable, wantStatus: metav1.ConditionTrue, wantNext: true},
		"IncompleteIsCompleted": {reason: "A database the cloud made only in part (no master user, no writer yet) gets the rest asked for once it is available, and is not used until then.",
			exists: true, phase: cloud.PhaseAvailable, mutateInst: func(in *cloud.Instance) { in.Incomplete = true },
			wantComplete: 1, wantReason: v1.ReasonCreating, wantStatus: metav1.ConditionFalse},
		"IncompleteWaitsWhileCreating": {reason: "The rest is asked for only of a database that can take it.",
			exists: true, phase: cloud.PhaseCreating, mutateInst: func(in *cloud.Instance) { in.Incomplete = true },
			wantReason: v1.ReasonCreating, wantStatus: metav1.ConditionFalse},
		"CloudError": {reason: "A failed look is a condition and an error for the work queue's backoff.",
			observeErr: &cloud.Error{Op: "describe", Code: "Throttling", Kind: cloud.ErrTransient},
			wantReason: v1.ReasonCloudError, wantStatus: metav1.ConditionFalse, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &RDSDatabaseReconciler{Defaults: DefaultDefaults}
			db := phaseDB()
			if tc.mutateDB != nil {
				tc.mutateDB(db)
			}
			obs := cloud.Observation{Exists: tc.exists}
			if tc.exists {
				obs.Instance = phaseInstance(r, db, tc.phase)
				if tc.mutateInst != nil {
					tc.mutateInst(&obs.Instance)
				}
			}
			var c calls
			r.Cloud = fakeWith(&c, obs, tc.observeErr, nil)
			res, err := r.reconcileCloudDatabase(context.Background(), placed(r, db))
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nerror %v, want error %t", tc.reason, err, tc.wantErr)
			}
			if next := err == nil && res == (ctrl.Result{}); next != tc.wantNext {
				t.Errorf("%s\nthe pass goes on: %t (result %+v), want %t", tc.reason, next, res, tc.wantNext)
			}
			if c.creates != tc.wantCreate || c.completes != tc.wantComplete {
				t.Errorf("%s\n%d creates and %d completes, want %d and %d", tc.reason, c.creates, c.completes, tc.wantCreate, tc.wantComplete)
			}
			if diff := cmp.Diff(tc.wantUpdate, c.updates); diff != "" {
				t.Errorf("%s\nupdates: -want +got:\n%s", tc.reason, diff)
			}
			got := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned)
			if got == nil || got.Reason != tc.wantReason || got.Status != tc.wantStatus {
				t.Errorf("%s\nProvisioned = %+v, want %s %s", tc.reason, got, tc.wantStatus, tc.wantReason)
			}
		})
	}
}

func TestDeleteCloudDatabasePhases(t *testing.T) {
	cases := map[string]struct {
		reason     string
		policy     v1.DeletionPolicy
		exists     bool
		phase      cloud.Phase
		owner      string
		deleteErr  error
		wantGone   bool
		wantErr    bool
		wantDelete []string // final snapshot per delete call, "" for none
		// specProtect, flagProtect and cloudProtect: deletion protection as the spec, the
		// operator's flag and the cloud have it.
		specProtect               *bool
		flagProtect, cloudProtect bool
		wantReason                string // Provisioned's reason, when set
		wantProtectOff            bool   // an Update turning the cloud's protection off
		// keepsNone: the placement's cloud keeps nothing of a deleted database.
		keepsNone bool
	}{
		"UnsetIsSnapshot": {reason: "An empty deletionPolicy is Snapshot where the cloud keeps snapshots.",
			exists: true, phase: cloud.PhaseAvailable, wantDelete: []string{"final"}},
		"UnsetIsRetainWhereNothingIsKept": {reason: "An empty deletionPolicy is Retain where the cloud keeps nothing of a deleted database (SPEC §6): nothing is deleted.",
			keepsNone: true, exists: true, phase: cloud.PhaseAvailable, wantGone: true},
		"DeleteWhereNothingIsKept": {reason: "Delete said in the spec is done there too.", policy: v1.DeletionDelete,
			keepsNone: true, exists: true, phase: cloud.PhaseAvailable, wantDelete: []string{""}},
		"Retain": {reason: "Retain calls nothing and lets the object go.", policy: v1.DeletionRetain, exists: true, phase: cloud.PhaseAvailable, wantGone: true},
		"Gone":   {reason: "Nothing in the cloud: the object may go.", policy: v1.DeletionSnapshot, wantGone: true},
		"Snapshot": {reason: "Snapshot deletes with a final snapshot, then waits for the database to go.", policy: v1.DeletionSnapshot,
			exists: true, phase: cloud.PhaseAvailable, wantDelete: []string{"final"}},
		"Delete":   {reason: "Delete deletes without a snapshot.", policy: v1.DeletionDelete, exists: true, phase: cloud.PhaseAvailable, wantDelete: []string{""}},
		"Deleting": {reason: "A database already deleting is waited for, not asked again.", policy: v1.DeletionSnapshot, exists: true, phase: cloud.PhaseDeleting},
		"Busy": {reason: "The cloud's state forbids the delete for now: wait quietly, no error.", policy: v1.DeletionDelete, exists: true, phase: cloud.PhaseBackingUp,
			deleteErr: &cloud.Error{Op: "delete", Code: "SomeStateCode", Kind: cloud.ErrBusy}, wantDelete: []string{""}},
		"Refused": {reason: "Any other refusal is an error for the backoff.", policy: v1.DeletionDelete, exists: true, phase: cloud.PhaseAvailable,
			deleteErr: &cloud.Error{Op: "delete", Code: "InvalidParameterCombination"}, wantDelete: []string{""}, wantErr: true},
		"OtherOwner": {reason: "Another owner's database is never deleted; the object may go.", policy: v1.DeletionDelete, exists: true, phase: cloud.PhaseAvailable,
			owner: "other/db", wantGone: true},
		"ProtectedBySpec": {reason: "spec.deletionProtection true: nothing is deleted, the object stays, Provisioned says why.", policy: v1.DeletionSnapshot,
			exists: true, phase: cloud.PhaseAvailable, specProtect: ptr.To(true), cloudProtect: true, wantReason: v1.ReasonDeletionProtected},
		"ProtectedByTheFlag": {reason: "The operator's --deletion-protection covers a spec that says nothing.", policy: v1.DeletionDelete,
			exists: true, phase: cloud.PhaseAvailable, flagProtect: true, wantReason: v1.ReasonDeletionProtected},
		"ProtectedInTheCloud": {reason: "Protection set outside the operator, the spec silent: not turned off behind the user's back; refused.", policy: v1.DeletionDelete,
			exists: true, phase: cloud.PhaseAvailable, cloudProtect: true, wantReason: v1.ReasonDeletionProtected},
		"TurnedOff": {reason: "spec false, the cloud still protected: the protection is turned off first, the delete waits for the cloud to report it.", policy: v1.DeletionDelete,
			exists: true, phase: cloud.PhaseAvailable, specProtect: ptr.To(false), cloudProtect: true, wantProtectOff: true},
		"Off": {reason: "spec false and the cloud unprotected: deleted.", policy: v1.DeletionDelete,
			exists: true, phase: cloud.PhaseAvailable, specProtect: ptr.To(false), wantDelete: []string{""}},
		"RetainedWhateverTheProtection": {reason: "Retain deletes nothing, so protection holds nothing up.", policy: v1.DeletionRetain,
			exists: true, phase: cloud.PhaseAvailable, specProtect: ptr.To(true), cloudProtect: true, wantGone: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &RDSDatabaseReconciler{Defaults: DefaultDefaults, Recorder: events.NewFakeRecorder(10)}
			r.Defaults.DeletionProtection = tc.flagProtect
			r.Defaults.KeepsNoSnapshots = tc.keepsNone
			db := phaseDB()
			db.Spec.DeletionPolicy = tc.policy
			db.Spec.DeletionProtection = tc.specProtect
			obs := cloud.Observation{Exists: tc.exists}
			if tc.exists {
				obs.Instance = phaseInstance(r, db, tc.phase)
				obs.Instance.DeletionProtection = tc.cloudProtect
				if tc.owner != "" {
					obs.Instance.Tags = map[string]string{v1.TagOwner: tc.owner}
				}
			}
			var c calls
			r.Cloud = fakeWith(&c, obs, nil, tc.deleteErr)
			gone, err := r.deleteCloudDatabase(context.Background(), placed(r, db))
			if gone != tc.wantGone || (err != nil) != tc.wantErr {
				t.Fatalf("%s\ngone %t, error %v; want %t, error %t", tc.reason, gone, err, tc.wantGone, tc.wantErr)
			}
			if got := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned); tc.wantReason != "" && (got == nil || got.Reason != tc.wantReason) {
				t.Errorf("%s\nProvisioned = %+v, want reason %s", tc.reason, got, tc.wantReason)
			}
			turnedOff := len(c.updates) == 1 && c.updates[0].DeletionProtection != nil && !*c.updates[0].DeletionProtection
			if turnedOff != tc.wantProtectOff || (!tc.wantProtectOff && len(c.updates) > 0) {
				t.Errorf("%s\nupdates %+v; want the protection turned off: %t", tc.reason, c.updates, tc.wantProtectOff)
			}
			var finals []string
			for _, o := range c.deletes {
				f := o.FinalSnapshotIdentifier
				if f != "" && strings.Contains(f, "final") {
					f = "final"
				}
				finals = append(finals, f)
			}
			if diff := cmp.Diff(tc.wantDelete, finals); diff != "" {
				t.Errorf("%s\ndeletes (final snapshot): -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCreateRefusalSaysWhatToFix(t *testing.T) {
	cases := map[string]struct {
		reason  string
		err     error
		wantMsg []string
	}{
		"SubnetGroup": {reason: "A missing subnet group names the spec field and keeps the cloud's words.",
			err:     &cloud.Error{Op: "create", Code: "DBSubnetGroupNotFoundFault", Message: "DBSubnetGroup 'nope' not found.", Field: cloud.FieldSubnetGroup},
			wantMsg: []string{"spec.network.subnetGroup", "DBSubnetGroupNotFoundFault", "'nope' not found"}},
		"KMSKey": {reason: "An unusable KMS key names spec.encryption.kmsKeyId.",
			err:     &cloud.Error{Op: "create", Code: "KMSKeyNotAccessibleFault", Message: "The specified KMS key [alias/x] does not exist", Field: cloud.FieldKMSKey},
			wantMsg: []string{"spec.encryption.kmsKeyId", "alias/x"}},
		"Version": {reason: "A version the cloud does not offer names spec.version.",
			err:     &cloud.Error{Op: "create", Code: "InvalidParameterCombination", Message: "Cannot find version 9.6 for postgres", Field: cloud.FieldEngineVersion},
			wantMsg: []string{"spec.version", "9.6"}},
		"InstanceClass": {reason: "A class the cloud does not offer names spec.instanceClass.",
			err:     &cloud.Error{Op: "create", Code: "InvalidParameterCombination", Message: "RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t4g.micr", Field: cloud.FieldInstanceClass},
			wantMsg: []string{"spec.instanceClass", "db.t4g.micr"}},
		"IOPS": {reason: "Storage that needs IOPS names spec.iops.",
			err:     &cloud.Error{Op: "create", Code: "InvalidParameterCombination", Message: "The storage type io1 requires iops to be specified.", Field: cloud.FieldIOPS},
			wantMsg: []string{"spec.iops", "requires iops"}},
		"NoField": {reason: "A refusal the provider cannot pin on a field is reported as the cloud said it.",
			err:     &cloud.Error{Op: "create", Code: "StorageQuotaExceeded", Message: "quota"},
			wantMsg: []string{"StorageQuotaExceeded"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &RDSDatabaseReconciler{Defaults: DefaultDefaults}
			db := phaseDB()
			var c calls
			fake := fakeWith(&c, cloud.Observation{}, nil, nil)
			fake.CreateFn = func(context.Context, cloud.Desired) error { c.creates++; return tc.err }
			r.Cloud = fake
			if _, err := r.reconcileCloudDatabase(context.Background(), placed(r, db)); err == nil {
				t.Fatalf("%s\nno error: a refused create must come back with backoff", tc.reason)
			}
			got := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned)
			if got == nil || got.Reason != v1.ReasonCloudError {
				t.Fatalf("%s\nProvisioned = %+v, want reason %s", tc.reason, got, v1.ReasonCloudError)
			}
			for _, w := range tc.wantMsg {
				if !strings.Contains(got.Message, w) {
					t.Errorf("%s\nmessage %q does not say %q", tc.reason, got.Message, w)
				}
			}
			if tc.err.(*cloud.Error).Field == "" && strings.Contains(got.Message, "change it") {
				t.Errorf("%s\nmessage %q names a field to change where the cloud named none", tc.reason, got.Message)
			}
		})
	}
}

func TestAuroraKeepsItsClassWhenTheSpecIsSilent(t *testing.T) {
	r := &RDSDatabaseReconciler{Defaults: DefaultDefaults}
	r.Defaults.InstanceClass = "db.r6g.large" // an admin's general default, which Aurora was made with
	db := phaseDB()
	db.Spec.Type = v1.TypeAuroraPostgreSQL
	db.Spec.Version, db.Spec.Size = "16.6", "10GB" // Aurora's storage: the admission default
	inst := phaseInstance(r, db, cloud.PhaseAvailable)
	inst.Engine, inst.EngineVersion, inst.InstanceClass = "aurora-postgresql", "16.6", "db.r6g.large"
	// The cloud's own default for Aurora's instances, as RDS's provider has it.
	const auroraClass = "db.t4g.medium"
	auroraDefaults := func(string) (string, string) { return "16.6", auroraClass }
	var c calls
	fake := fakeWith(&c, cloud.Observation{Exists: true, Instance: inst}, nil, nil)
	fake.EngineDefaultsFn = auroraDefaults
	var planned cloud.Desired
	plan := fake.PlanFn
	fake.PlanFn = func(d cloud.Desired, in cloud.Instance, keep bool) cloud.Plan { planned = d; return plan(d, in, keep) }
	r.Cloud = fake
	if _, err := r.reconcileCloudDatabase(context.Background(), placed(r, db)); err != nil {
		t.Fatal(err)
	}
	if got := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned); got == nil || got.Reason != v1.ReasonAvailable {
		t.Fatalf("Provisioned = %+v, want Available", got)
	}
	if planned.InstanceClass != "db.r6g.large" || len(c.updates) != 0 {
		t.Errorf("an existing Aurora database with no spec.instanceClass was planned as %q with updates %+v; want its own class kept (Aurora's default %q is for new ones)",
			planned.InstanceClass, c.updates, auroraClass)
	}

	// A class drifted to anything else is brought back, to the type's own default.
	inst.InstanceClass = "db.r7g.xlarge"
	c = calls{}
	fake = fakeWith(&c, cloud.Observation{Exists: true, Instance: inst}, nil, nil)
	fake.EngineDefaultsFn = auroraDefaults
	r.Cloud = fake
	db = db.DeepCopy()
	db.Status.Conditions = nil
	if _, err := r.reconcileCloudDatabase(context.Background(), placed(r, db)); err != nil {
		t.Fatal(err)
	}
	if len(c.updates) != 1 || c.updates[0].InstanceClass == nil || *c.updates[0].InstanceClass != auroraClass {
		t.Errorf("a drifted Aurora class: updates %+v, want one back to %s", c.updates, auroraClass)
	}
}

// TestSizeRaisedOnceTheCreateIsSent: a size below the storage type's minimum is raised and
// said in an Event once the create is sent, not on each pass a create waits for its turn
// under the rate limit (at 10,000 new objects, that was five Events per object).
func TestSizeRaisedOnceTheCreateIsSent(t *testing.T) {
	cases := map[string]struct {
		reason    string
		size      string
		createErr error
		want      []string
	}{
		"Deferred": {reason: "A create waiting for its turn says nothing yet.", size: "5GB",
			createErr: &cloud.WaitError{Op: "create", Why: "rate limit", After: time.Second}, want: nil},
		"Sent": {reason: "A create sent with a raised size says so, after asking.", size: "5GB",
			want: []string{"Normal CreateRequested", "Normal SizeRaised"}},
		"NotRaised": {reason: "A size at the minimum is not raised.", size: "20GB",
			want: []string{"Normal CreateRequested"}},
		"Refused": {reason: "A refused create says only why.", size: "5GB",
			createErr: &cloud.Error{Op: "create", Code: "StorageQuotaExceeded", Message: "quota"}, want: []string{"Warning CloudError"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := events.NewFakeRecorder(10)
			r := &RDSDatabaseReconciler{Defaults: DefaultDefaults, Recorder: rec}
			db := phaseDB()
			db.Spec.Size = tc.size
			var c calls
			fake := fakeWith(&c, cloud.Observation{}, nil, nil)
			fake.CreateFn = func(context.Context, cloud.Desired) error { c.creates++; return tc.createErr }
			// The cloud's minimum is 20 GiB, as gp3's on RDS.
			fake.StorageFn = func(d cloud.Desired) (int32, bool) { return max(d.AllocatedStorageGiB, 20), d.AllocatedStorageGiB < 20 }
			r.Cloud = fake
			s := placed(r, db)
			_, _ = r.reconcileCloudDatabase(context.Background(), s)
			var got []string
			got = drainEvents(got, rec, s)
			slices.Sort(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nEvents: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestSnapshotRefusedWhereNothingIsKept: on a placement whose cloud keeps nothing of a
// deleted database (SPEC §6), deletionPolicy Snapshot is a spec the class cannot honour: a
// SpecInvalid condition naming it and the fix, and nothing created; Delete and Retain (and
// the class's default) are created.
func TestSnapshotRefusedWhereNothingIsKept(t *testing.T) {
	cases := map[string]struct {
		reason     string
		policy     v1.DeletionPolicy
		wantCreate bool
	}{
		"Snapshot": {reason: "Snapshot would promise a copy the cloud does not keep: refused before anything is made.", policy: v1.DeletionSnapshot},
		"Unset":    {reason: "An empty policy is the class's default, Retain: created.", wantCreate: true},
		"Delete":   {reason: "Delete promises no copy: created.", policy: v1.DeletionDelete, wantCreate: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			created := false
			fake := &cloudtest.Provider{CreateFn: func(context.Context, cloud.Desired) error { created = true; return nil }}
			r := &RDSDatabaseReconciler{Cloud: fake, Recorder: events.NewFakeRecorder(10), Defaults: DefaultDefaults}
			r.Defaults.KeepsNoSnapshots = true
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "orders", UID: "u"},
				Spec: v1.RDSDatabaseSpec{Size: "20GB", MasterUser: "sysadmin", Backup: v1.Backup{Retention: "7d"}, DeletionPolicy: tc.policy}}
			if _, err := r.createCloudDatabase(context.Background(), placed(r, db)); err != nil {
				t.Fatalf("%s\ncreate: %v", tc.reason, err)
			}
			if created != tc.wantCreate {
				t.Fatalf("%s\ncreated %t, want %t", tc.reason, created, tc.wantCreate)
			}
			c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned)
			if !tc.wantCreate && (c == nil || c.Reason != v1.ReasonSpecInvalid || !strings.Contains(c.Message, "deletionPolicy Snapshot") || !strings.Contains(c.Message, "Retain")) {
				t.Errorf("%s\nProvisioned = %+v; want SpecInvalid naming deletionPolicy Snapshot and the fix", tc.reason, c)
			}
		})
	}
}
