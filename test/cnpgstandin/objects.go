package cnpgstandin

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// The names and labels CloudNativePG 1.30 gives what it makes (pkg/specs, pkg/utils).
const (
	labelCluster      = "cnpg.io/cluster"
	labelInstanceRole = "cnpg.io/instanceRole"
	labelPodRole      = "cnpg.io/podRole"
	labelAppName      = "app.kubernetes.io/name"
	labelAppInstance  = "app.kubernetes.io/instance"
	labelAppVersion   = "app.kubernetes.io/version"
	labelAppComponent = "app.kubernetes.io/component"
	labelAppManagedBy = "app.kubernetes.io/managed-by"

	managedByValue = "cloudnative-pg"

	// Port is the port of the Services and of PostgreSQL in the pods.
	Port = 5432
	// portName is the name of the Services' port, that of the pods' container.
	portName = "postgres"

	suffixRW          = "-rw"
	suffixRO          = "-ro"
	suffixR           = "-r"
	suffixCA          = "-ca"
	suffixServer      = "-server"
	suffixReplication = "-replication"

	// replicationUser is the role the instances stream WAL as.
	replicationUser = "streaming_replica"
	// superuser is CloudNativePG's superuser.
	superuser = "postgres"
)

// service is one of a Cluster's default Services: its name's suffix and its selector type.
type service struct {
	suffix   string
	selector cnpgv1.ServiceSelectorType
}

// services are a Cluster's default Services, the read-write one first.
var services = []service{{suffixRW, cnpgv1.ServiceSelectorTypeRW}, {suffixRO, cnpgv1.ServiceSelectorTypeRO}, {suffixR, cnpgv1.ServiceSelectorTypeR}}

// serviceEnabled reports whether the Cluster has the default Service sel.
func serviceEnabled(c *cnpgv1.Cluster, sel cnpgv1.ServiceSelectorType) bool {
	if c.Spec.Managed == nil || c.Spec.Managed.Services == nil {
		return true
	}
	return !slices.Contains(c.Spec.Managed.Services.DisabledDefaultServices, sel)
}

// instanceName is the name of the Cluster's instance n (its pod's name), from 1.
func instanceName(c *cnpgv1.Cluster, n int) string { return c.Name + "-" + strconv.Itoa(n) }

// ownerReferences make the Cluster the controlling owner of an object, as CloudNativePG's
// SetAsOwnedBy does (no blockOwnerDeletion).
func ownerReferences(c *cnpgv1.Cluster) []metav1.OwnerReference {
	return []metav1.OwnerReference{{
		APIVersion: cnpgv1.SchemeGroupVersion.String(), Kind: "Cluster",
		Name: c.Name, UID: c.UID, Controller: ptr.To(true),
	}}
}

// inheritedMetadata is what every object of the Cluster carries of
// spec.inheritedMetadata, and the cluster's label.
func inheritedMetadata(c *cnpgv1.Cluster) (labels, annotations map[string]string) {
	labels, annotations = map[string]string{}, map[string]string{}
	if m := c.Spec.InheritedMetadata; m != nil {
		maps.Copy(labels, m.Labels)
		maps.Copy(annotations, m.Annotations)
	}
	labels[labelCluster] = c.Name
	return labels, annotations
}

