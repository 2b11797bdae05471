package controller

import (
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
)

func TestAllowFlags(t *testing.T) {
	cases := map[string]struct {
		reason  string
		args    []string
		want    Allowances
		wantErr string
	}{
		"None": {reason: "Without flags nothing beyond the defaults is allowed.", want: Allowances{}},
		"Restore": {reason: "A bare source is for every namespace; ns=source for one; ARNs keep their colons.",
			args: []string{"--allow-restore", "golden, staging=namespace:prod,arn:aws:rds:eu-west-1:111122223333:snapshot:base"},
			want: Allowances{Restore: Grants{{"*", "golden"}, {"staging", "namespace:prod"}, {"*", "arn:aws:rds:eu-west-1:111122223333:snapshot:base"}}}},
		"Public": {reason: "Public access is a list of namespaces.", args: []string{"--allow-public-access", "edge,*"},
			want: Allowances{PublicAccess: Grants{{Namespace: "edge"}, {Namespace: "*"}}}},
		"Groups": {reason: "Security groups, subnet groups and keys take the same form.",
			args: []string{"--allow-security-group-ids", "team-a=sg-0123456789abcdef0", "--allow-subnet-groups", "public-subnets", "--allow-kms-key-ids", "team-a=alias/team-a"},
			want: Allowances{SecurityGroupIDs: Grants{{"team-a", "sg-0123456789abcdef0"}}, SubnetGroups: Grants{{"*", "public-subnets"}}, KMSKeyIDs: Grants{{"team-a", "alias/team-a"}}}},
		"BadNamespace": {reason: "A namespace must be a DNS label or *.", args: []string{"--allow-public-access", "Team_A"}, wantErr: "not a namespace name"},
		"NoValue":      {reason: "ns= with nothing after it grants nothing and is a typo.", args: []string{"--allow-restore", "team-a="}, wantErr: "names no value"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var d Defaults
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(new(strings.Builder))
			d.BindFlags(fs)
			err := fs.Parse(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nerror %v, want one containing %q", tc.reason, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nparse: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, d.Allow); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRestoreAllowed(t *testing.T) {
	ours := cloud.Snapshot{Identifier: "shop-orders-final", ARN: "arn:aws:rds:us-east-1:123456789012:snapshot:shop-orders-final",
		Tags: map[string]string{v1.TagOwner: "shop/orders", v1.TagManagedBy: v1.ManagedByValue}}
	outside := cloud.Snapshot{Identifier: "golden", ARN: "arn:aws:rds:us-east-1:123456789012:snapshot:golden", Tags: map[string]string{}}
	cases := map[string]struct {
		reason    string
		allow     Allowances
		namespace string
		snap      cloud.Snapshot
		want      bool
	}{
		"SameNamespace": {reason: "A snapshot taken for an object of the namespace is the namespace's own.",
			namespace: "shop", snap: ours, want: true},
		"OtherNamespace": {reason: "Another namespace's snapshot is refused: that is the hole this closes.",
			namespace: "intruder", snap: ours, want: false},
		"Untagged": {reason: "A snapshot made outside the operator belongs to no namespace.",
			namespace: "shop", snap: outside, want: false},
		"NamespaceGrant": {reason: "An admin lets staging restore prod's snapshots.",
			allow: Allowances{Restore: Grants{{"staging", "namespace:shop"}}}, namespace: "staging", snap: ours, want: true},
		"NamespaceGrantOtherTarget": {reason: "A grant for staging is not one for anyone else.",
			allow: Allowances{Restore: Grants{{"staging", "namespace:shop"}}}, namespace: "intruder", snap: ours, want: false},
		"IdentifierGrant": {reason: "An admin lets every namespace restore the golden image by identifier.",
			allow: Allowances{Restore: Grants{{"*", "golden"}}}, namespace: "anyone", snap: outside, want: true},
		"ARNGrant": {reason: "A grant by ARN matches the snapshot's ARN.",
			allow: Allowances{Restore: Grants{{"anyone", outside.ARN}}}, namespace: "anyone", snap: outside, want: true},
		"NamespaceGrantUntagged": {reason: "A namespace grant never covers an untagged snapshot.",
			allow: Allowances{Restore: Grants{{"*", "namespace:"}}}, namespace: "anyone", snap: outside, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.allow.restoreAllowed(tc.namespace, tc.snap); got != tc.want {
				t.Errorf("%s\nrestoreAllowed(%q) = %t, want %t", tc.reason, tc.namespace, got, tc.want)
			}
		})
	}
}

func TestCheckExposure(t *testing.T) {
	defaults := Defaults{SecurityGroupIDs: []string{"sg-00000000"}, SubnetGroup: "private", KMSKeyID: "alias/platform",
		Allow: Allowances{
			PublicAccess:     Grants{{Namespace: "edge"}},
			SecurityGroupIDs: Grants{{"edge", "sg-11111111"}},
			SubnetGroups:     Grants{{"*", "shared"}},
			KMSKeyIDs:        Grants{{"edge", "alias/edge"}},
		}}
	cases := map[string]struct {
		reason    string
		namespace string
		desired   cloud.Desired
		current   *exposure
		wantErr   string
		wantWarn  bool
	}{
		"Defaults": {reason: "The operator's defaults are always allowed.", namespace: "shop",
			desired: cloud.Desired{SecurityGroupIDs: []string{"sg-00000000"}, SubnetGroup: "private", StorageEncrypted: true, KMSKeyID: "alias/platform"}},
		"PublicRefused": {reason: "A new public database needs the admin's word.", namespace: "shop",
			desired: cloud.Desired{PubliclyAccessible: true}, wantErr: "spec.network.publiclyAccessible: true is not allowed in namespace shop"},
		"PublicAllowed": {reason: "The admin allowed public databases in edge.", namespace: "edge",
			desired: cloud.Desired{PubliclyAccessible: true}},
		"PublicKept": {reason: "An existing public database keeps working, with a warning.", namespace: "shop",
			desired: cloud.Desired{PubliclyAccessible: true}, current: &exposure{public: true}, wantWarn: true},
		"PublicWidened": {reason: "An existing private database cannot be made public by its spec alone.", namespace: "shop",
			desired: cloud.Desired{PubliclyAccessible: true}, current: &exposure{}, wantErr: "publiclyAccessible"},
		"GroupRefused": {reason: "A security group that is not the default's nor granted.", namespace: "shop",
			desired: cloud.Desired{SecurityGroupIDs: []string{"sg-11111111"}}, wantErr: "spec.network.securityGroupIds sg-11111111 is not allowed in namespace shop"},
		"GroupGranted": {reason: "Granted to edge.", namespace: "edge", desired: cloud.Desired{SecurityGroupIDs: []string{"sg-11111111"}}},
		"GroupKept": {reason: "An existing database keeps the group it has.", namespace: "shop",
			desired: cloud.Desired{SecurityGroupIDs: []string{"sg-11111111"}}, current: &exposure{securityGroups: []string{"sg-11111111"}}, wantWarn: true},
		"GroupAdded": {reason: "Adding a group to an existing database is a widening.", namespace: "shop",
			desired: cloud.Desired{SecurityGroupIDs: []string{"sg-22222222"}}, current: &exposure{securityGroups: []string{"sg-00000000"}}, wantErr: "sg-22222222"},
		"SubnetRefused": {reason: "A new database in a subnet group nobody allowed.", namespace: "shop",
			desired: cloud.Desired{SubnetGroup: "public-subnets"}, wantErr: "spec.network.subnetGroup public-subnets"},
		"SubnetGrantedToAll": {reason: "A grant without a namespace is for all.", namespace: "shop", desired: cloud.Desired{SubnetGroup: "shared"}},
		"KeyRefused": {reason: "A key nobody allowed, say another team's or another account's.", namespace: "shop",
			desired: cloud.Desired{StorageEncrypted: true, KMSKeyID: "arn:aws:kms:us-east-1:999999999999:key/x"}, wantErr: "spec.encryption.kmsKeyId"},
		"KeyIgnoredUnencrypted": {reason: "No key is used for unencrypted storage.", namespace: "shop",
			desired: cloud.Desired{KMSKeyID: "alias/other"}},
		"KeyKept": {reason: "An existing database's key cannot change: it keeps working.", namespace: "shop",
			desired: cloud.Desired{StorageEncrypted: true, KMSKeyID: "alias/edge"}, current: &exposure{kmsKeyID: "arn:aws:kms:us-east-1:1:key/y"}, wantWarn: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := events.NewFakeRecorder(10)
			r := &RDSDatabaseReconciler{Defaults: defaults, Recorder: rec}
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: tc.namespace, Name: "db", UID: types.UID("uid-" + tc.namespace + name)}}
			err := r.checkExposure(placed(r, db), tc.desired, tc.current)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("%s\nerror %v, want one containing %q", tc.reason, err, tc.wantErr)
			}
			if got := len(rec.Events) > 0; got != tc.wantWarn {
				t.Errorf("%s\nwarning Event %t, want %t", tc.reason, got, tc.wantWarn)
			}
			if tc.wantWarn {
				// Said once, not at every resync.
				<-rec.Events
				_ = r.checkExposure(placed(r, db), tc.desired, tc.current)
				if len(rec.Events) != 0 {
					t.Errorf("%s\nthe warning was repeated", tc.reason)
				}
			}
		})
	}
}

