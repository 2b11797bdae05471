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
// a retained database, a throttled create, a restore in the namespace and a refused one
// from the neighbouring namespace) breaks none.
func TestEvaluate(t *testing.T) {
	const ns, neighbourNS = "soak-x", "soak-y"
	id := func(name string) string { return naming.Identifier(ns, name) }
	instance := func(name, owner string) types.DBInstance {
		return types.DBInstance{DBInstanceIdentifier: aws.String(id(name)), DBInstanceStatus: aws.String("available"),
			TagList: []types.Tag{{Key: aws.String(v1.TagOwner), Value: aws.String(owner)}}}
	}
	base := func() observed {
		return observed{
			ns: ns, neighbourNS: neighbourNS,
			fleet: []*dbPlan{
				{name: "ne-01", policy: v1.DeletionSnapshot},
				{name: "ne-02", policy: v1.DeletionSnapshot},
				{name: "ne-03", policy: v1.DeletionDelete},
				{name: "ne-04", policy: v1.DeletionRetain},
				{name: "fx-01", foreign: foreignOtherOwner, policy: v1.DeletionSnapshot},
				{name: "rs-01", restoreFrom: "ne-02", policy: v1.DeletionDelete},
				{name: "rx-01", restoreFrom: "ne-02", neighbour: true, policy: v1.DeletionDelete},
			},
			state: map[string]dbState{
				"ne-01": {created: true}, "ne-02": {created: true, deleted: true}, "ne-03": {created: true, deleted: true},
				"ne-04": {created: true, deleted: true}, "fx-01": {created: true, deleted: true},
				"rs-01": {created: true, snapshot: "final"}, "rx-01": {created: true, snapshot: "final"},
			},
			instances: map[string]types.DBInstance{
				id("ne-01"): instance("ne-01", ns+"/ne-01"),
				id("ne-04"): instance("ne-04", ns+"/ne-04"),
				id("fx-01"): instance("fx-01", "other-team/billing"),
				id("rs-01"): instance("rs-01", ns+"/rs-01"),
			},
			snapshots:      map[string][]string{id("ne-02"): {"final"}},
			snapshotOf:     map[string]cloudSnapshot{"final": {instance: id("ne-02"), owner: ns + "/ne-02"}},
			restoreRefused: map[string]bool{"rx-01": true},
			calls: []Call{
				{Action: "CreateDBInstance", ID: id("ne-01"), Code: "Throttling"},
				{Action: "CreateDBInstance", ID: id("ne-01")},
				{Action: "CreateDBInstance", ID: id("ne-02")},
				{Action: "CreateDBInstance", ID: id("ne-03")},
				{Action: "CreateDBInstance", ID: id("ne-04")},
				{Action: "DescribeDBInstances", ID: id("fx-01")},
				{Action: "RestoreDBInstanceFromDBSnapshot", ID: id("rs-01"), Snapshot: "final", Code: "InvalidDBSnapshotState"},
				{Action: "RestoreDBInstanceFromDBSnapshot", ID: id("rs-01"), Snapshot: "final"},
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
		"CrossNamespaceRestore": {
			reason: "A restore into the neighbouring namespace's database from the fleet's snapshot crosses namespaces.",
			change: func(o *observed) {
				o.calls = append(o.calls, Call{Action: "RestoreDBInstanceFromDBSnapshot", ID: naming.Identifier(neighbourNS, "rx-01"), Snapshot: "final"})
			},
			want: map[string]int{"cross-namespace restores (RestoreDBInstanceFromDBSnapshot)": 1},
		},
		"CrossNamespaceRestoreFailed": {
			reason: "A cross-namespace restore counts even when the cloud refused it: the operator must not ask.",
			change: func(o *observed) {
				for range 2 {
					o.calls = append(o.calls, Call{Action: "RestoreDBInstanceFromDBSnapshot", ID: naming.Identifier(neighbourNS, "rx-01"), Snapshot: "final", Code: "Throttling"})
				}
			},
			want: map[string]int{"cross-namespace restores (RestoreDBInstanceFromDBSnapshot)": 1},
		},
		"OwnerTagNotTrusted": {
			reason: "Whose snapshot it is comes from the instance it is of, not from the owner tag the operator trusts.",
			change: func(o *observed) {
				o.snapshotOf["final"] = cloudSnapshot{instance: id("ne-02"), owner: neighbourNS + "/rx-01"}
				o.calls = append(o.calls, Call{Action: "RestoreDBInstanceFromDBSnapshot", ID: naming.Identifier(neighbourNS, "rx-01"), Snapshot: "final"})
			},
			want: map[string]int{"cross-namespace restores (RestoreDBInstanceFromDBSnapshot)": 1},
		},
		"RestoreOfUnownedSnapshot": {
			reason: "A restore of a snapshot taken for no object is not a restore of the namespace's own.",
			change: func(o *observed) {
				o.snapshotOf["manual-1"] = cloudSnapshot{instance: "elsewhere"}
				o.calls = append(o.calls, Call{Action: "RestoreDBInstanceFromDBSnapshot", ID: id("rs-01"), Snapshot: "manual-1"})
			},
			want: map[string]int{"cross-namespace restores (RestoreDBInstanceFromDBSnapshot)": 1},
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

	// The clean state's restore figures show both sides were tried: the neighbour's attempt
	// refused while the snapshot was there, and the namespace's own restore made once
	// (its first call, answered InvalidDBSnapshotState, is the same restore).
	figs, _ := restoreFigures(base())
	got := map[string]int{}
	for _, f := range figs {
		got[f.Name] = f.Value
	}
	want := map[string]int{
		"restores of another namespace's snapshot tried (objects)":    1,
		"  refused with RestoreNotAllowed, the snapshot in the cloud": 1,
		"cross-namespace restores (RestoreDBInstanceFromDBSnapshot)":  0,
		"same-namespace restores that went through":                   1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("restore figures of the clean state: -want +got:\n%s", diff)
	}
}
