package soak

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// restoreKey is one restore the operator asked for: into the cloud database target, from
// snapshot.
type restoreKey struct{ target, snapshot string }

// restoreFigures computes the tenancy invariant of restores from the operator's calls: every
// RestoreDBInstanceFromDBSnapshot it sent, whatever the answer, must restore a snapshot
// taken for an object of the restoring object's own namespace. Who a snapshot belongs to is
// read from the instance the emulator says it is of, not from its owner tag, which is what
// the operator decides by; failing that from the object the soak named it after, then from
// the tag. It also counts the cross-namespace attempts the operator refused while their
// snapshot was there, and the same-namespace restores that went through, so that the
// invariant is seen to be tested both ways.
func restoreFigures(o observed) (figs []Figure, violations []string) {
	byID, byName := map[string]*dbPlan{}, map[string]*dbPlan{}
	for _, p := range o.fleet {
		byID[naming.Identifier(o.nsOf(p), p.name)] = p
		byName[p.name] = p
	}
	owner := func(p *dbPlan) string { return naming.Owner(o.nsOf(p), p.name) }
	snapshotOwner := func(snapshot string) string {
		s, inCloud := o.snapshotOf[snapshot]
		if p := byID[s.instance]; inCloud && p != nil {
			return owner(p)
		}
		for _, p := range o.fleet {
			if p.restoreFrom != "" && o.state[p.name].snapshot == snapshot {
				return owner(byName[p.restoreFrom])
			}
		}
		return s.owner
	}

	asked, went := map[restoreKey]string{}, map[restoreKey]bool{}
	for _, c := range o.calls {
		if c.Action != "RestoreDBInstanceFromDBSnapshot" {
			continue
		}
		k := restoreKey{target: c.ID, snapshot: c.Snapshot}
		asked[k] = cmp.Or(asked[k], c.Code)
		went[k] = went[k] || c.Code == ""
	}
	cross, same := 0, 0
	for _, k := range slices.SortedFunc(maps.Keys(asked), func(a, b restoreKey) int {
		return cmp.Or(cmp.Compare(a.target, b.target), cmp.Compare(a.snapshot, b.snapshot))
	}) {
		answer := "went through"
		if !went[k] {
			answer = "answered " + asked[k]
		}
		target, source := byID[k.target], snapshotOwner(k.snapshot)
		sourceNS, _, _ := strings.Cut(source, "/")
		switch {
		case target == nil:
			cross++
			violations = append(violations, fmt.Sprintf("cloud database %s, of no object of the soak, was restored from snapshot %s of %q (%s)", k.target, k.snapshot, source, answer))
		case source == "":
			cross++
			violations = append(violations, fmt.Sprintf("%s restored snapshot %s, which was not taken for any object (%s)", owner(target), k.snapshot, answer))
		case sourceNS != o.nsOf(target):
			cross++
			violations = append(violations, fmt.Sprintf("%s restored snapshot %s of %s, another namespace's (%s)", owner(target), k.snapshot, source, answer))
		case went[k]:
			same++
		}
	}

	tried, refused := 0, 0
	for _, p := range o.fleet {
		if !p.neighbour || !o.state[p.name].created {
			continue
		}
		tried++
		if _, inCloud := o.snapshotOf[o.state[p.name].snapshot]; inCloud && o.restoreRefused[p.name] {
			refused++
		}
	}
	info := func(name string, v int) { figs = append(figs, Figure{Name: name, Value: v}) }
	info("restores of another namespace's snapshot tried (objects)", tried)
	info("  refused with RestoreNotAllowed, the snapshot in the cloud", refused)
	figs = append(figs, Figure{Name: "cross-namespace restores (RestoreDBInstanceFromDBSnapshot)", Value: cross, Want: zero()})
	info("same-namespace restores that went through", same)
	return figs, violations
}