func TestRefusedRestoreSendsNothing(t *testing.T) {
	theirs := cloud.Snapshot{Identifier: "a-orders-final", Tags: map[string]string{v1.TagOwner: "a/orders"}}
	cases := map[string]struct {
		reason     string
		found      bool
		wantReason string
		wantInMsg  string
	}{
		"OtherNamespace": {reason: "Namespace b names a's final snapshot: refused, and the message does not say whose it is.",
			found: true, wantReason: v1.ReasonRestoreNotAllowed, wantInMsg: "was not taken for an object in namespace b"},
		"Missing": {reason: "A snapshot the operator cannot see is not restored either.",
			found: false, wantReason: v1.ReasonRestoreNotAllowed, wantInMsg: "no such snapshot"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fake := &cloudtest.Provider{
				SnapshotFn: func(context.Context, string) (cloud.Snapshot, bool, error) { return theirs, tc.found, nil },
				CreateFn: func(context.Context, cloud.Desired) error {
					t.Errorf("%s\nthe restore was sent to the cloud", tc.reason)
					return nil
				},
			}
			rec := events.NewFakeRecorder(10)
			r := &RDSDatabaseReconciler{Cloud: fake, Recorder: rec, Defaults: DefaultDefaults}
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "copy", UID: "u"},
				Spec: v1.RDSDatabaseSpec{Size: "20GB", MasterUser: "sysadmin", Backup: v1.Backup{Retention: "7d"},
					RestoreFrom: &v1.RestoreFrom{Snapshot: "a-orders-final"}}}
			s := placed(r, db)
			if _, err := r.createCloudDatabase(context.Background(), s); err != nil {
				t.Fatalf("%s\ncreate: %v", tc.reason, err)
			}
			c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned)
			if c == nil || c.Reason != tc.wantReason || !strings.Contains(c.Message, tc.wantInMsg) || strings.Contains(c.Message, "a/orders") {
				t.Errorf("%s\nProvisioned = %+v, want reason %s and a message containing %q but not the owner", tc.reason, c, tc.wantReason, tc.wantInMsg)
			}
			if len(s.events) != 1 || s.events[0].reason != tc.wantReason {
				t.Errorf("%s\nevents %+v, want one %s", tc.reason, s.events, tc.wantReason)
			}
		})
	}
}
