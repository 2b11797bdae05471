package gcp

import (
	"errors"
	"testing"

	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/gcpemulator"
)

// TestMaintenanceWindowMapping: an RDS-style window maps to the Cloud SQL hour it starts in,
// and is reported back as asked while Cloud SQL keeps that hour; otherwise as Cloud SQL's hour.
func TestMaintenanceWindowMapping(t *testing.T) {
	cases := []struct {
		reason, window string
		day, hour      int64
		bad            bool
	}{
		{"Sunday is Cloud SQL's day 7.", "sun:05:00-sun:05:30", 7, 5, false},
		{"Monday is day 1; hour 0 is an hour.", "Mon:00:15-mon:01:00", 1, 0, false},
		{"Not a window.", "05:00-05:30", 0, 0, true},
		{"Not a day.", "sol:05:00-sol:05:30", 0, 0, true},
	}
	for _, tc := range cases {
		w, err := maintenanceStart(tc.window)
		if (err != nil) != tc.bad || (!tc.bad && (w.Day != tc.day || w.Hour != tc.hour)) {
			t.Errorf("%s\nmaintenanceStart(%q) = %+v, %v", tc.reason, tc.window, w, err)
		}
	}
	if got := maintenanceWindow(&sqladmin.MaintenanceWindow{Day: 7, Hour: 5}, "sun:05:00-sun:05:30"); got != "sun:05:00-sun:05:30" {
		t.Errorf("the window asked is reported as asked: %q", got)
	}
	if got := maintenanceWindow(&sqladmin.MaintenanceWindow{Day: 7, Hour: 23}, "sun:05:00-sun:05:30"); got != "sun:23:00-mon:00:00" {
		t.Errorf("a window moved outside the operator is Cloud SQL's hour, across midnight: %q", got)
	}
	if got := maintenanceWindow(&sqladmin.MaintenanceWindow{Day: 0}, ""); got != "" {
		t.Errorf("any window is none: %q", got)
	}
}

// TestMaintenanceWindowOnCloudSQL: asked at create and changed in place through the emulator,
// the window is reported as asked; minor upgrades cannot be turned off.
func TestMaintenanceWindowOnCloudSQL(t *testing.T) {
	serve(t, gcpemulator.Config{NoEngine: true, Delays: conformanceDelays})
	p := newProvider(t)
	d := desiredPostgres()
	d.SecurityGroupIDs, d.KMSKeyID = nil, ""
	d.MaintenanceWindow = "sun:05:00-sun:05:30"
	if err := p.Create(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	if in := waitAvailable(t, p, d.Identifier); in.MaintenanceWindow != d.MaintenanceWindow || !in.AutoMinorVersionUpgrade {
		t.Fatalf("window %q, minor upgrades %t; want %s, true", in.MaintenanceWindow, in.AutoMinorVersionUpgrade, d.MaintenanceWindow)
	}
	moved := "wed:23:30-thu:00:00"
	if err := p.Update(t.Context(), d.Identifier, cloud.Changes{MaintenanceWindow: &moved}, cloud.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the window moved", func() (bool, string) {
		in := waitAvailable(t, p, d.Identifier)
		return in.MaintenanceWindow == moved, in.MaintenanceWindow
	})
	off := false
	if err := p.Update(t.Context(), d.Identifier, cloud.Changes{AutoMinorVersionUpgrade: &off}, cloud.UpdateOptions{}); !errors.Is(err, cloud.ErrUnsupported) {
		t.Errorf("minor upgrades off: %v, want unsupported", err)
	}
	on := true
	if err := p.Update(t.Context(), d.Identifier, cloud.Changes{IAMAuthentication: &on}, cloud.UpdateOptions{}); !errors.Is(err, cloud.ErrUnsupported) {
		t.Errorf("IAM authentication on: %v, want unsupported", err)
	}
	d.Identifier, d.IAMAuthentication = d.Identifier+"-iam", &on
	if err := p.Create(t.Context(), d); !errors.Is(err, cloud.ErrUnsupported) {
		t.Errorf("create with IAM authentication: %v, want unsupported", err)
	}
}
