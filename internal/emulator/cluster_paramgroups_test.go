package emulator

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
)

// createClusterGroup creates a DB cluster parameter group and sets params in it.
func createClusterGroup(t *testing.T, c *rds.Client, name, family string, params ...types.Parameter) {
	t.Helper()
	if _, err := c.CreateDBClusterParameterGroup(context.Background(), &rds.CreateDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String(name),
		DBParameterGroupFamily: aws.String(family), Description: aws.String("tests' " + name)}); err != nil {
		t.Fatalf("CreateDBClusterParameterGroup %s: %v", name, err)
	}
	if len(params) > 0 {
		modifyClusterGroup(t, c, name, params...)
	}
}

func modifyClusterGroup(t *testing.T, c *rds.Client, name string, params ...types.Parameter) {
	t.Helper()
	if _, err := c.ModifyDBClusterParameterGroup(context.Background(), &rds.ModifyDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String(name), Parameters: params}); err != nil {
		t.Fatalf("ModifyDBClusterParameterGroup %s: %v", name, err)
	}
}

// clusterGroupState is a cluster's DB cluster parameter group and each member's
// DBClusterParameterGroupStatus, as "id:status".
func clusterGroupState(t *testing.T, c *rds.Client, id string) []string {
	t.Helper()
	cl := describeCluster(t, c, id)
	out := []string{aws.ToString(cl.DBClusterParameterGroup)}
	for _, m := range cl.DBClusterMembers {
		out = append(out, aws.ToString(m.DBInstanceIdentifier)+":"+aws.ToString(m.DBClusterParameterGroupStatus))
	}
	return out
}

// clusterUserParameters are a cluster group's parameters of Source user, as
// "name=value (type, method)".
func clusterUserParameters(t *testing.T, c *rds.Client, name string) []string {
	t.Helper()
	out, err := c.DescribeDBClusterParameters(context.Background(), &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String(name), Source: aws.String("user")})
	if err != nil {
		t.Fatalf("DescribeDBClusterParameters %s: %v", name, err)
	}
	var got []string
	for _, p := range out.Parameters {
		got = append(got, fmt.Sprintf("%s=%s (%s, %s)", aws.ToString(p.ParameterName), aws.ToString(p.ParameterValue), aws.ToString(p.ApplyType), p.ApplyMethod))
	}
	return got
}

// createAuroraCluster creates an aurora-postgresql cluster of a version with a DB cluster
// parameter group (nil: none named) and instances, the first its writer, and waits until
// all are available.
func createAuroraCluster(t *testing.T, c *rds.Client, id, version string, group *string, instances ...string) {
	t.Helper()
	ctx := context.Background()
	in := clusterInput(id, "aurora-postgresql")
	in.EngineVersion, in.DatabaseName, in.DBClusterParameterGroupName = aws.String(version), aws.String("shop"), group
	if _, err := c.CreateDBCluster(ctx, in); err != nil {
		t.Fatalf("CreateDBCluster %s: %v", id, err)
	}
	for _, m := range instances {
		if _, err := c.CreateDBInstance(ctx, clusterInstanceInput(m, id, "aurora-postgresql")); err != nil {
			t.Fatalf("CreateDBInstance %s: %v", m, err)
		}
		// One after the other, so that the first is the oldest: the writer.
		waitStatus(t, c, m, "available", 2*time.Minute)
	}
	waitClusterStatus(t, c, id, "available", 2*time.Minute)
}

