package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Providers a DatabaseClass can name.
const (
	// ProviderAWS makes databases on Amazon RDS (and Aurora).
	ProviderAWS = "aws"
	// ProviderGCP makes databases on Google Cloud SQL.
	ProviderGCP = "gcp"
	// ProviderAzure makes databases on Azure Database for PostgreSQL and MySQL flexible
	// servers.
	ProviderAzure = "azure"
	// ProviderExisting makes databases and users on a PostgreSQL or MySQL server that
	// exists already, shared by the class's objects.
	ProviderExisting = "existing"
	// ProviderCloudNativePG makes each database a CloudNativePG Cluster in the object's
	// namespace (PostgreSQL only).
	ProviderCloudNativePG = "cloudnativepg"
)

// AnnotationDefaultClass set to "true" on a DatabaseClass makes it the class of every
// RDSDatabase whose spec.class is empty. At most one class may carry it.
const AnnotationDefaultClass = "matrixmind.cloud/is-default-class"

// DatabaseClassSpec says where databases of the class are made, and with what defaults.
// +kubebuilder:validation:XValidation:rule="self.provider == oldSelf.provider",message="provider cannot be changed: databases already made on this class stay where they are; make a new DatabaseClass"
// +kubebuilder:validation:XValidation:rule="self.provider != 'gcp' || has(self.gcp)",message="a gcp class needs gcp: {project, region}"
// +kubebuilder:validation:XValidation:rule="self.provider == 'aws' || !has(self.aws)",message="aws parameters belong to a class with provider: aws"
// +kubebuilder:validation:XValidation:rule="self.provider == 'gcp' || !has(self.gcp)",message="gcp parameters belong to a class with provider: gcp"
// +kubebuilder:validation:XValidation:rule="self.provider != 'azure' || has(self.azure)",message="an azure class needs azure: {subscriptionId, resourceGroup, location}"
// +kubebuilder:validation:XValidation:rule="self.provider == 'azure' || !has(self.azure)",message="azure parameters belong to a class with provider: azure"
// +kubebuilder:validation:XValidation:rule="self.provider != 'existing' || has(self.existing)",message="an existing class needs existing: {adminSecretRef: {namespace, name}}"
// +kubebuilder:validation:XValidation:rule="self.provider == 'existing' || !has(self.existing)",message="existing parameters belong to a class with provider: existing"
// +kubebuilder:validation:XValidation:rule="self.provider == 'cloudnativepg' || !has(self.cloudnativepg)",message="cloudnativepg parameters belong to a class with provider: cloudnativepg"
type DatabaseClassSpec struct {
	// Provider is where the class's databases are made: aws, gcp or azure (a cloud),
	// existing (a server that exists already) or cloudnativepg (a CloudNativePG Cluster per
	// database, in the cluster the operator runs in).
	// +kubebuilder:validation:XValidation:rule="self in ['aws', 'gcp', 'azure', 'existing', 'cloudnativepg']",message="provider must be aws, gcp, azure, existing or cloudnativepg"
	Provider string `json:"provider"`

	// Fallback names the DatabaseClass a new database of this class is made on instead when
	// this class cannot make it: its provider cannot be served here (no credentials, not
	// configured), or the cloud refuses the first create for quota or capacity. The
	// object's status.class then names the class it landed on, and a FellBack Event says
	// from which class to which and why. Only a database not made yet moves: one that
	// exists or existed stays where it is whatever happens later, and so does a restore
	// from a snapshot (the snapshot is in this class's cloud). A fallback's own fallback is
	// followed in turn, at most 8 classes deep and never back to a class already passed.
	// Empty: no fallback, and the object waits with a condition saying why.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')",message="fallback must be the name of a DatabaseClass: lowercase letters, digits, hyphens and dots"
	// +optional
	Fallback string `json:"fallback,omitempty"`

	// AWS holds the parameters of an aws class; each empty one takes the operator's flag.
	// +optional
	AWS *AWSClassParameters `json:"aws,omitempty"`

	// GCP holds the parameters of a gcp class.
	// +optional
	GCP *GCPClassParameters `json:"gcp,omitempty"`

	// Azure holds the parameters of an azure class.
	// +optional
	Azure *AzureClassParameters `json:"azure,omitempty"`

	// Existing holds the parameters of an existing class.
	// +optional
	Existing *ExistingClassParameters `json:"existing,omitempty"`

	// CloudNativePG holds the parameters of a cloudnativepg class; all are optional.
	// +optional
	CloudNativePG *CloudNativePGClassParameters `json:"cloudnativepg,omitempty"`
}

