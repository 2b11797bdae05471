package emulator

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

// buildToken makes a token as an application does, with aws-sdk-go-v2's BuildAuthToken.
func buildToken(t *testing.T, endpoint, region, user, key, secret, session string) string {
	t.Helper()
	token, err := auth.BuildAuthToken(context.Background(), endpoint, region, user, credentials.NewStaticCredentialsProvider(key, secret, session))
	if err != nil {
		t.Fatalf("BuildAuthToken: %v", err)
	}
	return token
}

func TestTokenVerifier(t *testing.T) {
	good := buildToken(t, "localhost:5432", "us-east-1", "app", "local", "local", "")
	cases := map[string]struct {
		reason    string
		token     string
		user      string
		endpoints []string
		clock     time.Duration // how far the verifier's clock is ahead of the token's maker
		want      error
	}{
		"Valid": {
			reason: "A token made with a known key for this endpoint, user and region is accepted.",
			token:  good, user: "app", endpoints: []string{"localhost:5432"},
		},
		"SDKv1Form": {
			reason: "aws-sdk-go (v1) writes host:port/?query, which is the same token.",
			token:  strings.Replace(good, "?", "/?", 1), user: "app", endpoints: []string{"localhost:5432"},
		},
		"WrongAction": {
			reason: "A token for another action is refused.",
			token:  strings.Replace(good, "Action=connect", "Action=admin", 1), user: "app",
			endpoints: []string{"localhost:5432"}, want: errTokenAction,
		},
		"ReaderEndpoint": {
			reason: "A cluster's reader endpoint is one of its endpoints.",
			token:  buildToken(t, "127.0.0.1:5432", "us-east-1", "app", "local", "local", ""), user: "app",
			endpoints: []string{"localhost:5432", "127.0.0.1:5432"},
		},
		"SessionToken": {
			reason: "Temporary credentials sign the session token in, which the emulator takes as it comes.",
			token:  buildToken(t, "localhost:5432", "us-east-1", "app", "local", "local", "session-token"), user: "app",
			endpoints: []string{"localhost:5432"},
		},
		"NearlyExpired": {
			reason: "A token is good for its 15 minutes.",
			token:  good, user: "app", endpoints: []string{"localhost:5432"}, clock: 14 * time.Minute,
		},
		"WrongHost": {
			reason: "A token made for another endpoint is refused.",
			token:  good, user: "app", endpoints: []string{"localhost:5433"}, want: errTokenEndpoint,
		},
		"Expired": {
			reason: "A token older than its X-Amz-Expires is refused.",
			token:  good, user: "app", endpoints: []string{"localhost:5432"}, clock: 16 * time.Minute, want: errTokenExpired,
		},
		"Future": {
			reason: "A token dated well after now is refused.",
			token:  good, user: "app", endpoints: []string{"localhost:5432"}, clock: -time.Hour, want: errTokenFuture,
		},
		"WrongUser": {
			reason: "A token made for another database user is refused.",
			token:  good, user: "admin", endpoints: []string{"localhost:5432"}, want: errTokenUser,
		},
		"WrongRegion": {
			reason: "A token signed for another region is refused.",
			token:  buildToken(t, "localhost:5432", "eu-west-1", "app", "local", "local", ""), user: "app",
			endpoints: []string{"localhost:5432"}, want: errTokenRegion,
		},
		"UnknownKey": {
			reason: "A token signed with an access key the emulator does not know is refused.",
			token:  buildToken(t, "localhost:5432", "us-east-1", "app", "AKIDOTHER", "local", ""), user: "app",
			endpoints: []string{"localhost:5432"}, want: errTokenKey,
		},
		"WrongSecret": {
			reason: "A token signed with the wrong secret key is refused.",
			token:  buildToken(t, "localhost:5432", "us-east-1", "app", "local", "not-the-secret", ""), user: "app",
			endpoints: []string{"localhost:5432"}, want: errTokenSignature,
		},
		"Tampered": {
			reason: "A token whose user was changed after signing is refused.",
			token:  strings.Replace(good, "DBUser=app", "DBUser=adm", 1), user: "adm",
			endpoints: []string{"localhost:5432"}, want: errTokenSignature,
		},
		"LongerExpiry": {
			reason: "RDS's tokens live 15 minutes at most.",
			token:  strings.Replace(good, "X-Amz-Expires=900", "X-Amz-Expires=3600", 1), user: "app",
			endpoints: []string{"localhost:5432"}, want: errTokenMalformed,
		},
		"NotAToken": {
			reason: "A password is not a token.",
			token:  "Passw0rd-of-app", user: "app", endpoints: []string{"localhost:5432"}, want: errTokenMalformed,
		},
		"NoSignature": {
			reason: "A token without its signature is refused.",
			token:  good[:strings.Index(good, "&X-Amz-Signature=")], user: "app", endpoints: []string{"localhost:5432"}, want: errTokenMalformed,
		},
		"BadEscape": {
			reason: "A token whose query does not parse is refused.",
			token:  "localhost:5432/?Action=%zz", user: "app", endpoints: []string{"localhost:5432"}, want: errTokenMalformed,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := tokenVerifier{region: "us-east-1", keys: DefaultCredentials, now: func() time.Time { return time.Now().Add(tc.clock) }}
			err := v.verify(tc.token, tc.user, tc.endpoints)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("%s\nverify: %v, want %v", tc.reason, err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "X-Amz-Signature=") {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}
