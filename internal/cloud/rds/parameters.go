package rds

import (
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

// groupName is the DB parameter group the provider keeps for the database.
func groupName(identifier string) string { return identifier }

// family is the DB parameter group family of an engine at a version, as RDS names them:
// postgres17, mysql8.0, mariadb10.11 (PostgreSQL's majors have one part, MySQL's and
// MariaDB's two).
func family(engine, version string) string {
	parts := strings.Split(version, ".")
	if engine != "postgres" && len(parts) >= 2 {
		return engine + parts[0] + "." + parts[1]
	}
	return engine + parts[0]
}

// SyncParameters implements cloud.Provider with the database's own DB parameter group. It
// reads the group's user-set values (one call), and only when they differ from desired
// reads the whole group to learn each parameter's apply type, then sets and resets what
// differs. A group not attached yet is attached (ModifyDBInstance), which RDS applies at
// the next reboot. Aurora's cluster parameter groups are not managed.
func (p *Provider) SyncParameters(ctx context.Context, d cloud.Desired, in cloud.Instance) (cloud.ParameterChange, error) {
	name := groupName(d.Identifier)
	attached := in.Parameters.Set == name
	if len(d.Parameters) == 0 && !attached {
		return cloud.ParameterChange{}, nil
	}
	if isAurora(d.Engine) || p.clusters.has(d.Identifier) {
		return cloud.ParameterChange{}, &cloud.Error{Op: "set parameters of " + d.Identifier, Code: "Unsupported", Kind: cloud.ErrUnsupported,
			Field: cloud.FieldParameters, Message: "the operator does not manage Aurora DB cluster parameter groups"}
	}
	engine, version := orText(in.Engine, d.Engine), orText(in.EngineVersion, d.EngineVersion)
	changed, static, err := p.syncGroup(ctx, d, family(engine, version), !attached)
	if err != nil {
		return cloud.ParameterChange{}, err
	}
	out := cloud.ParameterChange{Set: name, Changed: changed, AwaitingRestart: static}
	if !attached {
		if _, err := p.api.ModifyDBInstance(ctx, &awsrds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String(d.Identifier),
			DBParameterGroupName: aws.String(name),
			ApplyImmediately:     aws.Bool(true),
		}); err != nil {
			return cloud.ParameterChange{}, wrap("attach parameter group "+name+" to "+d.Identifier, err)
		}
		// RDS applies a newly attached group at the next reboot: all of it waits.
		out.AwaitingRestart = slices.Sorted(maps.Keys(d.Parameters))
	}
	return out, nil
}

