package rds

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// groupCalls are RDS's calls on one kind of parameter group: DB parameter groups of DB
// instances, or DB cluster parameter groups of Aurora clusters. The two kinds take the same
// parameters and the same rules through calls of their own.
type groupCalls interface {
	// kind names the kind for people: "DB parameter group".
	kind() string
	// parameters reads a group's parameters of source ("user", or "" for all) by name;
	// found false when there is no such group.
	parameters(ctx context.Context, name, source string) (map[string]types.Parameter, bool, error)
	// create makes a group; exists true when one of the name exists already.
	create(ctx context.Context, name, family, description string, tags []types.Tag) (exists bool, err error)
	modify(ctx context.Context, name string, params []types.Parameter) error
	reset(ctx context.Context, name string, params []types.Parameter) error
	// arn is the group's ARN; found false when there is no such group.
	arn(ctx context.Context, name string) (string, bool, error)
	// remove deletes a group; one already gone is success.
	remove(ctx context.Context, name string) error
}

// instanceGroups are DB parameter groups.
type instanceGroups struct{ api API }

func (instanceGroups) kind() string { return "DB parameter group" }

func (g instanceGroups) parameters(ctx context.Context, name, source string) (map[string]types.Parameter, bool, error) {
	in := &awsrds.DescribeDBParametersInput{DBParameterGroupName: aws.String(name), MaxRecords: aws.Int32(100), Source: optional(source)}
	out := map[string]types.Parameter{}
	for pages := awsrds.NewDescribeDBParametersPaginator(g.api, in); pages.HasMorePages(); {
		page, err := pages.NextPage(ctx)
		if notFound(err) {
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

func (g instanceGroups) create(ctx context.Context, name, family, description string, tags []types.Tag) (bool, error) {
	_, err := g.api.CreateDBParameterGroup(ctx, &awsrds.CreateDBParameterGroupInput{
		DBParameterGroupName: aws.String(name), DBParameterGroupFamily: aws.String(family), Description: aws.String(description), Tags: tags,
	})
	var exists *types.DBParameterGroupAlreadyExistsFault
	if errors.As(err, &exists) {
		return true, nil
	}
	if err != nil {
		return false, wrap("create parameter group "+name, err)
	}
	return false, nil
}

func (g instanceGroups) modify(ctx context.Context, name string, params []types.Parameter) error {
	_, err := g.api.ModifyDBParameterGroup(ctx, &awsrds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(name), Parameters: params})
	if err != nil {
		return parameterError("set parameters of "+name, err)
	}
	return nil
}

func (g instanceGroups) reset(ctx context.Context, name string, params []types.Parameter) error {
	_, err := g.api.ResetDBParameterGroup(ctx, &awsrds.ResetDBParameterGroupInput{DBParameterGroupName: aws.String(name), Parameters: params})
	if err != nil {
		return parameterError("reset parameters of "+name, err)
	}
	return nil
}

func (g instanceGroups) arn(ctx context.Context, name string) (string, bool, error) {
	out, err := g.api.DescribeDBParameterGroups(ctx, &awsrds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(name)})
	if notFound(err) || err == nil && len(out.DBParameterGroups) == 0 {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrap("describe parameter group "+name, err)
	}
	return aws.ToString(out.DBParameterGroups[0].DBParameterGroupArn), true, nil
}

func (g instanceGroups) remove(ctx context.Context, name string) error {
	_, err := g.api.DeleteDBParameterGroup(ctx, &awsrds.DeleteDBParameterGroupInput{DBParameterGroupName: aws.String(name)})
	if err != nil && !notFound(err) {
		return wrap("delete parameter group "+name, err)
	}
	return nil
}

// clusterGroups are DB cluster parameter groups.
type clusterGroups struct{ api API }

func (clusterGroups) kind() string { return "DB cluster parameter group" }

func (g clusterGroups) parameters(ctx context.Context, name, source string) (map[string]types.Parameter, bool, error) {
	in := &awsrds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String(name), MaxRecords: aws.Int32(100), Source: optional(source)}
	out := map[string]types.Parameter{}
	for pages := awsrds.NewDescribeDBClusterParametersPaginator(g.api, in); pages.HasMorePages(); {
		page, err := pages.NextPage(ctx)
		if notFound(err) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, wrap("describe cluster parameters of "+name, err)
		}
		for _, prm := range page.Parameters {
			out[aws.ToString(prm.ParameterName)] = prm
		}
	}
	return out, true, nil
}

func (g clusterGroups) create(ctx context.Context, name, family, description string, tags []types.Tag) (bool, error) {
	_, err := g.api.CreateDBClusterParameterGroup(ctx, &awsrds.CreateDBClusterParameterGroupInput{
		DBClusterParameterGroupName: aws.String(name), DBParameterGroupFamily: aws.String(family), Description: aws.String(description), Tags: tags,
	})
	var exists *types.DBParameterGroupAlreadyExistsFault
	if errors.As(err, &exists) {
		return true, nil
	}
	if err != nil {
		return false, wrap("create cluster parameter group "+name, err)
	}
	return false, nil
}

func (g clusterGroups) modify(ctx context.Context, name string, params []types.Parameter) error {
	_, err := g.api.ModifyDBClusterParameterGroup(ctx, &awsrds.ModifyDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String(name), Parameters: params})
	if err != nil {
		return parameterError("set cluster parameters of "+name, err)
	}
	return nil
}

func (g clusterGroups) reset(ctx context.Context, name string, params []types.Parameter) error {
	_, err := g.api.ResetDBClusterParameterGroup(ctx, &awsrds.ResetDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String(name), Parameters: params})
	if err != nil {
		return parameterError("reset cluster parameters of "+name, err)
	}
	return nil
}

func (g clusterGroups) arn(ctx context.Context, name string) (string, bool, error) {
	out, err := g.api.DescribeDBClusterParameterGroups(ctx, &awsrds.DescribeDBClusterParameterGroupsInput{DBClusterParameterGroupName: aws.String(name)})
	if notFound(err) || err == nil && len(out.DBClusterParameterGroups) == 0 {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrap("describe cluster parameter group "+name, err)
	}
	return aws.ToString(out.DBClusterParameterGroups[0].DBClusterParameterGroupArn), true, nil
}

func (g clusterGroups) remove(ctx context.Context, name string) error {
	_, err := g.api.DeleteDBClusterParameterGroup(ctx, &awsrds.DeleteDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String(name)})
	if err != nil && !notFound(err) {
		return wrap("delete cluster parameter group "+name, err)
	}
	return nil
}

// notFound tells RDS's answer that a parameter group of either kind does not exist.
func notFound(err error) bool {
	var nf *types.DBParameterGroupNotFoundFault
	return errors.As(err, &nf)
}
