package emulator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// clusterWithoutEngine tells whether a cluster runs without a server, as instances do
// under NoEngine or with the NoEngineTag. It runs under the lock.
func (e *Emulator) clusterWithoutEngine(c *cluster) bool {
	if e.cfg.NoEngine {
		return true
	}
	for _, t := range c.Tags {
		if e.cfg.NoEngineTag != "" && t.Key == e.cfg.NoEngineTag {
			return true
		}
	}
	return false
}

// runClusterCreate takes a new cluster through creating (its one server starts meanwhile
// and replays dump when the cluster is restored from a snapshot) to available, then takes
// its first automated cluster snapshot while it stays available, as Aurora's continuous
// backup does.
func (e *Emulator) runClusterCreate(ctx context.Context, id, password, dump string) {
	start := time.Now()
	e.mu.Lock()
	self, ok := e.clusters[id]
	if !ok {
		e.mu.Unlock()
		return
	}
	base, user, dbName := auroraEngines[self.Engine], self.MasterUsername, self.DatabaseName
	noEngine := e.clusterWithoutEngine(self)
	e.mu.Unlock()

	port := defaultPort[base]
	if noEngine && e.cfg.NoEnginePort != 0 {
		port = e.cfg.NoEnginePort
	}
	var srv engineServer
	if !noEngine {
		var err error
		srv, port, err = e.startClusterEngine(ctx, id, base, user, password, dbName, dump)
		if err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: cluster %s failed: %v\n", id, err)
			e.mu.Lock()
			if c, ok := e.clusters[id]; ok && c == self && c.Status == "creating" {
				c.Status = "failed"
			}
			e.mu.Unlock()
			return
		}
		e.mu.Lock()
		c, ok := e.clusters[id]
		attached := ok && c == self
		if attached {
			c.server = srv
		}
		e.mu.Unlock()
		if !attached {
			_ = srv.Stop()
			return
		}
	}
	if !sleep(ctx, e.cfg.Delays.Create-time.Since(start)) {
		return
	}
	e.mu.Lock()
	c, ok := e.clusters[id]
	if !ok || c != self || c.Status != "creating" {
		e.mu.Unlock()
		return
	}
	c.Port, c.Status = port, "available"
	snap := e.newClusterSnapshot(c, "rds:"+id+"-"+time.Now().UTC().Format("2006-01-02-15-04"), "automated", nil)
	e.clusterSnapshots[snap.ID] = snap
	e.mu.Unlock()

	e.runClusterSnapshot(ctx, snap.ID, id, srv)
}

// startClusterEngine starts a cluster's server in a fresh directory with the snapshot
// dump's data, or creates the cluster's database.
func (e *Emulator) startClusterEngine(ctx context.Context, id, base, user, password, dbName, dump string) (engineServer, int, error) {
	dir := filepath.Join(e.cfg.DataDir, "clusters", id)
	if err := os.RemoveAll(dir); err != nil {
		return nil, 0, fmt.Errorf("clear %s: %w", dir, err)
	}
	srv, port, err := startServer(ctx, base, serverOptions{dir: dir, user: user, password: password, snapshot: dump, ca: e.ca, log: e.cfg.Log})
	if err != nil {
		return nil, 0, err
	}
	if dump == "" && dbName != "" {
		err = srv.CreateDatabase(ctx, dbName)
	}
	if err != nil {
		_ = srv.Stop()
		return nil, 0, err
	}
	return srv, port, nil
}

// runClusterSnapshot dumps the cluster's data into the snapshot, waits Delays.BackingUp,
// then makes the snapshot available and a backing-up cluster available again.
func (e *Emulator) runClusterSnapshot(ctx context.Context, snapID, clusterID string, srv engineServer) {
	start := time.Now()
	status := "available"
	file, err := e.dumpCluster(ctx, srv, snapID)
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "rds-emulator: cluster snapshot %s failed: %v\n", snapID, err)
		status = "failed"
	}
	if !sleep(ctx, e.cfg.Delays.BackingUp-time.Since(start)) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.clusterSnapshots[snapID]
	if ok {
		s.Status, s.File = status, file
	}
	if c, found := e.clusters[clusterID]; found {
		if ok && s.Type == "automated" && status == "available" && c.FirstBackup.IsZero() {
			c.FirstBackup = time.Now()
		}
		if c.Status == "backing-up" {
			c.Status = "available"
		}
	}
}

// dumpCluster writes a cluster snapshot's data file; without an engine there is none.
func (e *Emulator) dumpCluster(ctx context.Context, srv engineServer, snapID string) (string, error) {
	if srv == nil || e.cfg.DataDir == "" {
		return "", nil
	}
	path := filepath.Join(e.cfg.DataDir, "snapshots", "cluster-"+snapID+".sql")
	if err := srv.Dump(ctx, path); err != nil {
		return "", err
	}
	return path, nil
}

// runClusterUpgrade keeps the cluster upgrading for Delays.Modify, then reports the new
// engine version on the cluster and its instances.
func (e *Emulator) runClusterUpgrade(ctx context.Context, id string) {
	if !sleep(ctx, e.cfg.Delays.Modify) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.clusters[id]
	if !ok || c.Status != "upgrading" {
		return
	}
	c.applyPending(e.members(id))
	c.Status = "available"
}

// applyPending makes the pending engine version current, on the instances too. It runs
// under the lock.
func (c *cluster) applyPending(members []*instance) {
	if c.PendingEngineVersion == "" {
		return
	}
	c.EngineVersion = c.PendingEngineVersion
	for _, in := range members {
		in.EngineVersion = c.EngineVersion
	}
	c.PendingEngineVersion = ""
}

// runClusterDelete takes the final snapshot if asked, keeps the cluster deleting for
// Delays.Delete, then stops its server, removes its data and forgets it and its automated
// snapshots.
func (e *Emulator) runClusterDelete(ctx context.Context, id, finalSnapshot string, srv engineServer) {
	start := time.Now()
	snapStatus, file := "available", ""
	if finalSnapshot != "" {
		var err error
		if file, err = e.dumpCluster(ctx, srv, finalSnapshot); err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: final cluster snapshot %s failed: %v\n", finalSnapshot, err)
			snapStatus = "failed"
		}
	}
	if !sleep(ctx, e.cfg.Delays.Delete-time.Since(start)) {
		return
	}
	if srv != nil {
		if err := srv.Stop(); err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: stop cluster %s: %v\n", id, err)
		}
	}
	if e.cfg.DataDir != "" {
		if err := os.RemoveAll(filepath.Join(e.cfg.DataDir, "clusters", id)); err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: remove data of cluster %s: %v\n", id, err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.clusters, id)
	for sid, s := range e.clusterSnapshots {
		if s.ClusterID == id && s.Type == "automated" {
			delete(e.clusterSnapshots, sid)
			if s.File != "" {
				_ = os.Remove(s.File)
			}
		}
	}
	if s, ok := e.clusterSnapshots[finalSnapshot]; ok {
		s.Status, s.File = snapStatus, file
	}
}
