package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// Member roles shown in status.members.
const (
	roleWriter = "writer"
	roleReader = "reader"
)

// reconcileCluster is reconcileCloudDatabase for the Aurora engines: the DB cluster, its
// writer instance and one reader instance per readReplicas. It mirrors the cluster into
// status, and lets the later phases work on the cluster's writer endpoint as they work on an
// instance's.
func (r *RDSDatabaseReconciler) reconcileCluster(ctx context.Context, s *scope) (ctrl.Result, error) {
	db := s.db
	desired, _, err := r.desired(s)
	if err != nil {
		return r.specInvalid(s, err)
	}
	obs, err := s.cloud.ObserveCluster(ctx, s.identifier)
	if err != nil {
		return r.cloudFailed(s, err)
	}
	if !obs.Exists {
		if r.missingNotRecreated(s, "Aurora cluster") {
			return ctrl.Result{RequeueAfter: r.Defaults.Resync}, nil
		}
		if err := r.checkExposure(s, desired, nil); err != nil {
			return r.specInvalid(s, err)
		}
		if err := r.recordPlacement(ctx, s); err != nil {
			return conflictRequeue(errorf(db, "record the placement", err))
		}
		if err := s.cloud.CreateCluster(ctx, clusterDesired(desired)); err != nil {
			return r.cloudFailed(s, err)
		}
		r.event(db, corev1.EventTypeNormal, v1.EventCreateRequested, "Asked RDS for %s %s cluster %s",
			desired.Engine, desired.EngineVersion, desired.Identifier)
		setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCreating, "the Aurora cluster is being created")
		waitForDatabase(db)
		return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
	}
	c := obs.Cluster
	if r.ownedByOther(s, "Aurora cluster", c.Tags) {
		return ctrl.Result{RequeueAfter: ownerRecheck}, nil
	}
	if c.MasterUser != "" && c.MasterUser != db.Spec.MasterUser {
		return r.specInvalid(s, fmt.Errorf("the cluster's master user is %s, not %s: set masteruser: %s", c.MasterUser, db.Spec.MasterUser, c.MasterUser))
	}
	// A public address is a property of each instance: reconcileMembers checks it as it
	// makes one.
	clusterWide := desired
	clusterWide.PubliclyAccessible = false
	if err := r.checkExposure(s, clusterWide, &exposure{securityGroups: c.SecurityGroupIDs, kmsKeyID: c.KMSKeyID}); err != nil {
		return r.specInvalid(s, err)
	}
	db.Status.Cloud = &v1.CloudStatus{
		Identifier: c.Identifier, ARN: c.ARN, Status: c.Status, Engine: c.Engine, EngineVersion: c.EngineVersion,
		InstanceClass: desired.InstanceClass, Endpoint: c.Endpoint, Port: c.Port,
		StorageEncrypted: c.StorageEncrypted, KMSKeyID: c.KMSKeyID, PendingModifications: clusterPending(c),
	}
	s.desired = desired
	s.instance = &cloud.Instance{
		Identifier: c.Identifier, ARN: c.ARN, Region: c.Region, AdminRole: c.AdminRole, Status: c.Status, Phase: c.Phase, Engine: c.Engine, EngineVersion: c.EngineVersion,
		InstanceClass: desired.InstanceClass, MasterUser: c.MasterUser, Endpoint: c.Endpoint, Port: c.Port,
		BackupRetentionDays: c.BackupRetentionDays, BackupWindow: c.BackupWindow, Tags: c.Tags,
		StorageEncrypted: c.StorageEncrypted, KMSKeyID: c.KMSKeyID, LatestRestorableTime: c.LatestRestorableTime,
	}
	writerUp, err := r.reconcileMembers(ctx, s, c)
	var refused *exposureError
	if errors.As(err, &refused) {
		return r.specInvalid(s, refused.err)
	}
	if err != nil {
		return r.cloudFailed(s, err)
	}
	if c.Phase != cloud.PhaseAvailable && c.Phase != cloud.PhaseBackingUp || c.Endpoint == "" || !writerUp {
		setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus,
			fmt.Sprintf("the Aurora cluster is %s; its writer instance is %s", c.Status, memberState(db.Status.Members, roleWriter)))
		waitForDatabase(db)
		return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
	}
	p := s.cloud.PlanCluster(desired, c, db.Spec.Version == "")
	if !p.Changes.Empty() {
		if c.Phase != cloud.PhaseAvailable {
			setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus,
				fmt.Sprintf("the Aurora cluster is %s; then: %s", c.Status, strings.Join(p.Described, ", ")))
			return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
		}
		return r.modifyCluster(ctx, s, p, c)
	}
	if err := r.repairTagsOn(ctx, s, c.ARN, c.Tags); err != nil {
		return r.cloudFailed(s, err)
	}
	msg := "the Aurora cluster is available"
	if pending := db.Status.Cloud.PendingModifications; len(pending) > 0 {
		msg += "; waiting for the maintenance window to apply: " + strings.Join(pending, ", ")
	}
	setCondition(db, v1.ConditionProvisioned, metav1.ConditionTrue, v1.ReasonAvailable, msg)
	return ctrl.Result{}, nil
}

