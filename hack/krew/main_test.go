package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestManifest: the manifest krew reads names each platform's archive with the archive's
// own sha256, and the archive holds the plugin and its completion script, executable.
func TestManifest(t *testing.T) {
	archive, err := Pack([]byte("a binary"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := Pack([]byte("a binary"))
	if err != nil || !bytes.Equal(archive, again) {
		t.Errorf("the same binary packs to another archive: %v", err)
	}
	b, err := Manifest("v0.1.0", []Archive{{OS: "linux", Arch: "amd64", URI: "https://example.com/kubectl-rds_linux_amd64.tar.gz", Data: archive}})
	if err != nil {
		t.Fatal(err)
	}
	var p Plugin
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		t.Fatalf("the manifest does not read back: %v\n%s", err, b)
	}
	sum := sha256.Sum256(archive)
	if p.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || p.Kind != "Plugin" || p.Metadata.Name != "rds" || p.Spec.Version != "v0.1.0" ||
		len(p.Spec.Platforms) != 1 || p.Spec.Platforms[0].Sha256 != hex.EncodeToString(sum[:]) || p.Spec.Platforms[0].Bin != "kubectl-rds" ||
		p.Spec.Platforms[0].Selector.MatchLabels["os"] != "linux" || p.Spec.Platforms[0].Selector.MatchLabels["arch"] != "amd64" {
		t.Errorf("manifest:\n%s", b)
	}
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = h.Mode
	}
	for _, f := range p.Spec.Platforms[0].Files {
		if mode, ok := files[f.From]; !ok || mode&0o111 == 0 {
			t.Errorf("the archive has no executable %s (files %v)", f.From, files)
		}
	}
}
