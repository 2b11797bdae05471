package emulator

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// DB cluster parameter groups, as RDS has them for Aurora DB clusters: the same records,
// rules and errors as DB parameter groups (paramgroups.go), with the actions
// CreateDBClusterParameterGroup, DescribeDBClusterParameterGroups,
// DescribeDBClusterParameters, ModifyDBClusterParameterGroup, ResetDBClusterParameterGroup
// and DeleteDBClusterParameterGroup answering DBParameterGroupNotFound,
// DBParameterGroupAlreadyExists and InvalidDBParameterGroupState as the instance ones do
// (RDS API Reference, the Errors of each action). A cluster uses one group, named by
// CreateDBCluster, ModifyDBCluster or RestoreDBClusterFromSnapshot, else its family's
// default group (default.aurora-postgresql16, default.aurora-mysql8.0); those three
// answer DBClusterParameterGroupNotFound for a group that does not exist. What a group's
// values do to the cluster's server and members is in cluster_paramgroups_apply.go.

// clusterGroups are the DB cluster parameter groups of Aurora DB clusters.
type clusterGroups struct{}

func (clusterGroups) param() string             { return "DBClusterParameterGroupName" }
func (clusterGroups) noun() string              { return "DBClusterParameterGroup" }
func (clusterGroups) arnType() string           { return "cluster-pg" }
func (clusterGroups) defaultFamilies() []string { return auroraFamilies() }
func (clusterGroups) named(name string) any {
	return struct{ DBClusterParameterGroupName string }{name}
}
func (clusterGroups) store(e *Emulator) map[string]*paramGroup { return e.clusterParamGroups }

func (clusterGroups) defaultDescription(family string) string {
	return "Default cluster parameter group for " + family
}

// hasFamily takes the families engineparams knows (RDS also makes cluster parameter groups
// of postgres and mysql families, for Multi-AZ DB clusters) and every Aurora family of a
// version CreateDBCluster takes, parameters known or not.
func (clusterGroups) hasFamily(family string) bool {
	return knownFamily(family) || auroraFamily(family)
}

func (clusterGroups) inUse(e *Emulator, name string) string {
	for _, c := range e.clusters {
		if e.clusterParamGroup(c) == name || c.PendingParamGroup == name {
			// The instance group's words (terraform-aws-modules/terraform-aws-rds-aurora#466),
			// said of clusters.
			return fmt.Sprintf("One or more database clusters are still members of this parameter group %s, so the group cannot be deleted", name)
		}
	}
	return ""
}

func (clusterGroups) apply(e *Emulator, name string, now map[string]string, pendingReboot bool) {
	e.applyClusterGroupChange(name, now, pendingReboot)
}

func (clusterGroups) created(e *Emulator, g *paramGroup) any {
	return struct{ DBClusterParameterGroup xmlClusterParamGroup }{e.clusterParamGroupXML(g)}
}

func (clusterGroups) listed(e *Emulator, groups []*paramGroup, marker string) any {
	out := struct {
		DBClusterParameterGroups []xmlClusterParamGroup `xml:"DBClusterParameterGroups>DBClusterParameterGroup"`
		Marker                   string                 `xml:",omitempty"`
	}{Marker: marker}
	for _, g := range groups {
		out.DBClusterParameterGroups = append(out.DBClusterParameterGroups, e.clusterParamGroupXML(g))
	}
	return out
}

// auroraPostgresFamily matches the families of aurora-postgresql versions.
var auroraPostgresFamily = regexp.MustCompile(`^aurora-postgresql([0-9]+)$`)

// auroraFamily tells the family of a version CreateDBCluster takes (checkAuroraVersion):
// aurora-postgresql11 and later, aurora-mysql5.7 and aurora-mysql8.0.
func auroraFamily(family string) bool {
	if m := auroraPostgresFamily.FindStringSubmatch(family); m != nil {
		major, err := strconv.Atoi(m[1])
		return err == nil && major >= 11
	}
	return family == "aurora-mysql5.7" || family == "aurora-mysql8.0"
}

