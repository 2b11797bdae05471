package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
)

// fallsTo is a class of provider that falls back to fallback ("" for none).
func fallsTo(name, provider, fallback string) *v1.DatabaseClass {
	c := class(name, provider, false)
	c.Spec.Fallback = fallback
	return c
}

// fallbackWorld is a cluster of DatabaseClasses, each served by a fake cloud of its own
// unless it is unserved, and a reconciler over them.
type fallbackWorld struct {
	r      *RDSDatabaseReconciler
	clouds map[string]*cloudtest.Provider
	events *events.FakeRecorder
}

// newFallbackWorld builds the world; objects are put in its API as they are.
func newFallbackWorld(t *testing.T, classes []*v1.DatabaseClass, unserved map[string]bool, objects ...client.Object) *fallbackWorld {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	b := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&v1.RDSDatabase{})
	w := &fallbackWorld{clouds: map[string]*cloudtest.Provider{}, events: events.NewFakeRecorder(20)}
	for _, c := range classes {
		b = b.WithObjects(c)
		w.clouds[c.Name] = &cloudtest.Provider{}
	}
	w.r = &RDSDatabaseReconciler{Client: b.WithObjects(objects...).Build(), Cloud: &cloudtest.Provider{}, Defaults: DefaultDefaults, Recorder: w.events,
		Clouds: cloudsFunc(func(_ context.Context, c *v1.DatabaseClass, base Defaults) (Placement, error) {
			if unserved[c.Name] {
				return Placement{}, fmt.Errorf("no credentials for %s", c.Name)
			}
			return Placement{Cloud: w.clouds[c.Name], Defaults: base}, nil
		})}
	return w
}

