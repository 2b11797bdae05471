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

// param is one Parameters.Parameter.N entry of ModifyDBParameterGroup.
func param(name, value, method string) types.Parameter {
	return types.Parameter{ParameterName: aws.String(name), ParameterValue: aws.String(value), ApplyMethod: types.ApplyMethod(method)}
}

// createGroup creates a DB parameter group and sets params in it.
func createGroup(t *testing.T, c *rds.Client, name, family string, params ...types.Parameter) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String(name),
		DBParameterGroupFamily: aws.String(family), Description: aws.String("tests' " + name)}); err != nil {
		t.Fatalf("CreateDBParameterGroup %s: %v", name, err)
	}
	if len(params) > 0 {
		modifyGroup(t, c, name, params...)
	}
}

func modifyGroup(t *testing.T, c *rds.Client, name string, params ...types.Parameter) {
	t.Helper()
	if _, err := c.ModifyDBParameterGroup(context.Background(), &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(name), Parameters: params}); err != nil {
		t.Fatalf("ModifyDBParameterGroup %s: %v", name, err)
	}
}

// groupStatus is an instance's DBParameterGroups as "name:status" items.
func groupStatus(in types.DBInstance) []string {
	var out []string
	for _, g := range in.DBParameterGroups {
		out = append(out, aws.ToString(g.DBParameterGroupName)+":"+aws.ToString(g.ParameterApplyStatus))
	}
	return out
}

// userParameters are a group's parameters of Source user, as "name=value (type, method)".
func userParameters(t *testing.T, c *rds.Client, name string) []string {
	t.Helper()
	out, err := c.DescribeDBParameters(context.Background(), &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(name), Source: aws.String("user")})
	if err != nil {
		t.Fatalf("DescribeDBParameters %s: %v", name, err)
	}
	var got []string
	for _, p := range out.Parameters {
		got = append(got, fmt.Sprintf("%s=%s (%s, %s)", aws.ToString(p.ParameterName), aws.ToString(p.ParameterValue), aws.ToString(p.ApplyType), p.ApplyMethod))
	}
	return got
}