// AWSClassParameters are an aws class's defaults, for the objects of the class whose spec
// does not say. Empty ones take the operator's --default-* flags.
type AWSClassParameters struct {
	// Region is the AWS region, e.g. eu-west-1; empty is the operator's own (AWS_REGION).
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]{2}(-[a-z]+)+-[0-9]$')",message="region must be an AWS region such as eu-west-1"
	// +optional
	Region string `json:"region,omitempty"`
	// InstanceClass is the RDS instance class, e.g. db.t4g.micro.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	InstanceClass string `json:"instanceClass,omitempty"`
	// StorageType is gp2, gp3, io1 or io2.
	// +kubebuilder:validation:MaxLength=16
	// +optional
	StorageType string `json:"storageType,omitempty"`
	// KMSKeyID encrypts the storage of databases whose spec names no key.
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	KMSKeyID string `json:"kmsKeyId,omitempty"`
	// SubnetGroup places databases whose spec names none.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	SubnetGroup string `json:"subnetGroup,omitempty"`
	// SecurityGroupIDs are the security groups of databases whose spec names none.
	// +kubebuilder:validation:MaxItems=5
	// +optional
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	// Tags are put on every database of the class, below the spec's own.
	// +kubebuilder:validation:MaxProperties=40
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// GCPClassParameters are a gcp class's project, region and defaults.
type GCPClassParameters struct {
	// Project is the Google Cloud project the instances are made in.
	// +kubebuilder:validation:MinLength=6
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z][-a-z0-9]{4,28}[a-z0-9]$')",message="project must be a Google Cloud project ID: 6 to 30 lowercase letters, digits or hyphens, starting with a letter"
	Project string `json:"project"`
	// Region is the Cloud SQL region, e.g. europe-west1.
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]+-[a-z]+[0-9]+$')",message="region must be a Google Cloud region such as europe-west1"
	Region string `json:"region"`
	// Tier is the machine type of instances whose spec names no instanceClass, e.g.
	// db-custom-1-3840. Default db-f1-micro.
	// +kubebuilder:default=db-f1-micro
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^db-[a-z0-9-]+$')",message="tier must be a Cloud SQL tier such as db-f1-micro or db-custom-1-3840"
	// +optional
	Tier string `json:"tier,omitempty"`
	// Tags are put on every instance of the class (as Cloud SQL labels), below the spec's
	// own.
	// +kubebuilder:validation:MaxProperties=40
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// AzureClassParameters are an azure class's subscription, resource group, location and
// defaults.
type AzureClassParameters struct {
	// SubscriptionID is the Azure subscription the servers are made in.
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')",message="subscriptionId must be an Azure subscription ID (a UUID)"
	// +kubebuilder:validation:MaxLength=36
	SubscriptionID string `json:"subscriptionId"`
	// ResourceGroup is the resource group the servers are made in; it must exist.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=90
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-a-zA-Z0-9_.()]+$') && !self.endsWith('.')",message="resourceGroup must be an Azure resource group name: letters, digits, '-', '_', '.', '(' and ')', not ending with '.'"
	ResourceGroup string `json:"resourceGroup"`
	// Location is the Azure region, e.g. westeurope.
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z][a-z0-9]+$')",message="location must be an Azure region such as westeurope"
	Location string `json:"location"`
	// SKU is the compute of servers whose spec names no instanceClass, e.g.
	// Standard_D2ds_v4. Default Standard_B1ms (Burstable).
	// +kubebuilder:default=Standard_B1ms
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^Standard_[A-Za-z0-9_]+$')",message="sku must be an Azure flexible server SKU such as Standard_B1ms or Standard_D2ds_v4"
	// +optional
	SKU string `json:"sku,omitempty"`
	// Tags are put on every server of the class, below the spec's own.
	// +kubebuilder:validation:MaxProperties=40
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// ExistingClassParameters say which existing server a class's databases go to.
type ExistingClassParameters struct {
	// AdminSecretRef names the Secret holding how to reach the server and log in as its
	// administrator: keys host, port, username, password, engine (postgres, mysql or
	// mariadb; default postgres) and, optionally, ca.crt (the server's certificate is then
	// verified against it, and users' Secrets carry it). The administrator must be a
	// superuser on PostgreSQL (which must be 16 or later), and hold every privilege WITH
	// GRANT OPTION on MySQL and MariaDB. Each object of the class gets its own master
	// user there, which makes its users and databases; the administrator's password stays
	// in this Secret, which the operator only reads.
	AdminSecretRef SecretReference `json:"adminSecretRef"`
	// Dumps says where the final snapshot of deletionPolicy Snapshot goes: a logical dump
	// of each of the object's databases (pg_dump, or mariadb-dump/mysqldump), taken by a
	// Job before they are dropped. Without it the class keeps nothing of a deleted
	// database: deletionPolicy Snapshot is refused and an unset policy means Retain.
	// +optional
	Dumps *DumpParameters `json:"dumps,omitempty"`
}

