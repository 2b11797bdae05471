package controller

import (
	"flag"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// BindFlags registers every operator-wide default as a flag of fs, with d's values as the
// flags' defaults; a cloud's own defaults for an engine are its provider's flags
// (rds.AuroraDefaults). The README's table of defaults lists them all.
func (d *Defaults) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&d.PostgresVersion, "default-postgres-version", d.PostgresVersion, "Engine version for type postgresql when spec.version is empty.")
	fs.StringVar(&d.MySQLVersion, "default-mysql-version", d.MySQLVersion, "Engine version for type mysql when spec.version is empty.")
	fs.StringVar(&d.MariaDBVersion, "default-mariadb-version", d.MariaDBVersion, "Engine version for type mariadb when spec.version is empty.")
	fs.StringVar(&d.InstanceClass, "default-instance-class", d.InstanceClass, "Instance class when spec.instanceClass is empty.")
	fs.StringVar(&d.StorageType, "default-storage-type", d.StorageType, "Storage type when spec.storageType is empty.")
	fs.BoolVar(&d.StorageEncrypted, "default-storage-encrypted", d.StorageEncrypted, "Encrypt new databases' storage when spec.encryption.enabled is unset.")
	fs.StringVar(&d.KMSKeyID, "default-kms-key-id", d.KMSKeyID, "KMS key (ARN, key ID, alias ARN or alias/name) of encrypted databases whose spec names none; empty uses the account's default key.")
	fs.StringVar(&d.SubnetGroup, "default-subnet-group", d.SubnetGroup, "DB subnet group of new databases when spec.network.subnetGroup is empty; empty leaves the cloud's default.")
	fs.Var((*listFlag)(&d.SecurityGroupIDs), "default-security-group-ids", "Comma-separated VPC security group IDs of databases when spec.network.securityGroupIds is empty; empty leaves the cloud's default.")
	fs.Var((*tagsFlag)(&d.Tags), "default-tags", "Comma-separated key=value tags put on every cloud database, below the spec's own tags.")
	fs.DurationVar(&d.Resync, "resync", d.Resync, "How often a settled database is compared with the cloud again.")
	fs.DurationVar(&d.Feed, "feed-interval", d.Feed, "How often the cloud's feed of changes (RDS events) is read; 0 reads none and lists every database each --resync.")
	fs.DurationVar(&d.SafetyNet, "full-list-interval", d.SafetyNet, "How often every database is listed while the feed is read, for what the feed does not carry (tags).")
	fs.BoolVar(&d.RecreateMissing, "recreate-missing", d.RecreateMissing, "Create a cloud database again when it was deleted outside the operator (default: only report it).")
	fs.BoolVar(&d.DeletionProtection, "deletion-protection", d.DeletionProtection, "Turn the cloud's deletion protection on for databases whose spec leaves spec.deletionProtection unset (default: leave it as the cloud has it).")
	fs.DurationVar(&d.PendingRequeue, "pending-requeue", d.PendingRequeue, "How often a database that is changing state in the cloud is looked at again.")
	fs.Var(grantsFlag{grants: &d.Allow.Restore}, flagAllowRestore, "Comma-separated [namespace=]source items letting a namespace (all when omitted, or *) restore snapshots not taken for its own objects; source is namespace:<ns> (the operator's snapshots of objects in <ns>), a snapshot identifier or a snapshot ARN. Default: a namespace restores only its own.")
	fs.Var(grantsFlag{grants: &d.Allow.PublicAccess, namespaces: true}, flagAllowPublicAccess, "Comma-separated namespaces (or *) whose databases may have spec.network.publiclyAccessible: true. Default: none, every database is private.")
	fs.Var(grantsFlag{grants: &d.Allow.SecurityGroupIDs}, flagAllowSecurityGroups, "Comma-separated [namespace=]sg-... items a namespace (all when omitted) may name in spec.network.securityGroupIds, besides --default-security-group-ids.")
	fs.Var(grantsFlag{grants: &d.Allow.SubnetGroups}, flagAllowSubnetGroups, "Comma-separated [namespace=]name items a namespace (all when omitted) may name in spec.network.subnetGroup, besides --default-subnet-group.")
	fs.Var(grantsFlag{grants: &d.Allow.ExportRoles}, flagAllowExportRoles, "Comma-separated [namespace=]role-ARN items a namespace (all when omitted) may name in spec.backup.export.iamRoleArn. Default: none, no namespace exports backups (the role decides which buckets the cloud writes to).")
	fs.Var(grantsFlag{grants: &d.Allow.KMSKeyIDs}, flagAllowKMSKeys, "Comma-separated [namespace=]key items (as written in the spec) a namespace (all when omitted) may name in spec.encryption.kmsKeyId, besides --default-kms-key-id.")
}

var securityGroupID = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)

// listFlag is a comma-separated list of security group IDs.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		if !securityGroupID.MatchString(item) {
			return fmt.Errorf("%q is not a security group ID (sg- and 8 or 17 hex digits)", item)
		}
		if !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	*l = out
	return nil
}

// tagsFlag is a comma-separated list of key=value tags.
type tagsFlag map[string]string

func (t *tagsFlag) String() string {
	var out []string
	for k, v := range *t {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func (t *tagsFlag) Set(v string) error {
	tags := map[string]string{}
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		key, value, ok := strings.Cut(item, "=")
		key = strings.TrimSpace(key)
		switch {
		case !ok || key == "":
			return fmt.Errorf("tag %q is not key=value", item)
		case strings.HasPrefix(key, "aws:") || strings.HasPrefix(key, "matrixmind.cloud/"):
			return fmt.Errorf("tag key %q is reserved (aws: and matrixmind.cloud/ prefixes)", key)
		case len(key) > 128 || len(value) > 256:
			return fmt.Errorf("tag %q is too long: keys may have 128 characters, values 256", key)
		}
		tags[key] = strings.TrimSpace(value)
	}
	*t = tags
	return nil
}
