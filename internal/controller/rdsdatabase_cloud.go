package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/storagesize"
)

// reconcileCloudDatabase makes sure the cloud database exists and mirrors it into status. It
// continues only once the database is available; until then it requeues.
func (r *RDSDatabaseReconciler) reconcileCloudDatabase(ctx context.Context, s *scope) (ctrl.Result, error) {
	db := s.db
	obs, err := s.cloud.Observe(ctx, s.identifier)
	if err != nil {
		return r.cloudFailed(s, err)
	}
	if !obs.Exists {
		if r.missingNotRecreated(s, "cloud database") {
			return ctrl.Result{RequeueAfter: r.Defaults.Resync}, nil
		}
		return r.createCloudDatabase(ctx, s)
	}
	inst := obs.Instance
	if r.ownedByOther(s, "cloud database", inst.Tags) {
		return ctrl.Result{RequeueAfter: ownerRecheck}, nil
	}
	if inst.MasterUser != "" && inst.MasterUser != db.Spec.MasterUser {
		return r.specInvalid(s, fmt.Errorf("the cloud database's master user is %s, not %s (a restored snapshot keeps its master user): set masteruser: %s",
			inst.MasterUser, db.Spec.MasterUser, inst.MasterUser))
	}
	s.instance = &inst
	db.Status.Cloud = &v1.CloudStatus{
		Identifier:              inst.Identifier,
		ARN:                     inst.ARN,
		Status:                  inst.Status,
		Engine:                  inst.Engine,
		EngineVersion:           inst.EngineVersion,
		AllocatedStorageGiB:     inst.AllocatedStorageGiB,
		MaxAllocatedStorageGiB:  inst.MaxAllocatedStorageGiB,
		InstanceClass:           inst.InstanceClass,
		Endpoint:                inst.Endpoint,
		Port:                    inst.Port,
		StorageEncrypted:        inst.StorageEncrypted,
		KMSKeyID:                inst.KMSKeyID,
		MultiAZ:                 inst.MultiAZ,
		AvailabilityZone:        inst.AvailabilityZone,
		DeletionProtection:      inst.DeletionProtection,
		MaintenanceWindow:       inst.MaintenanceWindow,
		AutoMinorVersionUpgrade: inst.AutoMinorVersionUpgrade,
		IAMAuthentication:       inst.IAMAuthentication,
		LogExports:              slices.Sorted(slices.Values(inst.LogExports)),
	}
	db.Status.Cloud.PendingModifications = pendingModifications(inst)
	if p := db.Status.Parameters; inst.Parameters.Own && (p == nil || p.Group == "") {
		// The set the provider made for the database, said at once: whatever happens next (a
		// major upgrade that moves it to another), it is known to be the operator's to delete.
		db.Status.Parameters = &v1.ParameterStatus{Group: inst.Parameters.Set}
		if p != nil {
			db.Status.Parameters = p.DeepCopy()
			db.Status.Parameters.Group = inst.Parameters.Set
		}
	}
	storageFull := inst.Phase == cloud.PhaseStorageFull
	// A database backing up or optimising storage serves connections as usual; it only
	// refuses modifications.
	busyServing := inst.Phase == cloud.PhaseBackingUp || inst.Phase == cloud.PhaseBusy
	if inst.Incomplete {
		return r.completeCloudDatabase(ctx, s)
	}
	if !inst.Phase.Serving() || inst.Endpoint == "" {
		setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus,
			fmt.Sprintf("the cloud database is %s", inst.Status))
		waitForDatabase(db)
		return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
	}
	desired, _, err := r.desired(s)
	if err == nil {
		err = r.checkExposure(s, desired, exposureOf(inst))
	}
	if err != nil {
		return r.specInvalid(s, err)
	}
	if db.Spec.InstanceClass == "" && inst.InstanceClass == cmp.Or(s.defaults.ClassInstanceClass, s.defaults.InstanceClass) {
		// A type with a default class of its own, newer than the general one, leaves a
		// database made with the general default as it is: an operator upgrade resizes
		// nothing. (Where the two defaults are one, this changes nothing; a class drifted to
		// anything else is still brought back.)
		desired.InstanceClass = inst.InstanceClass
	}
	s.desired = desired
	p := s.cloud.Plan(desired, inst, db.Spec.Version == "")
	if busyServing {
		if !p.Changes.Empty() {
			// Not Provisioned for this spec until the change is made: the cloud takes it
			// only once the database is available again.
			setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus,
				fmt.Sprintf("the cloud database is %s; then: %s", inst.Status, strings.Join(p.Described, ", ")))
			return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
		}
		setCondition(db, v1.ConditionProvisioned, metav1.ConditionTrue, v1.ReasonAvailable,
			fmt.Sprintf("the cloud database is %s and serves connections", inst.Status))
		return ctrl.Result{}, nil
	}
	if storageFull {
		// The cloud accepts only a storage increase in this state, the one users need most.
		if p.Changes.AllocatedStorageGiB == nil {
			setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus,
				"the cloud database is storage-full: raise spec.size to give it room")
			return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
		}
		p = cloud.Plan{
			Changes:   cloud.Changes{AllocatedStorageGiB: p.Changes.AllocatedStorageGiB},
			Described: []string{fmt.Sprintf("storage %d GiB to %d GiB", inst.AllocatedStorageGiB, *p.Changes.AllocatedStorageGiB)},
			Adjusted:  p.Adjusted,
		}
	}
	if !p.Changes.Empty() {
		return r.modifyCloudDatabase(ctx, s, p, inst)
	}
	if err := r.repairTagsOn(ctx, s, inst.ARN, inst.Tags); err != nil {
		return r.cloudFailed(s, err)
	}
	msg := "the cloud database is available"
	if pending := db.Status.Cloud.PendingModifications; len(pending) > 0 {
		msg += "; waiting for the maintenance window to apply: " + strings.Join(pending, ", ")
	}
	if enc := db.Spec.Encryption; enc != nil && enc.Enabled != nil && *enc.Enabled != inst.StorageEncrypted {
		// Only a new database can change it: say so rather than pretend.
		msg += fmt.Sprintf("; its storage encryption is %t, not %t as spec.encryption asks, and the cloud cannot change that on an existing database: restore a snapshot into a new RDSDatabase",
			inst.StorageEncrypted, *enc.Enabled)
	}
	setCondition(db, v1.ConditionProvisioned, metav1.ConditionTrue, v1.ReasonAvailable, msg)
	return ctrl.Result{}, nil
}