// syncGroup makes the database's parameter group of family hold desired's parameters, and
// nothing else set by users, creating it when missing. checkOwner makes sure a group that
// exists already is desired's owner's. It returns the parameters set or reset, and those
// of them that are static.
func (p *Provider) syncGroup(ctx context.Context, d cloud.Desired, fam string, checkOwner bool) (changed, static []string, err error) {
	name := groupName(d.Identifier)
	current, found, err := p.parameters(ctx, name, parameterSourceUser)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		if err := p.createGroup(ctx, d, fam); err != nil {
			return nil, nil, err
		}
		current = nil
	} else if checkOwner {
		if err := p.checkGroupOwner(ctx, d, name); err != nil {
			return nil, nil, err
		}
	}
	set, reset := parameterDiff(d.Parameters, userValues(current))
	if len(set) == 0 && len(reset) == 0 {
		return nil, nil, nil
	}
	all, _, err := p.parameters(ctx, name, "")
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
		if _, err := p.api.ModifyDBParameterGroup(ctx, &awsrds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(name), Parameters: batch}); err != nil {
			return nil, nil, parameterError("set parameters of "+name, err)
		}
	}
	for batch := range slices.Chunk(toReset, maxParametersPerCall) {
		if _, err := p.api.ResetDBParameterGroup(ctx, &awsrds.ResetDBParameterGroupInput{DBParameterGroupName: aws.String(name), Parameters: batch}); err != nil {
			return nil, nil, parameterError("reset parameters of "+name, err)
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
	if len(d.Parameters) == 0 || d.RestoreFromSnapshot != "" {
		return nil, nil
	}
	if _, _, err := p.syncGroup(ctx, d, family(d.Engine, d.EngineVersion), true); err != nil {
		return nil, err
	}
	return aws.String(groupName(d.Identifier)), nil
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
// both sorted. Values compare as RDS reports them, trimmed.
func parameterDiff(desired, current map[string]string) (set, reset []string) {
	for n, v := range desired {
		if cur, ok := current[n]; !ok || strings.TrimSpace(cur) != strings.TrimSpace(v) {
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

// parameters reads a group's parameters: those of source ("user", or "" for all) by name,
// with their values and apply types; found false when there is no such group.
func (p *Provider) parameters(ctx context.Context, name, source string) (map[string]types.Parameter, bool, error) {
	in := &awsrds.DescribeDBParametersInput{DBParameterGroupName: aws.String(name), MaxRecords: aws.Int32(100)}
	if source != "" {
		in.Source = aws.String(source)
	}
	out := map[string]types.Parameter{}
	pages := awsrds.NewDescribeDBParametersPaginator(p.api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		var notFound *types.DBParameterGroupNotFoundFault
		if errors.As(err, &notFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, wrap("describe parameters of "+name, err)
		}
		for _, prm := range page.Parameters {
			out[aws.ToString(prm.ParameterName)] = prm
		}
	}
	return out, true, nil
}

// userValues are the values of user-set parameters.
func userValues(params map[string]types.Parameter) map[string]string {
	out := make(map[string]string, len(params))
	for n, prm := range params {
		out[n] = aws.ToString(prm.ParameterValue)
	}
	return out
}

// createGroup makes the database's parameter group, tagged as the database; one made
// meanwhile (a retry) is success, and its owner is checked.
func (p *Provider) createGroup(ctx context.Context, d cloud.Desired, fam string) error {
	name := groupName(d.Identifier)
	_, err := p.api.CreateDBParameterGroup(ctx, &awsrds.CreateDBParameterGroupInput{
		DBParameterGroupName:   aws.String(name),
		DBParameterGroupFamily: aws.String(fam),
		Description:            aws.String("Engine parameters of " + orText(d.Tags[d.OwnerTag], d.Identifier)),
		Tags:                   tags(d.Tags),
	})
	var exists *types.DBParameterGroupAlreadyExistsFault
	if errors.As(err, &exists) {
		return p.checkGroupOwner(ctx, d, name)
	}
	if err != nil {
		return wrap("create parameter group "+name, err)
	}
	return nil
}

// checkGroupOwner refuses a group that is not desired's owner's: the operator changes only
// what its owner tag names.
func (p *Provider) checkGroupOwner(ctx context.Context, d cloud.Desired, name string) error {
	owner, err := p.groupOwner(ctx, d, name)
	if err != nil {
		return err
	}
	if want := d.Tags[d.OwnerTag]; owner != want {
		return parameterRefused(d.Identifier, fmt.Sprintf("a DB parameter group named %s exists and is not this database's (its %s tag is %q, not %q): rename or delete it", name, d.OwnerTag, owner, want))
	}
	return nil
}

// groupOwner is the value of desired's owner tag on the group.
func (p *Provider) groupOwner(ctx context.Context, d cloud.Desired, name string) (string, error) {
	out, err := p.api.DescribeDBParameterGroups(ctx, &awsrds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(name)})
	if err != nil {
		return "", wrap("describe parameter group "+name, err)
	}
	if len(out.DBParameterGroups) == 0 {
		return "", nil
	}
	listed, err := p.api.ListTagsForResource(ctx, &awsrds.ListTagsForResourceInput{ResourceName: out.DBParameterGroups[0].DBParameterGroupArn})
	if err != nil {
		return "", wrap("list tags of parameter group "+name, err)
	}
	for _, t := range listed.TagList {
		if aws.ToString(t.Key) == d.OwnerTag {
			return aws.ToString(t.Value), nil
		}
	}
	return "", nil
}

// Restart implements cloud.Provider with RebootDBInstance, without failover.
func (p *Provider) Restart(ctx context.Context, identifier string) error {
	if p.clusters.has(identifier) {
		return &cloud.Error{Op: "reboot " + identifier, Code: "Unsupported", Kind: cloud.ErrUnsupported, Message: "the operator does not reboot Aurora DB clusters"}
	}
	if _, err := p.api.RebootDBInstance(ctx, &awsrds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(identifier)}); err != nil {
		return wrap("reboot db instance "+identifier, err)
	}
	return nil
}

// DeleteParameters implements cloud.Provider: the database's parameter group, when it is
// the owner's. RDS refuses while an instance still uses it (ErrBusy).
func (p *Provider) DeleteParameters(ctx context.Context, d cloud.Desired) error {
	if isAurora(d.Engine) {
		return nil
	}
	name := groupName(d.Identifier)
	owner, err := p.groupOwner(ctx, d, name)
	var ce *cloud.Error
	if errors.As(err, &ce) && ce.Code == "DBParameterGroupNotFound" {
		return nil
	}
	if err != nil {
		return err
	}
	if owner != d.Tags[d.OwnerTag] {
		return nil // not ours: never touched
	}
	_, err = p.api.DeleteDBParameterGroup(ctx, &awsrds.DeleteDBParameterGroupInput{DBParameterGroupName: aws.String(name)})
	var notFound *types.DBParameterGroupNotFoundFault
	if err != nil && !errors.As(err, &notFound) {
		return wrap("delete parameter group "+name, err)
	}
	return nil
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
func parameterStatus(groups []types.DBParameterGroupStatus) cloud.ParameterStatus {
	if len(groups) == 0 {
		return cloud.ParameterStatus{}
	}
	g := groups[0]
	apply := aws.ToString(g.ParameterApplyStatus)
	return cloud.ParameterStatus{Set: aws.ToString(g.DBParameterGroupName), PendingRestart: apply == statusPendingReboot, Applying: apply == statusApplying}
}

func orText(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
