package rds

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Engine parameters live on RDS in a DB parameter group. The provider keeps one of the
// database's own, named after the database's identifier (instance identifiers and parameter
// group names share RDS's rules) and tagged as the database is, created with the family of
// the database's engine and major version, and attached to the database. Only what differs
// from the group's user-set values is sent, 20 parameters a call (RDS's limit); dynamic
// parameters are applied at once, static ones at the next reboot.

// maxParametersPerCall is how many parameters ModifyDBParameterGroup and
// ResetDBParameterGroup take in one request.
const maxParametersPerCall = 20

// Apply types and methods, as RDS words them.
const (
	applyTypeStatic     = "static"
	parameterSourceUser = "user"
	statusPendingReboot = "pending-reboot"
	statusApplying      = "applying"
)

// groupName is the parameter group the provider keeps for the database at a family: its
// identifier and the family (dots made hyphens, as group names take no dots). A major
// version upgrade moves the database to the group of the new family, as RDS requires of a
// database with a group of its own.
func groupName(identifier, family string) string {
	return identifier + "-" + strings.ReplaceAll(family, ".", "-")
}

// family is the DB parameter group family of an engine at a version, as RDS names them:
// postgres17, aurora-postgresql16, mysql8.0, aurora-mysql8.0, mariadb10.11 (PostgreSQL's
// majors have one part, MySQL's and MariaDB's two).
func family(engine, version string) string {
	parts := strings.Split(version, ".")
	if !strings.HasSuffix(engine, "postgres") && !strings.HasSuffix(engine, "postgresql") && len(parts) >= 2 {
		return engine + parts[0] + "." + parts[1]
	}
	return engine + parts[0]
}

// SyncParameters implements cloud.Provider with the database's own parameter group (a DB
// cluster parameter group for Aurora). It reads the group's user-set values (one call), and
// only when they differ from desired reads the whole group to learn each parameter's apply
// type, then sets and resets what differs. A group not attached yet is attached
// (ModifyDBInstance, ModifyDBCluster), which RDS applies at the next reboot.
func (p *Provider) SyncParameters(ctx context.Context, d cloud.Desired, in cloud.Instance) (cloud.ParameterChange, error) {
	ctx = forDatabase(ctx, d.Identifier)
	engine, version := orText(in.Engine, d.Engine), orText(in.EngineVersion, d.EngineVersion)
	fam := family(engine, version)
	name := groupName(d.Identifier, fam)
	attached := in.Parameters.Set == name
	if len(d.Parameters) == 0 && !attached {
		return cloud.ParameterChange{}, nil
	}
	aurora := isAurora(engine)
	changed, static, err := p.syncGroup(ctx, p.groups(aurora), d, fam, !attached)
	if err != nil {
		return cloud.ParameterChange{}, err
	}
	out := cloud.ParameterChange{Set: name, Changed: changed, AwaitingRestart: static}
	if !attached {
		// Read replicas made before share nothing with it: they take the group too, first
		// (those made later get it from their source; Aurora's readers share the cluster's).
		for _, replica := range in.ReplicaIDs {
			if aurora {
				break
			}
			if err := p.attachGroup(ctx, replica, name, false); err != nil {
				return cloud.ParameterChange{}, err
			}
		}
		if err := p.attachGroup(ctx, d.Identifier, name, aurora); err != nil {
			return cloud.ParameterChange{}, err
		}
		// RDS applies a newly attached group at the next reboot: all of it waits.
		out.AwaitingRestart = slices.Sorted(maps.Keys(d.Parameters))
	}
	return out, nil
}

// groups are the calls on the parameter groups of a DB instance, or of an Aurora cluster.
func (p *Provider) groups(aurora bool) groupCalls {
	if aurora {
		return clusterGroups{p.api}
	}
	return instanceGroups{p.api}
}

