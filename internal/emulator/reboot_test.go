package emulator

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"
)

// TestRebootDBInstance proves through the SDK that RebootDBInstance answers the instance
// rebooting, that it comes back available, and that ForceFailover makes a Multi-AZ
// instance's standby its primary: the zones swap.
func TestRebootDBInstance(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	createAvailable(t, c, "single", nil)
	createAvailable(t, c, "twin", func(in *rds.CreateDBInstanceInput) { in.MultiAZ = aws.Bool(true) })
	cases := []struct {
		reason   string
		id       string
		failover bool
		wantAZs  []string
	}{
		{reason: "A reboot keeps the zone.", id: "single", wantAZs: []string{"us-east-1a", ""}},
		{reason: "A reboot without failover keeps a Multi-AZ instance's zones.", id: "twin", wantAZs: []string{"us-east-1a", "us-east-1b"}},
		{reason: "A reboot with failover swaps them.", id: "twin", failover: true, wantAZs: []string{"us-east-1b", "us-east-1a"}},
	}
	for _, tc := range cases {
		out, err := c.RebootDBInstance(context.Background(), &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(tc.id), ForceFailover: aws.Bool(tc.failover)})
		if err != nil {
			t.Fatalf("%s\nRebootDBInstance: %v", tc.reason, err)
		}
		if got := aws.ToString(out.DBInstance.DBInstanceStatus); got != "rebooting" {
			t.Errorf("%s\nanswered status %s, want rebooting", tc.reason, got)
		}
		waitStatus(t, c, tc.id, "available", fastDelays.Modify*20)
		got := describe(t, c, tc.id)
		if diff := cmp.Diff(tc.wantAZs, []string{aws.ToString(got.AvailabilityZone), aws.ToString(got.SecondaryAvailabilityZone)}); diff != "" {
			t.Errorf("%s\nzones: -want +got:\n%s", tc.reason, diff)
		}
	}
}
