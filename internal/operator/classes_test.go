package operator

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
)

// TestClassDefaults: a class's parameters go over the operator's defaults, and the RDS ones
// never reach another cloud.
func TestClassDefaults(t *testing.T) {
	base := controller.DefaultDefaults
	base.KMSKeyID, base.SubnetGroup, base.SecurityGroupIDs = "alias/rds", "private", []string{"sg-0123456789abcdef0"}
	base.Tags = map[string]string{"cost-center": "42"}
	cases := []struct {
		name   string
		reason string
		class  v1.DatabaseClassSpec
		want   func(d *controller.Defaults)
	}{
		{name: "AWSEmpty", reason: "An aws class without parameters is the operator's own settings.",
			class: v1.DatabaseClassSpec{Provider: v1.ProviderAWS}, want: func(*controller.Defaults) {}},
		{name: "AWSParameters", reason: "An aws class's parameters replace the flags' defaults, its instance class Aurora's too; its tags go over the operator's.",
			class: v1.DatabaseClassSpec{Provider: v1.ProviderAWS, AWS: &v1.AWSClassParameters{InstanceClass: "db.r7g.large", StorageType: "io2",
				KMSKeyID: "alias/eu", SubnetGroup: "eu", SecurityGroupIDs: []string{"sg-0fedcba9876543210"}, Tags: map[string]string{"env": "prod"}}},
			want: func(d *controller.Defaults) {
				d.InstanceClass, d.AuroraInstanceClass, d.StorageType, d.KMSKeyID, d.SubnetGroup = "db.r7g.large", "db.r7g.large", "io2", "alias/eu", "eu"
				d.SecurityGroupIDs, d.Tags = []string{"sg-0fedcba9876543210"}, map[string]string{"cost-center": "42", "env": "prod"}
			}},
		{name: "GCP", reason: "A gcp class takes its tier; RDS's storage type, key, subnet and security groups mean nothing on Cloud SQL, which encrypts every disk.",
			class: v1.DatabaseClassSpec{Provider: v1.ProviderGCP, GCP: &v1.GCPClassParameters{Project: "acme-prod", Region: "europe-west1", Tier: "db-custom-1-3840",
				Tags: map[string]string{"env": "prod"}}},
			want: func(d *controller.Defaults) {
				d.InstanceClass, d.StorageType, d.StorageEncrypted, d.KMSKeyID, d.SubnetGroup, d.SecurityGroupIDs = "db-custom-1-3840", "", true, "", "", nil
				d.Tags = map[string]string{"cost-center": "42", "env": "prod"}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			builtin := &cloudtest.Provider{}
			built := map[string]int{}
			c := &classClouds{
				builtin: builtin,
				view:    func(_ string, p cloud.Provider) (cloud.Provider, error) { return p, nil },
				newGCP: func(_ context.Context, project, region string) (cloud.Provider, error) {
					built[project+"/"+region]++
					return &cloudtest.Provider{}, nil
				},
			}
			class := &v1.DatabaseClass{Spec: tc.class}
			p, err := c.For(context.Background(), class, base)
			if err != nil {
				t.Fatalf("%s\nFor: %v", tc.reason, err)
			}
			want := base
			want.SecurityGroupIDs = append([]string(nil), base.SecurityGroupIDs...)
			want.Tags = map[string]string{"cost-center": "42"}
			tc.want(&want)
			if diff := cmp.Diff(want, p.Defaults, cmp.AllowUnexported(controller.Defaults{}, controller.Allowances{})); diff != "" {
				t.Errorf("%s\ndefaults: -want +got:\n%s", tc.reason, diff)
			}
			if base.Tags["env"] != "" {
				t.Errorf("%s\nthe class wrote into the operator's own tags", tc.reason)
			}
			// A second class on the same project and region shares the provider.
			again, err := c.For(context.Background(), class, base)
			if err != nil || again.Cloud != p.Cloud {
				t.Errorf("%s\na second For built another provider (%v)", tc.reason, err)
			}
			for key, n := range built {
				if n != 1 {
					t.Errorf("%s\nprovider %s built %d times, want once", tc.reason, key, n)
				}
			}
		})
	}
}
