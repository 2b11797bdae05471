package cnpgstandin

import (
	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// setStatus sets in c.Status what CloudNativePG reports of a Cluster in the state sc holds:
// setting up its primary until the server serves, then healthy with every instance ready.
func setStatus(c *cnpgv1.Cluster, sc *scope) {
	st := &c.Status
	st.TargetPrimary = instanceName(c, 1)
	st.WriteService, st.ReadService = c.Name+suffixRW, c.Name+suffixR
	st.Image = imageOf(c)
	st.Certificates.CertificatesConfiguration = cnpgv1.CertificatesConfiguration{
		ServerCASecret: c.Name + suffixCA, ClientCASecret: c.Name + suffixCA,
		ServerTLSSecret: c.Name + suffixServer, ReplicationTLSSecret: c.Name + suffixReplication,
	}
	if cert := c.Spec.Certificates; cert != nil {
		st.Certificates.ServerAltDNSNames = cert.ServerAltDNSNames
	}
	if !sc.serving {
		st.Phase, st.PhaseReason = cnpgv1.PhaseFirstPrimary, sc.waiting
		setCondition(st, cnpgv1.ConditionClusterReady, false, cnpgv1.ClusterIsNotReady, "Cluster Is Not Ready")
		if meta.FindStatusCondition(st.Conditions, string(cnpgv1.ConditionInitialized)) == nil {
			setCondition(st, cnpgv1.ConditionInitialized, false, cnpgv1.BootstrapPending, "Cluster has not been bootstrapped yet")
		}
		return
	}
	var names []string
	for n := 1; n <= c.Spec.Instances; n++ {
		names = append(names, instanceName(c, n))
	}
	st.Phase, st.PhaseReason = cnpgv1.PhaseHealthy, ""
	st.Instances, st.ReadyInstances, st.LatestGeneratedNode = c.Spec.Instances, c.Spec.Instances, c.Spec.Instances
	st.InstanceNames = names
	st.InstancesStatus = map[cnpgv1.PodStatus][]string{cnpgv1.PodHealthy: names}
	st.CurrentPrimary = instanceName(c, 1)
	st.TimelineID = 1
	st.PGDataImageInfo = &cnpgv1.ImageInfo{Image: imageOf(c), MajorVersion: sc.major}
	st.SecretsResourceVersion.ApplicationSecretVersion = sc.appVersion
	st.SecretsResourceVersion.ManagedRoleSecretVersions = sc.roleVersions
	if sc.roles != nil {
		st.ManagedRolesStatus = *sc.roles
	}
	setCondition(st, cnpgv1.ConditionClusterReady, true, cnpgv1.ClusterReady, "Cluster is Ready")
	setCondition(st, cnpgv1.ConditionInitialized, true, cnpgv1.BootstrapCompleted, "Cluster has been bootstrapped")
}

// setCondition sets a condition, its lastTransitionTime changing only with its status.
func setCondition(st *cnpgv1.ClusterStatus, t cnpgv1.ClusterConditionType, ok bool, reason cnpgv1.ConditionReason, message string) {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: string(t), Status: status, Reason: string(reason), Message: message})
}

// equalStatus reports whether two statuses are the same, an empty map or list being none.
func equalStatus(a, b cnpgv1.ClusterStatus) bool { return equality.Semantic.DeepEqual(a, b) }