// TestClusterParamGroups proves through the SDK the life of a DB cluster parameter group
// without servers: create, describe (with the default groups), its parameters by source,
// tags on its ARN, the clusters that use it and what its changes and the members' reboots
// make of their DBClusterParameterGroupStatus, reset, and delete once no cluster uses it.
func TestClusterParamGroups(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	out, err := c.CreateDBClusterParameterGroup(ctx, &rds.CreateDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String("Ledger-CPG"),
		DBParameterGroupFamily: aws.String("aurora-postgresql16"), Description: aws.String("ledger"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ledger")}}})
	if err != nil {
		t.Fatalf("CreateDBClusterParameterGroup: %v", err)
	}
	const arn = "arn:aws:rds:us-east-1:123456789012:cluster-pg:ledger-cpg"
	g := out.DBClusterParameterGroup
	got := []string{aws.ToString(g.DBClusterParameterGroupName), aws.ToString(g.DBParameterGroupFamily), aws.ToString(g.Description), aws.ToString(g.DBClusterParameterGroupArn)}
	if diff := cmp.Diff([]string{"ledger-cpg", "aurora-postgresql16", "ledger", arn}, got); diff != "" {
		t.Errorf("the group made, its name lowercase as RDS stores it: -want +got:\n%s", diff)
	}

	all, err := c.DescribeDBClusterParameterGroups(ctx, &rds.DescribeDBClusterParameterGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range all.DBClusterParameterGroups {
		names = append(names, aws.ToString(g.DBClusterParameterGroupName))
	}
	for _, n := range []string{"default.aurora-postgresql16", "default.aurora-mysql8.0", "ledger-cpg"} {
		if !strings.Contains(strings.Join(names, " "), n) {
			t.Errorf("DescribeDBClusterParameterGroups lists %v, without %s", names, n)
		}
	}
	one, err := c.DescribeDBClusterParameterGroups(ctx, &rds.DescribeDBClusterParameterGroupsInput{DBClusterParameterGroupName: aws.String("default.aurora-postgresql16")})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.DBClusterParameterGroups) != 1 || aws.ToString(one.DBClusterParameterGroups[0].Description) != "Default cluster parameter group for aurora-postgresql16" {
		t.Errorf("the default group asked by name: %+v", one.DBClusterParameterGroups)
	}

	modifyClusterGroup(t, c, "ledger-cpg", param("max_connections", "150", "pending-reboot"), param("log_min_duration_statement", "250", "immediate"))
	if diff := cmp.Diff([]string{"log_min_duration_statement=250 (dynamic, immediate)", "max_connections=150 (static, pending-reboot)"},
		clusterUserParameters(t, c, "ledger-cpg")); diff != "" {
		t.Errorf("Source user lists the values set, with ApplyType and ApplyMethod: -want +got:\n%s", diff)
	}
	var pages, defaults int
	var marker *string
	for {
		out, err := c.DescribeDBClusterParameters(ctx, &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String("ledger-cpg"),
			Source: aws.String("engine-default"), MaxRecords: aws.Int32(100), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		pages, defaults = pages+1, defaults+len(out.Parameters)
		for _, p := range out.Parameters {
			if p.ParameterValue != nil || aws.ToString(p.Source) != "engine-default" {
				t.Errorf("engine-default parameter %s: value %v, source %s", aws.ToString(p.ParameterName), p.ParameterValue, aws.ToString(p.Source))
			}
		}
		if marker = out.Marker; marker == nil {
			break
		}
	}
	if pages < 2 || defaults < 200 {
		t.Errorf("engine-default parameters paged: %d in %d pages, want the whole catalog in pages of 100", defaults, pages)
	}

	if _, err := c.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoveTagsFromResource(ctx, &rds.RemoveTagsFromResourceInput{ResourceName: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"env": "dev"}, tagMap(tags.TagList)); diff != "" {
		t.Errorf("tags of the group: -want +got:\n%s", diff)
	}

	createAuroraCluster(t, c, "ledger", "16.6", aws.String("ledger-cpg"), "ledger-1", "ledger-2")
	createAuroraCluster(t, c, "plain", "16.6", nil, "plain-1")
	// Aurora PostgreSQL 14.6 has no read availability: its readers reboot with the writer.
	createClusterGroup(t, c, "old-cpg", "aurora-postgresql14")
	createAuroraCluster(t, c, "old", "14.6", aws.String("old-cpg"), "old-1", "old-2")
	rebootMember := func(id string) func() {
		return func() { reboot(t, c, id) }
	}
	steps := []struct {
		reason string
		do     func()
		want   map[string][]string
	}{
		{"A new cluster reports the group it names, its members in-sync; one that names none has its family's default group.",
			func() {}, map[string][]string{
				"ledger": {"ledger-cpg", "ledger-1:in-sync", "ledger-2:in-sync"},
				"plain":  {"default.aurora-postgresql16", "plain-1:in-sync"}}},
		{"An immediate change of a dynamic parameter leaves the members in-sync.",
			func() { modifyClusterGroup(t, c, "ledger-cpg", param("work_mem", "8192", "immediate")) },
			map[string][]string{"ledger": {"ledger-cpg", "ledger-1:in-sync", "ledger-2:in-sync"}}},
		{"A pending-reboot change leaves every member of the group's clusters pending-reboot, and no other cluster's.",
			func() { modifyClusterGroup(t, c, "ledger-cpg", param("shared_buffers", "32768", "pending-reboot")) },
			map[string][]string{
				"ledger": {"ledger-cpg", "ledger-1:pending-reboot", "ledger-2:pending-reboot"},
				"plain":  {"default.aurora-postgresql16", "plain-1:in-sync"}}},
		{"With read availability (16.6) the writer's reboot applies the group to the writer; the reader waits for its own.",
			rebootMember("ledger-1"), map[string][]string{"ledger": {"ledger-cpg", "ledger-1:in-sync", "ledger-2:pending-reboot"}}},
		{"The reader's own reboot makes it in-sync.",
			rebootMember("ledger-2"), map[string][]string{"ledger": {"ledger-cpg", "ledger-1:in-sync", "ledger-2:in-sync"}}},
		{"ModifyDBCluster associates another group at once, even without ApplyImmediately, and its members wait for a reboot.",
			func() {
				out, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("plain"), DBClusterParameterGroupName: aws.String("ledger-cpg")})
				if err != nil {
					t.Fatal(err)
				}
				if s := aws.ToString(out.DBCluster.Status); s != "available" {
					t.Errorf("a new group puts the cluster in no other state; status %s", s)
				}
			}, map[string][]string{"plain": {"ledger-cpg", "plain-1:pending-reboot"}}},
		{"Resetting the group leaves its clusters' members pending-reboot for the static parameters it set.",
			func() {
				if _, err := c.ResetDBClusterParameterGroup(ctx, &rds.ResetDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String("ledger-cpg"), ResetAllParameters: aws.Bool(true)}); err != nil {
					t.Fatal(err)
				}
			}, map[string][]string{
				"ledger": {"ledger-cpg", "ledger-1:pending-reboot", "ledger-2:pending-reboot"},
				"plain":  {"ledger-cpg", "plain-1:pending-reboot"}}},
		{"Without read availability (14.6) a pending-reboot change leaves the members pending-reboot too...",
			func() { modifyClusterGroup(t, c, "old-cpg", param("max_connections", "120", "pending-reboot")) },
			map[string][]string{"old": {"old-cpg", "old-1:pending-reboot", "old-2:pending-reboot"}}},
		{"...and the writer's reboot takes the reader along: both rebooting, then both in-sync.",
			func() {
				if _, err := c.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("old-1")}); err != nil {
					t.Fatal(err)
				}
				if s := aws.ToString(describe(t, c, "old-2").DBInstanceStatus); s != "rebooting" {
					t.Errorf("the reader while its writer reboots: %s, want rebooting", s)
				}
				waitStatus(t, c, "old-1", "available", 5*time.Second)
				waitStatus(t, c, "old-2", "available", 5*time.Second)
			}, map[string][]string{"old": {"old-cpg", "old-1:in-sync", "old-2:in-sync"}}},
	}
	for _, s := range steps {
		s.do()
		for id, want := range s.want {
			if diff := cmp.Diff(want, clusterGroupState(t, c, id)); diff != "" {
				t.Errorf("%s\n%s: -want +got:\n%s", s.reason, id, diff)
			}
		}
	}
	if got := clusterUserParameters(t, c, "ledger-cpg"); len(got) != 0 {
		t.Errorf("after ResetAllParameters the group sets %v, want nothing", got)
	}

	// A restored cluster takes the group the restore names, else its family's default, not
	// its source's.
	if _, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("plain"), DBClusterSnapshotIdentifier: aws.String("plain-snap")}); err != nil {
		t.Fatal(err)
	}
	waitClusterSnapshot(t, c, "plain-snap", "available", 5*time.Second)
	for id, group := range map[string]*string{"restored-default": nil, "restored-tuned": aws.String("ledger-cpg")} {
		if _, err := c.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{DBClusterIdentifier: aws.String(id),
			SnapshotIdentifier: aws.String("plain-snap"), Engine: aws.String("aurora-postgresql"), DBClusterParameterGroupName: group}); err != nil {
			t.Fatalf("restore %s: %v", id, err)
		}
	}
	for id, want := range map[string]string{"restored-default": "default.aurora-postgresql16", "restored-tuned": "ledger-cpg"} {
		waitClusterStatus(t, c, id, "available", 5*time.Second)
		if diff := cmp.Diff([]string{want}, clusterGroupState(t, c, id)); diff != "" {
			t.Errorf("restored cluster %s: -want +got:\n%s", id, diff)
		}
	}
	waitClusterStatus(t, c, "plain", "available", 5*time.Second)

	// A major version upgrade takes the group of the new family it names along; the
	// upgraded server starts without its values.
	createClusterGroup(t, c, "old-cpg16", "aurora-postgresql16")
	if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("old"), EngineVersion: aws.String("16.6"),
		AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true), DBClusterParameterGroupName: aws.String("old-cpg16")}); err != nil {
		t.Fatalf("major upgrade with a group of the new family: %v", err)
	}
	if diff := cmp.Diff([]string{"old-cpg", "old-1:in-sync", "old-2:in-sync"}, clusterGroupState(t, c, "old")); diff != "" {
		t.Errorf("while the upgrade is under way the cluster keeps its group: -want +got:\n%s", diff)
	}
	waitClusterStatus(t, c, "old", "available", 5*time.Second)
	if diff := cmp.Diff([]string{"old-cpg16", "old-1:pending-reboot", "old-2:pending-reboot"}, clusterGroupState(t, c, "old")); diff != "" {
		t.Errorf("after the upgrade: -want +got:\n%s", diff)
	}

	// A group goes once no cluster uses it.
	del := func(name string) error {
		_, err := c.DeleteDBClusterParameterGroup(ctx, &rds.DeleteDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String(name)})
		return err
	}
	if got := errorCode(del("ledger-cpg")); got != codeInvalidParamGroupState {
		t.Errorf("delete while clusters use the group: %s, want %s", got, codeInvalidParamGroupState)
	}
	if err := del("old-cpg"); err != nil {
		t.Errorf("delete the group the upgrade left: %v", err)
	}
	for _, id := range []string{"ledger", "plain", "restored-tuned"} {
		if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String(id), DBClusterParameterGroupName: aws.String("default.aurora-postgresql16")}); err != nil {
			t.Fatalf("ModifyDBCluster %s back to the default group: %v", id, err)
		}
	}
	if err := del("ledger-cpg"); err != nil {
		t.Fatalf("DeleteDBClusterParameterGroup once no cluster uses it: %v", err)
	}
	if got := errorCode(del("ledger-cpg")); got != codeParamGroupNotFound {
		t.Errorf("delete again: %s, want %s", got, codeParamGroupNotFound)
	}
}