// completeCloudDatabase asks the cloud, once the database can take it, for the part one
// create could not make (a master user, made with the password already in its Secret; a
// writer instance), and waits for it. Which part that is, is the provider's business.
func (r *RDSDatabaseReconciler) completeCloudDatabase(ctx context.Context, s *scope) (ctrl.Result, error) {
	if s.instance.Phase == cloud.PhaseAvailable {
		desired, _, err := r.desired(s)
		if err == nil {
			err = r.checkExposure(s, desired, exposureOf(*s.instance))
		}
		if err != nil {
			return r.specInvalid(s, err)
		}
		if err := s.cloud.Complete(ctx, desired); err != nil {
			return r.cloudFailed(s, err)
		}
	}
	setCondition(s.db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCreating,
		fmt.Sprintf("the cloud database is %s; the cloud is making the rest of it", s.instance.Status))
	waitForDatabase(s.db)
	return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
}

// missingNotRecreated reports, for a cloud resource (kind) the cloud no longer has, whether it
// existed before and must not be made again: deleted outside the operator, an empty new one
// could hide that, so a person decides (restore a snapshot, or allow re-creation). It says so
// in the Provisioned condition.
func (r *RDSDatabaseReconciler) missingNotRecreated(s *scope, kind string) bool {
	if s.db.Status.Cloud == nil || r.Defaults.RecreateMissing {
		return false
	}
	if c := meta.FindStatusCondition(s.db.Status.Conditions, v1.ConditionUsersReady); c != nil && c.Reason == v1.ReasonWaitingForDatabase {
		// Gone before it ever served (a cloud removes a database whose create failed after
		// it took the request: Azure's failed operation): nothing of it was used, so nothing
		// is lost. It is asked for again as never made, which has the provider report why
		// the first create failed, and lets a class fall back on a refusal for capacity.
		s.db.Status.Cloud = nil
		return false
	}
	s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudDatabaseMissing,
		fmt.Sprintf("the %s %s was deleted outside the operator; restore it from a snapshot, or run the operator with --recreate-missing to create an empty one", kind, s.identifier),
		corev1.EventTypeWarning, "")
	return true
}