// desiredServices builds the Cluster's enabled default Services as CloudNativePG's
// CreateClusterReadWriteService, CreateClusterReadOnlyService and CreateClusterReadService
// do: -rw selects the primary, -ro the replicas, -r every instance.
func desiredServices(c *cnpgv1.Cluster) []*corev1.Service {
	selectors := map[cnpgv1.ServiceSelectorType]map[string]string{
		cnpgv1.ServiceSelectorTypeRW: {labelCluster: c.Name, labelInstanceRole: "primary"},
		cnpgv1.ServiceSelectorTypeRO: {labelCluster: c.Name, labelInstanceRole: "replica"},
		cnpgv1.ServiceSelectorTypeR:  {labelCluster: c.Name, labelPodRole: "instance"},
	}
	var out []*corev1.Service
	for _, s := range services {
		if !serviceEnabled(c, s.selector) {
			continue
		}
		labels, annotations := inheritedMetadata(c)
		maps.Copy(labels, map[string]string{
			labelAppName: "postgresql", labelAppInstance: c.Name, labelAppVersion: fmt.Sprint(majorOf(imageOf(c))),
			labelAppComponent: "database", labelAppManagedBy: managedByValue,
		})
		out = append(out, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{
				Name: c.Name + s.suffix, Namespace: c.Namespace, Labels: labels, Annotations: annotations,
				OwnerReferences: ownerReferences(c),
			},
			Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeClusterIP,
				Ports:    []corev1.ServicePort{{Name: portName, Protocol: corev1.ProtocolTCP, Port: Port, TargetPort: intstr.FromInt32(Port)}},
				Selector: selectors[s.selector],
			},
		})
	}
	return out
}

// caSecret builds <cluster>-ca, the cluster's CA as CloudNativePG's GenerateCASecret does.
func caSecret(c *cnpgv1.Cluster, certPEM, keyPEM []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: c.Name + suffixCA, Namespace: c.Namespace,
			Labels:          map[string]string{labelAppManagedBy: managedByValue},
			OwnerReferences: ownerReferences(c),
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"ca.crt": certPEM, "ca.key": keyPEM},
	}
}

// tlsSecret builds a certificate's Secret (<cluster>-server, <cluster>-replication) as
// CloudNativePG's GenerateCertificateSecret does.
func tlsSecret(c *cnpgv1.Cluster, name string, certPEM, keyPEM []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: c.Namespace,
			Labels:          map[string]string{labelAppManagedBy: managedByValue},
			OwnerReferences: ownerReferences(c),
		},
		Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM},
	}
}

// serverDNSNames are the names the server's certificate is for: each enabled Service's
// names, as CloudNativePG's GetClusterAltDNSNames lists them.
func serverDNSNames(c *cnpgv1.Cluster) []string {
	var names []string
	for _, s := range services {
		if !serviceEnabled(c, s.selector) {
			continue
		}
		svc := c.Name + s.suffix
		names = append(names, svc, svc+"."+c.Namespace, svc+"."+c.Namespace+".svc", svc+"."+c.Namespace+".svc.cluster.local")
	}
	return names
}

// applicationOwner returns the application database's owner and name as CloudNativePG's
// GetApplicationDatabaseOwner and GetApplicationDatabaseName read them (the recovery
// bootstrap's, else initdb's), with its webhook's defaults: app, and the owner named as the
// database.
func applicationOwner(c *cnpgv1.Cluster) (owner, database string) {
	if b := c.Spec.Bootstrap; b != nil && b.Recovery != nil {
		owner, database = b.Recovery.Owner, b.Recovery.Database
	} else if b != nil && b.InitDB != nil {
		owner, database = b.InitDB.Owner, b.InitDB.Database
	}
	if database == "" {
		database = "app"
	}
	if owner == "" {
		owner = database
	}
	return owner, database
}

// applicationSecretName is the Secret of the application owner: the one the recovery
// bootstrap or initdb names, else <cluster>-app, which CloudNativePG generates (the
// stand-in does not).
func applicationSecretName(c *cnpgv1.Cluster) string {
	if b := c.Spec.Bootstrap; b != nil && b.Recovery != nil && b.Recovery.Secret != nil && b.Recovery.Secret.Name != "" {
		return b.Recovery.Secret.Name
	}
	if b := c.Spec.Bootstrap; b != nil && b.InitDB != nil && b.InitDB.Secret != nil && b.InitDB.Secret.Name != "" {
		return b.InitDB.Secret.Name
	}
	return c.Name + "-app"
}

// usesSecret reports whether Cluster c reads the Secret name.
func usesSecret(c *cnpgv1.Cluster, name string) bool {
	if applicationSecretName(c) == name {
		return true
	}
	if c.Spec.Managed != nil {
		for _, r := range c.Spec.Managed.Roles {
			if r.PasswordSecret != nil && r.PasswordSecret.Name == name {
				return true
			}
		}
	}
	return false
}