// TestParamGroups proves through the SDK the life of a DB parameter group without
// servers: create, describe (with the default groups), its parameters by source, tags,
// the instances that use it and what its changes make of their ParameterApplyStatus,
// reset, and delete once no instance uses it.
func TestParamGroups(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	out, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("Shop-PG"),
		DBParameterGroupFamily: aws.String("postgres17"), Description: aws.String("shop"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}}})
	if err != nil {
		t.Fatalf("CreateDBParameterGroup: %v", err)
	}
	const arn = "arn:aws:rds:us-east-1:123456789012:pg:shop-pg"
	g := out.DBParameterGroup
	got := []string{aws.ToString(g.DBParameterGroupName), aws.ToString(g.DBParameterGroupFamily), aws.ToString(g.Description), aws.ToString(g.DBParameterGroupArn)}
	if diff := cmp.Diff([]string{"shop-pg", "postgres17", "shop", arn}, got); diff != "" {
		t.Errorf("the group made, its name lowercase as RDS stores it: -want +got:\n%s", diff)
	}

	all, err := c.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range all.DBParameterGroups {
		names = append(names, aws.ToString(g.DBParameterGroupName))
	}
	for _, n := range []string{"default.postgres17", "default.mysql8.0", "default.mariadb10.11", "shop-pg"} {
		if !strings.Contains(strings.Join(names, " "), n) {
			t.Errorf("DescribeDBParameterGroups lists %v, without %s: every offered family has its default group", names, n)
		}
	}

	modifyGroup(t, c, "shop-pg", param("max_connections", "150", "pending-reboot"), param("log_min_duration_statement", "250", "immediate"))
	if diff := cmp.Diff([]string{"log_min_duration_statement=250 (dynamic, immediate)", "max_connections=150 (static, pending-reboot)"},
		userParameters(t, c, "shop-pg")); diff != "" {
		t.Errorf("Source user lists the values set, with ApplyType and ApplyMethod: -want +got:\n%s", diff)
	}
	defaults, err := c.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String("shop-pg"), Source: aws.String("engine-default"), MaxRecords: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	if len(defaults.Parameters) != 100 || aws.ToString(defaults.Marker) == "" {
		t.Errorf("engine-default parameters: %d and marker %q, want a page of 100 and a marker", len(defaults.Parameters), aws.ToString(defaults.Marker))
	}
	for _, p := range defaults.Parameters {
		if p.ParameterValue != nil || aws.ToString(p.Source) != "engine-default" || aws.ToString(p.DataType) == "" {
			t.Errorf("engine-default parameter %s: value %v, source %s, data type %q; want no value", aws.ToString(p.ParameterName), p.ParameterValue, aws.ToString(p.Source), aws.ToString(p.DataType))
			break
		}
	}

	// Tags on the group's ARN.
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

	createAvailable(t, c, "tuned", func(in *rds.CreateDBInstanceInput) { in.DBParameterGroupName = aws.String("shop-pg") })
	createAvailable(t, c, "plain", nil)
	steps := []struct {
		reason string
		do     func()
		want   map[string][]string
	}{
		{"A new instance starts in-sync with the group it names; one that names none has its family's default group.",
			func() {}, map[string][]string{"tuned": {"shop-pg:in-sync"}, "plain": {"default.postgres17:in-sync"}}},
		{"A pending-reboot change leaves the group's instances pending-reboot.",
			func() { modifyGroup(t, c, "shop-pg", param("shared_buffers", "32768", "pending-reboot")) },
			map[string][]string{"tuned": {"shop-pg:pending-reboot"}, "plain": {"default.postgres17:in-sync"}}},
		{"A reboot applies the group: in-sync again.",
			func() { reboot(t, c, "tuned") }, map[string][]string{"tuned": {"shop-pg:in-sync"}}},
		{"An immediate change of a dynamic parameter leaves the instance in-sync.",
			func() { modifyGroup(t, c, "shop-pg", param("work_mem", "8192", "immediate")) }, map[string][]string{"tuned": {"shop-pg:in-sync"}}},
		{"ModifyDBInstance associates another group at once, even without ApplyImmediately, and its values wait for a reboot.",
			func() {
				out, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("plain"), DBParameterGroupName: aws.String("shop-pg")})
				if err != nil {
					t.Fatal(err)
				}
				if s := aws.ToString(out.DBInstance.DBInstanceStatus); s != "available" {
					t.Errorf("a new group puts the instance in no other state; status %s", s)
				}
			}, map[string][]string{"plain": {"shop-pg:pending-reboot"}}},
		{"Resetting the group leaves its instances pending-reboot for the static parameters it set.",
			func() {
				if _, err := c.ResetDBParameterGroup(ctx, &rds.ResetDBParameterGroupInput{DBParameterGroupName: aws.String("shop-pg"), ResetAllParameters: aws.Bool(true)}); err != nil {
					t.Fatal(err)
				}
			}, map[string][]string{"tuned": {"shop-pg:pending-reboot"}, "plain": {"shop-pg:pending-reboot"}}},
	}
	for _, s := range steps {
		s.do()
		for id, want := range s.want {
			if diff := cmp.Diff(want, groupStatus(describe(t, c, id))); diff != "" {
				t.Errorf("%s\n%s: -want +got:\n%s", s.reason, id, diff)
			}
		}
	}
	if got := userParameters(t, c, "shop-pg"); len(got) != 0 {
		t.Errorf("after ResetAllParameters the group sets %v, want nothing", got)
	}

	// A restore takes the group it names (else its family's default); a read replica its
	// source's.
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("tuned"), DBSnapshotIdentifier: aws.String("tuned-snap")}); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, c, "tuned-snap", "available", 5*time.Second)
	for id, group := range map[string]*string{"restored-default": nil, "restored-tuned": aws.String("shop-pg")} {
		if _, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String(id),
			DBSnapshotIdentifier: aws.String("tuned-snap"), DBParameterGroupName: group}); err != nil {
			t.Fatalf("restore %s: %v", id, err)
		}
	}
	waitStatus(t, c, "tuned", "available", 5*time.Second)
	createReplica(t, c, replicaInput("tuned-ro", "tuned"), 5*time.Second)
	for id, want := range map[string]string{"restored-default": "default.postgres17:in-sync", "restored-tuned": "shop-pg:in-sync", "tuned-ro": "shop-pg:in-sync"} {
		waitStatus(t, c, id, "available", 5*time.Second)
		if diff := cmp.Diff([]string{want}, groupStatus(describe(t, c, id))); diff != "" {
			t.Errorf("%s: -want +got:\n%s", id, diff)
		}
	}

	// The group goes once no instance uses it.
	del := func() error {
		_, err := c.DeleteDBParameterGroup(ctx, &rds.DeleteDBParameterGroupInput{DBParameterGroupName: aws.String("shop-pg")})
		return err
	}
	if got := errorCode(del()); got != codeInvalidParamGroupState {
		t.Errorf("delete while instances use the group: %s, want %s", got, codeInvalidParamGroupState)
	}
	for _, id := range []string{"tuned-ro", "tuned", "plain", "restored-tuned"} {
		if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
			t.Fatalf("DeleteDBInstance %s: %v", id, err)
		}
	}
	for _, id := range []string{"tuned-ro", "tuned", "plain", "restored-tuned"} {
		waitGone(t, c, id, 5*time.Second)
	}
	if err := del(); err != nil {
		t.Fatalf("DeleteDBParameterGroup once no instance uses it: %v", err)
	}
	if got := errorCode(del()); got != codeParamGroupNotFound {
		t.Errorf("delete again: %s, want %s", got, codeParamGroupNotFound)
	}
}

