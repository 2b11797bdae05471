package emulator

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// DefaultCredentials are the AWS access keys the emulator knows when Config.Credentials is
// nil: access key "local" with secret key "local", those of the project's tests, harness
// and local stack.
var DefaultCredentials = map[string]string{"local": "local"}

// Why a token is refused. The front logs the reason; the client only hears that PAM
// authentication failed, as from RDS.
var (
	errTokenMalformed = errors.New("the password is not an IAM authentication token")
	errTokenEndpoint  = errors.New("the token was made for another endpoint")
	errTokenAction    = errors.New("the token is not for Action=connect")
	errTokenUser      = errors.New("the token was made for another database user")
	errTokenRegion    = errors.New("the token was signed for another region")
	errTokenService   = errors.New("the token was not signed for the service rds-db")
	errTokenKey       = errors.New("the token was signed with an access key the emulator does not know")
	errTokenExpired   = errors.New("the token has expired")
	errTokenFuture    = errors.New("the token is dated in the future")
	errTokenSignature = errors.New("the token's signature does not match")
)

// The shape of an RDS IAM authentication token (aws-sdk-go-v2 feature/rds/auth): a URL
// without its scheme, presigned with Signature Version 4 for the service rds-db, valid for
// at most 15 minutes.
const (
	tokenService    = "rds-db"
	tokenAlgorithm  = "AWS4-HMAC-SHA256"
	tokenMaxExpires = 900
	// tokenSkew is how far in the future a token's date may be, for clocks that differ
	// a little: Signature Version 4 allows 5 minutes.
	tokenSkew = 5 * time.Minute
	// emptyPayloadHash is the SHA-256 of nothing, which BuildAuthToken signs.
	emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	amzDateFormat    = "20060102T150405Z"
)

// tokenVerifier checks IAM database authentication tokens as RDS does.
type tokenVerifier struct {
	// region is the emulator's region, which a token must be signed for.
	region string
	// keys are the access keys the emulator knows, access key ID to secret access key.
	keys map[string]string
	// now is the time tokens are checked at.
	now func() time.Time
}

// verify checks token, the password user logged in with at one of endpoints (host:port),
// and returns why it refuses it. It never puts the token or its signature in an error.
func (v tokenVerifier) verify(token, user string, endpoints []string) error {
	// aws-sdk-go-v2 writes host:port?query, aws-sdk-go host:port/?query: the path is
	// empty or "/", which sign alike.
	hostPort, rawQuery, ok := strings.Cut(token, "?")
	hostPort = strings.TrimSuffix(hostPort, "/")
	if !ok || hostPort == "" || strings.Contains(hostPort, "/") {
		return errTokenMalformed
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return errTokenMalformed
	}
	for _, name := range []string{"Action", "DBUser", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if len(q[name]) != 1 || q.Get(name) == "" {
			return fmt.Errorf("%w: no single %s", errTokenMalformed, name)
		}
	}
	if q.Get("X-Amz-Algorithm") != tokenAlgorithm || q.Get("X-Amz-SignedHeaders") != "host" {
		return fmt.Errorf("%w: not signed with %s over the host alone", errTokenMalformed, tokenAlgorithm)
	}
	if !slices.Contains(endpoints, hostPort) {
		return fmt.Errorf("%w: %s, not %s", errTokenEndpoint, hostPort, strings.Join(endpoints, " or "))
	}
	if q.Get("Action") != "connect" {
		return errTokenAction
	}
	if q.Get("DBUser") != user {
		return fmt.Errorf("%w: %q, not %q", errTokenUser, q.Get("DBUser"), user)
	}
	// The credential is <access key>/<yyyymmdd>/<region>/<service>/aws4_request.
	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return fmt.Errorf("%w: X-Amz-Credential", errTokenMalformed)
	}
	key, day, region, service := scope[0], scope[1], scope[2], scope[3]
	if region != v.region {
		return fmt.Errorf("%w: %s, not %s", errTokenRegion, region, v.region)
	}
	if service != tokenService {
		return fmt.Errorf("%w: %s", errTokenService, service)
	}
	secret, known := v.keys[key]
	if !known {
		return fmt.Errorf("%w: %s", errTokenKey, key)
	}
	signed, err := time.Parse(amzDateFormat, q.Get("X-Amz-Date"))
	if err != nil || signed.Format("20060102") != day {
		return fmt.Errorf("%w: X-Amz-Date", errTokenMalformed)
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || expires <= 0 || expires > tokenMaxExpires {
		return fmt.Errorf("%w: X-Amz-Expires must be 1 to %d seconds", errTokenMalformed, tokenMaxExpires)
	}
	now := v.now()
	if signed.After(now.Add(tokenSkew)) {
		return fmt.Errorf("%w: signed at %s", errTokenFuture, signed.Format(time.RFC3339))
	}
	if now.After(signed.Add(time.Duration(expires) * time.Second)) {
		return fmt.Errorf("%w: signed at %s for %d seconds", errTokenExpired, signed.Format(time.RFC3339), expires)
	}
	want, err := tokenSignature(hostPort, q, aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: q.Get("X-Amz-Security-Token")}, region, signed)
	if err != nil {
		return fmt.Errorf("recompute the token's signature: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(q.Get("X-Amz-Signature"))) != 1 {
		return errTokenSignature
	}
	return nil
}

// tokenSignature presigns the token's request again, as BuildAuthToken did, with the
// secret key the emulator knows, and returns the signature. The signer adds the X-Amz-
// parameters it signs itself; the others (Action, DBUser, X-Amz-Expires) are the token's.
func tokenSignature(hostPort string, q url.Values, creds aws.Credentials, region string, signed time.Time) (string, error) {
	unsigned := url.Values{}
	for name, values := range q {
		switch name {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token":
		default:
			unsigned[name] = values
		}
	}
	req, err := http.NewRequest(http.MethodGet, "https://"+hostPort+"?"+unsigned.Encode(), nil)
	if err != nil {
		return "", err
	}
	presigned, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, emptyPayloadHash, tokenService, region, signed)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(presigned)
	if err != nil {
		return "", err
	}
	return u.Query().Get("X-Amz-Signature"), nil
}
