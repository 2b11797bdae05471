package emulator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// clusterSeed is the cluster snapshot a new cluster's server starts from: its dump and the
// engine version it was taken at. The zero seed starts an empty server.
type clusterSeed struct{ dump, version string }

// runClusterCreate takes a new cluster through creating (its one server starts meanwhile,
// from the seed when the cluster is restored from a snapshot) to available, then takes its
// first automated cluster snapshot while it stays available, as Aurora's continuous backup
// does.
func (e *Emulator) runClusterCreate(ctx context.Context, id, password string, seed clusterSeed) {
	start := time.Now()
	e.mu.Lock()
	self, ok := e.clusters[id]
	if !ok {
		e.mu.Unlock()
		return
	}
	base, version, user, dbName := auroraEngines[self.Engine], self.EngineVersion, self.MasterUsername, self.DatabaseName
	noEngine := e.clusterWithoutEngine(self)
	e.mu.Unlock()

	port := defaultPort[base]
	if noEngine && e.cfg.NoEnginePort != 0 {
		port = e.cfg.NoEnginePort
	}
	var srv engineServer
	var front endpointFront
	if !noEngine {
		var err error
		// A snapshot's base backup starts only on a server of its own major.
		opts := serverOptions{user: user, password: password, version: version, ca: e.ca, log: e.cfg.Log}
		if seed.dump != "" {
			opts.snapshot, opts.version = seed.dump, seed.version
		}
		srv, port, err = e.startClusterEngine(ctx, id, base, dbName, opts)
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
		if seed.dump != "" && version != seed.version {
			srv = e.upgradeRestoredCluster(ctx, self, seed.version)
		}
		if err := e.startClusterWithGroup(ctx, self, srv); err == nil {
			front, err = e.startClusterFront(self, srv)
		}
		if err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: cluster %s failed: %v\n", id, err)
			e.mu.Lock()
			if c, ok := e.clusters[id]; ok && c == self && c.Status == "creating" {
				c.Status = "failed"
			}
			e.mu.Unlock()
			return
		}
		port = endpointPort(front, port)
	}
	if !sleep(ctx, e.cfg.Delays.Create-time.Since(start)) {
		e.logErr(closeFront("cluster "+id, front))
		return
	}
	e.mu.Lock()
	c, ok := e.clusters[id]
	if !ok || c != self || c.Status != "creating" {
		e.mu.Unlock()
		e.logErr(closeFront("cluster "+id, front))
		return
	}
	c.Port, c.Status, c.front = port, "available", front
	e.clusterEvent(id, evClusterCreated)
	snap := e.newClusterSnapshot(c, "rds:"+id+"-"+time.Now().UTC().Format("2006-01-02-15-04"), "automated", nil)
	e.clusterSnapshots[snap.ID] = snap
	e.clusterSnapshotEvent(snap.ID, evAutomatedClusterSnapshotCreating)
	e.mu.Unlock()

	e.runClusterSnapshot(ctx, snap.ID, id, srv)
}

