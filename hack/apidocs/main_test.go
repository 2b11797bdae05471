package main

import (
	"bytes"
	"os"
	"testing"
)

// TestReferenceIsUpToDate fails when docs/api.md is not what the CRD generates: run
// `make manifests` after changing the API types.
func TestReferenceIsUpToDate(t *testing.T) {
	var got bytes.Buffer
	if err := renderFiles(&got, []string{
		"../../config/crd/bases/matrixmind.cloud_rdsdatabases.yaml",
		"../../config/crd/bases/matrixmind.cloud_databaseclasses.yaml",
	}); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Error("docs/api.md is out of date: run make manifests")
	}
	for _, field := range []string{"`spec.size`", "`spec.backup.retention`", "`status.cloud.status`", "`spec.class`", "`spec.gcp.project`"} {
		if !bytes.Contains(want, []byte(field)) {
			t.Errorf("docs/api.md does not document %s", field)
		}
	}
}
