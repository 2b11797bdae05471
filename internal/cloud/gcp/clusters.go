package gcp

import (
	"context"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// CreateReplica implements cloud.Provider: cloud.ErrUnsupported. Cloud SQL has read
// replicas (instances.insert with masterInstanceName), but the emulator cannot serve one
// yet, and what the operator cannot test against it, it does not offer.
func (p *Provider) CreateReplica(_ context.Context, r cloud.Replica) error {
	return unsupported("create read replica "+r.Identifier+" of "+r.Source, "read replicas are not offered on Cloud SQL by this operator yet")
}
