package rds

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// tokenRoleOf is what makes a user of engine log in with an IAM authentication token in
// place of a password: the role rds_iam on RDS and Aurora PostgreSQL, the authentication
// plugin AWSAuthenticationPlugin on RDS MySQL, MariaDB and Aurora MySQL.
func tokenRoleOf(engine string) string {
	switch engine {
	case "postgres", "aurora-postgresql":
		return "rds_iam"
	case "mysql", "mariadb", "aurora-mysql":
		return "AWSAuthenticationPlugin"
	}
	return ""
}

// LoginToken implements cloud.Provider: an IAM authentication token for user at the
// database's endpoint, signed with the operator's own credentials (aws rds
// generate-db-auth-token does the same). It is valid 15 minutes and makes no call; RDS
// checks it at login against the identity's rds-db:connect permission.
func (p *Provider) LoginToken(ctx context.Context, in cloud.Instance, user string) (string, error) {
	op := "make an IAM authentication token for " + user + " at " + in.Identifier
	if p.creds == nil {
		return "", &cloud.Error{Op: op, Kind: cloud.ErrUnsupported, Code: "NoCredentials", Message: "this provider was made without credentials to sign tokens with"}
	}
	if in.Endpoint == "" || in.Port == 0 || in.Region == "" {
		return "", &cloud.Error{Op: op, Kind: cloud.ErrBusy, Code: "NoEndpoint", Message: "the database has no endpoint yet"}
	}
	token, err := auth.BuildAuthToken(ctx, endpointOf(in), in.Region, user, p.creds)
	if err != nil {
		// The signer's errors are about credentials and the endpoint, never the token.
		return "", &cloud.Error{Op: op, Kind: cloud.ErrTransient, Code: "SigningFailed", Message: err.Error()}
	}
	return token, nil
}

// LoginTokenHowTo implements cloud.Provider.
func (p *Provider) LoginTokenHowTo(in cloud.Instance, user string) string {
	howto := fmt.Sprintf("This user logs in with an IAM authentication token as its password, over TLS: "+
		"aws rds generate-db-auth-token --hostname %s --port %d --region %s --username %s "+
		"(or the AWS SDK's BuildAuthToken) makes one, valid 15 minutes, for an identity allowed rds-db:connect on this user.",
		in.Endpoint, in.Port, in.Region, user)
	if tokenRoleOf(in.Engine) == "AWSAuthenticationPlugin" {
		howto += " MySQL clients send it with the cleartext plugin (mysql --enable-cleartext-plugin, Connector/J's AWS JDBC wrapper, go-sql-driver's allowCleartextPasswords=true)."
	}
	return howto
}

func endpointOf(in cloud.Instance) string {
	return net.JoinHostPort(in.Endpoint, strconv.Itoa(int(in.Port)))
}
