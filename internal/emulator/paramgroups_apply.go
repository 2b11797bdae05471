package emulator

import (
	"context"
	"fmt"
	"maps"
	"strings"
)

// What a DB parameter group's values do to the instances that use it, as on RDS (RDS API
// Reference, ModifyDBParameterGroup and ModifyDBInstance; "Associating a DB parameter
// group with a DB instance"):
//   - A new instance starts with its group's values, static ones too.
//   - ModifyDBParameterGroup with ApplyMethod immediate (dynamic parameters only) reaches
//     the running server of every instance using the group at once: ParameterApplyStatus
//     is applying meanwhile, then in-sync. With pending-reboot the values wait: the
//     instances report pending-reboot until they reboot.
//   - ModifyDBInstance naming another group associates it at once, but its values apply
//     only at the next reboot (pending-reboot); nothing is applied in the maintenance
//     window.
//   - RebootDBInstance restarts the server with every value of its group: in-sync.
// Instances without a server keep the bookkeeping alone.

// instanceParamGroup is the name of an instance's DB parameter group: the one it was given,
// else its family's default group (an instance of an Aurora DB cluster, or one recorded
// before groups existed). It runs under the lock.
func (e *Emulator) instanceParamGroup(in *instance) string {
	if in.ParamGroup != "" {
		return in.ParamGroup
	}
	return defaultGroupPrefix + familyOf(in.Engine, in.EngineVersion)
}

// groupFor resolves the DB parameter group a request names for an instance of engine and
// version: its family's default group when it names none; otherwise the group must exist
// and be of the version's family. It runs under the lock.
func (e *Emulator) groupFor(name, engine, version string) (string, error) {
	family := familyOf(engine, version)
	if name == "" {
		return defaultGroupPrefix + family, nil
	}
	g, ok := e.paramGroupLocked(name)
	if !ok {
		return "", errParamGroupNotFound(strings.ToLower(name))
	}
	if g.Family != family {
		// RDS's words (aws-quickstart/quickstart-r3-corda#25).
		return "", newError(codeInvalidCombination, "The Parameter Group %s with DBParameterGroupFamily %s cannot be used for this instance. Please use a Parameter Group with DBParameterGroupFamily %s", g.Name, g.Family, family)
	}
	return g.Name, nil
}

// groupValues returns a copy of the values of a group and its generation; none for a
// group that is gone. It runs under the lock.
func (e *Emulator) groupValues(name string) (map[string]string, int) {
	g, ok := e.paramGroupLocked(name)
	if !ok {
		return map[string]string{}, 0
	}
	return maps.Clone(g.Values), g.generation
}

// syncValues is what a server's configuration needs to hold exactly values when it holds
// had: values, and a reset ("") of every parameter of had that values does not set.
func syncValues(had, values map[string]string) map[string]string {
	out := maps.Clone(values)
	if out == nil {
		out = map[string]string{}
	}
	for name := range had {
		if _, ok := values[name]; !ok {
			out[name] = ""
		}
	}
	return out
}