// TestClusterParamGroupRefusals sends each refused DB cluster parameter group request
// through the SDK and compares code, HTTP status and message with RDS's
// (docs/rds-emulator-errors.md says where each comes from), then checks that the refused
// requests changed nothing.
func TestClusterParamGroupRefusals(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createClusterGroup(t, c, "ledger-cpg", "aurora-postgresql16", param("max_connections", "150", "pending-reboot"))
	createClusterGroup(t, c, "shop-cpg", "aurora-mysql8.0")
	createGroup(t, c, "shop-pg", "postgres17")
	createAuroraCluster(t, c, "ledger", "16.6", aws.String("ledger-cpg"), "ledger-1")
	if _, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("ledger"), DBClusterSnapshotIdentifier: aws.String("ledger-snap")}); err != nil {
		t.Fatal(err)
	}
	waitClusterSnapshot(t, c, "ledger-snap", "available", 5*time.Second)
	waitClusterStatus(t, c, "ledger", "available", 5*time.Second)

	createG := func(name, family string) func() error {
		return func() error {
			_, err := c.CreateDBClusterParameterGroup(ctx, &rds.CreateDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String(name),
				DBParameterGroupFamily: aws.String(family), Description: aws.String("x")})
			return err
		}
	}
	modifyG := func(name string, params ...types.Parameter) func() error {
		return func() error {
			_, err := c.ModifyDBClusterParameterGroup(ctx, &rds.ModifyDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String(name), Parameters: params})
			return err
		}
	}
	deleteG := func(name string) func() error {
		return func() error {
			_, err := c.DeleteDBClusterParameterGroup(ctx, &rds.DeleteDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String(name)})
			return err
		}
	}
	createC := func(group string) func() error {
		return func() error {
			in := clusterInput("refused", "aurora-postgresql")
			in.DBClusterParameterGroupName = aws.String(group)
			_, err := c.CreateDBCluster(ctx, in)
			return err
		}
	}
	modifyC := func(change func(*rds.ModifyDBClusterInput)) func() error {
		return func() error {
			in := &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("ledger")}
			change(in)
			_, err := c.ModifyDBCluster(ctx, in)
			return err
		}
	}
	upgrade := func(group *string) func() error {
		return modifyC(func(in *rds.ModifyDBClusterInput) {
			in.EngineVersion, in.AllowMajorVersionUpgrade, in.ApplyImmediately, in.DBClusterParameterGroupName = aws.String("17.4"), aws.Bool(true), aws.Bool(true), group
		})
	}
	var many []types.Parameter
	for range 21 {
		many = append(many, param("work_mem", "8192", "immediate"))
	}
	const bad, notFound = http.StatusBadRequest, http.StatusNotFound
	groupNotFound := func(name string) refusal {
		return refusal{codeParamGroupNotFound, notFound, "DBClusterParameterGroup not found: " + name}
	}
	clusterGroupNotFound := refusal{codeClusterParamGroupNotFound, notFound, "DBClusterParameterGroup not found: nope"}
	wrongFamily := refusal{codeInvalidCombination, bad, "The Parameter Group shop-cpg with DBParameterGroupFamily aurora-mysql8.0 cannot be used for this instance. Please use a Parameter Group with DBParameterGroupFamily aurora-postgresql16"}
	cases := []struct {
		reason string
		call   func() error
		want   refusal
	}{
		{"A name in use is DBParameterGroupAlreadyExists, the code RDS's model gives CreateDBClusterParameterGroup.",
			createG("ledger-cpg", "aurora-postgresql16"), refusal{codeParamGroupAlreadyExists, bad, "Parameter group ledger-cpg already exists"}},
		{"A family RDS does not have is InvalidParameterValue.",
			createG("old", "aurora-postgresql9.6"), refusal{codeInvalidValue, bad, "ParameterGroupFamily aurora-postgresql9.6 is not a valid parameter group family"}},
		{"A name must start with a letter; the message names the cluster group's parameter.",
			createG("1cpg", "aurora-postgresql16"), refusal{codeInvalidValue, bad, "The parameter DBClusterParameterGroupName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."}},
		{"A group that does not exist is DBParameterGroupNotFound, 404, in the group actions.",
			func() error {
				_, err := c.DescribeDBClusterParameterGroups(ctx, &rds.DescribeDBClusterParameterGroupsInput{DBClusterParameterGroupName: aws.String("nope")})
				return err
			}, groupNotFound("nope")},
		{"DB parameter groups and DB cluster parameter groups are apart: a DB parameter group's name is no cluster group.",
			func() error {
				_, err := c.DescribeDBClusterParameters(ctx, &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String("shop-pg")})
				return err
			}, groupNotFound("shop-pg")},
		{"DescribeDBClusterParameters takes the Source words only.",
			func() error {
				_, err := c.DescribeDBClusterParameters(ctx, &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String("ledger-cpg"), Source: aws.String("mine")})
				return err
			}, refusal{codeInvalidValue, bad, "Invalid value for Source: mine. Valid values are user, system and engine-default."}},
		{"A parameter the family does not have is named.",
			modifyG("ledger-cpg", param("character_set_server", "utf8", "immediate")), refusal{codeInvalidValue, bad, "Could not find parameter with name: character_set_server"}},
		{"A parameter RDS keeps to itself is named.",
			modifyG("ledger-cpg", param("port", "6543", "pending-reboot")), refusal{codeInvalidValue, bad, "The parameter port cannot be modified."}},
		{"immediate on a static parameter is InvalidParameterCombination (hashicorp/terraform-provider-aws#216).",
			modifyG("ledger-cpg", param("max_connections", "200", "immediate")), refusal{codeInvalidCombination, bad, "cannot use immediate apply method for static parameter"}},
		{"At most 20 parameters a request.",
			modifyG("ledger-cpg", many...), refusal{codeInvalidValue, bad, "A maximum of 20 parameters can be modified in a single request."}},
		{"A valid parameter beside a refused one is not set either.",
			modifyG("ledger-cpg", param("work_mem", "8192", "immediate"), param("no_such", "1", "immediate")), refusal{codeInvalidValue, bad, "Could not find parameter with name: no_such"}},
		{"A default group is not modified.",
			modifyG("default.aurora-postgresql16", param("work_mem", "8192", "immediate")), refusal{codeInvalidValue, bad, "Cannot modify a default parameter group."}},
		{"Nor reset.",
			func() error {
				_, err := c.ResetDBClusterParameterGroup(ctx, &rds.ResetDBClusterParameterGroupInput{DBClusterParameterGroupName: aws.String("default.aurora-postgresql16"), ResetAllParameters: aws.Bool(true)})
				return err
			}, refusal{codeInvalidValue, bad, "Cannot modify a default parameter group."}},
		{"ModifyDBClusterParameterGroup of a group that does not exist.",
			modifyG("nope", param("work_mem", "8192", "immediate")), groupNotFound("nope")},
		{"A default group is not deleted (ekristen/aws-nuke#660, DocumentDB's words for the same API).",
			deleteG("default.aurora-postgresql16"), refusal{codeInvalidParamGroupState, bad, "Default DBClusterParameterGroup cannot be deleted: default.aurora-postgresql16"}},
		{"A group a cluster uses is not deleted.",
			deleteG("ledger-cpg"), refusal{codeInvalidParamGroupState, bad, "One or more database clusters are still members of this parameter group ledger-cpg, so the group cannot be deleted"}},
		{"Deleting a group that does not exist.", deleteG("nope"), groupNotFound("nope")},
		{"CreateDBCluster naming a group that does not exist is DBClusterParameterGroupNotFound, 404 (aws/aws-cdk#2512).",
			createC("nope"), clusterGroupNotFound},
		{"CreateDBCluster naming a group of another family (aws/aws-cdk#5126).", createC("shop-cpg"), wrongFamily},
		{"CreateDBCluster naming a DB parameter group, which is no cluster group.",
			createC("shop-pg"), refusal{codeClusterParamGroupNotFound, notFound, "DBClusterParameterGroup not found: shop-pg"}},
		{"ModifyDBCluster naming a group that does not exist.",
			modifyC(func(in *rds.ModifyDBClusterInput) { in.DBClusterParameterGroupName = aws.String("nope") }), clusterGroupNotFound},
		{"ModifyDBCluster naming a group of another family.",
			modifyC(func(in *rds.ModifyDBClusterInput) { in.DBClusterParameterGroupName = aws.String("shop-cpg") }), wrongFamily},
		{"A major upgrade of a cluster with a custom group must name the new one (crossplane-contrib/provider-aws#1692).",
			upgrade(nil), refusal{codeInvalidCombination, bad, "The current DB cluster parameter group ledger-cpg is custom. You must explicitly specify a new DB cluster parameter group, either default or custom, for the engine version upgrade."}},
		{"The group a major upgrade names must be of the new version's family.",
			upgrade(aws.String("ledger-cpg")), refusal{codeInvalidCombination, bad, "The Parameter Group ledger-cpg with DBParameterGroupFamily aurora-postgresql16 cannot be used for this instance. Please use a Parameter Group with DBParameterGroupFamily aurora-postgresql17"}},
		{"RestoreDBClusterFromSnapshot naming a group that does not exist.",
			func() error {
				_, err := c.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{DBClusterIdentifier: aws.String("restored"),
					SnapshotIdentifier: aws.String("ledger-snap"), Engine: aws.String("aurora-postgresql"), DBClusterParameterGroupName: aws.String("nope")})
				return err
			}, clusterGroupNotFound},
		{"RebootDBCluster is for Multi-AZ DB clusters only (RDS API Reference): an Aurora cluster reboots by its writer.",
			func() error {
				_, err := c.RebootDBCluster(ctx, &rds.RebootDBClusterInput{DBClusterIdentifier: aws.String("ledger")})
				return err
			}, refusal{codeInvalidValue, bad, "RebootDBCluster can't be used to reboot an Aurora DB cluster. Reboot its writer DB instance ledger-1 with RebootDBInstance instead."}},
		{"RebootDBCluster of a cluster that does not exist.",
			func() error {
				_, err := c.RebootDBCluster(ctx, &rds.RebootDBClusterInput{DBClusterIdentifier: aws.String("nope")})
				return err
			}, refusal{codeClusterNotFound, notFound, "DBCluster nope not found."}},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, refusalOf(tc.call())); diff != "" {
			t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
		}
	}
	if diff := cmp.Diff([]string{"max_connections=150 (static, pending-reboot)"}, clusterUserParameters(t, c, "ledger-cpg")); diff != "" {
		t.Errorf("the refused requests changed the group: -want +got:\n%s", diff)
	}
	cl := describeCluster(t, c, "ledger")
	if diff := cmp.Diff([]string{"ledger-cpg", "ledger-1:in-sync", "16.6", ""}, append(clusterGroupState(t, c, "ledger"), aws.ToString(cl.EngineVersion), pendingVersion(cl))); diff != "" {
		t.Errorf("the refused requests changed the cluster: -want +got:\n%s", diff)
	}
}

// pendingVersion is a cluster's pending engine version, "" for none.
func pendingVersion(cl types.DBCluster) string {
	if cl.PendingModifiedValues == nil {
		return ""
	}
	return aws.ToString(cl.PendingModifiedValues.EngineVersion)
}
