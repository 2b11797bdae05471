package emulator

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// TestLogExports: the logs an instance ships are set at create, refused when the engine has
// no such log, changed in place through CloudwatchLogsExportConfiguration (pending while the
// instance modifies, then enabled) and reported by DescribeDBInstances.
func TestLogExports(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()

	cases := []struct {
		reason, engine string
		logs           []string
		wantCode       string
	}{
		{"PostgreSQL ships postgresql and upgrade", "postgres", []string{"postgresql", "upgrade"}, ""},
		{"MySQL has no postgresql log", "mysql", []string{"postgresql", "error"}, "InvalidParameterCombination"},
		{"PostgreSQL has no slow query log", "postgres", []string{"slowquery"}, "InvalidParameterCombination"},
		{"MariaDB ships its audit log", "mariadb", []string{"audit", "error"}, ""},
	}
	for i, tc := range cases {
		in := createInput("logs-" + string(rune('a'+i)))
		in.Engine = aws.String(tc.engine)
		in.EngineVersion = nil
		in.EnableCloudwatchLogsExports = tc.logs
		_, err := c.CreateDBInstance(ctx, in)
		if got := errorCode(err); got != tc.wantCode {
			t.Errorf("%s: create: %q (%v), want %q", tc.reason, got, err, tc.wantCode)
			continue
		}
		if tc.wantCode != "" {
			continue
		}
		got := describe(t, c, aws.ToString(in.DBInstanceIdentifier)).EnabledCloudwatchLogsExports
		if !slices.Equal(got, tc.logs) {
			t.Errorf("%s: EnabledCloudwatchLogsExports = %v, want %v", tc.reason, got, tc.logs)
		}
	}

	id := "logs-a"
	waitStatus(t, c, id, "available", 10*time.Second)
	_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String(id),
		CloudwatchLogsExportConfiguration: &types.CloudwatchLogsExportConfiguration{
			EnableLogTypes: []string{"iam-db-auth-error"}, DisableLogTypes: []string{"upgrade"}},
	})
	if err != nil {
		t.Fatalf("modify log exports: %v", err)
	}
	in := describe(t, c, id)
	pend := in.PendingModifiedValues.PendingCloudwatchLogsExports
	if aws.ToString(in.DBInstanceStatus) != "modifying" || pend == nil ||
		!slices.Equal(pend.LogTypesToEnable, []string{"iam-db-auth-error"}) || !slices.Equal(pend.LogTypesToDisable, []string{"upgrade"}) {
		t.Errorf("while the change is applied: status %s, pending %+v; want modifying with the logs to turn on and off", aws.ToString(in.DBInstanceStatus), pend)
	}
	waitStatus(t, c, id, "available", 10*time.Second)
	in = describe(t, c, id)
	if got := in.EnabledCloudwatchLogsExports; !slices.Equal(got, []string{"postgresql", "iam-db-auth-error"}) || in.PendingModifiedValues.PendingCloudwatchLogsExports != nil {
		t.Errorf("after the change: enabled %v, pending %+v; want postgresql and iam-db-auth-error, nothing pending", got, in.PendingModifiedValues.PendingCloudwatchLogsExports)
	}
	_, err = c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier:              aws.String(id),
		CloudwatchLogsExportConfiguration: &types.CloudwatchLogsExportConfiguration{EnableLogTypes: []string{"general"}},
	})
	if errorCode(err) != "InvalidParameterCombination" {
		t.Errorf("a log the engine does not have, turned on by modify: %v, want InvalidParameterCombination", err)
	}
}

// TestClusterLogExports: an Aurora cluster ships logs for all its instances, set at create
// and changed at once by ModifyDBCluster, with Aurora's own log types.
func TestClusterLogExports(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	bad := clusterInput("logs-bad", "aurora-postgresql")
	bad.EnableCloudwatchLogsExports = []string{"upgrade"}
	if _, err := c.CreateDBCluster(ctx, bad); errorCode(err) != "InvalidParameterCombination" {
		t.Errorf("Aurora PostgreSQL has no upgrade log: %v, want InvalidParameterCombination", err)
	}
	in := clusterInput("logs-pg", "aurora-postgresql")
	in.EnableCloudwatchLogsExports = []string{"postgresql"}
	if _, err := c.CreateDBCluster(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got := describeCluster(t, c, "logs-pg").EnabledCloudwatchLogsExports; !slices.Equal(got, []string{"postgresql"}) {
		t.Errorf("created with postgresql: %v", got)
	}
	waitClusterStatus(t, c, "logs-pg", "available", 10*time.Second)
	_, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("logs-pg"),
		CloudwatchLogsExportConfiguration: &types.CloudwatchLogsExportConfiguration{EnableLogTypes: []string{"instance"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := describeCluster(t, c, "logs-pg").EnabledCloudwatchLogsExports; !slices.Equal(got, []string{"postgresql", "instance"}) {
		t.Errorf("after turning instance on: %v", got)
	}
}
