package emulator

import "fmt"

// groupKind is what DB parameter groups (instanceGroups) and DB cluster parameter groups
// (clusterGroups) do differently; the actions of paramgroups.go are the same for both, as
// on RDS.
type groupKind interface {
	// param is the request parameter that names a group: DBParameterGroupName or
	// DBClusterParameterGroupName.
	param() string
	// noun names a group in RDS's messages: DBParameterGroup or DBClusterParameterGroup.
	noun() string
	// arnType is the resource type of a group's ARN: pg or cluster-pg.
	arnType() string
	// hasFamily tells a family whose groups can be made, and whose default group exists.
	hasFamily(family string) bool
	// defaultFamilies are the families whose default groups Describe lists unasked.
	defaultFamilies() []string
	// defaultDescription is the Description of a family's default group.
	defaultDescription(family string) string
	// store is the map that holds the groups of the kind. It runs under the lock.
	store(e *Emulator) map[string]*paramGroup
	// inUse says why a group cannot be deleted while something uses it, "" when nothing
	// does. It runs under the lock.
	inUse(e *Emulator, name string) string
	// apply brings a change of a group's values to what uses it: now (dynamic values, ""
	// for a reset) at once, and with pendingReboot the rest at the next reboot. It runs
	// without the lock.
	apply(e *Emulator, name string, now map[string]string, pendingReboot bool)
	// created, listed and named are the results of Create, Describe and of Modify and
	// Reset.
	created(e *Emulator, g *paramGroup) any
	listed(e *Emulator, groups []*paramGroup, marker string) any
	named(name string) any
}

// onGroups makes a handler of an action on groups of one kind.
func onGroups(k groupKind, action func(*Emulator, groupKind, params) (any, string, error)) handler {
	return func(e *Emulator, p params) (any, string, error) { return action(e, k, p) }
}

// instanceGroups are the DB parameter groups of DB instances.
type instanceGroups struct{}

func (instanceGroups) param() string                            { return "DBParameterGroupName" }
func (instanceGroups) noun() string                             { return "DBParameterGroup" }
func (instanceGroups) arnType() string                          { return "pg" }
func (instanceGroups) hasFamily(family string) bool             { return knownFamily(family) }
func (instanceGroups) defaultFamilies() []string                { return offeredFamilies() }
func (instanceGroups) named(name string) any                    { return struct{ DBParameterGroupName string }{name} }
func (instanceGroups) store(e *Emulator) map[string]*paramGroup { return e.paramGroups }

func (instanceGroups) defaultDescription(family string) string {
	return "Default parameter group for " + family
}

func (instanceGroups) inUse(e *Emulator, name string) string {
	for _, in := range e.instances {
		if e.instanceParamGroup(in) == name {
			// RDS's words (terraform-aws-modules/terraform-aws-rds-aurora#466).
			return fmt.Sprintf("One or more database instances are still members of this parameter group %s, so the group cannot be deleted", name)
		}
	}
	return ""
}

func (instanceGroups) apply(e *Emulator, name string, now map[string]string, pendingReboot bool) {
	e.applyGroupChange(name, now, pendingReboot)
}

func (instanceGroups) created(e *Emulator, g *paramGroup) any {
	return struct{ DBParameterGroup xmlParamGroup }{e.paramGroupXML(g)}
}

func (instanceGroups) listed(e *Emulator, groups []*paramGroup, marker string) any {
	out := struct {
		DBParameterGroups []xmlParamGroup `xml:"DBParameterGroups>DBParameterGroup"`
		Marker            string          `xml:",omitempty"`
	}{Marker: marker}
	for _, g := range groups {
		out.DBParameterGroups = append(out.DBParameterGroups, e.paramGroupXML(g))
	}
	return out
}

// groupARN builds a group's ARN as RDS does.
func (e *Emulator) groupARN(k groupKind, name string) string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:%s:%s", e.cfg.Region, e.cfg.AccountID, k.arnType(), name)
}
