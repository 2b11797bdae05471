package emulator

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"
)

// rebootInstance answers RebootDBInstance: an available instance goes rebooting for
// Delays.Modify (or as long as its server takes to restart) and comes back available with
// every value of its DB parameter group applied (in-sync). With ForceFailover a Multi-AZ
// instance's standby becomes its primary: its zones swap. An instance of an Aurora DB
// cluster reboots as runMemberReboot says: the writer's reboot restarts the cluster's one
// server with its DB cluster parameter group.
func (e *Emulator) rebootInstance(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBInstanceIdentifier"))
	if id == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter DBInstanceIdentifier.")
	}
	failover, err := p.boolean("ForceFailover")
	if err != nil {
		return nil, id, err
	}
	e.mu.Lock()
	in, ok := e.instances[id]
	if !ok {
		e.mu.Unlock()
		return nil, id, newError(codeInstanceNotFound, "DBInstance %s not found.", id)
	}
	if in.Status != "available" {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidInstanceState, "Database instance is not in available state.")
	}
	if deref(failover) && !in.MultiAZ {
		e.mu.Unlock()
		return nil, id, newError(codeInvalidCombination, "ForceFailover can't be used: DB instance %s isn't configured for Multi-AZ.", id)
	}
	in.Status = "rebooting"
	if deref(failover) {
		e.instanceEvent(id, evFailoverStarted)
	}
	member := in.ClusterID != ""
	var companions []*instance
	if member {
		companions = e.rebootCompanions(in)
	}
	x := e.instanceXML(in)
	e.mu.Unlock()

	if member {
		e.background(func(ctx context.Context) { e.runMemberReboot(ctx, in, companions) })
	} else {
		e.background(func(ctx context.Context) { e.runReboot(ctx, in, deref(failover)) })
	}
	return struct{ DBInstance xmlInstance }{x}, id, nil
}

// runReboot restarts a rebooting instance's server (of an instance of no cluster) with its
// group's values and makes it available. A server that does not come back leaves the instance
// incompatible-parameters when its group sets values (RDS's status for a group the engine
// refuses), failed otherwise; the log says why.
func (e *Emulator) runReboot(ctx context.Context, self *instance, failover bool) {
	start := time.Now()
	e.mu.Lock()
	values, generation := e.groupValues(e.instanceParamGroup(self))
	sync := syncValues(self.serverParams, values)
	srv := self.server
	e.mu.Unlock()

	var err error
	if srv != nil {
		err = restartWith(ctx, srv, sync)
	}
	if !sleep(ctx, e.cfg.Delays.Modify-time.Since(start)) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.instances[self.ID]
	if !ok || in != self || in.Status != "rebooting" {
		return
	}
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "rds-emulator: reboot of %s: %v\n", in.ID, err)
		in.Status = "failed"
		if len(values) > 0 {
			in.Status = "incompatible-parameters"
		}
		return
	}
	if srv != nil {
		in.serverParams = maps.Clone(values)
	}
	if _, now := e.groupValues(e.instanceParamGroup(in)); now == generation {
		in.ParamApply = paramsInSync
	}
	in.Status = "available"
	e.instanceEvent(in.ID, evInstanceRestarted)
	if failover {
		in.AvailabilityZone, in.SecondaryAZ = in.SecondaryAZ, in.AvailabilityZone
		e.instanceEvent(in.ID, evFailoverCompleted)
	}
}
