package emulator

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
)

// windows is what Describe says of an instance's or cluster's windows.
type windows struct {
	Backup, Maintenance string
}

func invalidValue(message string) refusal {
	return refusal{Code: codeInvalidValue, Status: http.StatusBadRequest, Message: message}
}

var windowsOverlap = invalidValue("The backup window and maintenance window must not overlap.")

// TestMaintenanceWindowAtCreate sends CreateDBInstance and CreateDBCluster with windows
// through the SDK: a window given is validated with RDS's words, reported lowercase, and
// must not overlap the backup window; a missing backup window keeps clear of it.
func TestMaintenanceWindowAtCreate(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	cases := []struct {
		reason              string
		cluster             bool
		backup, maintenance string
		want                windows
		wantErr             refusal
	}{
		{reason: "A window given is reported as given, beside the default backup window it keeps clear of.",
			maintenance: "sun:05:00-sun:05:30", want: windows{"03:00-03:30", "sun:05:00-sun:05:30"}},
		{reason: "Days are taken in any case and reported lowercase; a window may run past midnight into the next day (AWS's own example).",
			maintenance: "Sun:23:45-Mon:00:15", want: windows{"03:00-03:30", "sun:23:45-mon:00:15"}},
		{reason: "The week wraps: Sunday night into Monday is 30 minutes, not six days.",
			maintenance: "sun:23:30-mon:00:00", want: windows{"03:00-03:30", "sun:23:30-mon:00:00"}},
		{reason: "A window that only touches the backup window (ends when it starts) does not overlap it.",
			backup: "04:30-05:00", maintenance: "mon:04:00-mon:04:30", want: windows{"04:30-05:00", "mon:04:00-mon:04:30"}},
		{reason: "A maintenance window over the default backup window moves the default backup window to the next half hour clear of it.",
			maintenance: "tue:02:45-tue:03:45", want: windows{"04:00-04:30", "tue:02:45-tue:03:45"}},
		{reason: "Not ddd:hh24:mi-ddd:hh24:mi: InvalidParameterValue.",
			maintenance: "sunday 5am", wantErr: invalidValue("Invalid maintenance window format: sunday 5am. Should be specified as a range ddd:hh24:mi-ddd:hh24:mi (24H Clock UTC). Example: Sun:23:45-Mon:00:15")},
		{reason: "Hours without their leading zero are not the documented format.",
			maintenance: "sun:5:00-sun:5:30", wantErr: invalidValue("Invalid maintenance window format: sun:5:00-sun:5:30. Should be specified as a range ddd:hh24:mi-ddd:hh24:mi (24H Clock UTC). Example: Sun:23:45-Mon:00:15")},
		{reason: "Hour 24 does not exist; RDS names the value as it read it (ansible/ansible#10666).",
			maintenance: "Mon:23:30-Mon:24:00", wantErr: invalidValue("Invalid day:hour:minute value: mon:24:0")},
		{reason: "Days are mon to sun.",
			maintenance: "xyz:05:00-xyz:05:30", wantErr: invalidValue("Invalid day:hour:minute value: xyz:5:0")},
		{reason: "Minutes stop at 59.",
			maintenance: "wed:05:60-wed:06:30", wantErr: invalidValue("Invalid day:hour:minute value: wed:5:60")},
		{reason: "On one day, the end may not come before the start (ansible/ansible#10666).",
			maintenance: "Mon:23:30-Mon:00:00", wantErr: invalidValue("Maintenance window cannot end before it begins.")},
		{reason: "At least 30 minutes.",
			maintenance: "tue:04:00-tue:04:29", wantErr: invalidValue("The maintenance window must be at least 30 minutes.")},
		{reason: "Less than 24 hours.",
			maintenance: "mon:04:00-tue:04:00", wantErr: invalidValue("Maintenance window must be less than 24 hours.")},
		{reason: "Overlapping the backup window given with it: InvalidParameterValue (terraform-provider-aws#14981, #49828).",
			backup: "03:00-04:00", maintenance: "wed:03:30-wed:04:00", wantErr: windowsOverlap},
		{reason: "A backup window past midnight overlaps a maintenance window in its morning part, on any day.",
			backup: "23:30-00:30", maintenance: "sat:00:00-sat:00:30", wantErr: windowsOverlap},
		{reason: "A maintenance window past midnight overlaps a backup window early the next day.",
			backup: "00:15-00:45", maintenance: "fri:23:45-sat:00:30", wantErr: windowsOverlap},
		{reason: "A backup window leaving no half hour free leaves no room for a default maintenance window.",
			backup:  "03:00-02:45",
			wantErr: invalidValue("The specified backup window overlaps all available default maintenance windows. Shrink the backup window or specify a non-overlapping maintenance window.")},
		{reason: "A maintenance window covering all but a quarter of an hour of the day leaves no room for a default backup window.",
			maintenance: "mon:03:00-tue:02:45",
			wantErr:     invalidValue("The specified maintenance window overlaps all available default backup windows. Shrink the maintenance window or specify a non-overlapping backup window.")},
		{reason: "CreateDBCluster takes a maintenance window the same way.",
			cluster: true, backup: "04:00-04:30", maintenance: "Thu:06:00-Thu:07:00", want: windows{"04:00-04:30", "thu:06:00-thu:07:00"}},
		{reason: "CreateDBCluster refuses one overlapping the backup window.",
			cluster: true, backup: "04:00-04:30", maintenance: "thu:04:15-thu:05:00", wantErr: windowsOverlap},
		{reason: "CreateDBCluster validates the format.",
			cluster: true, maintenance: "thu:04:15", wantErr: invalidValue("Invalid maintenance window format: thu:04:15. Should be specified as a range ddd:hh24:mi-ddd:hh24:mi (24H Clock UTC). Example: Sun:23:45-Mon:00:15")},
	}
	for i, tc := range cases {
		id := "w" + strconv.Itoa(i)
		var got windows
		var err error
		if tc.cluster {
			in := clusterInput(id, "aurora-postgresql")
			in.PreferredBackupWindow, in.PreferredMaintenanceWindow = optional(tc.backup), optional(tc.maintenance)
			var out *rds.CreateDBClusterOutput
			if out, err = c.CreateDBCluster(ctx, in); err == nil {
				got = windows{aws.ToString(out.DBCluster.PreferredBackupWindow), aws.ToString(out.DBCluster.PreferredMaintenanceWindow)}
			}
		} else {
			in := createInput(id)
			in.PreferredBackupWindow, in.PreferredMaintenanceWindow = optional(tc.backup), optional(tc.maintenance)
			var out *rds.CreateDBInstanceOutput
			if out, err = c.CreateDBInstance(ctx, in); err == nil {
				got = windows{aws.ToString(out.DBInstance.PreferredBackupWindow), aws.ToString(out.DBInstance.PreferredMaintenanceWindow)}
			}
		}
		if diff := cmp.Diff(tc.wantErr, refusalOf(err)); diff != "" {
			t.Errorf("%s\nerror: -want +got:\n%s", tc.reason, diff)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s\nanswered windows: -want +got:\n%s", tc.reason, diff)
		}
	}
}

