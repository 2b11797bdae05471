package gcp

import (
	"context"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// noIAMAuthentication says why the operator refuses token logins on Cloud SQL: its IAM
// database authentication (the cloudsql.iam_authentication flag and users of type
// CLOUD_IAM_USER named after Google accounts) works unlike RDS's, and is not built yet.
const noIAMAuthentication = "Cloud SQL's IAM database authentication (IAM principals as database users) is not offered by this operator yet: remove iamAuthentication and the role iam"

// LoginToken implements cloud.Provider: the operator makes no Cloud SQL login tokens.
func (p *Provider) LoginToken(_ context.Context, in cloud.Instance, user string) (string, error) {
	return "", unsupported("make a login token for "+user+" at "+in.Identifier, noIAMAuthentication)
}

// LoginTokenHowTo implements cloud.Provider: there is none to tell.
func (p *Provider) LoginTokenHowTo(cloud.Instance, string) string { return "" }
