package gcp

import (
	"errors"
	"testing"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// TestExportsAreNotOffered: Cloud SQL exports are refused as unsupported, saying so, and
// there are never any to report.
func TestExportsAreNotOffered(t *testing.T) {
	p := &Provider{}
	err := p.StartExport(t.Context(), cloud.ExportRequest{Identifier: "shop-export", Snapshot: "shop-daily", Bucket: "shop"})
	var ce *cloud.Error
	if !errors.Is(err, cloud.ErrUnsupported) || !errors.As(err, &ce) || ce.Message == "" {
		t.Errorf("StartExport = %v, want an ErrUnsupported *cloud.Error saying why", err)
	}
	if got, err := p.Exports(t.Context()); got != nil || err != nil {
		t.Errorf("Exports = %+v, %v; want none", got, err)
	}
}
