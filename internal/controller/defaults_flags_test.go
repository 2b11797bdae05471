package controller

import (
	"flag"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultsFlags(t *testing.T) {
	d := DefaultDefaults
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	d.BindFlags(fs)
	err := fs.Parse([]string{
		"--default-mysql-version=8.4", "--default-mariadb-version=11.4", "--default-storage-encrypted=false", "--default-kms-key-id=alias/rds",
		"--default-subnet-group=private", "--default-security-group-ids=sg-0a1b2c3d, sg-0123456789abcdef0",
		"--default-tags=team=platform,cost-center=42",
	})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := DefaultDefaults
	want.MySQLVersion, want.MariaDBVersion, want.StorageEncrypted, want.KMSKeyID, want.SubnetGroup = "8.4", "11.4", false, "alias/rds", "private"
	want.SecurityGroupIDs = []string{"sg-0a1b2c3d", "sg-0123456789abcdef0"}
	want.Tags = map[string]string{"team": "platform", "cost-center": "42"}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("defaults: -want +got:\n%s", diff)
	}

	for _, bad := range [][]string{
		{"--default-security-group-ids=default"},
		{"--default-tags=novalue"},
		{"--default-tags=aws:name=x"},
		{"--default-tags=matrixmind.cloud/owner=x"},
	} {
		fs := flag.NewFlagSet("manager", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		d := DefaultDefaults
		d.BindFlags(fs)
		if err := fs.Parse(bad); err == nil {
			t.Errorf("Parse(%v) accepted it; want an error", bad)
		}
	}
}
