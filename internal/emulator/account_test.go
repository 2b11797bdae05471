package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
)

// TestAccountAPI adds a subnet group and a KMS alias through POST /_emulator/account, and a
// create that named them, refused before, goes through after.
func TestAccountAPI(t *testing.T) {
	e, err := New(Config{NoEngine: true, Delays: fastDelays})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(func() { srv.Close(); _ = e.Close() })
	c := newClient(t, srv.URL)
	ctx := context.Background()

	in := createInput("app-db")
	in.DBSubnetGroupName, in.StorageEncrypted, in.KmsKeyId = aws.String("app-subnets"), aws.Bool(true), aws.String("alias/app")
	if _, err := c.CreateDBInstance(ctx, in); errorCode(err) != codeSubnetGroupNotFound {
		t.Fatalf("before the account holds them: %v, want %s", err, codeSubnetGroupNotFound)
	}

	cases := []struct {
		reason, body string
		wantStatus   int
	}{
		{"A malformed alias is refused, saying why.", `{"kmsAliases":["app"]}`, http.StatusBadRequest},
		{"A malformed key ID is refused.", `{"kmsKeys":["not-a-key"]}`, http.StatusBadRequest},
		{"A well-formed body is added.", `{"subnetGroups":["app-subnets"],"kmsAliases":["alias/app"]}`, http.StatusOK},
	}
	for _, tc := range cases {
		resp, err := http.Post(srv.URL+"/_emulator/account", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%s\nPOST %s: status %d, want %d", tc.reason, tc.body, resp.StatusCode, tc.wantStatus)
		}
	}
	resp, err := http.Get(srv.URL + "/_emulator/account")
	if err != nil {
		t.Fatal(err)
	}
	var got Account
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := Account{SubnetGroups: []string{"default", "app-subnets"}, KMSAliases: []string{"alias/aws/rds", "alias/app"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET account: -want +got:\n%s", diff)
	}
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Errorf("once the account holds them: %v", err)
	}
	if n := len(e.Stats().Log); n != 2 {
		t.Errorf("the account API is not the RDS API: %d calls logged, want the 2 creates", n)
	}
}