// drain returns the Events recorded so far.
func (w *fallbackWorld) drain() []string {
	var out []string
	for {
		select {
		case e := <-w.events.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// TestPlaceOnFallback: an object not placed yet whose class cannot be served lands on the
// first class along the class's fallbacks that can, and a FellBack Event says so; a missing
// fallback, a cycle or a chain too long is a condition naming it, and nothing is made
// anywhere; an object placed before, or restoring a snapshot, never falls back.
func TestPlaceOnFallback(t *testing.T) {
	long := []*v1.DatabaseClass{}
	unservedLong := map[string]bool{}
	for i := range maxFallbacks + 2 {
		name := fmt.Sprintf("c%d", i)
		long = append(long, fallsTo(name, v1.ProviderAWS, fmt.Sprintf("c%d", i+1)))
		unservedLong[name] = true
	}
	cases := []struct {
		name     string
		reason   string
		classes  []*v1.DatabaseClass
		unserved map[string]bool
		mutate   func(db *v1.RDSDatabase)
		// wantClass is the class placed on; or wantReason the condition's reason, whose
		// message contains wantWords.
		wantClass  string
		wantReason string
		wantWords  string
		wantEvent  bool
	}{
		{name: "Fallback", reason: "The class cannot be served: its fallback makes the database, and an Event says from which class to which.",
			classes:  []*v1.DatabaseClass{fallsTo("aws-eu", v1.ProviderAWS, "azure-eu"), class("azure-eu", v1.ProviderAzure, false)},
			unserved: map[string]bool{"aws-eu": true}, wantClass: "azure-eu", wantEvent: true},
		{name: "ChainOfUnserved", reason: "A fallback that cannot be served either hands on to its own fallback.",
			classes:  []*v1.DatabaseClass{fallsTo("a", v1.ProviderAWS, "b"), fallsTo("b", v1.ProviderGCP, "c"), class("c", v1.ProviderAzure, false)},
			unserved: map[string]bool{"a": true, "b": true}, wantClass: "c", wantEvent: true},
		{name: "Served", reason: "A class that can be served keeps its objects: the fallback is only for what it cannot make.",
			classes:   []*v1.DatabaseClass{fallsTo("a", v1.ProviderAWS, "b"), class("b", v1.ProviderAzure, false)},
			wantClass: "a"},
		{name: "NoFallback", reason: "Without a fallback the object waits, as before fallbacks existed.",
			classes: []*v1.DatabaseClass{class("a", v1.ProviderAWS, false)}, unserved: map[string]bool{"a": true},
			wantReason: v1.ReasonClassUnavailable, wantWords: "no credentials for a"},
		{name: "MissingFallback", reason: "A fallback that does not exist is ClassNotFound naming it.",
			classes: []*v1.DatabaseClass{fallsTo("a", v1.ProviderAWS, "nope")}, unserved: map[string]bool{"a": true},
			wantReason: v1.ReasonClassNotFound, wantWords: "its fallback DatabaseClass nope does not exist"},
		{name: "LastUnserved", reason: "A chain whose every class cannot be served says each one's cause.",
			classes:  []*v1.DatabaseClass{fallsTo("a", v1.ProviderAWS, "b"), class("b", v1.ProviderGCP, false)},
			unserved: map[string]bool{"a": true, "b": true}, wantReason: v1.ReasonClassUnavailable, wantWords: "no credentials for b; and it has no fallback"},
		{name: "Cycle", reason: "Fallbacks that lead back to a class passed ends the walk, named.",
			classes:  []*v1.DatabaseClass{fallsTo("a", v1.ProviderAWS, "b"), fallsTo("b", v1.ProviderGCP, "a")},
			unserved: map[string]bool{"a": true, "b": true}, wantReason: v1.ReasonClassUnavailable, wantWords: "its fallbacks lead back to DatabaseClass a"},
		{name: "TooLong", reason: "A chain is followed at most maxFallbacks classes deep.",
			classes: long, unserved: unservedLong, mutate: func(db *v1.RDSDatabase) { db.Spec.Class = "c0" },
			wantReason: v1.ReasonClassUnavailable, wantWords: fmt.Sprintf("longer than %d classes", maxFallbacks)},
		{name: "PlacedBeforeStays", reason: "An object placed on the class before (something may exist there) never moves when the class cannot be served.",
			classes:    []*v1.DatabaseClass{fallsTo("a", v1.ProviderAWS, "b"), class("b", v1.ProviderAzure, false)},
			unserved:   map[string]bool{"a": true},
			mutate:     func(db *v1.RDSDatabase) { db.Status.Class, db.Status.Provider = "a", v1.ProviderAWS },
			wantReason: v1.ReasonClassUnavailable, wantWords: "no credentials for a"},
		{name: "RestoreStays", reason: "A restore waits for its class: the snapshot is in that class's cloud.",
			classes:    []*v1.DatabaseClass{fallsTo("a", v1.ProviderAWS, "b"), class("b", v1.ProviderAzure, false)},
			unserved:   map[string]bool{"a": true},
			mutate:     func(db *v1.RDSDatabase) { db.Spec.RestoreFrom = &v1.RestoreFrom{Snapshot: "snap"} },
			wantReason: v1.ReasonClassUnavailable, wantWords: "a restore is not made on the fallback"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newFallbackWorld(t, tc.classes, tc.unserved)
			db := phaseDB()
			db.Spec.Class = tc.classes[0].Name
			if tc.mutate != nil {
				tc.mutate(db)
			}
			s := newScope(db)
			err := w.r.place(context.Background(), s)
			if tc.wantReason != "" {
				c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned)
				if !errors.Is(err, errNoPlacement) || c == nil || c.Reason != tc.wantReason || !strings.Contains(c.Message, tc.wantWords) {
					t.Fatalf("%s\nplace = %v, Provisioned %+v; want no placement, reason %s saying %q", tc.reason, err, c, tc.wantReason, tc.wantWords)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nplace: %v", tc.reason, err)
			}
			if db.Status.Class != tc.wantClass || s.cloud != w.clouds[tc.wantClass] || s.class == nil || s.class.Name != tc.wantClass {
				t.Errorf("%s\nplaced on %q (cloud %p); want %q (%p)", tc.reason, db.Status.Class, s.cloud, tc.wantClass, w.clouds[tc.wantClass])
			}
			if got := len(s.events) == 1 && s.events[0].reason == v1.ReasonFellBack && strings.Contains(s.events[0].note, "its fallback, DatabaseClass "+tc.wantClass); got != tc.wantEvent {
				t.Errorf("%s\nevents %+v; want a FellBack Event naming %s: %t", tc.reason, s.events, tc.wantClass, tc.wantEvent)
			}
		})
	}
}

// quotaRefusal is what a cloud answers a create over the account's quota.
var quotaRefusal = &cloud.Error{Op: "create db instance shop-orders", Code: "InstanceQuotaExceeded", Message: "DB Instance quota exceeded", Kind: cloud.ErrNoCapacity}

// TestFallBackAfterRefusal drives passes of placement and the cloud phase, each ending with
// its status write as Reconcile's does: an object whose first create its class's cloud
// refuses for quota or capacity moves to the class's fallback before anything exists, and
// the next pass makes it there; a database that exists or existed never moves.
func TestFallBackAfterRefusal(t *testing.T) {
	type outcome struct {
		// Class is status.class after the passes, Reason Provisioned's reason.
		Class, Reason string
		// Creates counts the creates each class's cloud received.
		Creates map[string]int
		// FellBack is how many FellBack Events were sent.
		FellBack int
	}
	cases := []struct {
		name     string
		reason   string
		classes  []*v1.DatabaseClass
		unserved map[string]bool
		// refuse holds the classes whose cloud refuses creates with refusal (quotaRefusal
		// unless set).
		refuse  map[string]bool
		refusal error
		// exists holds the classes whose cloud has the object's database already.
		exists map[string]bool
		mutate func(r *RDSDatabaseReconciler, db *v1.RDSDatabase)
		// passes is how many passes run; lost lists those whose status write is lost (a crash
		// before it).
		passes int
		lost   map[int]bool
		want   outcome
		// wantWords is in Provisioned's message.
		wantWords string
		// wantParamsDeleted counts DeleteParameters calls on the first class's cloud.
		wantParamsDeleted int
	}{
		{name: "QuotaMovesToFallback", reason: "The first create refused for quota: the object moves, says so, and the next pass makes it on the fallback.",
			classes: []*v1.DatabaseClass{fallsTo("aws-eu", v1.ProviderAWS, "azure-eu"), class("azure-eu", v1.ProviderAzure, false)},
			refuse:  map[string]bool{"aws-eu": true}, passes: 2,
			want: outcome{Class: "azure-eu", Reason: v1.ReasonCreating, Creates: map[string]int{"aws-eu": 1, "azure-eu": 1}, FellBack: 1}},
		{name: "SaysFromWhereToWhereAndWhy", reason: "After the move, before the next pass, status and condition name both classes and the cloud's code.",
			classes: []*v1.DatabaseClass{fallsTo("aws-eu", v1.ProviderAWS, "azure-eu"), class("azure-eu", v1.ProviderAzure, false)},
			refuse:  map[string]bool{"aws-eu": true}, passes: 1,
			want:      outcome{Class: "azure-eu", Reason: v1.ReasonFellBack, Creates: map[string]int{"aws-eu": 1}, FellBack: 1},
			wantWords: "the cloud of DatabaseClass aws-eu (provider aws) refused to make the database for quota or capacity (create db instance shop-orders: InstanceQuotaExceeded: DB Instance quota exceeded): it is made on the fallback, DatabaseClass azure-eu (provider azure)"},
		{name: "NoFallbackConfigured", reason: "Without a fallback the refusal is a CloudError retried with backoff, as before.",
			classes: []*v1.DatabaseClass{class("aws-eu", v1.ProviderAWS, false)},
			refuse:  map[string]bool{"aws-eu": true}, passes: 2,
			want: outcome{Class: "aws-eu", Reason: v1.ReasonCloudError, Creates: map[string]int{"aws-eu": 2}}},
		{name: "OtherRefusalsStay", reason: "A refusal that is not for quota or capacity needs the request changed, not another cloud.",
			classes: []*v1.DatabaseClass{fallsTo("aws-eu", v1.ProviderAWS, "azure-eu"), class("azure-eu", v1.ProviderAzure, false)},
			refuse:  map[string]bool{"aws-eu": true}, refusal: &cloud.Error{Op: "create", Code: "InvalidParameterValue", Message: "bad"}, passes: 1,
			want: outcome{Class: "aws-eu", Reason: v1.ReasonCloudError, Creates: map[string]int{"aws-eu": 1}}},
		{name: "ExistingNeverMoves", reason: "A database that exists in the first cloud is never created again, so whatever its cloud's quota it stays.",
			classes: []*v1.DatabaseClass{fallsTo("aws-eu", v1.ProviderAWS, "azure-eu"), class("azure-eu", v1.ProviderAzure, false)},
			refuse:  map[string]bool{"aws-eu": true}, exists: map[string]bool{"aws-eu": true}, passes: 2,
			want: outcome{Class: "aws-eu", Reason: v1.ReasonCloudStatus, Creates: map[string]int{}}},
		{name: "ExistedNeverMoves", reason: "A database seen before (status.cloud) and deleted outside, made anew under --recreate-missing: a quota refusal then is an ordinary CloudError, the object stays.",
			classes: []*v1.DatabaseClass{fallsTo("aws-eu", v1.ProviderAWS, "azure-eu"), class("azure-eu", v1.ProviderAzure, false)},
			refuse:  map[string]bool{"aws-eu": true}, passes: 1,
			mutate: func(r *RDSDatabaseReconciler, db *v1.RDSDatabase) {
				r.Defaults.RecreateMissing = true
				db.Status.Class, db.Status.Provider = "aws-eu", v1.ProviderAWS
				db.Status.Cloud = &v1.CloudStatus{Identifier: "shop-orders"}
			},
			want: outcome{Class: "aws-eu", Reason: v1.ReasonCloudError, Creates: map[string]int{"aws-eu": 1}}},
		{name: "MissingFallbackClass", reason: "A fallback that does not exist is ClassNotFound naming it, with the refusal; the object stays and is retried.",
			classes: []*v1.DatabaseClass{fallsTo("aws-eu", v1.ProviderAWS, "nope")},
			refuse:  map[string]bool{"aws-eu": true}, passes: 1,
			want:      outcome{Class: "aws-eu", Reason: v1.ReasonClassNotFound, Creates: map[string]int{"aws-eu": 1}},
			wantWords: "InstanceQuotaExceeded: DB Instance quota exceeded); its fallback DatabaseClass nope does not exist"},
		{name: "UnservedFallbackHandsOn", reason: "A fallback that cannot be served hands on to its own.",
			classes:  []*v1.DatabaseClass{fallsTo("a", v1.ProviderAWS, "b"), fallsTo("b", v1.ProviderGCP, "c"), class("c", v1.ProviderAzure, false)},
			unserved: map[string]bool{"b": true}, refuse: map[string]bool{"a": true}, passes: 2,
			want: outcome{Class: "c", Reason: v1.ReasonCreating, Creates: map[string]int{"a": 1, "c": 1}, FellBack: 1}},
		{name: "ChainOfRefusals", reason: "A fallback whose cloud refuses too hands on along the chain: the object only moves forward.",
			classes: []*v1.DatabaseClass{fallsTo("a", v1.ProviderAWS, "b"), fallsTo("b", v1.ProviderGCP, "c"), class("c", v1.ProviderAzure, false)},
			refuse:  map[string]bool{"a": true, "b": true}, passes: 3,
			want: outcome{Class: "c", Reason: v1.ReasonCreating, Creates: map[string]int{"a": 1, "b": 1, "c": 1}, FellBack: 2}},
		{name: "CycleEnds", reason: "Two classes falling back to each other, both refusing: the object moves once and never back to the class it came from.",
			classes: []*v1.DatabaseClass{fallsTo("a", v1.ProviderAWS, "b"), fallsTo("b", v1.ProviderGCP, "a")},
			refuse:  map[string]bool{"a": true, "b": true}, passes: 3,
			want:      outcome{Class: "b", Reason: v1.ReasonClassUnavailable, Creates: map[string]int{"a": 1, "b": 2}, FellBack: 1},
			wantWords: "its fallbacks lead back to DatabaseClass a"},
		{name: "CrashBeforeTheMoveIsWritten", reason: "The move's status write is lost: the first class is still recorded and nothing was made, so the next pass is refused again and moves again.",
			classes: []*v1.DatabaseClass{fallsTo("aws-eu", v1.ProviderAWS, "azure-eu"), class("azure-eu", v1.ProviderAzure, false)},
			refuse:  map[string]bool{"aws-eu": true}, passes: 3, lost: map[int]bool{0: true},
			want: outcome{Class: "azure-eu", Reason: v1.ReasonCreating, Creates: map[string]int{"aws-eu": 2, "azure-eu": 1}, FellBack: 1}},
		{name: "ParametersLeaveNothingBehind", reason: "The parameter set a cloud may make before the refused create is deleted before the object moves.",
			classes: []*v1.DatabaseClass{fallsTo("aws-eu", v1.ProviderAWS, "azure-eu"), class("azure-eu", v1.ProviderAzure, false)},
			refuse:  map[string]bool{"aws-eu": true}, passes: 1,
			mutate: func(_ *RDSDatabaseReconciler, db *v1.RDSDatabase) {
				db.Spec.Parameters = map[string]string{"work_mem": "8MB"}
			},
			want: outcome{Class: "azure-eu", Reason: v1.ReasonFellBack, Creates: map[string]int{"aws-eu": 1}, FellBack: 1}, wantParamsDeleted: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := phaseDB()
			db.Spec.Class = tc.classes[0].Name
			w := newFallbackWorld(t, tc.classes, tc.unserved)
			if tc.mutate != nil {
				tc.mutate(w.r, db)
			}
			status := db.Status
			if err := w.r.Client.Create(ctx, db); err != nil {
				t.Fatal(err)
			}
			db.Status = status
			if err := w.r.Client.Status().Update(ctx, db); err != nil {
				t.Fatal(err)
			}
			creates, paramsDeleted := map[string]int{}, 0
			for name, p := range w.clouds {
				p.ObserveFn = func(context.Context, string) (cloud.Observation, error) {
					if !tc.exists[name] {
						return cloud.Observation{}, nil
					}
					r := &RDSDatabaseReconciler{Defaults: DefaultDefaults}
					return cloud.Observation{Exists: true, Instance: phaseInstance(r, phaseDB(), cloud.PhaseCreating)}, nil
				}
				p.CreateFn = func(context.Context, cloud.Desired) error {
					creates[name]++
					if tc.refuse[name] {
						if tc.refusal != nil {
							return tc.refusal
						}
						return quotaRefusal
					}
					return nil
				}
				p.DeleteParametersFn = func(_ context.Context, _ cloud.Desired, set string) error {
					if name == tc.classes[0].Name && set == "" {
						paramsDeleted++
					}
					return nil
				}
			}
			for pass := range tc.passes {
				cur := &v1.RDSDatabase{}
				if err := w.r.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
					t.Fatal(err)
				}
				s := newScope(cur)
				_, _ = runPhases(ctx, s, w.r.reconcilePlacement, w.r.reconcileCloudDatabase)
				if !tc.lost[pass] {
					if err := w.r.writeStatus(ctx, s); err != nil {
						t.Fatalf("%s\npass %d: write the status: %v", tc.reason, pass, err)
					}
				}
			}
			got := &v1.RDSDatabase{}
			if err := w.r.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
				t.Fatal(err)
			}
			c := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionProvisioned)
			o := outcome{Class: got.Status.Class, Creates: creates}
			if c != nil {
				o.Reason = c.Reason
			}
			for _, e := range w.drain() {
				if strings.HasPrefix(e, "Warning "+v1.ReasonFellBack+" ") {
					o.FellBack++
				}
			}
			if diff := cmp.Diff(tc.want, o); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
			if wantProvider := providerOf(tc.classes, tc.want.Class); got.Status.Provider != wantProvider {
				t.Errorf("%s\nstatus.provider %q, want %q (its class's)", tc.reason, got.Status.Provider, wantProvider)
			}
			if tc.wantWords != "" && (c == nil || !strings.Contains(c.Message, tc.wantWords)) {
				t.Errorf("%s\nProvisioned's message %q does not say %q", tc.reason, c.Message, tc.wantWords)
			}
			if paramsDeleted != tc.wantParamsDeleted {
				t.Errorf("%s\n%d parameter sets deleted in the first cloud, want %d", tc.reason, paramsDeleted, tc.wantParamsDeleted)
			}
		})
	}
}

