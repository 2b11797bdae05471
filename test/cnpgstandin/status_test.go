package cnpgstandin

import (
	"testing"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSetStatus(t *testing.T) {
	certs := cnpgv1.CertificatesStatus{CertificatesConfiguration: cnpgv1.CertificatesConfiguration{
		ServerCASecret: "db-ca", ClientCASecret: "db-ca", ServerTLSSecret: "db-server", ReplicationTLSSecret: "db-replication",
	}}
	three := testCluster()
	three.Spec.Instances = 3
	roles := &cnpgv1.ManagedRoles{ByStatus: map[cnpgv1.RoleStatus][]string{cnpgv1.RoleStatusReconciled: {"master"}}}
	cases := []struct {
		name    string
		cluster *cnpgv1.Cluster
		scope   scope
		want    cnpgv1.ClusterStatus
		reason  string
	}{
		{
			name: "setting up", cluster: testCluster(), scope: scope{waiting: "waiting for Secret db-app of spec.bootstrap.initdb"},
			want: cnpgv1.ClusterStatus{
				Phase: "Setting up primary", PhaseReason: "waiting for Secret db-app of spec.bootstrap.initdb",
				TargetPrimary: "db-1", WriteService: "db-rw", ReadService: "db-r", Image: "ghcr.io/cloudnative-pg/postgresql:16.4",
				Certificates: certs,
				Conditions: []metav1.Condition{
					{Type: "Ready", Status: metav1.ConditionFalse, Reason: "ClusterIsNotReady", Message: "Cluster Is Not Ready"},
					{Type: "Initialized", Status: metav1.ConditionFalse, Reason: "BootstrapPending", Message: "Cluster has not been bootstrapped yet"},
				},
			},
			reason: "until the server serves, the Cluster sets up its primary, no instance ready, with the reason it waits",
		},
		{
			name: "healthy", cluster: three,
			scope: scope{serving: true, major: 16, appVersion: "5", roleVersions: map[string]string{"db-master": "5"}, roles: roles},
			want: cnpgv1.ClusterStatus{
				Phase: "Cluster in healthy state", Instances: 3, ReadyInstances: 3, LatestGeneratedNode: 3,
				InstanceNames:   []string{"db-1", "db-2", "db-3"},
				InstancesStatus: map[cnpgv1.PodStatus][]string{cnpgv1.PodHealthy: {"db-1", "db-2", "db-3"}},
				CurrentPrimary:  "db-1", TargetPrimary: "db-1", TimelineID: 1,
				WriteService: "db-rw", ReadService: "db-r", Image: "ghcr.io/cloudnative-pg/postgresql:16.4",
				PGDataImageInfo: &cnpgv1.ImageInfo{Image: "ghcr.io/cloudnative-pg/postgresql:16.4", MajorVersion: 16},
				Certificates:    certs,
				SecretsResourceVersion: cnpgv1.SecretsResourceVersion{
					ApplicationSecretVersion: "5", ManagedRoleSecretVersions: map[string]string{"db-master": "5"},
				},
				ManagedRolesStatus: *roles,
				Conditions: []metav1.Condition{
					{Type: "Ready", Status: metav1.ConditionTrue, Reason: "ClusterIsReady", Message: "Cluster is Ready"},
					{Type: "Initialized", Status: metav1.ConditionTrue, Reason: "BootstrapCompleted", Message: "Cluster has been bootstrapped"},
				},
			},
			reason: "a serving server is every instance of the Cluster, ready, the first one primary",
		},
	}
	for _, c := range cases {
		setStatus(c.cluster, &c.scope)
		if diff := cmp.Diff(c.want, c.cluster.Status, cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")); diff != "" {
			t.Errorf("%s: %s: -want +got:\n%s", c.name, c.reason, diff)
		}
	}
}