// reboot reboots an instance and waits until it is available again; it returns the
// statuses seen.
func reboot(t *testing.T, c *rds.Client, id string) []string {
	t.Helper()
	out, err := c.RebootDBInstance(context.Background(), &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		t.Fatalf("RebootDBInstance %s: %v", id, err)
	}
	seen := []string{aws.ToString(out.DBInstance.DBInstanceStatus)}
	for _, s := range waitStatus(t, c, id, "available", 60*time.Second) {
		if s != seen[len(seen)-1] {
			seen = append(seen, s)
		}
	}
	return seen
}

// TestParamGroupPaging proves that DescribeDBParameterGroups pages with MaxRecords and
// Marker, as DescribeDBInstances does.
func TestParamGroupPaging(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	for i := range 15 {
		createGroup(t, c, fmt.Sprintf("group-%02d", i), "mysql8.0")
	}
	var names []string
	var marker *string
	for pages := 0; ; pages++ {
		out, err := c.DescribeDBParameterGroups(context.Background(), &rds.DescribeDBParameterGroupsInput{MaxRecords: aws.Int32(20), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.DBParameterGroups) > 20 {
			t.Fatalf("page of %d groups, MaxRecords 20", len(out.DBParameterGroups))
		}
		for _, g := range out.DBParameterGroups {
			names = append(names, aws.ToString(g.DBParameterGroupName))
		}
		if marker = out.Marker; marker == nil {
			break
		}
	}
	if want := 15 + len(offeredFamilies()); len(names) != want {
		t.Errorf("paged through %d groups, want %d (15 made and one default group per offered family)", len(names), want)
	}
}

// TestParamGroupRefusals sends each refused parameter group request through the SDK and
// compares code, HTTP status and message with RDS's (docs/rds-emulator-errors.md says
// where each comes from), then checks that the refused requests changed nothing.
func TestParamGroupRefusals(t *testing.T) {
	forever := Delays{Create: time.Hour, BackingUp: time.Hour, Modify: time.Hour, Delete: time.Hour}
	_, c := start(t, Config{NoEngine: true, Delays: forever})
	ctx := context.Background()
	createGroup(t, c, "shop-pg", "postgres17", param("max_connections", "150", "pending-reboot"))
	createGroup(t, c, "shop-my", "mysql8.0")
	if _, err := c.CreateDBInstance(ctx, createInput("busy")); err != nil {
		t.Fatal(err)
	}
	in := createInput("user")
	in.DBParameterGroupName = aws.String("shop-pg")
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDBCluster(ctx, clusterInput("vault", "aurora-postgresql")); err != nil {
		t.Fatal(err)
	}

	createG := func(name, family string) func() error {
		return func() error {
			_, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String(name),
				DBParameterGroupFamily: aws.String(family), Description: aws.String("x")})
			return err
		}
	}
	modifyG := func(name string, params ...types.Parameter) func() error {
		return func() error {
			_, err := c.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(name), Parameters: params})
			return err
		}
	}
	createI := func(change func(*rds.CreateDBInstanceInput)) func() error {
		return func() error {
			in := createInput("refused")
			change(in)
			_, err := c.CreateDBInstance(ctx, in)
			return err
		}
	}
	var many []types.Parameter
	for range 21 {
		many = append(many, param("work_mem", "8192", "immediate"))
	}
	const bad, notFound = http.StatusBadRequest, http.StatusNotFound
	invalidName := refusal{codeInvalidValue, bad, "The parameter DBParameterGroupName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."}
	wrongFamily := refusal{codeInvalidCombination, bad, "The Parameter Group shop-my with DBParameterGroupFamily mysql8.0 cannot be used for this instance. Please use a Parameter Group with DBParameterGroupFamily postgres17"}
	cases := []struct {
		reason string
		call   func() error
		want   refusal
	}{
		{"A name in use is DBParameterGroupAlreadyExists (the words of public Terraform output).",
			createG("shop-pg", "postgres17"), refusal{codeParamGroupAlreadyExists, bad, "Parameter group shop-pg already exists"}},
		{"A family RDS does not have is InvalidParameterValue (terraform-aws-modules/terraform-aws-rds#173).",
			createG("old", "postgres10.7"), refusal{codeInvalidValue, bad, "ParameterGroupFamily postgres10.7 is not a valid parameter group family"}},
		{"A name must start with a letter.", createG("1pg", "postgres17"), invalidName},
		{"A name has no two hyphens in a row.", createG("pg--x", "postgres17"), invalidName},
		{"A name does not end with a hyphen.", createG("pg-", "postgres17"), invalidName},
		{"A name holds letters, digits and hyphens only.", createG("pg_x", "postgres17"), invalidName},
		{"A name is at most 255 characters.", createG("p"+strings.Repeat("g", 255), "postgres17"), invalidName},
		{"A group that does not exist is DBParameterGroupNotFound, 404 in RDS's model.",
			func() error {
				_, err := c.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String("nope")})
				return err
			}, refusal{codeParamGroupNotFound, notFound, "DBParameterGroup not found: nope"}},
		{"DescribeDBParameters of a group that does not exist likewise.",
			func() error {
				_, err := c.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String("nope")})
				return err
			}, refusal{codeParamGroupNotFound, notFound, "DBParameterGroup not found: nope"}},
		{"DescribeDBParameters takes MaxRecords 20-100.",
			func() error {
				_, err := c.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String("shop-pg"), MaxRecords: aws.Int32(10)})
				return err
			}, refusal{codeInvalidValue, bad, "Invalid value 10 for MaxRecords. Must be between 20 and 100."}},
		{"A parameter the family does not have (hashicorp/terraform-provider-aws#522).",
			modifyG("shop-pg", param("character_set_server", "utf8", "immediate")), refusal{codeInvalidValue, bad, "Could not find parameter with name: character_set_server"}},
		{"A parameter RDS keeps to itself.",
			modifyG("shop-pg", param("port", "6543", "pending-reboot")), refusal{codeInvalidValue, bad, "The parameter port cannot be modified."}},
		{"A value the parameter does not take, with what it allows.",
			modifyG("shop-pg", param("max_connections", "lots", "pending-reboot")), refusal{codeInvalidValue, bad, "Invalid parameter value: lots for: max_connections allowed values are: 1-262143"}},
		{"immediate on a static parameter (hashicorp/terraform-provider-aws#216).",
			modifyG("shop-pg", param("max_connections", "200", "immediate")), refusal{codeInvalidCombination, bad, "cannot use immediate apply method for static parameter"}},
		{"An ApplyMethod other than immediate and pending-reboot.",
			modifyG("shop-pg", types.Parameter{ParameterName: aws.String("work_mem"), ParameterValue: aws.String("8192")}),
			refusal{codeInvalidValue, bad, `Invalid apply method for parameter work_mem: "". Valid values are immediate and pending-reboot.`}},
		{"A default group is not modified (ankane/pghero#66).",
			modifyG("default.postgres17", param("work_mem", "8192", "immediate")), refusal{codeInvalidValue, bad, "Cannot modify a default parameter group."}},
		{"At most 20 parameters a request.",
			modifyG("shop-pg", many...), refusal{codeInvalidValue, bad, "A maximum of 20 parameters can be modified in a single request."}},
		{"A valid parameter beside a refused one is not set either: nothing is.",
			modifyG("shop-pg", param("work_mem", "8192", "immediate"), param("no_such", "1", "immediate")), refusal{codeInvalidValue, bad, "Could not find parameter with name: no_such"}},
		{"ModifyDBParameterGroup of a group that does not exist.",
			modifyG("nope", param("work_mem", "8192", "immediate")), refusal{codeParamGroupNotFound, notFound, "DBParameterGroup not found: nope"}},
		{"A default group is not reset either.",
			func() error {
				_, err := c.ResetDBParameterGroup(ctx, &rds.ResetDBParameterGroupInput{DBParameterGroupName: aws.String("default.postgres17"), ResetAllParameters: aws.Bool(true)})
				return err
			}, refusal{codeInvalidValue, bad, "Cannot modify a default parameter group."}},
		{"Resetting a static parameter immediately is refused as setting one is.",
			func() error {
				_, err := c.ResetDBParameterGroup(ctx, &rds.ResetDBParameterGroupInput{DBParameterGroupName: aws.String("shop-pg"),
					Parameters: []types.Parameter{{ParameterName: aws.String("max_connections"), ApplyMethod: types.ApplyMethodImmediate}}})
				return err
			}, refusal{codeInvalidCombination, bad, "cannot use immediate apply method for static parameter"}},
		{"A default group is not deleted (awsdocs/amazon-rds-user-guide#14).",
			func() error {
				_, err := c.DeleteDBParameterGroup(ctx, &rds.DeleteDBParameterGroupInput{DBParameterGroupName: aws.String("default.postgres17")})
				return err
			}, refusal{codeInvalidParamGroupState, bad, "Default DBParameterGroup cannot be deleted: default.postgres17"}},
		{"A group an instance uses is not deleted (terraform-aws-modules/terraform-aws-rds-aurora#466).",
			func() error {
				_, err := c.DeleteDBParameterGroup(ctx, &rds.DeleteDBParameterGroupInput{DBParameterGroupName: aws.String("shop-pg")})
				return err
			}, refusal{codeInvalidParamGroupState, bad, "One or more database instances are still members of this parameter group shop-pg, so the group cannot be deleted"}},
		{"Deleting a group that does not exist.",
			func() error {
				_, err := c.DeleteDBParameterGroup(ctx, &rds.DeleteDBParameterGroupInput{DBParameterGroupName: aws.String("nope")})
				return err
			}, refusal{codeParamGroupNotFound, notFound, "DBParameterGroup not found: nope"}},
		{"CreateDBInstance naming a group that does not exist (terraform-aws-modules/terraform-aws-rds#213).",
			createI(func(in *rds.CreateDBInstanceInput) { in.DBParameterGroupName = aws.String("nope") }),
			refusal{codeParamGroupNotFound, notFound, "DBParameterGroup not found: nope"}},
		{"CreateDBInstance naming a group of another family (aws-quickstart/quickstart-r3-corda#25).",
			createI(func(in *rds.CreateDBInstanceInput) { in.DBParameterGroupName = aws.String("shop-my") }), wrongFamily},
		{"ModifyDBInstance of an instance that is not available is refused before its group is looked at.",
			func() error {
				_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("busy"), DBParameterGroupName: aws.String("shop-my")})
				return err
			}, refusal{codeInvalidInstanceState, bad, "Database instance is not in available state."}},
		{"An instance of an Aurora DB cluster keeps its default group.",
			func() error {
				in := clusterInstanceInput("vault-1", "vault", "aurora-postgresql")
				in.DBParameterGroupName = aws.String("shop-pg")
				_, err := c.CreateDBInstance(ctx, in)
				return err
			}, refusal{codeInvalidCombination, bad, "DB parameter groups of the instances of an Aurora DB cluster are not emulated: instance vault-1 keeps default.aurora-postgresql16."}},
		{"RebootDBInstance of an instance that does not exist.",
			func() error {
				_, err := c.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("nope")})
				return err
			}, refusal{codeInstanceNotFound, notFound, "DBInstance nope not found."}},
		{"RebootDBInstance of an instance that is not available.",
			func() error {
				_, err := c.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("busy")})
				return err
			}, refusal{codeInvalidInstanceState, bad, "Database instance is not in available state."}},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, refusalOf(tc.call())); diff != "" {
			t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
		}
	}
	if diff := cmp.Diff([]string{"max_connections=150 (static, pending-reboot)"}, userParameters(t, c, "shop-pg")); diff != "" {
		t.Errorf("the refused requests changed the group: -want +got:\n%s", diff)
	}
}

