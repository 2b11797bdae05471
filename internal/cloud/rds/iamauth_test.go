package rds

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// TestLoginToken: the token is a presigned rds-db connect for the user at the database's
// endpoint in its region, signed with the operator's credentials; without credentials or an
// endpoint there is no token, and the how-to names the command with this database's values.
func TestLoginToken(t *testing.T) {
	in := cloud.Instance{Identifier: "shop-orders", Endpoint: "orders.abc.us-east-1.rds.amazonaws.com", Port: 5432, Region: "eu-west-1"}
	p := &Provider{creds: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	token, err := p.LoginToken(context.Background(), in, "app")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse("https://" + token)
	if err != nil {
		t.Fatalf("token %q does not parse as a presigned URL: %v", token, err)
	}
	q := u.Query()
	if u.Host != "orders.abc.us-east-1.rds.amazonaws.com:5432" || q.Get("Action") != "connect" || q.Get("DBUser") != "app" ||
		!strings.HasPrefix(q.Get("X-Amz-Credential"), "AKIDEXAMPLE/") || !strings.HasSuffix(q.Get("X-Amz-Credential"), "/eu-west-1/rds-db/aws4_request") ||
		q.Get("X-Amz-Expires") != "900" || q.Get("X-Amz-Signature") == "" {
		t.Errorf("token %q is not an rds-db connect for app at the endpoint in eu-west-1", token)
	}

	if _, err := (&Provider{}).LoginToken(context.Background(), in, "app"); !errors.Is(err, cloud.ErrUnsupported) {
		t.Errorf("without credentials: %v, want unsupported", err)
	}
	if _, err := p.LoginToken(context.Background(), cloud.Instance{Identifier: "new", Region: "eu-west-1"}, "app"); !errors.Is(err, cloud.ErrBusy) {
		t.Errorf("without an endpoint: %v, want busy", err)
	}
	howto := p.LoginTokenHowTo(in, "app")
	want := "aws rds generate-db-auth-token --hostname orders.abc.us-east-1.rds.amazonaws.com --port 5432 --region eu-west-1 --username app"
	if !strings.Contains(howto, want) {
		t.Errorf("how-to %q does not hold %q", howto, want)
	}
}
