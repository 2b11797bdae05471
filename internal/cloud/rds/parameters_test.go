package rds

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// parameterCalls counts the parameter group calls the emulator answered.
func parameterCalls(ops func(string) int) int {
	n := 0
	for _, a := range []string{"CreateDBParameterGroup", "DescribeDBParameterGroups", "DescribeDBParameters", "ModifyDBParameterGroup", "ResetDBParameterGroup", "DeleteDBParameterGroup", "ListTagsForResource"} {
		n += ops(a)
	}
	return n
}

// waitAvailable observes the database until it is available.
func waitAvailable(t *testing.T, p *Provider, id string) cloud.Instance {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		obs, err := p.Observe(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if obs.Exists && obs.Instance.Phase == cloud.PhaseAvailable && !obs.Instance.Parameters.Applying {
			return obs.Instance
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never became available", id)
	return cloud.Instance{}
}

// TestParameterGroupLifecycle: the database's own parameter group is made with it, kept equal
// to the desired parameters with only what differs sent, attached, and deleted after it.
func TestParameterGroupLifecycle(t *testing.T) {
	p, em := newProvider(t)
	ctx := context.Background()
	d := desired()
	d.OwnerTag = "matrixmind.cloud/owner"
	d.Parameters = map[string]string{"max_connections": "150", "log_min_duration_statement": "500"}
	if err := p.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	in := waitAvailable(t, p, d.Identifier)
	group := d.Identifier + "-postgres17"
	if in.Parameters.Set != group || in.Parameters.PendingRestart {
		t.Fatalf("a new database's parameters = %+v, want its own group %s in sync", in.Parameters, group)
	}
	api := p.api
	groups, err := api.DescribeDBParameterGroups(ctx, &awsrds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(group)})
	if err != nil || len(groups.DBParameterGroups) != 1 || aws.ToString(groups.DBParameterGroups[0].DBParameterGroupFamily) != "postgres17" {
		t.Fatalf("the group = %+v, %v; want one of family postgres17", groups, err)
	}

	// Unchanged: one read of the user-set values, nothing else.
	before := parameterCalls(em.Stats().Operations)
	change, err := p.SyncParameters(ctx, d, in)
	if err != nil || len(change.Changed) != 0 || change.Set != group {
		t.Fatalf("SyncParameters of an unchanged database = %+v, %v; want nothing changed", change, err)
	}
	if n := parameterCalls(em.Stats().Operations) - before; n != 1 {
		t.Errorf("%d parameter calls for an unchanged database, want 1 (DescribeDBParameters of the user-set values)", n)
	}

	// A dynamic change, a static one and a removal: one modify, one reset.
	d.Parameters = map[string]string{"max_connections": "120", "work_mem": "8192"}
	change, err = p.SyncParameters(ctx, d, in)
	if err != nil {
		t.Fatal(err)
	}
	want := cloud.ParameterChange{Set: group, Changed: []string{"log_min_duration_statement", "max_connections", "work_mem"}, AwaitingRestart: []string{"max_connections"}}
	if diff := cmp.Diff(want, change); diff != "" {
		t.Errorf("SyncParameters: -want +got:\n%s", diff)
	}
	if em.Stats().Operations("ModifyDBParameterGroup") != 2 || em.Stats().Operations("ResetDBParameterGroup") != 1 {
		t.Errorf("%d modify and %d reset calls; want the create's and one modify, and one reset",
			em.Stats().Operations("ModifyDBParameterGroup"), em.Stats().Operations("ResetDBParameterGroup"))
	}
	in = waitAvailable(t, p, d.Identifier)
	if !in.Parameters.PendingRestart {
		t.Errorf("after a static change the database reports %+v, want a pending restart", in.Parameters)
	}
	if err := p.Restart(ctx, d.Identifier); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for in.Parameters.PendingRestart && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		in = waitAvailable(t, p, d.Identifier)
	}
	if in.Parameters.PendingRestart {
		t.Errorf("a restart left the parameters pending: %+v", in.Parameters)
	}

	// Refusals name the parameter and the spec field.
	for name, reason := range map[string]string{
		"no_such_setting": "a parameter the engine does not have",
		"port":            "a parameter RDS keeps to itself",
	} {
		bad := d
		bad.Parameters = map[string]string{name: "1"}
		_, err := p.SyncParameters(ctx, bad, in)
		var ce *cloud.Error
		if !errors.As(err, &ce) || ce.Field != cloud.FieldParameters || !strings.Contains(ce.Message, name) {
			t.Errorf("%s: SyncParameters = %v; want a refusal of the parameters naming %s", reason, err, name)
		}
	}

	// Deleted after the database, not before.
	if err := p.DeleteParameters(ctx, d, ""); !errors.Is(err, cloud.ErrBusy) {
		t.Errorf("DeleteParameters while the database uses the group = %v, want ErrBusy", err)
	}
	if err := p.Delete(ctx, d.Identifier, cloud.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if obs, err := p.Observe(ctx, d.Identifier); err == nil && !obs.Exists {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.DeleteParameters(ctx, d, ""); err != nil {
		t.Fatal(err)
	}
	_, err = api.DescribeDBParameterGroups(ctx, &awsrds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(group)})
	var nf *types.DBParameterGroupNotFoundFault
	if !errors.As(err, &nf) {
		t.Errorf("the group after DeleteParameters: %v, want it gone", err)
	}
	if err := p.DeleteParameters(ctx, d, ""); err != nil {
		t.Errorf("DeleteParameters of a group already gone = %v, want nil", err)
	}
}

// TestParameterGroupOfAnother: a group of the database's name that another owner tagged is
// never changed, attached or deleted.
func TestParameterGroupOfAnother(t *testing.T) {
	p, em := newProvider(t)
	ctx := context.Background()
	d := desired()
	d.OwnerTag = "matrixmind.cloud/owner"
	api := p.api
	if _, err := api.CreateDBParameterGroup(ctx, &awsrds.CreateDBParameterGroupInput{
		DBParameterGroupName: aws.String(d.Identifier + "-postgres17"), DBParameterGroupFamily: aws.String("postgres17"), Description: aws.String("someone else's"),
		Tags: []types.Tag{{Key: aws.String(d.OwnerTag), Value: aws.String("other/team")}},
	}); err != nil {
		t.Fatal(err)
	}
	d.Parameters = map[string]string{"max_connections": "150"}
	err := p.Create(ctx, d)
	var ce *cloud.Error
	if !errors.As(err, &ce) || ce.Field != cloud.FieldParameters || !strings.Contains(ce.Message, "other/team") {
		t.Fatalf("Create over another owner's group = %v; want a refusal naming its owner", err)
	}
	if n := em.Stats().Operations("ModifyDBParameterGroup") + em.Stats().Operations("CreateDBInstance"); n != 0 {
		t.Errorf("%d modify or create calls over another owner's group, want none", n)
	}
	if err := p.DeleteParameters(ctx, d, ""); err != nil {
		t.Fatal(err)
	}
	if em.Stats().Operations("DeleteDBParameterGroup") != 0 {
		t.Errorf("another owner's group was deleted")
	}
}

// TestParameterNothingAsked: a database with no parameters asked for and no group of its own
// costs no parameter call.
func TestParameterNothingAsked(t *testing.T) {
	p, em := newProvider(t)
	ctx := context.Background()
	d := desired()
	if err := p.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	in := waitAvailable(t, p, d.Identifier)
	change, err := p.SyncParameters(ctx, d, in)
	if err != nil || change.Set != "" || len(change.Changed) != 0 {
		t.Errorf("SyncParameters = %+v, %v; want nothing", change, err)
	}
	if n := parameterCalls(em.Stats().Operations); n != 0 {
		t.Errorf("%d parameter calls, want none", n)
	}
}

// TestFamily: RDS's parameter group families by engine and version.
func TestFamily(t *testing.T) {
	for _, tc := range []struct{ engine, version, want string }{
		{"postgres", "17", "postgres17"},
		{"postgres", "16.4", "postgres16"},
		{"mysql", "8.0.40", "mysql8.0"},
		{"mysql", "8.4", "mysql8.4"},
		{"mariadb", "10.11.9", "mariadb10.11"},
		{"aurora-postgresql", "16.6", "aurora-postgresql16"},
		{"aurora-mysql", "8.0.mysql_aurora.3.08.0", "aurora-mysql8.0"},
	} {
		if got := family(tc.engine, tc.version); got != tc.want {
			t.Errorf("family(%s, %s) = %s, want %s", tc.engine, tc.version, got, tc.want)
		}
	}
}