// ownedByOther reports whether a cloud resource (kind) with this object's identifier carries
// tags whose owner is not this object, and says so in the Provisioned condition: the operator
// never touches it.
func (r *RDSDatabaseReconciler) ownedByOther(s *scope, kind string, tags map[string]string) bool {
	owner := tags[v1.TagOwner]
	if owner == naming.Owner(s.db.Namespace, s.db.Name) {
		return false
	}
	msg := fmt.Sprintf("the %s %s exists whose owner tag is %q, not this object: the operator will not touch it", kind, s.identifier, owner)
	s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonOwnedByOther, msg, corev1.EventTypeWarning, "")
	return true
}

// repairTagsOn puts back the spec's tags and the operator's own on the resource arn, whose
// tags are have, when they were changed or removed in the cloud. Tags the spec does not name
// are left alone.
func (r *RDSDatabaseReconciler) repairTagsOn(ctx context.Context, s *scope, arn string, have map[string]string) error {
	missing := map[string]string{}
	for k, v := range cloudTags(s) {
		if got, ok := have[k]; !ok || got != v {
			missing[k] = v
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := s.cloud.Tag(ctx, arn, missing); err != nil {
		return err
	}
	r.event(s.db, corev1.EventTypeNormal, v1.EventTagsRepaired, "Put back %d tags changed or removed in the cloud: %s", len(missing), strings.Join(sortedKeys(missing), ", "))
	return nil
}

// modifyCloudDatabase sends one Update with every change of p. A change of major version is
// sent only when the spec allows it.
func (r *RDSDatabaseReconciler) modifyCloudDatabase(ctx context.Context, s *scope, p cloud.Plan, inst cloud.Instance) (ctrl.Result, error) {
	db := s.db
	if v := p.Changes.EngineVersion; v != nil && engineOf(db).major(*v) != engineOf(db).major(inst.EngineVersion) && !db.Spec.AllowMajorVersionUpgrade {
		s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonMajorUpgradeNotAllowed,
			fmt.Sprintf("the spec asks for version %s but the database runs %s: a major upgrade needs allowMajorVersionUpgrade: true", *v, inst.EngineVersion),
			corev1.EventTypeWarning, "")
		return ctrl.Result{}, nil
	}
	immediately := db.Spec.ApplyImmediately == nil || *db.Spec.ApplyImmediately
	opts := cloud.UpdateOptions{ApplyImmediately: immediately, AllowMajorVersionUpgrade: db.Spec.AllowMajorVersionUpgrade}
	if err := s.cloud.Update(ctx, s.identifier, p.Changes, opts); err != nil {
		return r.cloudFailed(s, err)
	}
	when := "now"
	if !immediately {
		when = "at the next maintenance window"
	}
	changes := strings.Join(p.Described, ", ")
	if p.Adjusted != "" {
		r.event(db, corev1.EventTypeNormal, v1.EventStorageRoundedUp, "Spec size %s: %s", db.Spec.Size, p.Adjusted)
	}
	r.event(db, corev1.EventTypeNormal, v1.EventModifyRequested, "Asked the cloud to change %s %s", changes, when)
	setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonModifying, "asked the cloud to change "+changes+" "+when)
	return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
}

