package emulator

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// TestNoEngineTag proves that one emulator serves a mixed fleet: an instance tagged with
// NoEngineTag gets an endpoint at NoEnginePort and no server, an untagged one gets a real
// PostgreSQL, and both look alike on the wire (same status words, tags as sent).
func TestNoEngineTag(t *testing.T) {
	if !havePostgres() {
		t.Skip("PostgreSQL server binaries (initdb) are not installed")
	}
	const tagKey, noEnginePort = "emulator/no-engine", 9
	e, c := start(t, Config{DataDir: t.TempDir(), NoEngineTag: tagKey, NoEnginePort: noEnginePort})
	ctx := context.Background()

	tagged := createInput("without-server")
	tagged.Tags = []types.Tag{{Key: aws.String(tagKey), Value: aws.String("")}, {Key: aws.String("team"), Value: aws.String("a")}}
	if _, err := c.CreateDBInstance(ctx, tagged); err != nil {
		t.Fatalf("CreateDBInstance tagged: %v", err)
	}
	if _, err := c.CreateDBInstance(ctx, createInput("with-server")); err != nil {
		t.Fatalf("CreateDBInstance untagged: %v", err)
	}
	for _, id := range []string{"without-server", "with-server"} {
		waitStatus(t, c, id, "available", 60*time.Second)
	}

	cases := map[string]struct {
		reason     string
		id         string
		wantServer bool
		wantTags   []string
	}{
		"Tagged": {
			reason:   "An instance created with the NoEngineTag key runs no server and answers at NoEnginePort; its tags are reported as sent.",
			id:       "without-server",
			wantTags: []string{tagKey + "=", "team=a"},
		},
		"Untagged": {
			reason:     "An instance without the tag gets a real PostgreSQL that the master logs in to.",
			id:         "with-server",
			wantServer: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := describe(t, c, tc.id)
			e.mu.Lock()
			hasServer := e.instances[tc.id].server != nil
			e.mu.Unlock()
			if hasServer != tc.wantServer {
				t.Errorf("%s\nserver running = %t, want %t", tc.reason, hasServer, tc.wantServer)
			}
			port := aws.ToInt32(in.Endpoint.Port)
			if !tc.wantServer && port != noEnginePort {
				t.Errorf("%s\nendpoint port = %d, want %d", tc.reason, port, noEnginePort)
			}
			if tc.wantServer {
				dsn := fmt.Sprintf("postgres://master:%s@%s/postgres?sslmode=require", testPassword,
					net.JoinHostPort(aws.ToString(in.Endpoint.Address), fmt.Sprint(port)))
				conn, err := pgx.Connect(ctx, dsn)
				if err != nil {
					t.Fatalf("%s\nmaster login: %v", tc.reason, err)
				}
				_ = conn.Close(ctx)
			}
			var got []string
			for _, tag := range in.TagList {
				got = append(got, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
			}
			if diff := cmp.Diff(tc.wantTags, got); diff != "" {
				t.Errorf("%s\ntags: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