// startWithGroup gives a new instance's server its group's values, static ones too: it
// writes them and restarts the server. A server that holds no values and gets none (the
// usual case, a default group) is left alone. It runs without the lock.
func (e *Emulator) startWithGroup(ctx context.Context, self *instance, srv engineServer) error {
	e.mu.Lock()
	values, generation := e.groupValues(e.instanceParamGroup(self))
	had := maps.Clone(self.serverParams)
	e.mu.Unlock()
	if len(values) == 0 && len(had) == 0 {
		return nil
	}
	if err := restartWith(ctx, srv, syncValues(had, values)); err != nil {
		return fmt.Errorf("apply DB parameter group: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur, ok := e.instances[self.ID]; ok && cur == self {
		self.serverParams = values
		if _, now := e.groupValues(e.instanceParamGroup(self)); now != generation {
			self.ParamApply = paramsPendingReboot
		}
	}
	return nil
}

// restartWith writes values to a server's configuration and restarts it.
func restartWith(ctx context.Context, srv engineServer, values map[string]string) error {
	if len(values) > 0 {
		if err := srv.SetParameters(ctx, values, false); err != nil {
			return err
		}
	}
	return srv.Restart(ctx)
}

// applyGroupChange brings a change of group's values to the instances that use it: the
// values of now (dynamic, "" for a reset) to their running servers at once (applying,
// then in-sync), and, with pendingReboot, pending-reboot until each reboots. A server
// that refuses the values leaves its instance pending-reboot, and the log says why. An
// instance being created gets the group's values when its server starts; one rebooting
// gets those its reboot read, and pending-reboot when they changed meanwhile. It runs
// without the lock.
func (e *Emulator) applyGroupChange(group string, now map[string]string, pendingReboot bool) {
	type target struct {
		in  *instance
		srv engineServer
	}
	var targets []target
	e.mu.Lock()
	for _, in := range e.instances {
		if e.instanceParamGroup(in) != group {
			continue
		}
		if pendingReboot {
			in.ParamApply = paramsPendingReboot
		}
		srv := in.server
		if len(now) == 0 || srv == nil || in.Status == "rebooting" || in.ClusterID != "" {
			continue
		}
		if in.ParamApply != paramsPendingReboot {
			in.ParamApply = paramsApplying
		}
		targets = append(targets, target{in, srv})
	}
	e.mu.Unlock()

	for _, t := range targets {
		err := t.srv.SetParameters(e.ctx, now, true)
		if err != nil {
			fmt.Fprintf(e.cfg.Log, "rds-emulator: apply DB parameter group %s to %s: %v\n", group, t.in.ID, err)
		}
		e.mu.Lock()
		if err == nil {
			if t.in.serverParams == nil {
				t.in.serverParams = map[string]string{}
			}
			for name, v := range now {
				if v == "" {
					delete(t.in.serverParams, name)
				} else {
					t.in.serverParams[name] = v
				}
			}
		}
		if t.in.ParamApply == paramsApplying {
			t.in.ParamApply = paramsInSync
			if err != nil {
				t.in.ParamApply = paramsPendingReboot
			}
		}
		e.mu.Unlock()
	}
}

// associateGroup reads DBParameterGroupName of a ModifyDBInstance request for an instance
// and returns the group the instance takes at once ("" for none) and the one it takes
// with a major version upgrade the request makes (change.EngineVersion): the request's,
// which must be of the new version's family, else the new family's default group; an
// instance with a group of its own must name one, as on RDS. It runs under the lock and
// changes nothing.
func (e *Emulator) associateGroup(in *instance, name string, change pending) (now, withUpgrade string, err error) {
	current := e.instanceParamGroup(in)
	if in.ClusterID != "" {
		if name != "" && strings.ToLower(name) != current {
			return "", "", newError(codeInvalidCombination, "DB parameter groups of the instances of an Aurora DB cluster are not emulated: instance %s keeps %s.", in.ID, current)
		}
		return "", "", nil
	}
	if change.EngineVersion != "" && familyOf(in.Engine, change.EngineVersion) != familyOf(in.Engine, in.EngineVersion) {
		if name == "" && !strings.HasPrefix(current, defaultGroupPrefix) {
			// RDS's words (public Terraform output of a major upgrade, 2024).
			return "", "", newError(codeInvalidCombination, "The current DB instance parameter group %s is custom. You must explicitly specify a new DB instance parameter group, either default or custom, for the engine version upgrade.", current)
		}
		withUpgrade, err = e.groupFor(name, in.Engine, change.EngineVersion)
		return "", withUpgrade, err
	}
	if name == "" {
		return "", "", nil
	}
	now, err = e.groupFor(name, in.Engine, in.EngineVersion)
	if err != nil || now == current {
		return "", "", err
	}
	return now, "", nil
}
