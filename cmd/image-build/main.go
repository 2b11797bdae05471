// Command image-build assembles the operator's container image from a static manager binary
// without a container daemon or a base image, and writes it as a tarball (`make image`).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/image"
)

func main() {
	var (
		spec   image.Spec
		tag    string
		output string
	)
	flag.StringVar(&spec.Binary, "binary", "bin/linux_amd64/manager", "static linux manager binary to put at /manager")
	flag.StringVar(&spec.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "CA bundle (PEM) from this machine")
	flag.StringVar(&spec.OS, "os", "linux", "OS the binary was built for")
	flag.StringVar(&spec.Architecture, "arch", "amd64", "architecture the binary was built for")
	flag.StringVar(&spec.Source, "source", "https://github.com/matrixmind-cloud/aws-rds-operator", "org.opencontainers.image.source label")
	flag.StringVar(&spec.Title, "title", "aws-rds-operator", "org.opencontainers.image.title label")
	flag.StringVar(&spec.Version, "version", "dev", "org.opencontainers.image.version label")
	flag.StringVar(&tag, "tag", "ghcr.io/matrixmind-cloud/aws-rds-operator:dev", "name the image gets when loaded")
	flag.StringVar(&output, "output", "bin/aws-rds-operator-image.tar", "tarball to write")
	flag.Parse()

	if err := run(spec, tag, output); err != nil {
		fmt.Fprintln(os.Stderr, "image-build:", err)
		os.Exit(1)
	}
}

func run(spec image.Spec, tag, output string) error {
	img, err := image.Build(spec)
	if err != nil {
		return err
	}
	if err := image.Write(output, tag, img); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return fmt.Errorf("image digest: %w", err)
	}
	size, err := image.SizeOf(img)
	if err != nil {
		return err
	}
	fi, err := os.Stat(output)
	if err != nil {
		return fmt.Errorf("stat %s: %w", output, err)
	}
	fmt.Printf("wrote %s (%s, %s)\n", output, tag, digest)
	fmt.Printf("image size: %s; tarball %.1f MB\n", size, float64(fi.Size())/1e6)
	return nil
}