// clusterDesired is the cluster part of the desired database.
func clusterDesired(d cloud.Desired) cloud.ClusterDesired {
	return cloud.ClusterDesired{
		Identifier: d.Identifier, Engine: d.Engine, EngineVersion: d.EngineVersion, MasterUser: d.MasterUser,
		MasterPassword: d.MasterPassword, BackupRetentionDays: d.BackupRetentionDays, BackupWindow: d.BackupWindow,
		StorageEncrypted: d.StorageEncrypted, KMSKeyID: d.KMSKeyID, SubnetGroup: d.SubnetGroup,
		SecurityGroupIDs: d.SecurityGroupIDs, Tags: d.Tags,
	}
}

// reconcileMembers brings the cluster's instances to one writer and readReplicas readers:
// it creates the missing ones (once the cluster is available) in the cluster's least used
// zones, deletes this object's instances numbered above the count, brings each to the
// instance class asked, and mirrors them into status.members. It reports whether the writer
// is available. Instances of the cluster that are not this object's are left alone.
func (r *RDSDatabaseReconciler) reconcileMembers(ctx context.Context, s *scope, c cloud.Cluster) (bool, error) {
	db, d := s.db, s.desired
	owner := naming.Owner(db.Namespace, db.Name)
	want := 1 + wantedReplicas(db)
	writers := map[string]bool{}
	existing := make([]string, 0, len(c.Members))
	for _, m := range c.Members {
		writers[m.Identifier] = m.Writer
		existing = append(existing, m.Identifier)
	}
	wanted, ids := numberedInstances(want, func(n int) string { return naming.ClusterInstanceIdentifier(db.Namespace, db.Name, n) }, existing)

	var members []v1.ClusterMemberStatus
	var missing, waiting []string
	zones := map[string]int{}
	writerUp, public := false, false
	for _, id := range ids {
		obs, err := s.cloud.Observe(ctx, id)
		if err != nil {
			return false, err
		}
		if !obs.Exists {
			if _, ok := wanted[id]; ok {
				missing = append(missing, id)
			}
			continue
		}
		in := obs.Instance
		role := roleReader
		if writers[id] {
			role = roleWriter
		}
		up := in.Phase == cloud.PhaseAvailable || in.Phase == cloud.PhaseBackingUp
		members = append(members, v1.ClusterMemberStatus{Identifier: id, Ready: up, Role: role, AvailabilityZone: in.AvailabilityZone, Status: in.Status})
		zones[in.AvailabilityZone]++
		public = public || in.PubliclyAccessible
		if role == roleWriter && up {
			writerUp = true
		}
		if in.Tags[v1.TagOwner] != owner || in.Tags[v1.TagRole] != v1.RoleClusterInstance {
			continue // someone else's instance in our cluster: never ours to change
		}
		if _, ok := wanted[id]; !ok {
			if in.Phase != cloud.PhaseDeleting {
				if err := s.cloud.Delete(ctx, id, cloud.DeleteOptions{}); err != nil {
					return false, err
				}
				r.event(db, corev1.EventTypeNormal, v1.EventReplicaDeleteRequested, "Deleting Aurora instance %s: spec asks for %d readers", id, want-1)
			}
			waiting = append(waiting, id+" deleting")
			continue
		}
		if !up {
			waiting = append(waiting, id+" "+in.Status)
			continue
		}
		if in.InstanceClass != d.InstanceClass && in.Phase == cloud.PhaseAvailable {
			class := d.InstanceClass
			immediately := db.Spec.ApplyImmediately == nil || *db.Spec.ApplyImmediately
			if err := s.cloud.Update(ctx, id, cloud.Changes{InstanceClass: &class}, cloud.UpdateOptions{ApplyImmediately: immediately}); err != nil {
				return false, err
			}
			r.event(db, corev1.EventTypeNormal, v1.EventModifyRequested, "Asked RDS to change instance %s's class %s to %s", id, in.InstanceClass, class)
			waiting = append(waiting, id+" changing class")
		}
	}
	if len(missing) > 0 && c.Phase == cloud.PhaseAvailable {
		// A public instance is made only where the admin allows it, or where the cluster
		// has public ones already (made before the admin's rules).
		if err := r.checkExposure(s, cloud.Desired{PubliclyAccessible: d.PubliclyAccessible}, &exposure{public: public}); err != nil {
			return false, &exposureError{err}
		}
		candidates, err := r.nodeZones(ctx, s, c.Region)
		if err != nil {
			return false, err
		}
		for _, id := range missing {
			zone := leastUsed(candidates, zones)
			tags := replicaTags(d.Tags)
			tags[v1.TagRole] = v1.RoleClusterInstance
			in := cloud.ClusterInstance{Identifier: id, Cluster: s.identifier, Engine: d.Engine, InstanceClass: d.InstanceClass,
				AvailabilityZone: zone, PubliclyAccessible: d.PubliclyAccessible, Tags: tags}
			if err := s.cloud.CreateClusterInstance(ctx, in); err != nil {
				return false, err
			}
			zones[zone]++
			r.event(db, corev1.EventTypeNormal, v1.EventReplicaCreateRequested, "Asked RDS for Aurora instance %s in cluster %s in %s", id, s.identifier, orDefault(zone, "a zone RDS picks"))
			members = append(members, v1.ClusterMemberStatus{Identifier: id, Role: roleReader, AvailabilityZone: zone, Status: "creating"})
		}
	}
	for _, id := range missing {
		waiting = append(waiting, id+" creating")
	}
	db.Status.Members = members
	readers := 0
	for _, m := range members {
		if m.Role == roleReader && m.Ready {
			readers++
		}
	}
	if readers > 0 && c.ReaderEndpoint != "" {
		s.reader = endpointAddress{host: c.ReaderEndpoint, port: c.Port}
	}
	switch {
	case len(waiting) > 0:
		s.soon = true
		if want > 1 {
			setCondition(db, v1.ConditionReplicasReady, metav1.ConditionFalse, v1.ReasonReplicasPending, "Aurora instances: "+strings.Join(waiting, ", "))
		}
	case want > 1:
		setCondition(db, v1.ConditionReplicasReady, metav1.ConditionTrue, v1.ReasonReplicasAvailable,
			fmt.Sprintf("the writer and %d readers are available in %s", want-1, strings.Join(sortedKeys(zones), ", ")))
	default:
		meta.RemoveStatusCondition(&db.Status.Conditions, v1.ConditionReplicasReady)
	}
	return writerUp, nil
}

