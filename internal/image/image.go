// Package image assembles the operator's container image without a container daemon or a
// base image: an OCI image of one layer holding a static binary, the CA bundle and a
// non-root user, written as a tarball that `docker load` and `crane push` accept. That
// tarball is docker-save's format, which keeps the config and layers but not the manifest:
// whoever loads it chooses the media types.
package image

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The user the image runs as: distroless's "nonroot", so manifests written for the
// Dockerfile's image (runAsUser, fsGroup) work with this one too.
const (
	UID      = 65532
	UserName = "nonroot"
)

// Paths inside the image.
const (
	BinaryPath  = "/manager"
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
)

// OCI annotation keys used as image labels.
const (
	LabelSource  = "org.opencontainers.image.source"
	LabelTitle   = "org.opencontainers.image.title"
	LabelVersion = "org.opencontainers.image.version"
)

// Spec says what goes into the image. Binary and CACerts are paths on this machine.
type Spec struct {
	// Binary is a static linux binary; it becomes /manager and the entrypoint.
	Binary string
	// CACerts is a PEM bundle; it becomes /etc/ssl/certs/ca-certificates.crt so the
	// binary can reach AWS over TLS.
	CACerts string
	// OS and Architecture describe Binary; they default to linux and amd64.
	OS, Architecture string
	// Source, Title and Version become the org.opencontainers.image labels.
	Source, Title, Version string
	// Created is the image's creation time. The zero value (1970) keeps the image
	// reproducible: the same inputs give the same digest.
	Created time.Time
}

// Build assembles the image described by spec.
func Build(spec Spec) (v1.Image, error) {
	if spec.OS == "" {
		spec.OS = "linux"
	}
	if spec.Architecture == "" {
		spec.Architecture = "amd64"
	}
	binary, err := os.ReadFile(spec.Binary)
	if err != nil {
		return nil, fmt.Errorf("read binary: %w", err)
	}
	caCerts, err := os.ReadFile(spec.CACerts)
	if err != nil {
		return nil, fmt.Errorf("read CA certificates: %w", err)
	}
	layerTar, err := rootFS(binary, caCerts)
	if err != nil {
		return nil, fmt.Errorf("assemble root file system: %w", err)
	}
	layer, err := tarball.LayerFromOpener(
		func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil },
		tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressionLevel(gzip.BestCompression),
	)
	if err != nil {
		return nil, fmt.Errorf("make layer: %w", err)
	}

	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: spec.Created},
			CreatedBy: "internal/image: " + BinaryPath + ", CA certificates, user " + UserName,
			Comment:   "assembled without a base image",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("append layer: %w", err)
	}

	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS = spec.OS
	cfg.Architecture = spec.Architecture
	cfg.Created = v1.Time{Time: spec.Created}
	cfg.Config = v1.Config{
		Entrypoint: []string{BinaryPath},
		User:       fmt.Sprintf("%d:%d", UID, UID),
		WorkingDir: "/",
		// Go finds the bundle on its own; this also tells anything else where it is.
		Env: []string{"SSL_CERT_FILE=" + CACertsPath},
		Labels: map[string]string{
			LabelSource:  spec.Source,
			LabelTitle:   spec.Title,
			LabelVersion: spec.Version,
		},
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("set config: %w", err)
	}
	return img, nil
}

// Write writes img at path as a docker-save tarball, named tag inside it (what `docker load`
// tags it as).
func Write(path, tag string, img v1.Image) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("image tag %q: %w", tag, err)
	}
	if err := tarball.WriteToFile(path, ref, img); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