// attachGroup makes the database use the group. RDS changes the group at once whatever
// ApplyImmediately says; leaving it false keeps modifications that wait for the maintenance
// window waiting (true would apply them now, with this request).
func (p *Provider) attachGroup(ctx context.Context, identifier, name string, aurora bool) error {
	var err error
	if aurora {
		_, err = p.api.ModifyDBCluster(ctx, &awsrds.ModifyDBClusterInput{
			DBClusterIdentifier: aws.String(identifier), DBClusterParameterGroupName: aws.String(name), ApplyImmediately: aws.Bool(false),
		})
	} else {
		_, err = p.api.ModifyDBInstance(ctx, &awsrds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String(identifier), DBParameterGroupName: aws.String(name), ApplyImmediately: aws.Bool(false),
		})
	}
	if err != nil {
		return wrap("attach parameter group "+name+" to "+identifier, err)
	}
	return nil
}

// syncGroup makes the database's parameter group (of g's kind) of family hold desired's
// parameters, and nothing else set by users, creating it when missing. checkOwner makes
// sure a group that exists already is desired's owner's. It returns the parameters set or
// reset, and those of them that are static.
func (p *Provider) syncGroup(ctx context.Context, g groupCalls, d cloud.Desired, fam string, checkOwner bool) (changed, static []string, err error) {
	name := groupName(d.Identifier, fam)
	current, found, err := g.parameters(ctx, name, parameterSourceUser)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		exists, err := g.create(ctx, name, fam, "Engine parameters of "+orText(d.Tags[d.OwnerTag], d.Identifier), tags(d.Tags))
		if err != nil {
			return nil, nil, err
		}
		checkOwner = exists // made meanwhile: by whom?
	}
	if checkOwner {
		if err := p.checkGroupOwner(ctx, g, d, name); err != nil {
			return nil, nil, err
		}
	}
	set, reset := parameterDiff(d.Parameters, userValues(current))
	if len(set) == 0 && len(reset) == 0 {
		return nil, nil, nil
	}
	all, _, err := g.parameters(ctx, name, "")
	if err != nil {
		return nil, nil, err
	}
	var toSet, toReset []types.Parameter
	for _, n := range set {
		meta, ok := all[n]
		switch {
		case !ok:
			return nil, nil, parameterRefused(d.Identifier, fmt.Sprintf("RDS has no parameter %s for %s: check its name", n, fam))
		case !aws.ToBool(meta.IsModifiable):
			return nil, nil, parameterRefused(d.Identifier, fmt.Sprintf("RDS does not let parameter %s be changed: remove it", n))
		}
		toSet = append(toSet, types.Parameter{ParameterName: aws.String(n), ParameterValue: aws.String(d.Parameters[n]), ApplyMethod: applyMethod(meta)})
	}
	for _, n := range reset {
		toReset = append(toReset, types.Parameter{ParameterName: aws.String(n), ApplyMethod: applyMethod(all[n])})
	}
	for batch := range slices.Chunk(toSet, maxParametersPerCall) {
		if err := g.modify(ctx, name, batch); err != nil {
			return nil, nil, err
		}
	}
	for batch := range slices.Chunk(toReset, maxParametersPerCall) {
		if err := g.reset(ctx, name, batch); err != nil {
			return nil, nil, err
		}
	}
	for _, prm := range slices.Concat(toSet, toReset) {
		n := aws.ToString(prm.ParameterName)
		changed = append(changed, n)
		if prm.ApplyMethod == types.ApplyMethodPendingReboot {
			static = append(static, n)
		}
	}
	slices.Sort(changed)
	slices.Sort(static)
	return changed, static, nil
}

// createParameters makes, before a new database is asked for, its parameter group with
// desired's parameters, and returns its name for the request; nil when none are desired.
// A database restored from a snapshot runs the snapshot's version, which decides the
// group's family: SyncParameters makes and attaches its group once it exists.
func (p *Provider) createParameters(ctx context.Context, d cloud.Desired) (*string, error) {
	ctx = forDatabase(ctx, d.Identifier)
	if len(d.Parameters) == 0 || d.RestoreFromSnapshot != "" {
		return nil, nil
	}
	fam := family(d.Engine, d.EngineVersion)
	if _, _, err := p.syncGroup(ctx, p.groups(isAurora(d.Engine)), d, fam, true); err != nil {
		return nil, err
	}
	return aws.String(groupName(d.Identifier, fam)), nil
}

