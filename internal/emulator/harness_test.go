package emulator

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
)

// fastDelays keep tests quick while every status is still observable.
var fastDelays = Delays{Create: 150 * time.Millisecond, BackingUp: 150 * time.Millisecond, Modify: 150 * time.Millisecond, Delete: 150 * time.Millisecond}

const testPassword = "Passw0rd-for-tests"

// start runs an emulator behind an httptest server and returns it with a real SDK
// client pointed at it. The client is built by LoadDefaultConfig, so AWS_CA_BUNDLE in the
// environment is honoured as it is for real users.
// testAccount is what the tests' requests name besides the default account: their subnet
// group and KMS keys.
var testAccount = Account{
	SubnetGroups: []string{"private"},
	KMSKeys:      []string{"1234abcd-12ab-34cd-56ef-1234567890ab"},
	KMSAliases:   []string{"alias/shop", "alias/rds-data", "alias/orders", "alias/other", "alias/x"},
}

func start(t *testing.T, cfg Config, clientOpts ...func(*rds.Options)) (*Emulator, *rds.Client) {
	t.Helper()
	if cfg.Delays == (Delays{}) {
		cfg.Delays = fastDelays
	}
	if cfg.DataDir == "" && !cfg.NoEngine {
		cfg.DataDir = t.TempDir()
	}
	cfg.Account.add(testAccount)
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		srv.Close()
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e, newClient(t, srv.URL, clientOpts...)
}

func newClient(t *testing.T, url string, opts ...func(*rds.Options)) *rds.Client {
	t.Helper()
	awsCfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDEMULATOR", "secret", "")),
	)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return rds.NewFromConfig(awsCfg, append([]func(*rds.Options){func(o *rds.Options) { o.BaseEndpoint = aws.String(url) }}, opts...)...)
}

// createInput is a valid CreateDBInstance request for id.
func createInput(id string) *rds.CreateDBInstanceInput {
	return &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id),
		DBInstanceClass:      aws.String("db.t4g.micro"),
		Engine:               aws.String("postgres"),
		EngineVersion:        aws.String("17"),
		AllocatedStorage:     aws.Int32(20),
		MasterUsername:       aws.String("master"),
		MasterUserPassword:   aws.String(testPassword),
	}
}

// describe returns one instance, failing the test when it cannot.
func describe(t *testing.T, c *rds.Client, id string) types.DBInstance {
	t.Helper()
	out, err := c.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeDBInstances %s: %v", id, err)
	}
	if len(out.DBInstances) != 1 {
		t.Fatalf("DescribeDBInstances %s: got %d instances", id, len(out.DBInstances))
	}
	return out.DBInstances[0]
}

// waitStatus polls until the instance has the status and returns the statuses seen.
func waitStatus(t *testing.T, c *rds.Client, id, want string, timeout time.Duration) []string {
	t.Helper()
	var seen []string
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		got := aws.ToString(describe(t, c, id).DBInstanceStatus)
		if len(seen) == 0 || seen[len(seen)-1] != got {
			seen = append(seen, got)
		}
		if got == want {
			return seen
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("instance %s not %s after %v; seen %v", id, want, timeout, seen)
	return nil
}

// waitGone polls until the instance is not found.
func waitGone(t *testing.T, c *rds.Client, id string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		_, err := c.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		var nf *types.DBInstanceNotFoundFault
		if errors.As(err, &nf) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("instance %s still there after %v", id, timeout)
}

// errorCode returns the API error code of err, "" for nil.
func errorCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "not an API error: " + err.Error()
}