// createCloudDatabase asks the cloud for the database. The identifier is derived from the
// object, so a create retried after a crash finds the database it made.
func (r *RDSDatabaseReconciler) createCloudDatabase(ctx context.Context, s *scope) (ctrl.Result, error) {
	db := s.db
	desired, raised, err := r.desired(s)
	if err == nil {
		err = r.checkExposure(s, desired, nil)
	}
	if err == nil && s.defaults.KeepsNoSnapshots && deletionPolicyOf(s) == v1.DeletionSnapshot {
		err = fmt.Errorf("deletionPolicy Snapshot: %s keeps nothing of a deleted database that could be restored: set deletionPolicy Retain (its default) or Delete", placementOf(s.db))
	}
	if err != nil {
		return r.specInvalid(s, err)
	}
	if desired.RestoreFromSnapshot != "" {
		// Before anything else: a refused restore sends nothing to the cloud.
		if result, stop, err := r.checkRestore(ctx, s, desired.RestoreFromSnapshot); stop {
			return result, err
		}
	}
	db.Status.RequestedStorageGiB = desired.AllocatedStorageGiB
	if desired.RestoreFromSnapshot != "" {
		// A restored database has its snapshot's master password: the Secret's is set
		// through the cloud afterwards, like a rotation. Say so in the Secret first.
		if err := r.markMasterForReset(ctx, s); err != nil {
			return conflictRequeue(errorf(db, "mark the master password to be set after the restore", err))
		}
	}
	if err := r.recordPlacement(ctx, s); err != nil {
		return conflictRequeue(errorf(db, "record the placement", err))
	}
	if moved, err := r.movedMeanwhile(ctx, s); err != nil || moved {
		return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, err
	}
	if err := s.cloud.Create(ctx, desired); err != nil {
		if result, handled, err := r.fallBackAfterRefusal(ctx, s, desired, err); handled {
			return result, err
		}
		return r.cloudFailed(s, err)
	}
	// Said once the create is sent: a create deferred to a later turn of the rate limit
	// comes back here, and must not say it again each time.
	if raised {
		r.event(db, corev1.EventTypeNormal, v1.EventSizeRaised, "Size %s is below the %s minimum: asked the cloud for %d GiB",
			db.Spec.Size, desired.StorageType, desired.AllocatedStorageGiB)
	}
	if len(desired.Parameters) > 0 && desired.RestoreFromSnapshot == "" {
		// Made with its parameters: nothing to read back before the next recheck.
		db.Status.Parameters = &v1.ParameterStatus{Applied: parameterDigest(desired.Parameters), CheckedAt: &metav1.Time{Time: r.now()}}
	}
	size := ""
	if desired.AllocatedStorageGiB > 0 {
		size = fmt.Sprintf(", %d GiB %s", desired.AllocatedStorageGiB, desired.StorageType)
	}
	r.event(db, corev1.EventTypeNormal, v1.EventCreateRequested, "Asked the cloud for %s %s database %s (%s%s)",
		desired.Engine, desired.EngineVersion, desired.Identifier, desired.InstanceClass, size)
	setCondition(db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCreating, "the cloud database is being created")
	waitForDatabase(db)
	return ctrl.Result{RequeueAfter: r.Defaults.PendingRequeue}, nil
}

// waitForDatabase says, before the users were ever set up, that they wait for the database.
// Once they have been, a database changing state (say, modifying) does not undo them.
func waitForDatabase(db *v1.RDSDatabase) {
	if meta.FindStatusCondition(db.Status.Conditions, v1.ConditionUsersReady) == nil {
		setCondition(db, v1.ConditionUsersReady, metav1.ConditionFalse, v1.ReasonWaitingForDatabase,
			"users and databases are created once the cloud database is available")
	}
}