// startClusterEngine starts a cluster's server (PostgreSQL of the major of o.version, or
// MariaDB) in a fresh directory with the data of o.snapshot, or creates the cluster's
// database dbName.
func (e *Emulator) startClusterEngine(ctx context.Context, id, base, dbName string, o serverOptions) (engineServer, int, error) {
	o.dir = filepath.Join(e.cfg.DataDir, "clusters", id)
	if err := os.RemoveAll(o.dir); err != nil {
		return nil, 0, fmt.Errorf("clear %s: %w", o.dir, err)
	}
	srv, port, err := startServer(ctx, base, o)
	if err != nil {
		return nil, 0, err
	}
	if o.snapshot == "" && dbName != "" {
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
		e.clusterSnapshotDone(s)
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

// clusterSnapshotDone records a cluster snapshot becoming available; a failed one records
// nothing, as RDS documents no event for it. It runs under the lock.
func (e *Emulator) clusterSnapshotDone(s *clusterSnapshot) {
	switch {
	case s.Status != "available":
	case s.Type == "automated":
		e.clusterSnapshotEvent(s.ID, evAutomatedClusterSnapshotCreated)
	default:
		e.clusterSnapshotEvent(s.ID, evManualClusterSnapshotCreated)
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

// runClusterUpgrade keeps the cluster upgrading for Delays.Modify (or as long as a major
// version upgrade of its server takes), then reports the new engine version on the cluster
// and its instances.
func (e *Emulator) runClusterUpgrade(ctx context.Context, id string) {
	start := time.Now()
	e.mu.Lock()
	if c, ok := e.clusters[id]; ok && c.Status == "upgrading" && c.PendingEngineVersion != "" {
		e.clusterEvent(id, evClusterUpgradeStarted)
	}
	e.mu.Unlock()
	e.upgradeClusterEngine(ctx, id)
	if !sleep(ctx, e.cfg.Delays.Modify-time.Since(start)) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.clusters[id]
	if !ok || c.Status != "upgrading" {
		return
	}
	if from, to := c.EngineVersion, c.PendingEngineVersion; to != "" {
		k := evClusterUpgraded
		if auroraMajor(c.Engine, from) != auroraMajor(c.Engine, to) {
			k = evClusterMajorUpgraded
		}
		e.clusterEvent(id, k)
	}
	c.applyPending(e.members(id))
	c.Status = "available"
}

// auroraMajor is the major version of an Aurora engine version: PostgreSQL's major for
// aurora-postgresql (16.6 is 16), the MySQL version it is compatible with for aurora-mysql
// (8.0.mysql_aurora.3.08.0 is 8.0), which moves with Aurora MySQL's own major.
func auroraMajor(engine, version string) string {
	if engine == "aurora-mysql" {
		if v := auroraMySQLParts(version); v != nil {
			return fmt.Sprintf("%d.%d", v[0], v[1])
		}
		return version
	}
	return strconv.Itoa(postgresMajor(version))
}

// upgradeClusterEngine carries an aurora-postgresql cluster's data to a server of its
// pending version's major when that is another major than its server runs, as Aurora's
// major version upgrade does (see upgradeServer: a logical copy; the new server takes the
// old one's port, so the cluster's and its instances' endpoints stay). It runs while the
// cluster is upgrading. When the copy fails, the cluster keeps its server and version, as
// Aurora rolls a failed upgrade back, and the emulator's log says why. MariaDB stands in
// for every aurora-mysql version: there is nothing to do.
func (e *Emulator) upgradeClusterEngine(ctx context.Context, id string) {
	e.mu.Lock()
	c, ok := e.clusters[id]
	if !ok || c.Status != "upgrading" || c.PendingEngineVersion == "" {
		e.mu.Unlock()
		return
	}
	src, running := c.server.(postgresServer)
	version := c.PendingEngineVersion
	e.mu.Unlock()
	if !running {
		return
	}
	if _, err := e.upgradeClusterServer(ctx, c, src, version); err != nil {
		fmt.Fprintf(e.cfg.Log, "rds-emulator: upgrade of cluster %s to %s failed; it stays on its version: %v\n", id, version, err)
		e.mu.Lock()
		if cur, ok := e.clusters[id]; ok && cur == c {
			c.PendingEngineVersion, c.PendingParamGroup = "", ""
		}
		e.mu.Unlock()
	}
}

// upgradeRestoredCluster carries a cluster restored at a newer major than its snapshot's
// (its server started at the snapshot's, the only major the snapshot's base backup starts
// on) to a server of its own version's major, and returns the cluster's server. When the
// copy fails the cluster reports the snapshot's version, which its server runs, as Aurora
// rolls a failed upgrade of a restored cluster back.
func (e *Emulator) upgradeRestoredCluster(ctx context.Context, self *cluster, snapshotVersion string) engineServer {
	e.mu.Lock()
	version, cur := self.EngineVersion, self.server
	e.mu.Unlock()
	src, ok := cur.(postgresServer)
	if !ok {
		return cur
	}
	next, err := e.upgradeClusterServer(ctx, self, src, version)
	if err == nil {
		return next
	}
	fmt.Fprintf(e.cfg.Log, "rds-emulator: upgrade of restored cluster %s to %s failed; it stays on the snapshot's %s: %v\n", self.ID, version, snapshotVersion, err)
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.clusters[self.ID]; ok && c == self {
		self.EngineVersion = snapshotVersion
		for _, in := range e.members(self.ID) {
			in.EngineVersion = snapshotVersion
		}
	}
	return src
}

// upgradeClusterServer moves a postgres cluster's data from src to a server of the major of
// version when src runs another (upgradeServer), makes that the cluster's server and
// returns it; src when there is nothing to move. When the copy fails src keeps serving the
// cluster.
func (e *Emulator) upgradeClusterServer(ctx context.Context, self *cluster, src postgresServer, version string) (engineServer, error) {
	major, err := upgradeMajor(src, version)
	if err != nil {
		return src, err
	}
	if major == 0 {
		return src, nil
	}
	next, err := e.upgradeServer(ctx, filepath.Join(e.cfg.DataDir, "clusters", self.ID), src, major)
	if err != nil {
		return src, err
	}
	e.mu.Lock()
	c, ok := e.clusters[self.ID]
	attached := ok && c == self
	if attached {
		// The copy carries the data, not the configuration: the new server runs with none
		// of the values of the cluster's parameter group.
		self.server, self.serverParams = next, nil
	}
	e.mu.Unlock()
	if !attached {
		// The cluster went meanwhile (Tamper); nothing else stops its new server.
		if err := next.Stop(); err != nil {
			return src, err
		}
	}
	return next, nil
}

// applyPending makes the pending engine version current, on the instances too, with the
// DB cluster parameter group that goes with it. The upgraded server starts without the
// new group's values: they apply at the writer's next reboot; a default group has none.
// It runs under the lock.
func (c *cluster) applyPending(members []*instance) {
	if c.PendingEngineVersion == "" {
		return
	}
	c.EngineVersion = c.PendingEngineVersion
	for _, in := range members {
		in.EngineVersion = c.EngineVersion
	}
	c.PendingEngineVersion = ""
	if c.PendingParamGroup == "" {
		return
	}
	c.ParamGroup, c.PendingParamGroup = c.PendingParamGroup, ""
	if !strings.HasPrefix(c.ParamGroup, defaultGroupPrefix) {
		for _, in := range members {
			in.ClusterParamApply = paramsPendingReboot
		}
	}
}

// applyPendingIAMAuth makes a pending change of IAM database authentication current. It
// runs under the lock.
func (c *cluster) applyPendingIAMAuth() {
	if c.PendingIAMAuth != nil {
		c.IAMAuth, c.PendingIAMAuth = *c.PendingIAMAuth, nil
	}
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
	e.mu.Lock()
	var front endpointFront
	if c, ok := e.clusters[id]; ok {
		front, c.front = c.front, nil
	}
	e.mu.Unlock()
	e.logErr(closeFront("cluster "+id, front))
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
	if _, ok := e.clusters[id]; ok {
		e.clusterEvent(id, evClusterDeleted)
	}
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
		e.clusterSnapshotDone(s)
	}
}