// TestParamGroupRefusalsOfAvailableInstances checks the refusals that need an available
// instance: a group of another family, a major upgrade that leaves a custom group behind,
// and ForceFailover without Multi-AZ.
func TestParamGroupRefusalsOfAvailableInstances(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createGroup(t, c, "shop-pg", "postgres17")
	createGroup(t, c, "shop-my", "mysql8.0")
	createGroup(t, c, "shop-pg18", "postgres18")
	createAvailable(t, c, "tuned", func(in *rds.CreateDBInstanceInput) { in.DBParameterGroupName = aws.String("shop-pg") })
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("tuned"), DBSnapshotIdentifier: aws.String("tuned-snap")}); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, c, "tuned-snap", "available", 5*time.Second)
	waitStatus(t, c, "tuned", "available", 5*time.Second)
	upgrade := func(group *string) func() error {
		return func() error {
			_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("tuned"), EngineVersion: aws.String("18.4"),
				AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true), DBParameterGroupName: group})
			return err
		}
	}
	cases := []struct {
		reason string
		call   func() error
		want   refusal
	}{
		{"ModifyDBInstance naming a group of another family (aws-quickstart/quickstart-r3-corda#25).",
			func() error {
				_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("tuned"), DBParameterGroupName: aws.String("shop-my")})
				return err
			}, refusal{codeInvalidCombination, http.StatusBadRequest, "The Parameter Group shop-my with DBParameterGroupFamily mysql8.0 cannot be used for this instance. Please use a Parameter Group with DBParameterGroupFamily postgres17"}},
		{"A major upgrade of an instance with a custom group must name the new one.",
			upgrade(nil), refusal{codeInvalidCombination, http.StatusBadRequest, "The current DB instance parameter group shop-pg is custom. You must explicitly specify a new DB instance parameter group, either default or custom, for the engine version upgrade."}},
		{"The group a major upgrade names must be of the new version's family.",
			upgrade(aws.String("shop-pg")), refusal{codeInvalidCombination, http.StatusBadRequest, "The Parameter Group shop-pg with DBParameterGroupFamily postgres17 cannot be used for this instance. Please use a Parameter Group with DBParameterGroupFamily postgres18"}},
		{"RestoreDBInstanceFromDBSnapshot naming a group that does not exist.",
			func() error {
				_, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("restored"),
					DBSnapshotIdentifier: aws.String("tuned-snap"), DBParameterGroupName: aws.String("nope")})
				return err
			}, refusal{codeParamGroupNotFound, http.StatusNotFound, "DBParameterGroup not found: nope"}},
		{"CreateDBInstanceReadReplica naming a group of another family.",
			func() error {
				in := replicaInput("tuned-ro", "tuned")
				in.DBParameterGroupName = aws.String("shop-my")
				_, err := c.CreateDBInstanceReadReplica(ctx, in)
				return err
			}, refusal{codeInvalidCombination, http.StatusBadRequest, "The Parameter Group shop-my with DBParameterGroupFamily mysql8.0 cannot be used for this instance. Please use a Parameter Group with DBParameterGroupFamily postgres17"}},
		{"ForceFailover needs a Multi-AZ instance.",
			func() error {
				_, err := c.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("tuned"), ForceFailover: aws.Bool(true)})
				return err
			}, refusal{codeInvalidCombination, http.StatusBadRequest, "ForceFailover can't be used: DB instance tuned isn't configured for Multi-AZ."}},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, refusalOf(tc.call())); diff != "" {
			t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
		}
	}
	if diff := cmp.Diff([]string{"shop-pg:in-sync"}, groupStatus(describe(t, c, "tuned"))); diff != "" {
		t.Errorf("the refused requests changed the instance's group: -want +got:\n%s", diff)
	}

	// A major upgrade naming a group of the new family takes it along with the version.
	if err := upgrade(aws.String("shop-pg18"))(); err != nil {
		t.Fatalf("major upgrade with a group of the new family: %v", err)
	}
	waitStatus(t, c, "tuned", "available", 5*time.Second)
	got := describe(t, c, "tuned")
	if diff := cmp.Diff([]string{"18.4", "shop-pg18:pending-reboot"}, append([]string{aws.ToString(got.EngineVersion)}, groupStatus(got)...)); diff != "" {
		t.Errorf("after the upgrade: -want +got:\n%s", diff)
	}
}
