package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Error codes of a create over a quota (docs/rds-emulator-errors.md, "Quotas").
const (
	codeInstanceQuotaExceeded = "InstanceQuotaExceeded"
	codeClusterQuotaExceeded  = "DBClusterQuotaExceededFault"
)

// Quotas are the account's RDS quotas in the region (the RDS User Guide's "Quotas in
// Amazon RDS", DescribeAccountAttributes' AccountQuota names), which RDS holds every create
// to. Zero is no quota: a new emulator holds none, since AWS's defaults (40 DB instances, 40
// DB clusters) would stop scale tests. A quota lowered below what the account holds keeps
// what it holds and refuses the next create, as a real account does.
type Quotas struct {
	// DBInstances is how many DB instances the account may hold: RDS instances, read
	// replicas and Aurora cluster members alike, those being deleted too until they are
	// gone. Over it CreateDBInstance, CreateDBInstanceReadReplica and
	// RestoreDBInstanceFromDBSnapshot answer 400 InstanceQuotaExceeded.
	DBInstances int `json:"dbInstances"`
	// DBClusters is how many Aurora DB clusters the account may hold. Over it
	// CreateDBCluster and RestoreDBClusterFromSnapshot answer 403
	// DBClusterQuotaExceededFault.
	DBClusters int `json:"dbClusters"`
}

// check refuses negative quotas.
func (q Quotas) check() error {
	if q.DBInstances < 0 || q.DBClusters < 0 {
		return errors.New("quotas must be 0 (none) or more")
	}
	return nil
}

// SetQuotas replaces the account's quotas; what the account holds stays.
func (e *Emulator) SetQuotas(q Quotas) error {
	if err := q.check(); err != nil {
		return err
	}
	e.mu.Lock()
	e.quotas = q
	e.mu.Unlock()
	return nil
}

// Quotas returns the account's quotas.
func (e *Emulator) Quotas() Quotas {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.quotas
}

// serveQuotas answers GET /_emulator/quotas with the account's quotas and
// POST /_emulator/quotas ({"dbInstances":N,"dbClusters":N}) by replacing them.
func (e *Emulator) serveQuotas(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var q Quotas
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, "quotas: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := e.SetQuotas(q); err != nil {
			http.Error(w, "quotas: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(e.Quotas()); err != nil {
		// The header is sent: the client sees a cut answer; the log says why.
		fmt.Fprintf(e.cfg.Log, "rds-emulator: answer GET /_emulator/quotas: %v\n", err)
	}
}

// checkInstanceQuota refuses one more DB instance when the account holds as many as its
// quota allows. It runs under e.mu, after the identifier was found free: a create retried
// for an instance that exists is answered DBInstanceAlreadyExists, never the quota.
func (e *Emulator) checkInstanceQuota() error {
	if q := e.quotas.DBInstances; q > 0 && len(e.instances) >= q {
		return newError(codeInstanceQuotaExceeded, "DB Instance quota exceeded")
	}
	return nil
}

// checkClusterQuota refuses one more DB cluster likewise. It runs under e.mu.
func (e *Emulator) checkClusterQuota() error {
	if q := e.quotas.DBClusters; q > 0 && len(e.clusters) >= q {
		return newError(codeClusterQuotaExceeded, "DB cluster quota exceeded")
	}
	return nil
}
