package emulator

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"
)

// KMS key identifiers RDS accepts in KmsKeyId: a key ARN, a key ID, an alias ARN or an alias
// name. The emulator has no KMS: it checks the form and resolves each to a key ARN the way
// RDS reports one (DescribeDBInstances always shows the key's ARN, never an alias).
var (
	kmsKeyARN   = regexp.MustCompile(`^arn:aws[a-z-]*:kms:([a-z0-9-]+):([0-9]{12}):key/([A-Za-z0-9-]+)$`)
	kmsAliasARN = regexp.MustCompile(`^arn:aws[a-z-]*:kms:([a-z0-9-]+):([0-9]{12}):(alias/[A-Za-z0-9/_-]+)$`)
	kmsKeyID    = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	kmsAlias    = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]+$`)
	sgID        = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
)

// codeKMSKeyNotAccessible is RDS's error for a KMS key it cannot use.
const codeKMSKeyNotAccessible = "KMSKeyNotAccessibleFault"

// defaultRDSKeyAlias is the account's AWS-managed key RDS uses when none is named.
const defaultRDSKeyAlias = "alias/aws/rds"

// kmsKeyARN checks CreateDBInstance's StorageEncrypted and KmsKeyId together and returns the
// key ARN the instance reports: "" when unencrypted, the account's default RDS key when
// encrypted without a key. A key the account does not hold is refused.
func (e *Emulator) kmsKeyARN(encrypted bool, key string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.kmsKeyARNLocked(encrypted, key)
}

// kmsKeyARNLocked is kmsKeyARN for a caller that holds e.mu.
func (e *Emulator) kmsKeyARNLocked(encrypted bool, key string) (string, error) {
	if !encrypted {
		if key != "" {
			return "", newError(codeInvalidCombination, "A KMS key ID was specified, but StorageEncrypted is not set: set StorageEncrypted to true to encrypt with that key.")
		}
		return "", nil
	}
	if key == "" {
		key = defaultRDSKeyAlias
	}
	// A key or alias of this account and region must exist; one of another account or region
	// is taken as given (its key policy decides, which the emulator cannot see).
	own := func(region, account string) bool { return region == e.cfg.Region && account == e.cfg.AccountID }
	switch {
	case kmsKeyARN.MatchString(key):
		m := kmsKeyARN.FindStringSubmatch(key)
		if !own(m[1], m[2]) || e.kmsKeyExists(m[3]) {
			return key, nil
		}
	case kmsKeyID.MatchString(key):
		if e.kmsKeyExists(key) {
			return e.keyARN(key), nil
		}
	case kmsAliasARN.MatchString(key):
		m := kmsAliasARN.FindStringSubmatch(key)
		if !own(m[1], m[2]) || e.kmsKeyExists(m[3]) {
			return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", m[1], m[2], aliasKeyID(m[3])), nil
		}
	case kmsAlias.MatchString(key):
		if e.kmsKeyExists(key) {
			return e.keyARN(aliasKeyID(key)), nil
		}
	}
	return "", newError(codeKMSKeyNotAccessible, "The specified KMS key [%s] does not exist, is not enabled or you do not have permissions to access it.", key)
}

func (e *Emulator) keyARN(id string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", e.cfg.Region, e.cfg.AccountID, id)
}

// aliasKeyID gives each alias a stable key ID of KMS's form, standing in for the key the
// alias points at.
func aliasKeyID(alias string) string {
	h := fmt.Sprintf("%x", sha256.Sum256([]byte(alias)))
	return strings.Join([]string{h[0:8], h[8:12], h[12:16], h[16:20], h[20:32]}, "-")
}

// checkSecurityGroups checks VPC security group IDs' form.
func checkSecurityGroups(groups []string) error {
	for _, g := range groups {
		if !sgID.MatchString(g) {
			return newError(codeInvalidValue, "Invalid security group identifier: %s", g)
		}
	}
	return nil
}