// desired builds the cloud database the spec asks for, with the operator's defaults where the
// spec is silent. raised tells whether the size was raised to the storage type's minimum.
func (r *RDSDatabaseReconciler) desired(s *scope) (d cloud.Desired, raised bool, err error) {
	spec := s.db.Spec
	var requested int32
	switch {
	case spec.Size != "":
		if requested, err = storagesize.Parse(spec.Size); err != nil {
			return cloud.Desired{}, false, err
		}
	case !s.defaults.ServerStorage:
		requested = DefaultSizeGiB
	}
	retention, err := parseRetention(spec.Backup.Retention)
	if err != nil {
		return cloud.Desired{}, false, err
	}
	e := engineOf(s.db)
	d = cloud.Desired{
		Identifier:          s.identifier,
		Engine:              e.engine,
		EngineVersion:       orDefault(spec.Version, s.versionFor(r.Defaults, e)),
		InstanceClass:       orDefault(spec.InstanceClass, s.instanceClassFor(e)),
		StorageType:         orDefault(spec.StorageType, s.defaults.StorageType),
		IOPS:                ptr.Deref(spec.IOPS, 0),
		StorageThroughput:   ptr.Deref(spec.StorageThroughput, 0),
		BackupRetentionDays: retention,
		BackupWindow:        spec.Backup.Window,
		MasterUser:          spec.MasterUser,
		MasterPassword:      s.credentials[spec.MasterUser].password,
		StorageEncrypted:    s.defaults.StorageEncrypted,
		KMSKeyID:            s.defaults.KMSKeyID,
		SubnetGroup:         s.defaults.SubnetGroup,
		SecurityGroupIDs:    s.defaults.SecurityGroupIDs,
		Tags:                cloudTags(s),
	}
	if spec.Logs != nil {
		d.LogExports = append([]string{}, spec.Logs.Exports...) // non-nil: the spec decides
	}
	if enc := spec.Encryption; enc != nil {
		if enc.Enabled != nil {
			d.StorageEncrypted = *enc.Enabled
		}
		if enc.KMSKeyID != "" {
			d.KMSKeyID = enc.KMSKeyID
		}
	}
	if !d.StorageEncrypted {
		d.KMSKeyID = "" // the default key applies only to encrypted databases
	}
	if n := spec.Network; n != nil {
		d.SubnetGroup = orDefault(n.SubnetGroup, d.SubnetGroup)
		if len(n.SecurityGroupIDs) > 0 {
			d.SecurityGroupIDs = n.SecurityGroupIDs
		}
		d.PubliclyAccessible = n.PubliclyAccessible
	}
	if ha := spec.HighAvailability; ha != nil {
		d.MultiAZ = ha.MultiAZ
	}
	if spec.RestoreFrom != nil {
		d.RestoreFromSnapshot = spec.RestoreFrom.Snapshot
	}
	d.DeletionProtection = r.deletionProtection(s.db)
	d.MaintenanceWindow, d.AutoMinorVersionUpgrade = spec.MaintenanceWindow, spec.AutoMinorVersionUpgrade
	d.IAMAuthentication = spec.IAMAuthentication
	d.Parameters, d.OwnerTag = spec.Parameters, v1.TagOwner
	d.AllocatedStorageGiB = requested
	d.AllocatedStorageGiB, raised = s.cloud.Storage(d)
	if spec.MaxSize != "" {
		max, err := storagesize.Parse(spec.MaxSize)
		if err != nil {
			return cloud.Desired{}, false, fmt.Errorf("maxSize: %w", err)
		}
		switch {
		case max == requested:
			d.MaxAllocatedStorageGiB = d.AllocatedStorageGiB // equal to size: autoscaling off
		case max <= d.AllocatedStorageGiB:
			return cloud.Desired{}, false, fmt.Errorf("maxSize %s must be larger than the %d GiB of storage asked for (size, raised to the storage type's minimum), or equal to size to turn autoscaling off", spec.MaxSize, d.AllocatedStorageGiB)
		default:
			d.MaxAllocatedStorageGiB = max
		}
	}
	return d, raised, nil
}