// optional is nil for "", the parameter left out.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// defaultWindowPattern is a default maintenance window: 30 minutes starting on the hour or
// the half hour.
var defaultWindowPattern = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([0-9]{2}):(00|30)-(mon|tue|wed|thu|fri|sat|sun):([0-9]{2}):(00|30)$`)

// TestDefaultMaintenanceWindow checks the window RDS gives whatever is made without one:
// 30 minutes from the region's 8-hour block (us-east-1: 03:00-11:00 UTC), clear of the
// backup window, on some day of the week; the emulator's pick is fixed by the identifier.
func TestDefaultMaintenanceWindow(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	createAvailable(t, c, "source", nil)
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("source"), DBSnapshotIdentifier: aws.String("source-snap")}); err != nil {
		t.Fatalf("CreateDBSnapshot: %v", err)
	}
	waitSnapshot(t, c, "source-snap", "available", 5*time.Second)
	if _, err := c.CreateDBCluster(ctx, clusterInput("ledger", "aurora-postgresql")); err != nil {
		t.Fatalf("CreateDBCluster: %v", err)
	}

	instance := func(id, backup string) func() (windows, error) {
		return func() (windows, error) {
			in := createInput(id)
			in.PreferredBackupWindow = optional(backup)
			_, err := c.CreateDBInstance(ctx, in)
			return instanceWindows(c, id, err)
		}
	}
	cases := []struct {
		reason string
		make   func() (windows, error)
		// inBlock: the window must start in us-east-1's block.
		inBlock bool
	}{
		{reason: "A new instance without windows gets the default backup window and a maintenance window from the block.",
			make: instance("shop", ""), inBlock: true},
		{reason: "One with a backup window in the block gets a maintenance window from the block clear of it.",
			make: instance("busy-mornings", "03:00-10:30"), inBlock: true},
		{reason: "One whose backup window covers the whole block gets one outside the block, still clear of it.",
			make: instance("all-morning", "02:00-12:00")},
		{reason: "A read replica gets its own, clear of the backup window it takes from its source.",
			make: func() (windows, error) {
				_, err := c.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String("source-ro"),
					SourceDBInstanceIdentifier: aws.String("source")})
				return instanceWindows(c, "source-ro", err)
			}, inBlock: true},
		{reason: "An instance restored from a snapshot gets one.",
			make: func() (windows, error) {
				_, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("restored"),
					DBSnapshotIdentifier: aws.String("source-snap")})
				return instanceWindows(c, "restored", err)
			}, inBlock: true},
		{reason: "An Aurora DB cluster gets one.",
			make: func() (windows, error) {
				cl := describeCluster(t, c, "ledger")
				return windows{aws.ToString(cl.PreferredBackupWindow), aws.ToString(cl.PreferredMaintenanceWindow)}, nil
			}, inBlock: true},
		{reason: "An instance of an Aurora DB cluster gets one of its own, clear of the cluster's backup window.",
			make: func() (windows, error) {
				_, err := c.CreateDBInstance(ctx, clusterInstanceInput("ledger-1", "ledger", "aurora-postgresql"))
				return instanceWindows(c, "ledger-1", err)
			}, inBlock: true},
	}
	for _, tc := range cases {
		got, err := tc.make()
		if err != nil {
			t.Errorf("%s\n%v", tc.reason, err)
			continue
		}
		m := defaultWindowPattern.FindStringSubmatch(got.Maintenance)
		if m == nil {
			t.Errorf("%s\nmaintenance window %q is not a default one", tc.reason, got.Maintenance)
			continue
		}
		if err := checkWindowsApart(got.Backup, got.Maintenance); err != nil {
			t.Errorf("%s\nwindows %+v: %v", tc.reason, got, err)
		}
		w, _, err := parseMaintenanceWindow(got.Maintenance)
		if err != nil || w.length != 30 {
			t.Errorf("%s\nmaintenance window %q is not 30 minutes (%v)", tc.reason, got.Maintenance, err)
		}
		hour, _ := strconv.Atoi(m[2])
		if inBlock := hour >= 3 && hour < 11; inBlock != tc.inBlock {
			t.Errorf("%s\nmaintenance window %q: in the block 03:00-11:00 is %v, want %v", tc.reason, got.Maintenance, inBlock, tc.inBlock)
		}
	}

	// The pick is the identifier's: the same in another emulator, and spread over the week.
	_, other := start(t, Config{NoEngine: true})
	if _, err := other.CreateDBInstance(ctx, createInput("shop")); err != nil {
		t.Fatalf("CreateDBInstance in another emulator: %v", err)
	}
	want := windows{"03:00-03:30", "thu:08:00-thu:08:30"}
	for name, client := range map[string]*rds.Client{"first": c, "second": other} {
		got, err := instanceWindows(client, "shop", nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the %s emulator's default windows of shop: -want +got:\n%s", name, diff)
		}
	}
	days := map[string]bool{}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		got, err := instance(id, "")()
		if err != nil {
			t.Fatal(err)
		}
		days[got.Maintenance[:3]] = true
	}
	if len(days) < 3 {
		t.Errorf("eight instances' default maintenance windows fall on %d days of the week; RDS spreads them", len(days))
	}
}

// TestDefaultMaintenanceWindowOfRegion checks that the default comes from the emulator's
// region's block: eu-west-1's runs 22:00-06:00 UTC.
func TestDefaultMaintenanceWindowOfRegion(t *testing.T) {
	_, c := start(t, Config{NoEngine: true, Region: "eu-west-1"})
	for _, id := range []string{"a", "b", "c", "d"} {
		_, err := c.CreateDBInstance(context.Background(), createInput(id))
		got, err := instanceWindows(c, id, err)
		if err != nil {
			t.Fatal(err)
		}
		m := defaultWindowPattern.FindStringSubmatch(got.Maintenance)
		if m == nil {
			t.Fatalf("maintenance window %q of %s is not a default one", got.Maintenance, id)
		}
		if hour, _ := strconv.Atoi(m[2]); hour < 22 && hour >= 6 {
			t.Errorf("maintenance window %q of %s is outside eu-west-1's block 22:00-06:00", got.Maintenance, id)
		}
	}
}

// instanceWindows describes an instance's windows once err, the error of the call that
// made it, is nil.
func instanceWindows(c *rds.Client, id string, err error) (windows, error) {
	if err != nil {
		return windows{}, err
	}
	out, err := c.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		return windows{}, err
	}
	in := out.DBInstances[0]
	return windows{aws.ToString(in.PreferredBackupWindow), aws.ToString(in.PreferredMaintenanceWindow)}, nil
}

// windowState is what Describe says of an instance after a modification of its windows.
type windowState struct {
	Status       string
	Windows      windows
	PendingClass string
}

func windowStateOf(in types.DBInstance) windowState {
	s := windowState{Status: aws.ToString(in.DBInstanceStatus),
		Windows: windows{aws.ToString(in.PreferredBackupWindow), aws.ToString(in.PreferredMaintenanceWindow)}}
	if in.PendingModifiedValues != nil {
		s.PendingClass = aws.ToString(in.PendingModifiedValues.DBInstanceClass)
	}
	return s
}

// TestModifyMaintenanceWindow changes the window of an available instance (backup
// 03:00-03:30, maintenance sun:05:00-sun:05:30): it changes in place, at once, without
// ApplyImmediately; RDS refuses either window overlapping the other as it will be.
func TestModifyMaintenanceWindow(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	before := windows{"03:00-03:30", "sun:05:00-sun:05:30"}
	cases := []struct {
		reason  string
		input   rds.ModifyDBInstanceInput
		want    windowState
		wantErr refusal
	}{
		{reason: "A new window applies at once without ApplyImmediately: nothing pending, no modifying.",
			input: rds.ModifyDBInstanceInput{PreferredMaintenanceWindow: aws.String("Tue:06:00-Tue:06:30")},
			want:  windowState{Status: "available", Windows: windows{"03:00-03:30", "tue:06:00-tue:06:30"}}},
		{reason: "With ApplyImmediately it applies the same way, and the instance does not go modifying for it.",
			input: rds.ModifyDBInstanceInput{PreferredMaintenanceWindow: aws.String("tue:06:00-tue:06:30"), ApplyImmediately: aws.Bool(true)},
			want:  windowState{Status: "available", Windows: windows{"03:00-03:30", "tue:06:00-tue:06:30"}}},
		{reason: "Beside a deferred class change, the window applies now and the class waits for the window.",
			input: rds.ModifyDBInstanceInput{PreferredMaintenanceWindow: aws.String("tue:06:00-tue:06:30"), DBInstanceClass: aws.String("db.m7g.large")},
			want:  windowState{Status: "available", Windows: windows{"03:00-03:30", "tue:06:00-tue:06:30"}, PendingClass: "db.m7g.large"}},
		{reason: "A window overlapping the current backup window is refused and changes nothing.",
			input:   rds.ModifyDBInstanceInput{PreferredMaintenanceWindow: aws.String("mon:03:15-mon:03:45")},
			want:    windowState{Status: "available", Windows: before},
			wantErr: windowsOverlap},
		{reason: "A backup window overlapping the current maintenance window is refused (terraform-provider-aws#49828) and changes nothing.",
			input:   rds.ModifyDBInstanceInput{PreferredBackupWindow: aws.String("05:00-06:00")},
			want:    windowState{Status: "available", Windows: before},
			wantErr: windowsOverlap},
		{reason: "The pair is checked as it will be: both moved at once, clear of each other, are taken.",
			input: rds.ModifyDBInstanceInput{PreferredBackupWindow: aws.String("05:00-05:30"), PreferredMaintenanceWindow: aws.String("sun:03:00-sun:03:30")},
			want:  windowState{Status: "available", Windows: windows{"05:00-05:30", "sun:03:00-sun:03:30"}}},
		{reason: "A refused window leaves the rest of the request undone too.",
			input:   rds.ModifyDBInstanceInput{PreferredMaintenanceWindow: aws.String("mon:03:15-mon:03:45"), DeletionProtection: aws.Bool(true)},
			want:    windowState{Status: "available", Windows: before},
			wantErr: windowsOverlap},
		{reason: "A malformed window is refused as at create.",
			input:   rds.ModifyDBInstanceInput{PreferredMaintenanceWindow: aws.String("tue:06:00-tue:06:10")},
			want:    windowState{Status: "available", Windows: before},
			wantErr: invalidValue("The maintenance window must be at least 30 minutes.")},
	}
	for i, tc := range cases {
		id := "m" + strconv.Itoa(i)
		createAvailable(t, c, id, func(in *rds.CreateDBInstanceInput) {
			in.PreferredBackupWindow, in.PreferredMaintenanceWindow = aws.String(before.Backup), aws.String(before.Maintenance)
		})
		tc.input.DBInstanceIdentifier = aws.String(id)
		out, err := c.ModifyDBInstance(ctx, &tc.input)
		if diff := cmp.Diff(tc.wantErr, refusalOf(err)); diff != "" {
			t.Errorf("%s\nerror: -want +got:\n%s", tc.reason, diff)
		}
		if err == nil {
			if diff := cmp.Diff(tc.want, windowStateOf(*out.DBInstance)); diff != "" {
				t.Errorf("%s\nanswered instance: -want +got:\n%s", tc.reason, diff)
			}
		}
		got := describe(t, c, id)
		if diff := cmp.Diff(tc.want, windowStateOf(got)); diff != "" {
			t.Errorf("%s\ndescribed instance: -want +got:\n%s", tc.reason, diff)
		}
		if tc.wantErr != (refusal{}) && aws.ToBool(got.DeletionProtection) {
			t.Errorf("%s\na refused request turned deletion protection on", tc.reason)
		}
	}
}

// TestModifyClusterMaintenanceWindow does the same for an Aurora DB cluster (backup
// 04:00-04:30, maintenance sun:05:00-sun:05:30).
func TestModifyClusterMaintenanceWindow(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	before := windows{"04:00-04:30", "sun:05:00-sun:05:30"}
	cases := []struct {
		reason  string
		input   rds.ModifyDBClusterInput
		want    windows
		wantErr refusal
	}{
		{reason: "A new window applies at once, without ApplyImmediately, reported lowercase.",
			input: rds.ModifyDBClusterInput{PreferredMaintenanceWindow: aws.String("Fri:07:00-Fri:07:30")},
			want:  windows{"04:00-04:30", "fri:07:00-fri:07:30"}},
		{reason: "A window overlapping the cluster's backup window is refused (terraform-provider-aws#14981).",
			input: rds.ModifyDBClusterInput{PreferredMaintenanceWindow: aws.String("fri:04:15-fri:04:45")},
			want:  before, wantErr: windowsOverlap},
		{reason: "So is a backup window overlapping the cluster's maintenance window.",
			input: rds.ModifyDBClusterInput{PreferredBackupWindow: aws.String("05:15-05:45")},
			want:  before, wantErr: windowsOverlap},
	}
	for i, tc := range cases {
		id := "c" + strconv.Itoa(i)
		in := clusterInput(id, "aurora-mysql")
		in.PreferredBackupWindow, in.PreferredMaintenanceWindow = aws.String(before.Backup), aws.String(before.Maintenance)
		if _, err := c.CreateDBCluster(ctx, in); err != nil {
			t.Fatalf("CreateDBCluster %s: %v", id, err)
		}
		waitClusterStatus(t, c, id, "available", 5*time.Second)
		tc.input.DBClusterIdentifier = aws.String(id)
		_, err := c.ModifyDBCluster(ctx, &tc.input)
		if diff := cmp.Diff(tc.wantErr, refusalOf(err)); diff != "" {
			t.Errorf("%s\nerror: -want +got:\n%s", tc.reason, diff)
		}
		cl := describeCluster(t, c, id)
		got := windows{aws.ToString(cl.PreferredBackupWindow), aws.ToString(cl.PreferredMaintenanceWindow)}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s\ndescribed cluster: -want +got:\n%s", tc.reason, diff)
		}
		if status := aws.ToString(cl.Status); status != "available" {
			t.Errorf("%s\ncluster is %s, want available", tc.reason, status)
		}
	}
}

// TestAutoMinorVersionUpgrade checks RDS's default (on) and that the setting, reported by
// Describe, is turned off and on at once by ModifyDBInstance and ModifyDBCluster.
func TestAutoMinorVersionUpgrade(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	if _, err := c.CreateDBCluster(ctx, clusterInput("ledger", "aurora-postgresql")); err != nil {
		t.Fatalf("CreateDBCluster: %v", err)
	}
	waitClusterStatus(t, c, "ledger", "available", 5*time.Second)

	off := aws.Bool(false)
	cases := []struct {
		reason string
		// cluster: the case is about a DB cluster, else a DB instance.
		cluster bool
		// member: the instance belongs to the cluster ledger.
		member bool
		create *bool
		modify *bool
		want   bool
	}{
		{reason: "On by default at create, as on RDS.", want: true},
		{reason: "Off when created off.", create: off},
		{reason: "ModifyDBInstance turns it off at once, without ApplyImmediately.", modify: off},
		{reason: "ModifyDBInstance turns it back on.", create: off, modify: aws.Bool(true), want: true},
		{reason: "An instance of an Aurora DB cluster has its own, on by default.", member: true, want: true},
		{reason: "An instance of an Aurora DB cluster can be created with it off.", member: true, create: off},
		{reason: "A DB cluster has it on by default.", cluster: true, want: true},
		{reason: "A DB cluster can be created with it off.", cluster: true, create: off},
		{reason: "ModifyDBCluster turns it off at once.", cluster: true, modify: off},
	}
	for i, tc := range cases {
		id := "u" + strconv.Itoa(i)
		var got bool
		if tc.cluster {
			in := clusterInput(id, "aurora-mysql")
			in.AutoMinorVersionUpgrade = tc.create
			if _, err := c.CreateDBCluster(ctx, in); err != nil {
				t.Fatalf("%s\nCreateDBCluster: %v", tc.reason, err)
			}
			waitClusterStatus(t, c, id, "available", 5*time.Second)
			if tc.modify != nil {
				if _, err := c.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String(id), AutoMinorVersionUpgrade: tc.modify}); err != nil {
					t.Fatalf("%s\nModifyDBCluster: %v", tc.reason, err)
				}
			}
			got = aws.ToBool(describeCluster(t, c, id).AutoMinorVersionUpgrade)
		} else {
			in := createInput(id)
			if tc.member {
				in = clusterInstanceInput(id, "ledger", "aurora-postgresql")
			}
			in.AutoMinorVersionUpgrade = tc.create
			if _, err := c.CreateDBInstance(ctx, in); err != nil {
				t.Fatalf("%s\nCreateDBInstance: %v", tc.reason, err)
			}
			waitStatus(t, c, id, "available", 5*time.Second)
			if tc.modify != nil {
				out, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), AutoMinorVersionUpgrade: tc.modify})
				if err != nil {
					t.Fatalf("%s\nModifyDBInstance: %v", tc.reason, err)
				}
				if st := windowStateOf(*out.DBInstance); st.Status != "available" || st.PendingClass != "" {
					t.Errorf("%s\nanswered instance %+v: want available with nothing pending", tc.reason, st)
				}
			}
			got = aws.ToBool(describe(t, c, id).AutoMinorVersionUpgrade)
		}
		if got != tc.want {
			t.Errorf("%s\nAutoMinorVersionUpgrade %v, want %v", tc.reason, got, tc.want)
		}
	}
}
