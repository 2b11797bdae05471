package soak

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// TestEvaluate proves each invariant catches what it is about, and that a clean state (with
// a retained database and a throttled create) breaks none.
func TestEvaluate(t *testing.T) {
	const ns = "soak-x"
	id := func(name string) string { return naming.Identifier(ns, name) }
	instance := func(name, owner string) types.DBInstance {
		return types.DBInstance{DBInstanceIdentifier: aws.String(id(name)), DBInstanceStatus: aws.String("available"),
			TagList: []types.Tag{{Key: aws.String(v1.TagOwner), Value: aws.String(owner)}}}
	}
	base := func() observed {
		return observed{
			ns: ns,
			fleet: []*dbPlan{
				{name: "ne-01", policy: v1.DeletionSnapshot},
				{name: "ne-02", policy: v1.DeletionSnapshot},
				{name: "ne-03", policy: v1.DeletionDelete},
				{name: "ne-04", policy: v1.DeletionRetain},
				{name: "fx-01", foreign: foreignOtherOwner, policy: v1.DeletionSnapshot},
			},
			state: map[string]dbState{
				"ne-01": {created: true}, "ne-02": {created: true, deleted: true}, "ne-03": {created: true, deleted: true},
				"ne-04": {created: true, deleted: true}, "fx-01": {created: true, deleted: true},
			},
			instances: map[string]types.DBInstance{
				id("ne-01"): instance("ne-01", ns+"/ne-01"),
				id("ne-04"): instance("ne-04", ns+"/ne-04"),
				id("fx-01"): instance("fx-01", "other-team/billing"),
			},
			snapshots: map[string][]string{id("ne-02"): {"final"}},
			calls: []Call{
				{Action: "CreateDBInstance", ID: id("ne-01"), Code: "Throttling"},
				{Action: "CreateDBInstance", ID: id("ne-01")},
				{Action: "CreateDBInstance", ID: id("ne-02")},
				{Action: "CreateDBInstance", ID: id("ne-03")},
				{Action: "CreateDBInstance", ID: id("ne-04")},
				{Action: "DescribeDBInstances", ID: id("fx-01")},
			},
			foreignTags: map[string]map[string]string{id("fx-01"): {v1.TagOwner: "other-team/billing"}},
			logins:      []loginResult{{secret: "pg-01.rds.master"}},
		}
	}
	cases := map[string]struct {
		reason string
		change func(o *observed)
		want   map[string]int
	}{
		"Clean": {
			reason: "A converged fleet with its final snapshot, a retained database and a retried create breaks nothing.",
			change: func(*observed) {},
			want:   map[string]int{},
		},
		"Leak": {
			reason: "A cloud database that outlived its object deleted with Delete is a leak.",
			change: func(o *observed) { o.instances[id("ne-03")] = instance("ne-03", ns+"/ne-03") },
			want:   map[string]int{"cloud databases without an owning object (leaks)": 1},
		},
		"UnknownOwner": {
			reason: "A cloud database whose owner tag names no object is a leak.",
			change: func(o *observed) { o.instances["stray"] = instance("stray", ns+"/nobody") },
			want:   map[string]int{"cloud databases without an owning object (leaks)": 1},
		},
		"MissingFinalSnapshot": {
			reason: "An object deleted with Snapshot whose database was created needs its final snapshot.",
			change: func(o *observed) { delete(o.snapshots, id("ne-02")) },
			want:   map[string]int{"final snapshots missing": 1},
		},
		"NeverCreated": {
			reason: "An object deleted before its database was created needs no final snapshot.",
			change: func(o *observed) {
				delete(o.snapshots, id("ne-02"))
				o.calls = o.calls[:2]
				o.calls = append(o.calls, Call{Action: "CreateDBInstance", ID: id("ne-03")}, Call{Action: "CreateDBInstance", ID: id("ne-04")})
			},
			want: map[string]int{},
		},
		"DoubledFinalSnapshot": {
			reason: "Two final snapshots of one database are a double.",
			change: func(o *observed) { o.snapshots[id("ne-02")] = []string{"a", "b"} },
			want:   map[string]int{"final snapshots doubled": 1},
		},
		"SnapshotOfDeleted": {
			reason: "An object deleted with Delete must leave no snapshot.",
			change: func(o *observed) { o.snapshots[id("ne-03")] = []string{"a"} },
			want:   map[string]int{"snapshots not asked for (Delete, Retain, or never created)": 1},
		},
		"DoubleCreate": {
			reason: "Two CreateDBInstance that went through for one identifier are a double create.",
			change: func(o *observed) { o.calls = append(o.calls, Call{Action: "CreateDBInstance", ID: id("ne-01")}) },
			want:   map[string]int{"cloud databases created twice for one object": 1},
		},
		"ForeignTouched": {
			reason: "Any change asked of a foreign database counts, even one the cloud refused.",
			change: func(o *observed) {
				o.calls = append(o.calls, Call{Action: "AddTagsToResource", ID: id("fx-01"), Code: "InternalFailure"})
			},
			want: map[string]int{"calls that touched a foreign cloud database": 1},
		},
		"ForeignChanged": {
			reason: "A foreign database whose tags changed was changed, whoever did it.",
			change: func(o *observed) { o.instances[id("fx-01")] = instance("fx-01", ns+"/fx-01") },
			want:   map[string]int{"foreign cloud databases changed or gone": 1},
		},
		"LostPassword": {
			reason: "A Secret whose password does not log in is a lost password.",
			change: func(o *observed) { o.logins[0].err = errors.New("password authentication failed") },
			want:   map[string]int{"passwords lost (Secret does not log in)": 1},
		},
		"NotConverged": {
			reason: "An object not where its plan leads is reported.",
			change: func(o *observed) { o.unsettled = []string{"ne-01: Provisioned False"} },
			want:   map[string]int{"objects not converged (Ready / Provisioned / OwnedByOther / gone)": 1},
		},
		"Drift": {
			reason: "A live database that differs from its spec is reported.",
			change: func(o *observed) { o.drift = map[string]string{"ne-01": "storage 20 GiB, spec 30 GiB"} },
			want:   map[string]int{"live cloud databases differing from their spec": 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := base()
			tc.change(&o)
			rep := evaluate(o)
			got := map[string]int{}
			for _, f := range rep.Invariants {
				if f.Want != nil && f.Value != *f.Want {
					got[f.Name] = f.Value
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nviolated invariants: -want +got:\n%s\nviolations: %v", tc.reason, diff, rep.Violations)
			}
			if (len(tc.want) == 0) != (rep.Err() == nil) {
				t.Errorf("%s\nErr() = %v, want an error %t", tc.reason, rep.Err(), len(tc.want) > 0)
			}
		})
	}
}
