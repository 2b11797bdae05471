package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Account is what the emulated AWS account holds besides databases: DB subnet groups, KMS
// keys and S3 buckets. Calls that name one the account does not hold are refused as RDS
// refuses them (DBSubnetGroupNotFoundFault, KMSKeyNotAccessibleFault; an export to a bucket
// the account does not hold fails). VPC security groups are checked for their form only. A new emulator starts with what a new account has in a region
// (DefaultAccount); Config.Account and POST /_emulator/account add more.
type Account struct {
	// SubnetGroups are DB subnet group names.
	SubnetGroups []string `json:"subnetGroups,omitempty"`
	// KMSKeys are the IDs of customer managed keys of the account.
	KMSKeys []string `json:"kmsKeys,omitempty"`
	// KMSAliases are alias names ("alias/shop-data"), each pointing at a key of its own.
	KMSAliases []string `json:"kmsAliases,omitempty"`
	// Buckets are the S3 buckets of the account (in the emulator's region), which snapshot
	// exports write to; the emulator's S3 stand-in serves them (see Emulator.ListenS3).
	Buckets []string `json:"buckets,omitempty"`
}

// DefaultAccount is what every emulated account holds: the default DB subnet group (RDS
// names it "default") and RDS's AWS managed key.
func DefaultAccount() Account {
	return Account{SubnetGroups: []string{"default"}, KMSAliases: []string{defaultRDSKeyAlias}}
}

// check reports what in a is malformed, in the words RDS would use.
func (a Account) check() error {
	for _, k := range a.KMSKeys {
		if !kmsKeyID.MatchString(k) {
			return fmt.Errorf("KMS key %q is not a key ID (a UUID or mrk-<32 hex digits>)", k)
		}
	}
	for _, al := range a.KMSAliases {
		if !kmsAlias.MatchString(al) {
			return fmt.Errorf("KMS alias %q is not of the form alias/<name>", al)
		}
	}
	for _, s := range a.SubnetGroups {
		if s == "" || len(s) > 255 {
			return fmt.Errorf("DB subnet group name %q must be 1 to 255 characters", s)
		}
	}
	for _, b := range a.Buckets {
		if !s3BucketName.MatchString(b) || strings.Contains(b, "..") {
			return fmt.Errorf("S3 bucket name %q is not valid: 3 to 63 lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit", b)
		}
	}
	return nil
}

// add puts what b holds into a, each name once.
func (a *Account) add(b Account) {
	merge := func(to *[]string, from []string) {
		for _, s := range from {
			if !slices.Contains(*to, s) {
				*to = append(*to, s)
			}
		}
	}
	merge(&a.SubnetGroups, b.SubnetGroups)
	merge(&a.KMSKeys, b.KMSKeys)
	merge(&a.KMSAliases, b.KMSAliases)
	merge(&a.Buckets, b.Buckets)
}

// AddToAccount adds subnet groups, KMS keys and S3 buckets to the account.
func (e *Emulator) AddToAccount(a Account) error {
	if err := a.check(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.account.add(a)
	return nil
}

// AccountHolds returns a copy of what the account holds.
func (e *Emulator) AccountHolds() Account {
	e.mu.Lock()
	defer e.mu.Unlock()
	var a Account
	a.add(e.account)
	return a
}

// serveAccount answers GET /_emulator/account with what the account holds and
// POST /_emulator/account ({"subnetGroups":[...],"kmsKeys":[...],"kmsAliases":[...],
// "buckets":[...]}) by adding to it.
func (e *Emulator) serveAccount(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var a Account
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			http.Error(w, "account: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := e.AddToAccount(a); err != nil {
			http.Error(w, "account: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(e.AccountHolds())
}

// checkSubnetGroup refuses a DB subnet group the account does not hold; empty means the
// default one.
func (e *Emulator) checkSubnetGroup(name string) error {
	if name == "" {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// RDS stores subnet group names in lowercase and matches them so.
	if !slices.ContainsFunc(e.account.SubnetGroups, func(s string) bool { return strings.EqualFold(s, name) }) {
		return newError(codeSubnetGroupNotFound, "DBSubnetGroup '%s' not found.", name)
	}
	return nil
}

// kmsKeyExists reports whether the account holds a key ID or an alias name. The caller
// holds e.mu.
func (e *Emulator) kmsKeyExists(idOrAlias string) bool {
	if strings.HasPrefix(idOrAlias, "alias/") {
		return slices.Contains(e.account.KMSAliases, idOrAlias)
	}
	if slices.Contains(e.account.KMSKeys, idOrAlias) {
		return true
	}
	// An alias's key is known by its ID too.
	return slices.ContainsFunc(e.account.KMSAliases, func(a string) bool { return aliasKeyID(a) == idOrAlias })
}
