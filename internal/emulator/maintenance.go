package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
)

// ApplyPendingMaintenance does now what the maintenance window would: every available
// instance with pending modifications (ModifyDBInstance without ApplyImmediately) goes
// modifying for Delays.Modify, then available with the new values and nothing pending;
// every available Aurora DB cluster with a pending engine version goes upgrading, then
// available with it, and one with a pending change of IAM database authentication takes it
// at once. Those in another status keep their pending values for a later window. It
// returns the identifiers of the instances and clusters it started changing, sorted, and is
// not an API call: the call log does not count it.
func (e *Emulator) ApplyPendingMaintenance() []string {
	e.mu.Lock()
	var ids, clusterIDs, applied []string
	for id, in := range e.instances {
		if in.Status == "available" && !in.Pending.empty() {
			in.Status = "modifying"
			ids = append(ids, id)
		}
	}
	for id, c := range e.clusters {
		if c.Status == "available" && c.PendingIAMAuth != nil {
			// It changes no status: the cluster is listed and done.
			c.applyPendingIAMAuth()
			if c.PendingEngineVersion == "" {
				applied = append(applied, id)
			}
		}
		if c.Status == "available" && c.PendingEngineVersion != "" {
			c.Status = "upgrading"
			clusterIDs = append(clusterIDs, id)
		}
	}
	e.mu.Unlock()

	for _, id := range ids {
		e.background(func(ctx context.Context) { e.runModify(ctx, id, false) })
	}
	for _, id := range clusterIDs {
		e.background(func(ctx context.Context) { e.runClusterUpgrade(ctx, id) })
	}
	ids = append(append(ids, clusterIDs...), applied...)
	sort.Strings(ids)
	return ids
}

// maintenanceJSON is the answer of POST /_emulator/maintenance.
type maintenanceJSON struct {
	// Modifying lists the instances whose pending modifications are being applied.
	Modifying []string `json:"modifying"`
}

// serveMaintenance answers POST /_emulator/maintenance.
func (e *Emulator) serveMaintenance(w http.ResponseWriter) {
	ids := e.ApplyPendingMaintenance()
	if ids == nil {
		ids = []string{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(maintenanceJSON{Modifying: ids})
}
