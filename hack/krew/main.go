// Command krew packages the kubectl plugin kubectl-rds for krew: one tar.gz archive per
// platform (the binary, built with the go tool, and kubectl_complete-rds) and the krew
// plugin manifest rds.yaml naming each archive with its sha256, for
//
//	kubectl krew install --manifest=dist/rds.yaml --archive=dist/kubectl-rds_linux_amd64.tar.gz
//
// or, with -base-url, for a release whose archives are served there. The operator's image
// does not carry the plugin.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/rdsctl"
)

// platforms are the platforms archives are built for.
var platforms = []struct{ os, arch string }{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

func main() {
	out := flag.String("out", "dist", "Directory the archives and rds.yaml are written to.")
	version := flag.String("version", "v0.0.0-dev", "The plugin's version, as krew wants it (vMAJOR.MINOR.PATCH).")
	baseURL := flag.String("base-url", "", "Where the archives are served; empty names them by file:// path.")
	flag.Parse()
	if err := run(*out, *version, *baseURL); err != nil {
		fmt.Fprintln(os.Stderr, "krew:", err)
		os.Exit(1)
	}
}

func run(out, version, baseURL string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var archives []Archive
	for _, p := range platforms {
		bin := filepath.Join(out, p.os+"_"+p.arch, "kubectl-rds")
		build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/kubectl-rds")
		build.Env = append(os.Environ(), "GOOS="+p.os, "GOARCH="+p.arch, "CGO_ENABLED=0")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build for %s/%s: %w", p.os, p.arch, err)
		}
		binary, err := os.ReadFile(bin)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("kubectl-rds_%s_%s.tar.gz", p.os, p.arch)
		data, err := Pack(binary)
		if err != nil {
			return err
		}
		path := filepath.Join(out, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		uri := strings.TrimSuffix(baseURL, "/") + "/" + name
		if baseURL == "" {
			abs, err := filepath.Abs(path)
			if err != nil {
				return err
			}
			uri = "file://" + abs
		}
		archives = append(archives, Archive{OS: p.os, Arch: p.arch, URI: uri, Data: data})
		if err := os.RemoveAll(filepath.Dir(bin)); err != nil {
			return err
		}
	}
	manifest, err := Manifest(version, archives)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "rds.yaml"), manifest, 0o644)
}

// Archive is one platform's archive.
type Archive struct {
	OS, Arch, URI string
	Data          []byte
}

// Pack makes the archive of binary: kubectl-rds and kubectl_complete-rds, executable.
func Pack(binary []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	// A fixed time makes the same binary the same archive, and so the same sha256.
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range []struct {
		name string
		data []byte
	}{{"kubectl-rds", binary}, {"kubectl_complete-rds", []byte(rdsctl.CompletionScript)}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o755, Size: int64(len(f.data)), ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := io.Copy(tw, bytes.NewReader(f.data)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Plugin is krew's plugin manifest (krew.googlecontainertools.github.com/v1alpha2).
type Plugin struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   Metadata   `json:"metadata"`
	Spec       PluginSpec `json:"spec"`
}

// Metadata names the plugin.
type Metadata struct {
	Name string `json:"name"`
}

// PluginSpec is what krew installs.
type PluginSpec struct {
	Version          string     `json:"version"`
	Homepage         string     `json:"homepage"`
	ShortDescription string     `json:"shortDescription"`
	Description      string     `json:"description"`
	Platforms        []Platform `json:"platforms"`
}

// Platform is one platform's archive.
type Platform struct {
	Selector Selector `json:"selector"`
	URI      string   `json:"uri"`
	Sha256   string   `json:"sha256"`
	Bin      string   `json:"bin"`
	Files    []FileOp `json:"files"`
}

// Selector picks a platform by os and arch.
type Selector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

// FileOp copies files out of the archive.
type FileOp struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Manifest is the krew manifest of archives.
func Manifest(version string, archives []Archive) ([]byte, error) {
	p := Plugin{APIVersion: "krew.googlecontainertools.github.com/v1alpha2", Kind: "Plugin", Metadata: Metadata{Name: "rds"},
		Spec: PluginSpec{
			Version:          version,
			Homepage:         "https://github.com/matrixmind-cloud/aws-rds-operator",
			ShortDescription: "Day-to-day commands for RDSDatabase objects",
			Description: "Shows an RDSDatabase on one screen (status), runs psql or mysql with a user's Secret,\n" +
				"rotates passwords, lists and restores backups, and prints the database server's log,\n" +
				"with the rights of your kubeconfig and no cloud credentials. Needs the aws-rds-operator.\n",
		}}
	for _, a := range archives {
		sum := sha256.Sum256(a.Data)
		p.Spec.Platforms = append(p.Spec.Platforms, Platform{
			Selector: Selector{MatchLabels: map[string]string{"os": a.OS, "arch": a.Arch}},
			URI:      a.URI, Sha256: hex.EncodeToString(sum[:]), Bin: "kubectl-rds",
			Files: []FileOp{{From: "kubectl-rds", To: "."}, {From: "kubectl_complete-rds", To: "."}},
		})
	}
	return yaml.Marshal(p)
}
