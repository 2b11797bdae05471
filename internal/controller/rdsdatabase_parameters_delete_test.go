package controller

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// TestDeleteParameters: once the cloud database is gone, the parameter set kept for it is
// deleted, named by the database's identifier and owner so that the provider deletes only
// its own. The cases go through deleteCloudDatabase, as the delete runs it, and count the
// DeleteParameters calls.
func TestDeleteParameters(t *testing.T) {
	id := naming.Identifier("shop", "orders")
	params := map[string]string{"max_connections": "200"}
	want := cloud.Desired{Identifier: id, Engine: "postgres", EngineVersion: "17.4", OwnerTag: v1.TagOwner,
		Tags: map[string]string{"team": "payments", v1.TagOwner: "shop/orders", v1.TagManagedBy: v1.ManagedByValue}}
	busy := &cloud.Error{Op: "delete db parameter group " + id, Code: "InvalidDBParameterGroupState", Message: "in use", Kind: cloud.ErrBusy}
	denied := &cloud.Error{Op: "delete db parameter group " + id, Code: "AccessDenied", Message: "not authorized to perform rds:DeleteDBParameterGroup"}

	cases := []struct {
		name      string
		reason    string
		params    map[string]string
		status    *v1.ParameterStatus
		policy    v1.DeletionPolicy
		exists    bool // the cloud database is still there
		deleteErr error

		wantCalls   int
		wantSet     string // the set asked to be deleted
		wantGone    bool
		wantErr     bool
		wantRefusal bool // Provisioned says the cloud's error
	}{
		{name: "NoParameters", reason: "A database that never had parameters has no set to delete: no call.",
			wantGone: true},
		{name: "ParametersOnceUsed", reason: "One whose parameters were removed, with no group shown any more, is asked anyway for the set of its engine and version (\"\"): one detached outside the operator may still be its own (the provider deletes only the owner's).",
			status: &v1.ParameterStatus{CheckedAt: &metav1.Time{}}, wantCalls: 1, wantGone: true},
		{name: "SpecParameters", reason: "Parameters in the spec: the set is deleted, by identifier, engine and owner tag.",
			params: params, wantCalls: 1, wantGone: true},
		{name: "GroupShown", reason: "The group the status names is deleted, though the spec lists no parameters any more.",
			status: &v1.ParameterStatus{Group: id + "-postgres17"}, wantCalls: 1, wantSet: id + "-postgres17", wantGone: true},
		{name: "StillInUse", reason: "A set the cloud still sees in use is waited for, without a failure, and said in Provisioned.",
			params: params, deleteErr: busy, wantCalls: 1},
		{name: "Refused", reason: "A refused delete is said in Provisioned and returned, and the finalizer stays.",
			params: params, deleteErr: denied, wantCalls: 1, wantErr: true, wantRefusal: true},
		{name: "DatabaseStillThere", reason: "Nothing is deleted before the database is gone (it is being deleted).",
			params: params, exists: true},
		{name: "Retained", reason: "A retained database keeps its parameter set: it still uses it.",
			params: params, policy: v1.DeletionRetain, wantGone: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			fake := &cloudtest.Provider{
				ObserveFn: func(context.Context, string) (cloud.Observation, error) {
					return cloud.Observation{Exists: tc.exists, Instance: cloud.Instance{Identifier: id, Phase: cloud.PhaseDeleting,
						Tags: map[string]string{v1.TagOwner: "shop/orders"}}}, nil
				},
				DeleteParametersFn: func(_ context.Context, d cloud.Desired, set string) error {
					calls++
					if diff := cmp.Diff(want, d); diff != "" {
						t.Errorf("%s\nDeleteParameters: -want +got:\n%s", tc.reason, diff)
					}
					if set != tc.wantSet {
						t.Errorf("%s\nDeleteParameters of set %q, want %q", tc.reason, set, tc.wantSet)
					}
					return tc.deleteErr
				},
			}
			r := &RDSDatabaseReconciler{Cloud: fake, Defaults: DefaultDefaults, Recorder: events.NewFakeRecorder(10)}
			db := sampleDB()
			db.Spec.Parameters, db.Status.Parameters = tc.params, tc.status
			db.Status.Cloud = &v1.CloudStatus{EngineVersion: "17.4"}
			if tc.policy != "" {
				db.Spec.DeletionPolicy = tc.policy
			}
			s := placed(r, db)

			gone, err := r.deleteCloudDatabase(context.Background(), s)

			if (err != nil) != tc.wantErr {
				t.Errorf("%s\nerror %v, want one %t", tc.reason, err, tc.wantErr)
			}
			if gone != tc.wantGone || calls != tc.wantCalls {
				t.Errorf("%s\ngone %t after %d DeleteParameters calls; want %t after %d", tc.reason, gone, calls, tc.wantGone, tc.wantCalls)
			}
			c := meta.FindStatusCondition(db.Status.Conditions, v1.ConditionProvisioned)
			if refused := c != nil && c.Reason == v1.ReasonCloudError; refused != tc.wantRefusal {
				t.Errorf("%s\nProvisioned = %+v, want reason %s %t", tc.reason, c, v1.ReasonCloudError, tc.wantRefusal)
			}
		})
	}
}
