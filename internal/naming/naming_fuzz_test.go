package naming

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// FuzzIdentifier proves the cloud identifier of any namespace/name, and the snapshot
// identifiers derived from it, follow RDS's rules; that they are stable; and that two
// different objects never share one. Kubernetes names cannot contain "/", which is what
// keeps the hashed key "<namespace>/<name>" unambiguous, so uniqueness is checked for names
// without it.
func FuzzIdentifier(f *testing.F) {
	f.Add("shop", "orders", "shop", "orders2", "uid-1", int64(0))
	f.Add("shop", "orders", "shop", "orders-r1", "uid-1", int64(0))
	f.Add("a-b", "c", "a", "b-c", "", int64(1767225600))
	f.Add("1team", "db", "team", "1db", "x", int64(-62135596800))
	f.Add(strings.Repeat("n", 63), strings.Repeat("m", 59), strings.Repeat("n", 63), strings.Repeat("m", 58), "u", int64(253402300799))
	f.Add("", "", "-", "-", "--", int64(-1))
	f.Add("аpp", "db", "app", "db", "ü", int64(1<<40))
	f.Add("KELVIN", "\u212a", "kelvin", "k", "\x00", int64(-1<<40))
	f.Fuzz(func(t *testing.T, ns, name, ns2, name2, uid string, unix int64) {
		id := Identifier(ns, name)
		if !validRDSIdentifier(id) {
			t.Fatalf("Identifier(%q, %q) = %q: not a valid RDS identifier", ns, name, id)
		}
		if again := Identifier(ns, name); again != id {
			t.Fatalf("Identifier(%q, %q) is not stable: %q then %q", ns, name, id, again)
		}
		noSlash := !strings.Contains(ns+name+ns2+name2, "/")
		if other := Identifier(ns2, name2); noSlash && (ns != ns2 || name != name2) && other == id {
			t.Fatalf("%q/%q and %q/%q share the identifier %q", ns, name, ns2, name2, id)
		}
		for n := 1; n <= 3; n++ {
			replica := ReplicaIdentifier(ns, name, n)
			if !validRDSIdentifier(replica) || replica == id || replica == ReplicaIdentifier(ns, name, n+1) {
				t.Fatalf("ReplicaIdentifier(%q, %q, %d) = %q: not a valid RDS identifier apart from the primary's and the other replicas'", ns, name, n, replica)
			}
			if noSlash && replica == Identifier(ns2, name2) {
				t.Fatalf("replica %d of %q/%q and the primary of %q/%q share the identifier %q", n, ns, name, ns2, name2, replica)
			}
			member := ClusterInstanceIdentifier(ns, name, n)
			if !validRDSIdentifier(member) || member == id || member == replica || member == ClusterInstanceIdentifier(ns, name, n+1) {
				t.Fatalf("ClusterInstanceIdentifier(%q, %q, %d) = %q: not a valid RDS identifier apart from the cluster's, the replicas' and the other instances'", ns, name, n, member)
			}
			if noSlash && member == Identifier(ns2, name2) {
				t.Fatalf("Aurora instance %d of %q/%q and the database of %q/%q share the identifier %q", n, ns, name, ns2, name2, member)
			}
		}
		final := FinalSnapshotIdentifier(id, uid)
		if !validRDSIdentifier(final) || final != FinalSnapshotIdentifier(id, uid) {
			t.Fatalf("FinalSnapshotIdentifier(%q, %q) = %q: not a valid, stable RDS identifier", id, uid, final)
		}
		at := time.Unix(unix, 0)
		sched := ScheduledSnapshotIdentifier(id, at)
		if !validRDSIdentifier(sched) || sched != ScheduledSnapshotIdentifier(id, at.In(time.FixedZone("x", 3600))) {
			t.Fatalf("ScheduledSnapshotIdentifier(%q, %v) = %q: not a valid RDS identifier, or depends on the time zone", id, at, sched)
		}
		if sched == final {
			t.Fatalf("the scheduled and final snapshots of %q share the identifier %q", id, sched)
		}
		manual := ManualSnapshotIdentifier(id, uid)
		if !validRDSIdentifier(manual) || manual != ManualSnapshotIdentifier(id, uid) || manual == ManualSnapshotIdentifier(id, uid+"-") {
			t.Fatalf("ManualSnapshotIdentifier(%q, %q) = %q: not a valid, stable RDS identifier of its own token", id, uid, manual)
		}
		if manual == final || manual == sched {
			t.Fatalf("a manual snapshot of %q shares the identifier %q with the final or scheduled one", id, manual)
		}
	})
}

// Admission's rules for the names that go into Secret and Service names (api/v1, CEL).
var (
	admittedObjectName = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,57}[a-z0-9])?$`)
	admittedUserName   = regexp.MustCompile(`^[a-z]([a-z0-9_]{0,61}[a-z0-9])?$`)
)

// FuzzSecretNames proves that for every object name and user name admission lets through,
// the Secrets get valid DNS-1123 subdomain names and the Service a valid DNS-1035 label, and
// that two users never share a Secret, nor a user the master's.
func FuzzSecretNames(f *testing.F) {
	f.Add("orders", "app", "app_2")
	f.Add("a", "a_b", "a__b")
	f.Add("db-1", "x", "x_")
	f.Add(strings.Repeat("a", 59), strings.Repeat("u", 63), strings.Repeat("u", 62))
	f.Add("orders", "master", "rds")
	f.Fuzz(func(t *testing.T, name, user, user2 string) {
		if !admittedObjectName.MatchString(name) || !admittedUserName.MatchString(user) || user == "master" {
			return // refused at admission: no Secret is ever named after it
		}
		master := MasterSecretName(name)
		secret := UserSecretName(name, user)
		for _, s := range []string{master, secret} {
			if errs := validation.IsDNS1123Subdomain(s); len(errs) > 0 {
				t.Fatalf("object %q, user %q: Secret name %q is invalid: %v", name, user, s, errs)
			}
		}
		if secret == master {
			t.Fatalf("user %q of %q gets the master's Secret %q", user, name, master)
		}
		if errs := validation.IsDNS1035Label(ServiceName(name)); len(errs) > 0 {
			t.Fatalf("object %q: Service name %q is invalid: %v", name, ServiceName(name), errs)
		}
		if admittedUserName.MatchString(user2) && user2 != user && UserSecretName(name, user2) == secret {
			t.Fatalf("users %q and %q of %q share the Secret %q", user, user2, name, secret)
		}
	})
}
