package gcp

import (
	"context"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Cloud SQL sends a server's log to Cloud Logging (the Logging API's entries.list, with
// resource.type cloudsql_database), not through the Admin API; this provider speaks only
// the Admin API, and the Cloud SQL emulator has no Logging API. So it reads no logs yet.

// LogFiles implements cloud.Provider: not offered on Cloud SQL yet.
func (p *Provider) LogFiles(_ context.Context, id string) ([]cloud.LogFile, error) {
	return nil, unsupported("list log files of "+id, "Cloud SQL's logs are in Cloud Logging, which this operator does not read yet")
}

// ReadLog implements cloud.Provider: not offered on Cloud SQL yet.
func (p *Provider) ReadLog(_ context.Context, id, file, _ string, _ int) (cloud.LogPortion, error) {
	return cloud.LogPortion{}, unsupported("read log "+file+" of "+id, "Cloud SQL's logs are in Cloud Logging, which this operator does not read yet")
}

// Feed implements cloud.Provider: none. Cloud SQL's record of changes made in a project is
// its audit log, in Cloud Logging, which this provider does not read (see above); the Admin
// API lists operations one instance at a time. The shared view lists every instance.
func (p *Provider) Feed() cloud.Feed { return nil }
