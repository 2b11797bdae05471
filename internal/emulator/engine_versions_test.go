package emulator

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"
)

func TestDescribeEngineVersions(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	cases := map[string]struct {
		reason string
		in     rds.DescribeDBEngineVersionsInput
		want   []string // engine/version, in order
	}{
		"Major": {reason: "A major lists its minors, oldest first.",
			in: rds.DescribeDBEngineVersionsInput{Engine: aws.String("postgres"), EngineVersion: aws.String("18")}, want: []string{"postgres/18.1", "postgres/18.2", "postgres/18.3", "postgres/18.4"}},
		"Exact": {reason: "One version lists itself.",
			in: rds.DescribeDBEngineVersionsInput{Engine: aws.String("mysql"), EngineVersion: aws.String("8.4.3")}, want: []string{"mysql/8.4.3"}},
		"DefaultOnly": {reason: "DefaultOnly lists the version a create without one gets.",
			in: rds.DescribeDBEngineVersionsInput{Engine: aws.String("postgres"), DefaultOnly: aws.Bool(true)}, want: []string{"postgres/17.10"}},
		"Retired": {reason: "A version RDS no longer offers is not listed.",
			in: rds.DescribeDBEngineVersionsInput{Engine: aws.String("postgres"), EngineVersion: aws.String("9.6")}, want: nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := c.DescribeDBEngineVersions(ctx, &tc.in)
			if err != nil {
				t.Fatalf("%s\nDescribeDBEngineVersions: %v", tc.reason, err)
			}
			var got []string
			for _, v := range out.DBEngineVersions {
				got = append(got, aws.ToString(v.Engine)+"/"+aws.ToString(v.EngineVersion))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nversions: -want +got:\n%s", tc.reason, diff)
			}
		})
	}

	// Every listed version can be created, and the pages together hold every version.
	var all []string
	p := rds.NewDescribeDBEngineVersionsPaginator(c, &rds.DescribeDBEngineVersionsInput{MaxRecords: aws.Int32(20)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("DescribeDBEngineVersions page: %v", err)
		}
		for _, v := range page.DBEngineVersions {
			all = append(all, aws.ToString(v.Engine)+"/"+aws.ToString(v.EngineVersion))
			if aws.ToString(v.DBParameterGroupFamily) != aws.ToString(v.Engine)+aws.ToString(v.MajorEngineVersion) {
				t.Errorf("%s %s: parameter group family %s", aws.ToString(v.Engine), aws.ToString(v.EngineVersion), aws.ToString(v.DBParameterGroupFamily))
			}
		}
	}
	if want := len(versionsOf("postgres")) + len(versionsOf("mysql")) + len(versionsOf("mariadb")); len(all) != want {
		t.Errorf("paged listing holds %d versions, want %d", len(all), want)
	}
	for _, engine := range []string{"postgres", "mysql", "mariadb"} {
		for _, v := range versionsOf(engine) {
			if err := checkEngineVersion(engine, v); err != nil {
				t.Errorf("listed %s %s is refused at create: %v", engine, v, err)
			}
		}
	}
}

func TestDescribeOrderableOptions(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	out, err := c.DescribeOrderableDBInstanceOptions(ctx, &rds.DescribeOrderableDBInstanceOptionsInput{
		Engine: aws.String("postgres"), EngineVersion: aws.String("17.10"), DBInstanceClass: aws.String("db.t4g.micro")})
	if err != nil {
		t.Fatalf("DescribeOrderableDBInstanceOptions: %v", err)
	}
	var types []string
	for _, o := range out.OrderableDBInstanceOptions {
		types = append(types, aws.ToString(o.StorageType))
		if aws.ToString(o.LicenseModel) != "postgresql-license" || aws.ToString(o.DBInstanceClass) != "db.t4g.micro" {
			t.Errorf("option %+v: want db.t4g.micro under postgresql-license", o)
		}
	}
	if diff := cmp.Diff(orderableStorageTypes, types); diff != "" {
		t.Errorf("storage types of db.t4g.micro: -want +got:\n%s", diff)
	}
	out, err = c.DescribeOrderableDBInstanceOptions(ctx, &rds.DescribeOrderableDBInstanceOptionsInput{
		Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t4g.micr")})
	if err != nil || len(out.OrderableDBInstanceOptions) != 0 {
		t.Errorf("a class RDS does not offer: %d options, %v; want none", len(out.OrderableDBInstanceOptions), err)
	}
}
