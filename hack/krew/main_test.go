package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/google/go-cmp/cmp"
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

// TestReleaseTemplate: the repository's .krew.yaml, filled in as krew-release-bot fills it
// in on a release, says what Manifest says of the same archives.
func TestReleaseTemplate(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "..", ".krew.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const tag = "v1.2.3"
	var archives []Archive
	for _, p := range platforms {
		uri := "https://github.com/matrixmind-cloud/aws-rds-operator/releases/download/" + tag + "/kubectl-rds_" + p.os + "_" + p.arch + ".tar.gz"
		archives = append(archives, Archive{OS: p.os, Arch: p.arch, URI: uri, Data: []byte(uri)})
	}
	sha := func(uri string) string {
		sum := sha256.Sum256([]byte(uri))
		return hex.EncodeToString(sum[:])
	}
	// The bot's function: the URI (itself a template of the tag) and its archive's sha256.
	funcs := template.FuncMap{"addURIAndSha": func(uri, tag string) (string, error) {
		uri = strings.ReplaceAll(uri, "{{ .TagName }}", tag)
		return "uri: " + uri + "\n    sha256: " + sha(uri), nil
	}}
	// The URI argument holds a template action of its own: parse it out first, as the bot does.
	src := strings.ReplaceAll(string(text), `download/{{ .TagName }}/`, `download/`+tag+`/`)
	tmpl, err := template.New(".krew.yaml").Funcs(funcs).Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	var filled bytes.Buffer
	if err := tmpl.Execute(&filled, map[string]string{"TagName": tag}); err != nil {
		t.Fatal(err)
	}
	var got, want Plugin
	if err := yaml.UnmarshalStrict(filled.Bytes(), &got); err != nil {
		t.Fatalf("the filled-in template does not read as a manifest: %v\n%s", err, filled.String())
	}
	b, err := Manifest(tag, archives)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf(".krew.yaml says otherwise than Manifest, -manifest +template:\n%s", diff)
	}
}
