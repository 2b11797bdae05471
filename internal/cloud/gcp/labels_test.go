package gcp

import (
	"errors"
	"maps"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Cloud SQL's label rules (docs/cloudsql-facts.md), written out again here rather than
// taken from labels.go, so that a mistake there cannot hide itself.
var (
	gcpLabelKey   = regexp.MustCompile(`^\p{Ll}[\p{Ll}\p{Lo}\p{N}_-]{0,62}$`)
	gcpLabelValue = regexp.MustCompile(`^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$`)
)

// checkLabels fails the test when labels break a rule of Cloud SQL's.
func checkLabels(t *testing.T, labels map[string]string) {
	t.Helper()
	if len(labels) > 64 {
		t.Errorf("%d labels; Cloud SQL takes at most 64", len(labels))
	}
	for k, v := range labels {
		if !gcpLabelKey.MatchString(k) || !gcpLabelValue.MatchString(v) {
			t.Errorf("label %q=%q is not a valid Cloud SQL label", k, v)
		}
	}
}

// A namespace of 63 characters and a name of 253, both DNS-1123: the longest owner tag.
var longestOwner = strings.Repeat("n", 63) + "/" + strings.Repeat("a.b-", 63) + "x"

func TestLabelsRoundTrip(t *testing.T) {
	cases := []struct {
		reason   string
		tags     map[string]string
		internal map[string]string
		// labels, when set, are the exact labels expected.
		labels map[string]string
	}{
		{
			reason: "A tag that is a valid label and looks like nothing of ours is the label itself, readable in the console.",
			tags:   map[string]string{"team": "payments", "cost_centre": "4711", "env": ""},
			labels: map[string]string{"team": "payments", "cost_centre": "4711", "env": ""},
		},
		{
			reason: "The operator's own tags, with dots and slashes in keys and values, are escaped under t-- keys.",
			tags: map[string]string{
				"matrixmind.cloud/owner": "shop/orders", "matrixmind.cloud/managed-by": "aws-rds-operator",
				"matrixmind.cloud/role": "read-replica", "matrixmind.cloud/backup": "scheduled",
			},
			labels: map[string]string{
				"t--matrixmind_dcloud_sowner": "shop_sorders", "t--matrixmind_dcloud_smanaged-by": "aws-rds-operator",
				"t--matrixmind_dcloud_srole": "read-replica", "t--matrixmind_dcloud_sbackup": "scheduled",
			},
		},
		{
			reason: "The longest owner the controller writes (a 63-character namespace, a 253-character name) is cut into numbered pieces.",
			tags:   map[string]string{"matrixmind.cloud/owner": longestOwner, "team": "payments"},
		},
		{
			reason: "User tags with upper case, spaces, unicode and underscores round-trip exactly.",
			tags:   map[string]string{"CostCentre": "R&D Team", "équipe": "Zürich_1", "a_b": "x__y", "k": "_"},
		},
		{
			reason: "A tag whose key looks like an encoded one is escaped too, so that it does not read back as something else.",
			tags:   map[string]string{"t--team": "a", "p--master-user": "b", "t2--x": "c", "t1--y": "d"},
		},
		{
			reason: "The provider's own entries come back as internal entries, never as tags.",
			tags:   map[string]string{"team": "payments"},
			internal: map[string]string{
				keyMasterUser: "sys_admin", keyMasterPending: "", keyBackupWindow: "03:00-03:30",
			},
		},
		{
			reason: "A value of exactly one full piece (63 escaped characters) and one just over it both come back whole.",
			tags:   map[string]string{"a.b": strings.Repeat("v", 63), "c.d": strings.Repeat("v", 64), "e.f": strings.Repeat(".", 63)},
		},
	}
	for _, tc := range cases {
		labels, err := encodeLabels(tc.tags, tc.internal)
		if err != nil {
			t.Errorf("%s\nencodeLabels(%v): %v", tc.reason, tc.tags, err)
			continue
		}
		checkLabels(t, labels)
		if tc.labels != nil {
			if diff := cmp.Diff(tc.labels, labels); diff != "" {
				t.Errorf("%s\nlabels, -want +got:\n%s", tc.reason, diff)
			}
		}
		got := readLabels(labels)
		if diff := cmp.Diff(tc.tags, got.tags, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s\ntags read back, -written +read:\n%s", tc.reason, diff)
		}
		if diff := cmp.Diff(tc.internal, got.internal, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s\ninternal entries read back, -written +read:\n%s", tc.reason, diff)
		}
	}
}

func TestForeignLabelsAsTheyAre(t *testing.T) {
	cases := []struct {
		reason string
		labels map[string]string
	}{
		{"Labels other tools put on an instance are tags as they are.", map[string]string{"env": "prod", "billing-code": "34802", "a__b": "c_d"}},
		{"International lowercase letters, which Cloud SQL allows, pass through.", map[string]string{"équipe": "zürich"}},
		{"A label that merely looks like an encoded one (an escape that is not one) is a tag as it is.", map[string]string{"t--a_qb": "x", "t--ok": "_q"}},
		{"Pieces with one missing are tags as they are.", map[string]string{"t--k": strings.Repeat("a", 63), "t3--k": "b"}},
		{"A first piece shorter than a full one followed by a second was not cut by the provider: tags as they are.", map[string]string{"t--k": "short", "t2--k": "b"}},
		{"Piece number 1 is never written: such a label is a tag as it is.", map[string]string{"t1--k": "v"}},
		{"A piece number too large for a number is a tag as it is.", map[string]string{"t99999999999999999999--k": "v"}},
		{"An escape written in upper-case hex, or for a byte that needs none, is not the provider's.", map[string]string{"t--a_x2E": "v", "t--a_x61": "v"}},
	}
	for _, tc := range cases {
		got := readLabels(tc.labels)
		if diff := cmp.Diff(tc.labels, got.tags); diff != "" {
			t.Errorf("%s\n-labels +tags read:\n%s", tc.reason, diff)
		}
		if len(got.internal) != 0 {
			t.Errorf("%s\ninternal entries read from foreign labels: %v", tc.reason, got.internal)
		}
	}
}

func TestRelabelKeepsOtherLabels(t *testing.T) {
	current, err := encodeLabels(map[string]string{"matrixmind.cloud/owner": longestOwner, "team": "payments"}, map[string]string{keyMasterUser: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	current["their-label"] = "x"
	current["t--a_qb"] = "theirs_too"
	cases := []struct {
		reason   string
		tags     map[string]string
		set      map[string]*string
		wantTags map[string]string
		wantInt  map[string]string
	}{
		{
			reason:   "Overwriting a long tag with a short one drops its other pieces.",
			tags:     map[string]string{"matrixmind.cloud/owner": "a/b"},
			wantTags: map[string]string{"matrixmind.cloud/owner": "a/b", "team": "payments", "their-label": "x", "t--a_qb": "theirs_too"},
			wantInt:  map[string]string{keyMasterUser: "admin"},
		},
		{
			reason:   "A plain tag given a value that needs escaping moves under t--, and its plain label goes.",
			tags:     map[string]string{"team": "Payments"},
			wantTags: map[string]string{"matrixmind.cloud/owner": longestOwner, "team": "Payments", "their-label": "x", "t--a_qb": "theirs_too"},
			wantInt:  map[string]string{keyMasterUser: "admin"},
		},
		{
			reason:   "A nil internal entry removes it; a set one is added; tags stay.",
			set:      map[string]*string{keyMasterUser: nil, keyMasterPending: new(string)},
			wantTags: map[string]string{"matrixmind.cloud/owner": longestOwner, "team": "payments", "their-label": "x", "t--a_qb": "theirs_too"},
			wantInt:  map[string]string{keyMasterPending: ""},
		},
	}
	for _, tc := range cases {
		labels, err := relabel(current, tc.tags, tc.set)
		if err != nil {
			t.Errorf("%s\nrelabel: %v", tc.reason, err)
			continue
		}
		checkLabels(t, labels)
		if labels["their-label"] != "x" || labels["t--a_qb"] != "theirs_too" {
			t.Errorf("%s\nlabels of another tool were changed: %v", tc.reason, labels)
		}
		got := readLabels(labels)
		if diff := cmp.Diff(tc.wantTags, got.tags); diff != "" {
			t.Errorf("%s\ntags, -want +got:\n%s", tc.reason, diff)
		}
		if diff := cmp.Diff(tc.wantInt, got.internal, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s\ninternal entries, -want +got:\n%s", tc.reason, diff)
		}
	}
	if _, ok := current["t2--matrixmind_dcloud_sowner"]; !ok {
		t.Fatal("the long owner tag was expected in several pieces")
	}
}

func TestLabelsThatCannotBeStored(t *testing.T) {
	many := map[string]string{}
	for i := range 40 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	many["matrixmind.cloud/owner"] = longestOwner                               // 7 labels: 47 in all
	many["cluster.example.com/description"] = strings.Repeat("Long Words ", 40) // 14 labels: 61 in all
	cases := []struct {
		reason string
		tags   map[string]string
		// named is the tag the error must name.
		named string
	}{
		{"A key longer than a label key can hold once escaped fails, naming the tag.", map[string]string{strings.Repeat("K", 30): "v"}, strings.Repeat("K", 30)},
		{"An empty key is not a tag.", map[string]string{"": "v"}, `""`},
		{"Tags that need more labels than Cloud SQL allows fail, naming the longest.", many, "cluster.example.com/description"},
	}
	for _, tc := range cases {
		_, err := encodeLabels(tc.tags, nil)
		var le *labelError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.named) {
			t.Errorf("%s\nencodeLabels = %v; want a *labelError naming %s", tc.reason, err, tc.named)
		}
	}
}

// FuzzTagsRoundTrip checks, for any tag next to the operator's own, that the labels are
// valid Cloud SQL labels and read back as exactly the tags written, or that the tag is
// refused with an error naming it. Its seed corpus is in testdata/fuzz.
func FuzzTagsRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, key, value string) {
		tags := map[string]string{"matrixmind.cloud/owner": "shop/orders", key: value}
		labels, err := encodeLabels(tags, map[string]string{keyMasterUser: "sysadmin"})
		if err != nil {
			var le *labelError
			if !errors.As(err, &le) || le.key != key {
				t.Fatalf("encodeLabels(%q: %q) = %v; want a *labelError naming %q", key, value, err, key)
			}
			return
		}
		checkLabels(t, labels)
		got := readLabels(labels)
		if !maps.Equal(tags, got.tags) {
			t.Fatalf("tags read back = %q; want %q (labels %q)", got.tags, tags, labels)
		}
		if got.internal[keyMasterUser] != "sysadmin" {
			t.Fatalf("internal entries read back = %q (labels %q)", got.internal, labels)
		}
	})
}