// applyMethod applies a dynamic parameter at once and a static one at the next reboot (RDS
// refuses immediate for a static parameter).
func applyMethod(meta types.Parameter) types.ApplyMethod {
	if aws.ToString(meta.ApplyType) == applyTypeStatic {
		return types.ApplyMethodPendingReboot
	}
	return types.ApplyMethodImmediate
}

// parameterDiff returns the parameters of desired whose value differs from the group's
// user-set value (or that are not set), and the user-set ones desired no longer lists,
// both sorted. Values compare as RDS reports them (cloud.SameParameterValue).
func parameterDiff(desired, current map[string]string) (set, reset []string) {
	for n, v := range desired {
		if cur, ok := current[n]; !ok || !cloud.SameParameterValue(cur, v) {
			set = append(set, n)
		}
	}
	for n := range current {
		if _, ok := desired[n]; !ok {
			reset = append(reset, n)
		}
	}
	slices.Sort(set)
	slices.Sort(reset)
	return set, reset
}

// userValues are the values of user-set parameters.
func userValues(params map[string]types.Parameter) map[string]string {
	out := make(map[string]string, len(params))
	for n, prm := range params {
		out[n] = aws.ToString(prm.ParameterValue)
	}
	return out
}

// checkGroupOwner refuses a group that is not desired's owner's: the operator changes only
// what its owner tag names.
func (p *Provider) checkGroupOwner(ctx context.Context, g groupCalls, d cloud.Desired, name string) error {
	owner, _, err := p.groupOwner(ctx, g, d, name)
	if err != nil {
		return err
	}
	if want := d.Tags[d.OwnerTag]; owner != want {
		return parameterRefused(d.Identifier, fmt.Sprintf("a %s named %s exists and is not this database's (its %s tag is %q, not %q): rename or delete it", g.kind(), name, d.OwnerTag, owner, want))
	}
	return nil
}

// groupOwner is the value of desired's owner tag on the group; found false when there is no
// such group.
func (p *Provider) groupOwner(ctx context.Context, g groupCalls, d cloud.Desired, name string) (string, bool, error) {
	arn, found, err := g.arn(ctx, name)
	if err != nil || !found {
		return "", found, err
	}
	listed, err := p.api.ListTagsForResource(ctx, &awsrds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		return "", false, wrap("list tags of "+g.kind()+" "+name, err)
	}
	for _, t := range listed.TagList {
		if aws.ToString(t.Key) == d.OwnerTag {
			return aws.ToString(t.Value), true, nil
		}
	}
	return "", true, nil
}

// Restart implements cloud.Provider with RebootDBInstance, without failover. An Aurora
// cluster applies its cluster parameter group per instance: each instance the cluster
// reports waiting is rebooted, its writer first.
func (p *Provider) Restart(ctx context.Context, identifier string) error {
	ctx = forDatabase(ctx, identifier)
	if !p.clusters.has(identifier) {
		return p.restartInstance(ctx, identifier)
	}
	c, found, err := p.describeCluster(ctx, identifier)
	if err != nil || !found {
		return err
	}
	members := slices.Clone(c.DBClusterMembers)
	slices.SortStableFunc(members, func(a, b types.DBClusterMember) int { // the writer first
		return cmp.Compare(boolRank(!aws.ToBool(a.IsClusterWriter)), boolRank(!aws.ToBool(b.IsClusterWriter)))
	})
	for _, m := range members {
		if aws.ToString(m.DBClusterParameterGroupStatus) == statusPendingReboot {
			if err := p.reboot(ctx, aws.ToString(m.DBInstanceIdentifier)); err != nil {
				return err
			}
		}
	}
	return nil
}

