package image

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// builtImage is where `make image` writes the real image, seen from this package.
const builtImage = "../../bin/aws-rds-operator-image.tar"

// file is one regular file or directory read back from the layer.
type file struct {
	mode int64
	uid  int
	body string
}

// TestBuild builds an image from a stand-in binary, writes it as a tarball and reads the
// tarball back, so it checks what `docker load` would see, not what Build meant to write.
func TestBuild(t *testing.T) {
	dir := t.TempDir()
	binary := filepath.Join(dir, "manager")
	caCerts := filepath.Join(dir, "ca.crt")
	writeFile(t, binary, "\x7fELF stand-in for the manager")
	writeFile(t, caCerts, "-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n")
	spec := Spec{
		Binary: binary, CACerts: caCerts,
		Source: "https://example.com/operator", Title: "operator", Version: "v1.2.3",
	}

	built, err := Build(spec)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	out := filepath.Join(dir, "image.tar")
	if err := Write(out, "example.com/operator:test", built); err != nil {
		t.Fatalf("Write: %v", err)
	}
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatalf("read back %s: %v", out, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	// A docker-save tarball stores no manifest, so reading it back gives Docker media types
	// whatever was written; the OCI ones are checked on the image Build returned.
	manifest, err := built.Manifest()
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	files := layerFiles(t, img)
	again, err := Build(spec)
	if err != nil {
		t.Fatalf("Build again: %v", err)
	}

	cases := map[string]struct {
		reason string
		want   any
		got    any
	}{
		"Entrypoint": {
			reason: "The container runs the manager and nothing else; there is no shell to wrap it.",
			want:   []string{"/manager"},
			got:    cfg.Config.Entrypoint,
		},
		"User": {
			reason: "The container runs as distroless's nonroot user, never as root.",
			want:   "65532:65532",
			got:    cfg.Config.User,
		},
		"NonRootUserKnown": {
			reason: "/etc/passwd and /etc/group name UID and GID 65532, so tools resolving the user find it.",
			want:   []bool{true, true},
			got: []bool{
				strings.Contains(files["etc/passwd"].body, "\nnonroot:x:65532:65532:"),
				strings.Contains(files["etc/group"].body, "\nnonroot:x:65532:"),
			},
		},
		"NoShell": {
			reason: "No shell or binary directory is in the image: nothing to exec into.",
			want:   []string(nil),
			got:    shells(files),
		},
		"Binary": {
			reason: "/manager is the given binary, executable by everyone, owned by root so the user cannot change it.",
			want:   file{mode: 0o755, body: "\x7fELF stand-in for the manager"},
			got:    files["manager"],
		},
		"CACerts": {
			reason: "The CA bundle is where Go and SSL_CERT_FILE look, so TLS to AWS works.",
			want:   []any{file{mode: 0o644, body: "-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n"}, []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}},
			got:    []any{files["etc/ssl/certs/ca-certificates.crt"], cfg.Config.Env},
		},
		"Labels": {
			reason: "The OCI labels carry the source, title and version.",
			want: map[string]string{
				LabelSource: "https://example.com/operator", LabelTitle: "operator", LabelVersion: "v1.2.3",
			},
			got: cfg.Config.Labels,
		},
		"Platform": {
			reason: "The config names the platform the binary was built for, linux/amd64 by default, and / as working directory.",
			want:   []string{"linux", "amd64", "/"},
			got:    []string{cfg.OS, cfg.Architecture, cfg.Config.WorkingDir},
		},
		"OCIMediaTypes": {
			reason: "Build makes an OCI image: manifest, config and layer have OCI, not Docker v2, media types.",
			want:   []types.MediaType{types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer},
			got:    []types.MediaType{manifest.MediaType, manifest.Config.MediaType, layerMediaType(manifest)},
		},
		"Reproducible": {
			reason: "The same inputs give the same digest, so a rebuild does not make a new image.",
			want:   digest(t, built),
			got:    digest(t, again),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got, cmp.AllowUnexported(file{})); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestBuildMissingInput(t *testing.T) {
	cases := map[string]struct {
		reason string
		spec   Spec
	}{
		"Binary": {
			reason: "A missing binary is an error, not an image without an entrypoint.",
			spec:   Spec{Binary: filepath.Join(t.TempDir(), "absent"), CACerts: os.Args[0]},
		},
		"CACerts": {
			reason: "A missing CA bundle is an error, not an image that cannot reach AWS.",
			spec:   Spec{Binary: os.Args[0], CACerts: filepath.Join(t.TempDir(), "absent")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Build(tc.spec)
			if diff := cmp.Diff(true, errors.Is(err, fs.ErrNotExist)); diff != "" {
				t.Errorf("%s (err %v)\n-want +got:\n%s", tc.reason, err, diff)
			}
		})
	}
}

// TestBuiltImageSize reports the size of the image `make image` built, when there is one.
// It asserts nothing about the size: the figure is for the release note.
func TestBuiltImageSize(t *testing.T) {
	fi, err := os.Stat(builtImage)
	if errors.Is(err, fs.ErrNotExist) {
		t.Logf("%s not built; `make image` builds it", builtImage)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(builtImage, nil)
	if err != nil {
		t.Fatalf("read %s: %v", builtImage, err)
	}
	size, err := SizeOf(img)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s; tarball %.1f MB", builtImage, size, float64(fi.Size())/1e6)
}

// layerFiles returns every entry of the image's layers by path without a leading slash;
// directories have a trailing slash and no body.
func layerFiles(t *testing.T, img v1.Image) map[string]file {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatalf("layers: %v", err)
	}
	files := map[string]file{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatalf("open layer: %v", err)
		}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("read layer: %v", err)
			}
			body, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("read %s: %v", hdr.Name, err)
			}
			files[strings.TrimPrefix(hdr.Name, "/")] = file{mode: hdr.Mode, uid: hdr.Uid, body: string(body)}
		}
		rc.Close()
	}
	return files
}

// shells lists the entries a shell would come from: a known shell's name anywhere, or any
// of the directories that hold them.
func shells(files map[string]file) []string {
	names := map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true, "busybox": true}
	var found []string
	for name := range files {
		dir := strings.SplitN(name, "/", 2)[0]
		if names[path.Base(name)] || dir == "bin" || dir == "sbin" || dir == "usr" {
			found = append(found, name)
		}
	}
	return found
}

func layerMediaType(m *v1.Manifest) types.MediaType {
	if len(m.Layers) != 1 {
		return ""
	}
	return m.Layers[0].MediaType
}

func digest(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	return d.String()
}

func writeFile(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
