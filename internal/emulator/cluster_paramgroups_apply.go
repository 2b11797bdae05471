package emulator

import (
	"context"
	"fmt"
	"maps"
	"time"
)

// What a DB cluster parameter group's values do to the Aurora DB clusters that use it, as
// on Aurora (RDS API Reference, CreateDBClusterParameterGroup and ModifyDBCluster; Aurora
// User Guide, "Rebooting an Amazon Aurora DB cluster or Amazon Aurora DB instance" and its
// pages with and without read availability). Each member reports its
// DBClusterParameterGroupStatus:
//   - A new cluster's server starts with its group's values, static ones too; its
//     members are in-sync.
//   - ModifyDBClusterParameterGroup with ApplyMethod immediate (dynamic parameters only)
//     reaches the cluster's running server at once: the members are applying meanwhile,
//     then in-sync. With pending-reboot the values wait: every member is pending-reboot.
//   - ModifyDBCluster naming another group associates it at once, whatever
//     ApplyImmediately says, and every member is pending-reboot.
//   - RebootDBInstance of the cluster's writer restarts the cluster's server with every
//     value of its group; the writer is then in-sync. On versions with Aurora's read
//     availability (aurora-postgresql 12.14, 13.10, 14.7, 15.2 and later; aurora-mysql
//     2.10 and later) the readers stay available and pending-reboot until each reboots;
//     on older versions they reboot with the writer and come back in-sync with it.
// The cluster's one server stands in for every member's engine and restarts only with the
// writer: a reader's reboot (or a new reader) reports in-sync as on Aurora, though the
// server behind its endpoint holds what the writer's last reboot gave it. Clusters
// without a server keep the bookkeeping alone.

// clusterGroupValues returns a copy of the values of a DB cluster parameter group and its
// generation; none for a group that is gone. It runs under the lock.
func (e *Emulator) clusterGroupValues(name string) (map[string]string, int) {
	g, ok := e.groupLocked(clusterGroups{}, name)
	if !ok {
		return map[string]string{}, 0
	}
	return maps.Clone(g.Values), g.generation
}

// startClusterWithGroup gives a new cluster's server its group's values, static ones too:
// it writes them (and resets what a restored cluster's data carried from its source's
// group) and restarts the server. A server that holds no values and gets none (the usual
// case, a default group) is left alone. It runs without the lock.
func (e *Emulator) startClusterWithGroup(ctx context.Context, self *cluster, srv engineServer) error {
	e.mu.Lock()
	group := e.clusterParamGroup(self)
	values, generation := e.clusterGroupValues(group)
	had := maps.Clone(self.serverParams)
	e.mu.Unlock()
	if len(values) == 0 && len(had) == 0 {
		return nil
	}
	if err := restartWith(ctx, srv, syncValues(had, values)); err != nil {
		return fmt.Errorf("apply DB cluster parameter group: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.clusters[self.ID]; !ok || c != self {
		return nil
	}
	self.serverParams = values
	if _, now := e.clusterGroupValues(group); now != generation || e.clusterParamGroup(self) != group {
		for _, in := range e.members(self.ID) {
			in.ClusterParamApply = paramsPendingReboot
		}
	}
	return nil
}

// applyClusterGroupChange brings a change of a group's values to the clusters that use
// it: the values of now (dynamic, "" for a reset) to their running servers at once (the
// members applying, then in-sync), and, with pendingReboot, pending-reboot to every
// member until a reboot applies them. A server that refuses the values leaves the members
// pending-reboot, and the log says why. A server that is restarting for its writer's
// reboot gets the values its reboot read; the reboot leaves the writer pending-reboot
// when they changed meanwhile. It runs without the lock.
func (e *Emulator) applyClusterGroupChange(group string, now map[string]string, pendingReboot bool) {
	type target struct {
		c        *cluster
		srv      engineServer
		applying []*instance
	}
	var targets []target
	e.mu.Lock()
	for _, c := range e.clusters {
		if e.clusterParamGroup(c) != group {
			continue
		}
		members := e.members(c.ID)
		if pendingReboot {
			for _, in := range members {
				in.ClusterParamApply = paramsPendingReboot
			}
		}
		if len(now) == 0 || c.server == nil || c.restarting {
			continue
		}
		t := target{c: c, srv: c.server}
		for _, in := range members {
			if in.ClusterParamApply != paramsPendingReboot {
				in.ClusterParamApply = paramsApplying
				t.applying = append(t.applying, in)
			}
		}
		targets = append(targets, t)
	}
	e.mu.Unlock()

	for _, t := range targets {
		err := t.srv.SetParameters(e.ctx, now, true)
		if err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: apply DB cluster parameter group %s to cluster %s: %v\n", group, t.c.ID, err)
		}
		e.mu.Lock()
		if err == nil && t.c.server == t.srv {
			if t.c.serverParams == nil {
				t.c.serverParams = map[string]string{}
			}
			for name, v := range now {
				if v == "" {
					delete(t.c.serverParams, name)
				} else {
					t.c.serverParams[name] = v
				}
			}
		}
		for _, in := range t.applying {
			if in.ClusterParamApply == paramsApplying {
				in.ClusterParamApply = paramsInSync
				if err != nil {
					in.ClusterParamApply = paramsPendingReboot
				}
			}
		}
		e.mu.Unlock()
	}
}

