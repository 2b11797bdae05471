package gcp

import (
	"context"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Cloud SQL exports an instance's data to Cloud Storage with instances.export (SQL or CSV
// files, not Parquet, and from the live instance rather than from a backup). The operator
// does not offer it yet: the Cloud SQL emulator does not serve it, and a provider that
// claimed exports it never ran would be worse than one that says so.

// StartExport implements cloud.Provider: Cloud SQL exports are not offered yet, and asking
// again never helps.
func (p *Provider) StartExport(_ context.Context, r cloud.ExportRequest) error {
	return unsupported("start export "+r.Identifier+" of snapshot "+r.Snapshot,
		"Cloud SQL exports (instances.export to Cloud Storage) are not offered by this operator yet: remove spec.backup.export")
}

// Exports implements cloud.Provider: since StartExport starts none, there are none to
// report.
func (p *Provider) Exports(context.Context) ([]cloud.Export, error) {
	return nil, nil
}