// cloudTags returns the operator-wide tags, the spec's tags over them, and the operator's
// owner tags, which win.
func cloudTags(s *scope) map[string]string {
	db := s.db
	tags := maps.Clone(s.defaults.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	maps.Copy(tags, db.Spec.Tags)
	tags[v1.TagOwner] = naming.Owner(db.Namespace, db.Name)
	tags[v1.TagManagedBy] = v1.ManagedByValue
	return tags
}

// cloudFailed records a refused or failed cloud call as a condition and an Event, and returns
// the error so the work queue retries with backoff.
func (r *RDSDatabaseReconciler) cloudFailed(s *scope, err error) (ctrl.Result, error) {
	if after, wait := cloud.RetryAfter(err); wait {
		// Not a failure: the call waits for its turn under the operator's AWS rate limit, or
		// for the shared view to see a change just made. Come back then, quietly.
		if meta.FindStatusCondition(s.db.Status.Conditions, v1.ConditionProvisioned) == nil {
			setCondition(s.db, v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudStatus,
				"waiting for a turn under the operator's AWS call rate limit")
		}
		return ctrl.Result{RequeueAfter: after}, nil
	}
	if errors.Is(err, cloud.ErrUnsupported) {
		// Asking again never helps: the spec must change, or the object belongs on another
		// class.
		return r.specInvalid(s, fmt.Errorf("%s cannot make it: %w", placementOf(s.db), err))
	}
	s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCloudError, refusal(err), corev1.EventTypeWarning, "")
	return ctrl.Result{}, errorf(s.db, "cloud", err)
}

// refusal says a cloud's error, naming the spec field to change when the provider told
// which part of the request the cloud refused.
func refusal(err error) string {
	var ce *cloud.Error
	if errors.As(err, &ce) && specFieldOf[ce.Field] != "" {
		return fmt.Sprintf("the cloud refused %s: change it (or the DatabaseClass or operator default it comes from): %s", specFieldOf[ce.Field], err)
	}
	return err.Error()
}

// specFieldOf names in the spec's terms the part of a request a cloud refused.
var specFieldOf = map[cloud.Field]string{
	cloud.FieldEngineVersion: "spec.version",
	cloud.FieldInstanceClass: "spec.instanceClass",
	cloud.FieldStorage:       "spec.size / spec.storageType",
	cloud.FieldIOPS:          "spec.iops / spec.storageThroughput",
	cloud.FieldSubnetGroup:   "spec.network.subnetGroup",
	cloud.FieldSecurityGroup: "spec.network.securityGroupIds",
	cloud.FieldKMSKey:        "spec.encryption.kmsKeyId",
	cloud.FieldMasterUser:    "spec.masteruser",
	cloud.FieldExportBucket:  "spec.backup.export.bucket",
	cloud.FieldExportRole:    "spec.backup.export.iamRoleArn",
	cloud.FieldExportKMSKey:  "spec.backup.export.kmsKeyId",
	cloud.FieldParameters:    "spec.parameters",
	cloud.FieldMaxStorage:    "spec.maxSize",
}

// specInvalid records a spec the operator cannot or may not turn into a cloud request: one
// asking for what a cluster admin has not allowed in its namespace, or one admission should
// have refused (the admission rules and the parser disagree). It says so and looks again only
// slowly (a spec change, or the operator restarted with other allowances, triggers a
// reconcile at once) rather than retrying in a loop.
func (r *RDSDatabaseReconciler) specInvalid(s *scope, err error) (ctrl.Result, error) {
	s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonSpecInvalid,
		"the spec cannot be applied: "+err.Error(), corev1.EventTypeWarning, "")
	return ctrl.Result{RequeueAfter: ownerRecheck}, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