// memberState says how the member with role is, for messages.
func memberState(members []v1.ClusterMemberStatus, role string) string {
	for _, m := range members {
		if m.Role == role {
			return m.Status
		}
	}
	return "not created yet"
}

// clusterPending describes what waits for the maintenance window.
func clusterPending(c cloud.Cluster) []string {
	var out []string
	if v := c.Pending.EngineVersion; v != nil {
		out = append(out, "version "+*v)
	}
	if d := c.Pending.BackupRetentionDays; d != nil {
		out = append(out, fmt.Sprintf("backup retention %d days", *d))
	}
	return out
}

// modifyCluster sends one ModifyDBCluster with every change of p.
func (r *RDSDatabaseReconciler) modifyCluster(ctx context.Context, s *scope, p cloud.ClusterPlan, c cloud.Cluster) (ctrl.Result, error) {
	db := s.db
	e := engineOf(db)
	if v := p.Changes.EngineVersion; v != nil && e.major(*v) != e.major(c.EngineVersion) && !db.Spec.AllowMajorVersionUpgrade {
		s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonMajorUpgradeNotAllowed,
			fmt.Sprintf("the spec asks for version %s but the cluster runs %s: a major upgrade needs allowMajorVersionUpgrade: true", *v, c.EngineVersion),
			corev1.EventTypeWarning, "")
		return ctrl.Result{}, nil
	}
	immediately := db.Spec.ApplyImmediately == nil || *db.Spec.ApplyImmediately
	opts := cloud.UpdateOptions{ApplyImmediately: immediately, AllowMajorVersionUpgrade: db.Spec.AllowMajorVersionUpgrade}
	if err := s.cloud.UpdateCluster(ctx, s.identifier, p.Changes, opts); err != nil {
		return r.cloudFailed(s, err)
	}
	changes := strings.Join(p.Described, ", ")
	r.event(db, corev1.EventTypeNormal, v1.EventModifyRequested, "Asked RDS to change the cluster's %s", changes)
	setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonModifying, "asked RDS to change "+changes)
	return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
}

