package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// The operator acts in the cloud with its own identity, which reaches every team's databases
// and snapshots. A namespace user only writes specs, so every spec field that would make the
// operator use those wider rights for one namespace against another, or open a database
// wider than the platform's defaults, is honoured only where a cluster admin allowed it. The
// threat model is docs/security.md.

// Allowances are what a cluster admin lets namespaces ask for beyond the safe defaults (a
// private database, the operator's default security groups, subnet group and KMS key, and
// restores only of the namespace's own snapshots). The operator's --allow-* flags fill them.
type Allowances struct {
	// Restore lets namespaces restore snapshots that were not taken for an object of their
	// own: a Grant's Value is "namespace:<ns>" (every snapshot the operator took for an
	// object in <ns>), a snapshot identifier or a snapshot ARN (e.g. made outside the
	// operator, or shared from another account).
	Restore Grants
	// PublicAccess lets namespaces give a database a public address; its Values are unused.
	PublicAccess Grants
	// SecurityGroupIDs, SubnetGroups and KMSKeyIDs let namespaces name these besides the
	// operator's defaults.
	SecurityGroupIDs Grants
	SubnetGroups     Grants
	KMSKeyIDs        Grants
	// ExportRoles let namespaces export backups with these roles (spec.backup.export's
	// iamRoleArn): a role decides which buckets the cloud writes to, so none is granted by
	// default.
	ExportRoles Grants
}

// Grant lets Namespace ("*" for every namespace) use Value.
type Grant struct {
	Namespace string
	Value     string
}

// Grants is a list of Grant, written on the command line as comma-separated
// [namespace=]value items (no namespace means every namespace).
type Grants []Grant

// allows reports whether namespace may use value.
func (g Grants) allows(namespace, value string) bool {
	return slices.ContainsFunc(g, func(x Grant) bool {
		return (x.Namespace == "*" || x.Namespace == namespace) && x.Value == value
	})
}

// anyFor reports whether namespace has any grant, whatever its value.
func (g Grants) anyFor(namespace string) bool {
	return slices.ContainsFunc(g, func(x Grant) bool { return x.Namespace == "*" || x.Namespace == namespace })
}

// grantsFlag parses Grants; valueOnly grants (PublicAccess) are a list of namespaces.
type grantsFlag struct {
	grants     *Grants
	namespaces bool
}

func (f grantsFlag) String() string {
	if f.grants == nil {
		return ""
	}
	out := make([]string, 0, len(*f.grants))
	for _, g := range *f.grants {
		switch {
		case f.namespaces:
			out = append(out, g.Namespace)
		case g.Namespace == "*":
			out = append(out, g.Value)
		default:
			out = append(out, g.Namespace+"="+g.Value)
		}
	}
	return strings.Join(out, ",")
}

func (f grantsFlag) Set(v string) error {
	var out Grants
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		g := Grant{Namespace: "*"}
		if f.namespaces {
			g.Namespace = item
		} else if ns, value, ok := strings.Cut(item, "="); ok {
			g.Namespace, g.Value = strings.TrimSpace(ns), strings.TrimSpace(value)
		} else {
			g.Value = item
		}
		if g.Namespace != "*" {
			if errs := validation.IsDNS1123Label(g.Namespace); len(errs) > 0 {
				return fmt.Errorf("%q is not a namespace name or *: %s", g.Namespace, strings.Join(errs, "; "))
			}
		}
		if !f.namespaces && g.Value == "" {
			return fmt.Errorf("%q names no value: write [namespace=]value", item)
		}
		out = append(out, g)
	}
	*f.grants = out
	return nil
}

// Flag names of the allowances, named in the messages that say how an admin can allow
// something.
const (
	flagAllowRestore        = "allow-restore"
	flagAllowPublicAccess   = "allow-public-access"
	flagAllowSecurityGroups = "allow-security-group-ids"
	flagAllowSubnetGroups   = "allow-subnet-groups"
	flagAllowKMSKeys        = "allow-kms-key-ids"
	flagAllowExportRoles    = "allow-export-roles"
)

// restoreSourceNamespace is the prefix of a Restore grant's value naming a namespace.
const restoreSourceNamespace = "namespace:"

// restoreAllowed reports whether an object in namespace may restore snap: a snapshot the
// operator took for an object in the same namespace (its owner tag says so; the cloud copies
// the tag to every snapshot), or one a cluster admin allowed.
func (a Allowances) restoreAllowed(namespace string, snap cloud.Snapshot) bool {
	ownerNS, _, tagged := strings.Cut(snap.Tags[v1.TagOwner], "/")
	if tagged && ownerNS == namespace {
		return true
	}
	if tagged && a.Restore.allows(namespace, restoreSourceNamespace+ownerNS) {
		return true
	}
	return a.Restore.allows(namespace, snap.Identifier) || (snap.ARN != "" && a.Restore.allows(namespace, snap.ARN))
}

