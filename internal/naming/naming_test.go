package naming

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var rdsIdentifier = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

func validRDSIdentifier(s string) bool {
	return rdsIdentifier.MatchString(s) && !strings.Contains(s, "--") && !strings.HasSuffix(s, "-")
}

func TestIdentifier(t *testing.T) {
	cases := map[string]struct {
		reason          string
		namespace, name string
		wantPrefix      string
	}{
		"Simple": {
			reason:    "A short namespace and name stay readable.",
			namespace: "shop", name: "orders",
			wantPrefix: "shop-orders-",
		},
		"DigitFirst": {
			reason:    "An identifier must start with a letter, a namespace may not.",
			namespace: "1team", name: "db",
			wantPrefix: "rds-1team-db-",
		},
		"Long": {
			reason:    "Long names are cut so the whole fits in 63 characters with the hash.",
			namespace: strings.Repeat("n", 63), name: strings.Repeat("m", 59),
			wantPrefix: strings.Repeat("n", 54),
		},
		"CutAtHyphen": {
			reason:    "A cut that ends on a hyphen drops it, so no '--' appears before the hash.",
			namespace: strings.Repeat("a", 53), name: "b",
			wantPrefix: strings.Repeat("a", 53) + "-",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Identifier(tc.namespace, tc.name)
			if !strings.HasPrefix(got, tc.wantPrefix) {
				t.Errorf("%s\nIdentifier(%q, %q) = %q, want prefix %q", tc.reason, tc.namespace, tc.name, got, tc.wantPrefix)
			}
			if !validRDSIdentifier(got) {
				t.Errorf("%s\nIdentifier(%q, %q) = %q is not a valid RDS identifier", tc.reason, tc.namespace, tc.name, got)
			}
			if again := Identifier(tc.namespace, tc.name); again != got {
				t.Errorf("%s\nIdentifier is not stable: %q then %q", tc.reason, got, again)
			}
		})
	}
}

func TestIdentifierUnique(t *testing.T) {
	// Readable parts that collide must still give different identifiers.
	a, b := Identifier("a-b", "c"), Identifier("a", "b-c")
	if a == b {
		t.Errorf("Identifier(a-b, c) == Identifier(a, b-c) == %q, want them different", a)
	}
}

func TestFinalSnapshotIdentifier(t *testing.T) {
	id := Identifier(strings.Repeat("x", 63), "orders")
	got := FinalSnapshotIdentifier(id, "4b6f5c1e-uid")
	if !validRDSIdentifier(got) {
		t.Errorf("FinalSnapshotIdentifier(%q) = %q is not a valid RDS identifier", id, got)
	}
	if other := FinalSnapshotIdentifier(id, "another-uid"); other == got {
		t.Errorf("two incarnations of one object got the same final snapshot %q", got)
	}
}

func TestSecretAndServiceNames(t *testing.T) {
	got := []string{MasterSecretName("orders"), UserSecretName("orders", "app"), UserSecretName("orders", "read_only"), ServiceName("orders")}
	want := []string{"orders.rds.master", "orders.rds.app", "orders.rds.read-only", "orders-rds"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names: -want +got:\n%s", diff)
	}
}

func TestExportIdentifier(t *testing.T) {
	long := Identifier(strings.Repeat("team", 10), strings.Repeat("orders", 8))
	cases := []struct {
		reason, id, snapshot string
	}{
		{"a short database identifier is kept whole", Identifier("shop", "orders"), "rds:shop-orders-2026-12-02-03-10"},
		{"a 63-character identifier is cut, keeping its hash", long, "rds:" + long + "-2026-12-02-03-10"},
	}
	valid := regexp.MustCompile(`^[a-z][a-z0-9-]{0,59}$`)
	for _, c := range cases {
		got := ExportIdentifier(c.id, c.snapshot)
		if !valid.MatchString(got) || strings.Contains(got, "--") || strings.HasSuffix(got, "-") {
			t.Errorf("%s: %q is no RDS export identifier", c.reason, got)
		}
		if !strings.HasPrefix(got, ExportPrefix(c.id)) || !strings.HasSuffix(ExportPrefix(c.id), c.id[len(c.id)-hashLen:]+"-") {
			t.Errorf("%s: %q does not start with the database's prefix %q ending in its hash", c.reason, got, ExportPrefix(c.id))
		}
		if ExportIdentifier(c.id, c.snapshot) != got || ExportIdentifier(c.id, c.snapshot+"x") == got {
			t.Errorf("%s: not one identifier per snapshot", c.reason)
		}
	}
}

func TestManualSnapshotIdentifier(t *testing.T) {
	id := Identifier("shop", "orders")
	long := Identifier(strings.Repeat("team", 10), strings.Repeat("orders", 8))
	at := time.Date(2026, 12, 2, 15, 4, 0, 0, time.UTC)
	cases := []struct {
		reason, id, token string
		wantPrefix        string
	}{
		{reason: "A short identifier and token stay readable.", id: id, token: "1767225600", wantPrefix: id + "-manual-1767225600-"},
		{reason: "A long identifier and the longest token are cut to fit 63 characters with the hash.", id: long, token: strings.Repeat("t", 63), wantPrefix: long[:30]},
		{reason: "A token that is a scheduled slot's time stamp still names another snapshot than that slot's.", id: id, token: at.Format("200601021504"), wantPrefix: id + "-manual-"},
	}
	for _, c := range cases {
		got := ManualSnapshotIdentifier(c.id, c.token)
		if !validRDSIdentifier(got) || !strings.HasPrefix(got, c.wantPrefix) {
			t.Errorf("%s\nManualSnapshotIdentifier(%q, %q) = %q: want a valid RDS identifier starting with %q", c.reason, c.id, c.token, got, c.wantPrefix)
		}
		if again := ManualSnapshotIdentifier(c.id, c.token); again != got {
			t.Errorf("%s\nnot stable: %q then %q, so a retried request would take a second snapshot", c.reason, got, again)
		}
		if other := ManualSnapshotIdentifier(c.id, c.token+"-2"); other == got {
			t.Errorf("%s\ntokens %q and %q share the snapshot %q", c.reason, c.token, c.token+"-2", got)
		}
		if got == ScheduledSnapshotIdentifier(c.id, at) || got == FinalSnapshotIdentifier(c.id, c.token) {
			t.Errorf("%s\n%q is also a scheduled or final snapshot's name", c.reason, got)
		}
	}
}

func TestExportLocation(t *testing.T) {
	for _, tc := range []struct{ reason, prefix, want string }{
		{"No prefix: the task's folder at the bucket's top.", "", "cold/task-1/"},
		{"A prefix's own slashes are trimmed.", "/rds/orders/", "cold/rds/orders/task-1/"},
	} {
		if got := ExportLocation("cold", tc.prefix, "task-1"); got != tc.want {
			t.Errorf("%s\nExportLocation = %q, want %q", tc.reason, got, tc.want)
		}
	}
}