// DumpParameters say where and with what an existing class's logical dumps are taken.
type DumpParameters struct {
	// ClaimName names the PersistentVolumeClaim, in the namespace of the class's admin
	// Secret, that the dumps are written to, each object's under
	// <identifier>/<final snapshot identifier>/, a file per database: <database>.dump
	// (pg_dump's custom format, for pg_restore) on PostgreSQL, <database>.sql on MySQL and
	// MariaDB. The object's users are locked out first. The dump Jobs run in that
	// namespace as user and group 999 (fsGroup 999: the claim must let it write), log in
	// as the administrator (their environment reads the admin Secret; the operator passes
	// no password) and are kept, as the record of the dump.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ClaimName string `json:"claimName"`
	// Image is the container image the Jobs run; it must have sh and pg_dump (PostgreSQL)
	// or mariadb-dump or mysqldump (MySQL, MariaDB) at least as new as the server. Empty:
	// postgres:<server major>, mariadb:<server major.minor> or mysql:<server major.minor>.
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Image string `json:"image,omitempty"`
}

// CloudNativePGClassParameters say how a class's databases are made as CloudNativePG
// Clusters (CloudNativePG must be installed in the cluster).
type CloudNativePGClassParameters struct {
	// Instances is how many PostgreSQL instances each Cluster runs (a primary and its
	// standbys, which CloudNativePG fails over to and which serve reads at <name>-rds-ro);
	// spec.highAvailability.readReplicas adds that many more. Default 1.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9
	// +optional
	Instances int32 `json:"instances,omitempty"`
	// StorageClass is the storage class of the Clusters' volumes; empty: the cluster's
	// default.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	StorageClass string `json:"storageClass,omitempty"`
	// ImageName is the PostgreSQL image the Clusters run; empty:
	// ghcr.io/cloudnative-pg/postgresql:<spec.version>.
	// +kubebuilder:validation:MaxLength=512
	// +optional
	ImageName string `json:"imageName,omitempty"`
	// Backup says how the Clusters are backed up, through CloudNativePG's own Backup and
	// ScheduledBackup objects: a daily backup while spec.backup.retention is above zero,
	// the final snapshot of deletionPolicy Snapshot, manual snapshots, and restoreFrom.
	// Without it the class keeps no snapshots: deletionPolicy Snapshot is refused and an
	// unset policy means Retain.
	// +optional
	Backup *CloudNativePGBackup `json:"backup,omitempty"`
}

// CloudNativePGBackup is the backup method of a cloudnativepg class's Clusters: exactly one
// of volumeSnapshotClass and plugin.
// +kubebuilder:validation:XValidation:rule="has(self.volumeSnapshotClass) != has(self.plugin)",message="backup needs exactly one of volumeSnapshotClass and plugin"
type CloudNativePGBackup struct {
	// VolumeSnapshotClass backs the Clusters up by CSI volume snapshots of this class
	// (CloudNativePG's volumeSnapshot method), owned by nothing so that they outlive a
	// deleted Cluster.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	VolumeSnapshotClass string `json:"volumeSnapshotClass,omitempty"`
	// Plugin backs the Clusters up through a CNPG-I plugin, e.g. the Barman Cloud plugin
	// (name barman-cloud.cloudnative-pg.io, parameters {barmanObjectName: <its ObjectStore>})
	// to an object store.
	// +optional
	Plugin *CloudNativePGBackupPlugin `json:"plugin,omitempty"`
}

// CloudNativePGBackupPlugin names a CNPG-I backup plugin and its parameters.
type CloudNativePGBackupPlugin struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// +optional
	Parameters map[string]string `json:"parameters,omitempty"`
}

// SecretReference names a Secret in a namespace.
type SecretReference struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace"`
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// DatabaseClass is where RDSDatabases of the class are made: a cloud provider and its
// parameters, as a StorageClass is for volumes. Cluster-scoped, set up by a cluster admin.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=dbclass,categories=matrixmind
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Default",type=string,JSONPath=`.metadata.annotations.matrixmind\.cloud/is-default-class`
// +kubebuilder:printcolumn:name="Fallback",type=string,JSONPath=`.spec.fallback`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="!has(self.spec.fallback) || self.spec.fallback != self.metadata.name",message="fallback cannot be the class itself: name another DatabaseClass, or leave it empty"
type DatabaseClass struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says where and with what defaults.
	Spec DatabaseClassSpec `json:"spec"`
}

// IsDefault reports whether the class is the default class.
func (c *DatabaseClass) IsDefault() bool {
	return c.Annotations[AnnotationDefaultClass] == "true"
}

// DatabaseClassList is a list of DatabaseClass.
// +kubebuilder:object:root=true
type DatabaseClassList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the DatabaseClasses.
	Items []DatabaseClass `json:"items"`
}

func init() {
	SchemeBuilder.Register(&DatabaseClass{}, &DatabaseClassList{})
}