// restartInstance reboots a DB instance, after those of its read replicas that wait for a
// reboot too (they share its parameter group): a PostgreSQL replica stops replaying when its
// source's max_connections and the like rise above its own, so the replicas take the new
// values first.
func (p *Provider) restartInstance(ctx context.Context, identifier string) error {
	out, err := p.api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(identifier)})
	if err != nil {
		return wrap("describe db instance "+identifier, err)
	}
	for _, primary := range out.DBInstances {
		for _, replica := range primary.ReadReplicaDBInstanceIdentifiers {
			r, err := p.api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(replica)})
			if err != nil {
				return wrap("describe db instance "+replica, err)
			}
			for _, in := range r.DBInstances {
				if parameterStatus(replica, in.DBParameterGroups).PendingRestart {
					if err := p.reboot(ctx, replica); err != nil {
						return err
					}
				}
			}
		}
	}
	return p.reboot(ctx, identifier)
}

func (p *Provider) reboot(ctx context.Context, identifier string) error {
	if _, err := p.api.RebootDBInstance(ctx, &awsrds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(identifier)}); err != nil {
		return wrap("reboot db instance "+identifier, err)
	}
	return nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// DeleteParameters implements cloud.Provider: the database's parameter group named set (or,
// when "", the one of its engine and version's family), when it is the owner's. RDS refuses
// while a database still uses it (ErrBusy).
func (p *Provider) DeleteParameters(ctx context.Context, d cloud.Desired, set string) error {
	ctx = forDatabase(ctx, d.Identifier)
	if set == "" {
		set = groupName(d.Identifier, family(d.Engine, d.EngineVersion))
	}
	g := p.groups(isAurora(d.Engine))
	owner, found, err := p.groupOwner(ctx, g, d, set)
	if err != nil || !found || owner != d.Tags[d.OwnerTag] {
		return err // gone, or not ours: never touched
	}
	return g.remove(ctx, set)
}

// prepareUpgrade makes, before a major version upgrade of a database with a parameter group
// of its own, the group of the new version's family with the desired parameters, and
// returns its name for the upgrade's request.
func (p *Provider) prepareUpgrade(ctx context.Context, d cloud.Desired, version string) (*string, error) {
	ctx = forDatabase(ctx, d.Identifier)
	fam := family(d.Engine, version)
	if _, _, err := p.syncGroup(ctx, p.groups(isAurora(d.Engine)), d, fam, true); err != nil {
		return nil, err
	}
	return aws.String(groupName(d.Identifier, fam)), nil
}

// parameterRefused is a refusal of desired's parameters, naming what to change.
func parameterRefused(identifier, message string) error {
	return &cloud.Error{Op: "set parameters of " + identifier, Code: "InvalidParameterValue", Message: message, Field: cloud.FieldParameters}
}

// parameterError wraps an error of a parameter group call: a refused value is the
// parameters' fault.
func parameterError(op string, err error) error {
	err = wrap(op, err)
	var ce *cloud.Error
	if errors.As(err, &ce) && (ce.Code == "InvalidParameterValue" || ce.Code == "InvalidParameterCombination") {
		ce.Field = cloud.FieldParameters
	}
	return err
}

// parameterStatus is how a DB instance's parameters stand: its (first) parameter group and
// whether a change of it waits for a reboot.
func parameterStatus(identifier string, groups []types.DBParameterGroupStatus) cloud.ParameterStatus {
	if len(groups) == 0 {
		return cloud.ParameterStatus{}
	}
	g := groups[0]
	apply, name := aws.ToString(g.ParameterApplyStatus), aws.ToString(g.DBParameterGroupName)
	return cloud.ParameterStatus{Set: name, Own: ownGroup(identifier, name), PendingRestart: apply == statusPendingReboot, Applying: apply == statusApplying}
}

// ownGroup tells a parameter group the provider keeps for the database identifier by its
// name (groupName).
func ownGroup(identifier, name string) bool {
	return strings.HasPrefix(name, identifier+"-")
}

func orText(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
