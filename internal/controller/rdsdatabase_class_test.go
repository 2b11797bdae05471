package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
)

// cloudsFunc is Clouds as a function.
type cloudsFunc func(ctx context.Context, class *v1.DatabaseClass, base Defaults) (Placement, error)

func (f cloudsFunc) For(ctx context.Context, class *v1.DatabaseClass, base Defaults) (Placement, error) {
	return f(ctx, class, base)
}

func class(name, provider string, isDefault bool) *v1.DatabaseClass {
	c := &v1.DatabaseClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.DatabaseClassSpec{Provider: provider}}
	if isDefault {
		c.Annotations = map[string]string{v1.AnnotationDefaultClass: "true"}
	}
	return c
}

// TestPlacement: where an object's database is made is decided once, from spec.class, the
// default class or (with no class at all) the operator's own AWS settings, and then kept.
func TestPlacement(t *testing.T) {
	builtin, onGCP := &cloudtest.Provider{}, &cloudtest.Provider{}
	gcpDefaults := Defaults{InstanceClass: "db-f1-micro"}
	cases := []struct {
		name    string
		reason  string
		classes []*v1.DatabaseClass
		mutate  func(db *v1.RDSDatabase)
		failFor error
		// onBuiltin: the operator's own cloud has the object's database already.
		onBuiltin bool
		// want: the class and provider recorded, and the provider placed on; or the
		// reason of the Provisioned condition when the object cannot be placed.
		wantClass, wantProvider string
		wantCloud               cloud.Provider
		wantReason              string
	}{
		{name: "NoClassAtAll", reason: "With no DatabaseClass, an object lands on the operator's own AWS settings, as before classes existed.",
			wantProvider: v1.ProviderAWS, wantCloud: builtin},
		{name: "OneDefault", reason: "An object without spec.class lands on the one default class.",
			classes:   []*v1.DatabaseClass{class("gcp-eu", v1.ProviderGCP, true), class("other", v1.ProviderGCP, false)},
			wantClass: "gcp-eu", wantProvider: v1.ProviderGCP, wantCloud: onGCP},
		{name: "Named", reason: "spec.class wins over the default class.",
			classes: []*v1.DatabaseClass{class("gcp-eu", v1.ProviderGCP, false), class("aws-default", v1.ProviderAWS, true)},
			mutate:  func(db *v1.RDSDatabase) { db.Spec.Class = "gcp-eu" }, wantClass: "gcp-eu", wantProvider: v1.ProviderGCP, wantCloud: onGCP},
		{name: "TwoDefaults", reason: "Two default classes make the choice ambiguous: the object waits, and the condition names both.",
			classes:    []*v1.DatabaseClass{class("a", v1.ProviderGCP, true), class("b", v1.ProviderGCP, true)},
			wantReason: v1.ReasonClassUnavailable},
		{name: "NamedMissing", reason: "A class that does not exist (yet) is said so; nothing is made anywhere.",
			mutate: func(db *v1.RDSDatabase) { db.Spec.Class = "nope" }, wantReason: v1.ReasonClassNotFound},
		{name: "DecidedClassDeleted", reason: "The class an object was made on, deleted since, is not replaced by another: the database is where it is.",
			classes: []*v1.DatabaseClass{class("fallback", v1.ProviderGCP, true)},
			mutate: func(db *v1.RDSDatabase) {
				db.Status.Class, db.Status.Provider = "gone", v1.ProviderGCP
			}, wantReason: v1.ReasonClassNotFound},
		{name: "DecidedStays", reason: "An object placed on the built-in settings stays there when a default class appears later.",
			classes:      []*v1.DatabaseClass{class("gcp-eu", v1.ProviderGCP, true)},
			mutate:       func(db *v1.RDSDatabase) { db.Status.Provider = v1.ProviderAWS },
			wantProvider: v1.ProviderAWS, wantCloud: builtin},
		{name: "MadeBeforeClasses", reason: "An object whose database was made by a version without classes stays on the built-in settings.",
			classes:      []*v1.DatabaseClass{class("gcp-eu", v1.ProviderGCP, true)},
			mutate:       func(db *v1.RDSDatabase) { db.Status.Cloud = &v1.CloudStatus{Identifier: "x"} },
			wantProvider: v1.ProviderAWS, wantCloud: builtin},
		{name: "MadeOnBuiltinBeforeItWasRecorded", reason: "A pass that created the database on the operator's own settings ended before writing so (no early write there): a default class appearing since does not move it.",
			classes: []*v1.DatabaseClass{class("gcp-eu", v1.ProviderGCP, true)}, onBuiltin: true,
			wantProvider: v1.ProviderAWS, wantCloud: builtin},
		{name: "ProviderUnavailable", reason: "A class whose provider cannot be built (no credentials...) is said so with the cause; the object waits.",
			classes: []*v1.DatabaseClass{class("gcp-eu", v1.ProviderGCP, true)}, failFor: errors.New("no application default credentials"),
			wantReason: v1.ReasonClassUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scheme := runtime.NewScheme()
			_ = clientgoscheme.AddToScheme(scheme)
			_ = v1.AddToScheme(scheme)
			b := fake.NewClientBuilder().WithScheme(scheme)
			for _, c := range tc.classes {
				b = b.WithObjects(c)
			}
			r := &RDSDatabaseReconciler{Client: b.Build(), Cloud: builtin, Defaults: DefaultDefaults,
				Clouds: cloudsFunc(func(_ context.Context, c *v1.DatabaseClass, _ Defaults) (Placement, error) {
					if tc.failFor != nil {
						return Placement{}, tc.failFor
					}
					return Placement{Cloud: onGCP, Defaults: gcpDefaults}, nil
				})}
			db := sampleDB()
			if tc.mutate != nil {
				tc.mutate(db)
			}
			builtin.ObserveFn = nil
			if tc.onBuiltin {
				builtin.ObserveFn = func(context.Context, string) (cloud.Observation, error) {
					return cloud.Observation{Exists: true, Instance: cloud.Instance{Tags: map[string]string{v1.TagOwner: "shop/orders"}}}, nil
				}
			}
			s := newScope(db)
			err := r.place(context.Background(), s)
			if tc.wantReason != "" {
				c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned)
				if !errors.Is(err, errNoPlacement) || c == nil || c.Reason != tc.wantReason {
					t.Fatalf("%s\nplace = %v, Provisioned %+v; want no placement and reason %s", tc.reason, err, c, tc.wantReason)
				}
				if tc.failFor != nil && !strings.Contains(c.Message, tc.failFor.Error()) {
					t.Errorf("%s\nthe condition %q does not give the cause", tc.reason, c.Message)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nplace: %v", tc.reason, err)
			}
			if db.Status.Class != tc.wantClass || db.Status.Provider != tc.wantProvider || s.cloud != tc.wantCloud {
				t.Errorf("%s\nplaced on class %q provider %q (cloud %p); want %q, %q (%p)", tc.reason,
					db.Status.Class, db.Status.Provider, s.cloud, tc.wantClass, tc.wantProvider, tc.wantCloud)
			}
		})
	}
}
