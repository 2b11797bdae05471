package gcp

import (
	"testing"
)

func TestDatabaseVersion(t *testing.T) {
	cases := []struct {
		reason          string
		engine, version string
		want            string
		wantErr         bool
	}{
		{"A PostgreSQL major is its databaseVersion.", "postgres", "17", "POSTGRES_17", false},
		{"A PostgreSQL minor is Cloud SQL's to choose: 16.4 runs as POSTGRES_16.", "postgres", "16.4", "POSTGRES_16", false},
		{"PostgreSQL 9.6 keeps both numbers, as its major was two.", "postgres", "9.6", "POSTGRES_9_6", false},
		{"MySQL's major is two numbers.", "mysql", "8.0", "MYSQL_8_0", false},
		{"A MySQL patch version is Cloud SQL's to choose.", "mysql", "8.0.40", "MYSQL_8_0", false},
		{"MySQL 8.4.", "mysql", "8.4", "MYSQL_8_4", false},
		{"MySQL 8 alone does not say which major.", "mysql", "8", "", true},
		{"An empty version names nothing.", "postgres", "", "", true},
		{"An Aurora-style version is not a Cloud SQL one.", "mysql", "8.0.mysql_aurora.3.08.0", "", true},
		{"Cloud SQL runs no MariaDB.", "mariadb", "10.11", "", true},
		{"Cloud SQL runs no Aurora.", "aurora-postgresql", "16", "", true},
	}
	for _, tc := range cases {
		got, err := databaseVersion(tc.engine, tc.version)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s\ndatabaseVersion(%q, %q) = %q, %v; want %q, error %t", tc.reason, tc.engine, tc.version, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestEngineVersion(t *testing.T) {
	cases := []struct {
		reason, databaseVersion, engine, version string
	}{
		{"POSTGRES_17 is postgres 17.", "POSTGRES_17", "postgres", "17"},
		{"POSTGRES_9_6 is postgres 9.6.", "POSTGRES_9_6", "postgres", "9.6"},
		{"MYSQL_8_0 is mysql 8.0.", "MYSQL_8_0", "mysql", "8.0"},
		{"MYSQL_8_4 is mysql 8.4.", "MYSQL_8_4", "mysql", "8.4"},
		{"SQL Server is no engine of the operator's.", "SQLSERVER_2022_STANDARD", "", ""},
	}
	for _, tc := range cases {
		engine, version := engineVersion(tc.databaseVersion)
		if engine != tc.engine || version != tc.version {
			t.Errorf("%s\nengineVersion(%q) = %q, %q; want %q, %q", tc.reason, tc.databaseVersion, engine, version, tc.engine, tc.version)
		}
		if tc.engine == "" {
			continue
		}
		if back, err := databaseVersion(engine, version); err != nil || back != tc.databaseVersion {
			t.Errorf("%s\nthe reported version does not map back: databaseVersion(%q, %q) = %q, %v", tc.reason, engine, version, back, err)
		}
	}
}

func TestDataDiskType(t *testing.T) {
	cases := []struct {
		reason, storageType, want string
		wantErr                   bool
	}{
		{"No storage type is Cloud SQL's default, SSD.", "", "PD_SSD", false},
		{"PD_SSD is itself.", "PD_SSD", "PD_SSD", false},
		{"PD_HDD is itself.", "PD_HDD", "PD_HDD", false},
		{"An RDS storage type is no Cloud SQL disk.", "gp3", "", true},
	}
	for _, tc := range cases {
		got, err := dataDiskType(tc.storageType)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s\ndataDiskType(%q) = %q, %v; want %q, error %t", tc.reason, tc.storageType, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestBackupWindow(t *testing.T) {
	cases := []struct {
		reason, startTime, asked, want string
	}{
		{"The window asked for is reported while Cloud SQL starts backups at its start.", "03:00", "03:00-03:30", "03:00-03:30"},
		{"Without a window asked for, Cloud SQL's four hours from the start.", "03:00", "", "03:00-07:00"},
		{"A window that no longer starts at Cloud SQL's time (changed elsewhere) gives way to Cloud SQL's.", "05:00", "03:00-03:30", "05:00-09:00"},
		{"Cloud SQL's four hours wrap at midnight.", "22:30", "", "22:30-02:30"},
		{"No start time, no window.", "", "03:00-03:30", ""},
	}
	for _, tc := range cases {
		if got := backupWindow(tc.startTime, tc.asked); got != tc.want {
			t.Errorf("%s\nbackupWindow(%q, %q) = %q; want %q", tc.reason, tc.startTime, tc.asked, got, tc.want)
		}
	}
	for _, bad := range []string{"3am", "25:00-26:00", "03:00"} {
		if _, err := backupStart(bad); err == nil {
			t.Errorf("backupStart(%q) = nil error; want one: it is not hh:mm-hh:mm", bad)
		}
	}
}

func TestZoneIn(t *testing.T) {
	p := &Provider{}
	cases := []struct {
		reason       string
		region, zone string
		want         bool
	}{
		{"A zone is its region, a dash and a letter.", "europe-west1", "europe-west1-b", true},
		{"A zone of another region.", "europe-west1", "europe-west2-b", false},
		{"An AWS-style zone has no dash before its letter.", "europe-west1", "europe-west1b", false},
		{"Two letters are no zone.", "us-central1", "us-central1-ab", false},
		{"An upper-case letter is no zone.", "us-central1", "us-central1-A", false},
		{"The region itself is no zone.", "us-central1", "us-central1", false},
		{"No region has no zones.", "", "-a", false},
	}
	for _, tc := range cases {
		if got := p.ZoneIn(tc.region, tc.zone); got != tc.want {
			t.Errorf("%s\nZoneIn(%q, %q) = %t; want %t", tc.reason, tc.region, tc.zone, got, tc.want)
		}
	}
}