// providerOf is the provider of the class named name.
func providerOf(classes []*v1.DatabaseClass, name string) string {
	for _, c := range classes {
		if c.Name == name {
			return c.Spec.Provider
		}
	}
	return ""
}

// TestNoCreateOnTheClassLeft: a pass working from a copy of the object older than its move
// to the fallback (the cache not caught up yet) must not create the database on the class
// the object left: that would make a second database, in another cloud.
func TestNoCreateOnTheClassLeft(t *testing.T) {
	cases := []struct {
		name       string
		inAPI      string // status.class the apiserver holds
		wantCreate int
		reason     string
	}{
		{name: "Moved", inAPI: "b", reason: "the object moved to b meanwhile: no create on a, the next pass reads b"},
		{name: "NotMoved", inAPI: "a", wantCreate: 1, reason: "the copy is current: the create goes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stored := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "orders", UID: "u"},
				Spec: v1.RDSDatabaseSpec{Class: "a", Size: "20GB", MasterUser: "sysadmin", Backup: v1.Backup{Retention: "7d"}}}
			stored.Status.Class, stored.Status.Provider = tc.inAPI, v1.ProviderAWS
			w := newFallbackWorld(t, []*v1.DatabaseClass{fallsTo("a", v1.ProviderAWS, "b"), fallsTo("b", v1.ProviderGCP, "")}, nil, stored)
			w.r.APIReader = w.r.Client
			creates := 0
			w.clouds["a"].CreateFn = func(context.Context, cloud.Desired) error { creates++; return nil }
			db := &v1.RDSDatabase{}
			if err := w.r.Client.Get(context.Background(), client.ObjectKeyFromObject(stored), db); err != nil {
				t.Fatal(err)
			}
			db.Status.Class = "a" // the pass's copy, from before any move
			s := placed(w.r, db)
			s.before = db.DeepCopy()
			s.cloud, s.class = w.clouds["a"], fallsTo("a", v1.ProviderAWS, "b")
			if _, err := w.r.createCloudDatabase(context.Background(), s); err != nil {
				t.Fatalf("%s\ncreate: %v", tc.reason, err)
			}
			if creates != tc.wantCreate {
				t.Errorf("%s\ncreates on a: %d, want %d", tc.reason, creates, tc.wantCreate)
			}
		})
	}
}