// setMasterPassword sets the master password through the cloud. On an instance,
// ApplyImmediately false: RDS sets the password at once anyway, and true would also apply
// every modification waiting for the maintenance window. On an Aurora cluster,
// ApplyImmediately governs the password itself (and only it and a rename), so it is true.
func (r *RDSDatabaseReconciler) setMasterPassword(ctx context.Context, s *scope, pw string) error {
	if engineOf(s.db).aurora {
		return s.cloud.UpdateCluster(ctx, s.identifier, cloud.ClusterChanges{MasterPassword: &pw}, cloud.UpdateOptions{ApplyImmediately: true})
	}
	return s.cloud.Update(ctx, s.identifier, cloud.Changes{MasterPassword: &pw}, cloud.UpdateOptions{})
}

// deleteCluster applies the deletion policy to an Aurora cluster: its instances go first
// (RDS deletes a cluster only once it has none), then the cluster, with a final cluster
// snapshot unless the policy is Delete. It reports whether the finalizer may go.
func (r *RDSDatabaseReconciler) deleteCluster(ctx context.Context, s *scope) (bool, error) {
	db, id := s.db, s.identifier
	obs, err := s.cloud.ObserveCluster(ctx, id)
	if err != nil {
		_, err = r.cloudFailed(s, err)
		return false, err
	}
	if !obs.Exists {
		return !justCreated(db, r.now()), nil
	}
	c := obs.Cluster
	if owner := c.Tags[v1.TagOwner]; owner != naming.Owner(db.Namespace, db.Name) {
		r.event(db, corev1.EventTypeWarning, v1.ReasonOwnedByOther, "Not deleting Aurora cluster %s: its owner tag is %q, not this object", id, owner)
		return true, nil
	}
	if c.Phase == cloud.PhaseDeleting {
		setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus, "the Aurora cluster is deleting")
		return false, nil
	}
	members := make([]string, 0, len(c.Members))
	for _, m := range c.Members {
		members = append(members, m.Identifier)
	}
	if len(members) > 0 {
		waiting, err := r.deleteOwnInstances(ctx, s, members, v1.RoleClusterInstance)
		if err != nil || waiting {
			return false, err
		}
		setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus,
			"the Aurora cluster still has instances that are not this object's: RDS deletes a cluster only once they are gone")
		return false, nil
	}
	opts, note := finalSnapshot(db, id)
	if err := s.cloud.DeleteCluster(ctx, id, opts); err != nil {
		if errors.Is(err, cloud.ErrBusy) {
			setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus,
				fmt.Sprintf("waiting for the Aurora cluster to leave status %s before deleting it", c.Status))
			return false, nil
		}
		_, err = r.cloudFailed(s, err)
		return false, err
	}
	r.event(db, corev1.EventTypeNormal, v1.EventDeleteRequested, "Deleting Aurora cluster %s %s", id, note)
	return false, nil
}

// exposureError is a refused exposure found while making cluster instances: a spec to fix,
// not a cloud failure.
type exposureError struct{ err error }

func (e *exposureError) Error() string { return e.err.Error() }