// readAvailability tells an Aurora version whose readers keep running while its writer
// reboots (Aurora User Guide, "Rebooting an Aurora cluster with read availability"):
// aurora-postgresql 12.14, 13.10, 14.7, 15.2 and later minors of those majors, and every
// later major; aurora-mysql from Aurora MySQL 2.10.
func readAvailability(engine, version string) bool {
	switch engine {
	case "aurora-postgresql":
		v, ok := parseVersion(version)
		if !ok || v[0] >= 16 {
			return true
		}
		first, listed := map[int]int{12: 14, 13: 10, 14: 7, 15: 2}[v[0]]
		minor := 0
		if len(v) > 1 {
			minor = v[1]
		}
		return listed && minor >= first
	case "aurora-mysql":
		v := auroraMySQLParts(version)
		return v == nil || v[2] > 2 || (v[2] == 2 && v[3] >= 10)
	}
	return true
}

// rebootCompanions are the readers that reboot with a cluster's writer, as Aurora reboots
// them on versions without read availability: those available, now rebooting. None when
// in is not its cluster's writer or the version has read availability. It runs under the
// lock.
func (e *Emulator) rebootCompanions(in *instance) []*instance {
	c, ok := e.clusters[in.ClusterID]
	if !ok || c.Writer != in.ID || readAvailability(c.Engine, c.EngineVersion) {
		return nil
	}
	var out []*instance
	for _, m := range e.members(c.ID) {
		if m != in && m.Status == "available" {
			m.Status = "rebooting"
			out = append(out, m)
		}
	}
	return out
}

// runMemberReboot reboots an instance of an Aurora DB cluster, with the readers that
// reboot along (rebootCompanions): rebooting for Delays.Modify, or as long as the
// writer's restart of the cluster's server with every value of the cluster's group
// takes, then available and in-sync. A server that does not come back leaves them
// incompatible-parameters when the group sets values, failed otherwise; the log says why.
func (e *Emulator) runMemberReboot(ctx context.Context, self *instance, companions []*instance) {
	start := time.Now()
	e.mu.Lock()
	c, ok := e.clusters[self.ClusterID]
	var srv engineServer
	var group string
	var values map[string]string
	var generation int
	if ok {
		group = e.clusterParamGroup(c)
		values, generation = e.clusterGroupValues(group)
		if c.Writer == self.ID && c.server != nil && !c.restarting {
			srv, c.restarting = c.server, true
		}
	}
	var sync map[string]string
	if srv != nil {
		sync = syncValues(c.serverParams, values)
	}
	e.mu.Unlock()

	var err error
	if srv != nil {
		err = restartWith(ctx, srv, sync)
		e.mu.Lock()
		c.restarting = false
		if err == nil && c.server == srv {
			c.serverParams = maps.Clone(values)
		}
		e.mu.Unlock()
	}
	if !sleep(ctx, e.cfg.Delays.Modify-time.Since(start)) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "rds-emulator: reboot of %s, writer of cluster %s: %v\n", self.ID, self.ClusterID, err)
	}
	cur, found := e.clusters[self.ClusterID]
	_, now := e.clusterGroupValues(group)
	inSync := found && cur == c && e.clusterParamGroup(c) == group && now == generation
	for _, in := range append([]*instance{self}, companions...) {
		if got, ok := e.instances[in.ID]; !ok || got != in || in.Status != "rebooting" {
			continue
		}
		switch {
		case err != nil && len(values) > 0:
			in.Status = "incompatible-parameters"
		case err != nil:
			in.Status = "failed"
		default:
			in.Status, in.ParamApply = "available", paramsInSync
			in.ClusterParamApply = paramsPendingReboot
			if inSync {
				in.ClusterParamApply = paramsInSync
			}
			e.instanceEvent(in.ID, evInstanceRestarted)
		}
	}
}