// checkRestore looks up the snapshot a new database is to be restored from and refuses it,
// with the RestoreNotAllowed condition and an Event, unless this object's namespace may read
// it. stop is true when the create must not go on (refused, or the look-up failed).
func (r *RDSDatabaseReconciler) checkRestore(ctx context.Context, s *scope, snapshot string) (result ctrl.Result, stop bool, err error) {
	snap, found, err := s.cloud.Snapshot(ctx, snapshot)
	if err != nil {
		result, err = r.cloudFailed(s, err)
		return result, true, err
	}
	ns := s.db.Namespace
	if !found {
		s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonRestoreNotAllowed,
			fmt.Sprintf("spec.restoreFrom.snapshot %s: no such snapshot is visible to the operator; check its identifier or ARN", snapshot),
			corev1.EventTypeWarning, "")
		return ctrl.Result{RequeueAfter: r.Defaults.Resync}, true, nil
	}
	if r.Defaults.Allow.restoreAllowed(ns, snap) {
		return ctrl.Result{}, false, nil
	}
	// The message says whose snapshot it is not, never whose it is: that is another
	// namespace's business.
	s.announce(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonRestoreNotAllowed,
		fmt.Sprintf("spec.restoreFrom.snapshot %s was not taken for an object in namespace %s, and no cluster admin allowed namespace %s to restore it: nothing was restored. An admin can allow it with the operator flag --%s=%s=<snapshot identifier or ARN> or --%s=%s=%s<namespace it was taken in> (Helm value allow.restore)",
			snapshot, ns, ns, flagAllowRestore, ns, flagAllowRestore, ns, restoreSourceNamespace),
		corev1.EventTypeWarning, "")
	return ctrl.Result{RequeueAfter: r.Defaults.Resync}, true, nil
}

// exposure is how far a database is opened and which key holds its data: what a namespace
// user must not widen alone.
type exposure struct {
	public         bool
	securityGroups []string
	subnetGroup    string
	kmsKeyID       string
}

// exposureOf is the exposure of a cloud database as the cloud reports it.
func exposureOf(in cloud.Instance) *exposure {
	return &exposure{public: in.PubliclyAccessible, securityGroups: in.SecurityGroupIDs, subnetGroup: in.SubnetGroup, kmsKeyID: in.KMSKeyID}
}

// checkExposure returns an error naming the first field of d that the cluster admin has not
// allowed in db's namespace and that the cloud database does not already have. current is
// the cloud database's exposure, nil before it exists. Values allowed only because the
// database had them before the admin's rules existed are announced once in a warning Event:
// existing databases keep working.
func (r *RDSDatabaseReconciler) checkExposure(s *scope, d cloud.Desired, current *exposure) error {
	db := s.db
	ns, allow, defaults := db.Namespace, r.Defaults.Allow, s.defaults
	var kept []string
	refuse := func(field, value, flag string) error {
		return fmt.Errorf("%s %s is not allowed in namespace %s: the operator's defaults apply unless a cluster admin allows it with the operator flag --%s=%s=%s (remove the field, or ask your platform team)",
			field, value, ns, flag, ns, value)
	}
	if d.PubliclyAccessible && !allow.PublicAccess.anyFor(ns) {
		if current == nil || !current.public {
			return fmt.Errorf("spec.network.publiclyAccessible: true is not allowed in namespace %s: databases are private unless a cluster admin allows public ones with the operator flag --%s=%s (Helm value allow.publicAccess)",
				ns, flagAllowPublicAccess, ns)
		}
		kept = append(kept, "a public address")
	}
	for _, g := range d.SecurityGroupIDs {
		if slices.Contains(defaults.SecurityGroupIDs, g) || allow.SecurityGroupIDs.allows(ns, g) {
			continue
		}
		if current == nil || !slices.Contains(current.securityGroups, g) {
			return refuse("spec.network.securityGroupIds", g, flagAllowSecurityGroups)
		}
		kept = append(kept, "security group "+g)
	}
	// The subnet group and the key are fixed once the database exists: only a new one
	// is checked.
	if g := d.SubnetGroup; g != "" && g != defaults.SubnetGroup && !allow.SubnetGroups.allows(ns, g) {
		if current == nil {
			return refuse("spec.network.subnetGroup", g, flagAllowSubnetGroups)
		}
		if current.subnetGroup == g {
			kept = append(kept, "subnet group "+g)
		}
	}
	if k := d.KMSKeyID; d.StorageEncrypted && k != "" && k != defaults.KMSKeyID && !allow.KMSKeyIDs.allows(ns, k) {
		if current == nil {
			return refuse("spec.encryption.kmsKeyId", k, flagAllowKMSKeys)
		}
		kept = append(kept, "KMS key "+k)
	}
	if len(kept) > 0 {
		r.warnOnce(db, v1.EventExposureKept, fmt.Sprintf("The database keeps %s, which a cluster admin has not allowed in namespace %s: it works as before, but a new database with the same spec would be refused (allow it with the operator's --allow-* flags, see docs/security.md)",
			strings.Join(kept, ", "), ns))
	}
	return nil
}

// warnOnce records a warning Event on db the first time this operator process sees note for
// it: a standing situation is said once, not at every resync.
func (r *RDSDatabaseReconciler) warnOnce(db *v1.RDSDatabase, reason, note string) {
	if _, seen := r.warned.LoadOrStore(string(db.UID)+"\x00"+note, true); seen {
		return
	}
	r.event(db, corev1.EventTypeWarning, reason, "%s", note)
}