// auroraFamilies are the Aurora families whose default groups
// DescribeDBClusterParameterGroups lists unasked: aurora-postgresql of each PostgreSQL
// major RDS offers, and aurora-mysql8.0; sorted.
func auroraFamilies() []string {
	out := []string{"aurora-mysql8.0"}
	for _, m := range engineVersions["postgres"] {
		out = append(out, "aurora-postgresql"+m.major)
	}
	sort.Strings(out)
	return out
}

// clusterParamGroup is the name of a cluster's DB cluster parameter group: the one it was
// given, else its family's default group. It runs under the lock.
func (e *Emulator) clusterParamGroup(c *cluster) string {
	if c.ParamGroup != "" {
		return c.ParamGroup
	}
	return defaultGroupPrefix + familyOf(c.Engine, c.EngineVersion)
}

// clusterGroupFor resolves the DB cluster parameter group a request names for a cluster of
// engine and version: its family's default group when it names none; otherwise the group
// must exist and be of the version's family. It runs under the lock.
func (e *Emulator) clusterGroupFor(name, engine, version string) (string, error) {
	family := familyOf(engine, version)
	if name == "" {
		return defaultGroupPrefix + family, nil
	}
	g, ok := e.groupLocked(clusterGroups{}, name)
	if !ok {
		// RDS's words (aws/aws-cdk#2512, terraform-aws-modules/terraform-aws-rds-aurora#50).
		return "", newError(codeClusterParamGroupNotFound, "DBClusterParameterGroup not found: %s", strings.ToLower(name))
	}
	if g.Family != family {
		// RDS's words for a cluster (aws/aws-cdk#5126, aws-quickstart/quickstart-r3-corda#25).
		return "", newError(codeInvalidCombination, "The Parameter Group %s with DBParameterGroupFamily %s cannot be used for this instance. Please use a Parameter Group with DBParameterGroupFamily %s", g.Name, g.Family, family)
	}
	return g.Name, nil
}

// associateClusterGroup reads DBClusterParameterGroupName of a ModifyDBCluster request and
// returns the group the cluster takes at once ("" for none) and the one it takes with the
// major version upgrade to upgradeTo ("" for no upgrade): the request's, which must be of
// the new version's family, else the new family's default group; a cluster with a group
// of its own must name one, as on RDS. It runs under the lock and changes nothing.
func (e *Emulator) associateClusterGroup(c *cluster, name, upgradeTo string) (now, withUpgrade string, err error) {
	current := e.clusterParamGroup(c)
	if upgradeTo != "" && familyOf(c.Engine, upgradeTo) != familyOf(c.Engine, c.EngineVersion) {
		if name == "" && !strings.HasPrefix(current, defaultGroupPrefix) {
			// RDS's words (crossplane-contrib/provider-aws#1692).
			return "", "", newError(codeInvalidCombination, "The current DB cluster parameter group %s is custom. You must explicitly specify a new DB cluster parameter group, either default or custom, for the engine version upgrade.", current)
		}
		withUpgrade, err = e.clusterGroupFor(name, c.Engine, upgradeTo)
		return "", withUpgrade, err
	}
	if name == "" {
		return "", "", nil
	}
	now, err = e.clusterGroupFor(name, c.Engine, c.EngineVersion)
	if err != nil || now == current {
		return "", "", err
	}
	return now, "", nil
}

// rebootCluster answers RebootDBCluster, which RDS serves only for Multi-AZ DB clusters
// ("Use this operation only for a non-Aurora Multi-AZ DB cluster", RDS API Reference): an
// Aurora DB cluster, the only kind the emulator has, reboots by its writer instance
// (RebootDBInstance), so the call is refused.
func (e *Emulator) rebootCluster(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBClusterIdentifier"))
	if id == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter DBClusterIdentifier.")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.clusters[id]
	if !ok {
		return nil, id, newError(codeClusterNotFound, "DBCluster %s not found.", id)
	}
	writer := "instance"
	if c.Writer != "" {
		writer = "instance " + c.Writer
	}
	return nil, id, newError(codeInvalidValue, "RebootDBCluster can't be used to reboot an Aurora DB cluster. Reboot its writer DB %s with RebootDBInstance instead.", writer)
}
