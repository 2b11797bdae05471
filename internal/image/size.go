package image

import (
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Size is an image's size in bytes.
type Size struct {
	// Compressed is what a registry stores and a node pulls: manifest, config and
	// compressed layers.
	Compressed int64
	// Uncompressed is what the layers unpack to on a node's disk.
	Uncompressed int64
}

// SizeOf measures img. It reads every layer once to count its unpacked bytes.
func SizeOf(img v1.Image) (Size, error) {
	var s Size
	manifest, err := img.Manifest()
	if err != nil {
		return s, fmt.Errorf("read manifest: %w", err)
	}
	manifestSize, err := img.Size()
	if err != nil {
		return s, fmt.Errorf("manifest size: %w", err)
	}
	s.Compressed = manifestSize + manifest.Config.Size
	for _, l := range manifest.Layers {
		s.Compressed += l.Size
	}
	layers, err := img.Layers()
	if err != nil {
		return s, fmt.Errorf("list layers: %w", err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return s, fmt.Errorf("open layer: %w", err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return s, fmt.Errorf("read layer: %w", err)
		}
		s.Uncompressed += n
	}
	return s, nil
}

// String prints s in MB (10^6 bytes), the unit registries and `docker images` use.
func (s Size) String() string {
	return fmt.Sprintf("%.1f MB compressed, %.1f MB unpacked",
		float64(s.Compressed)/1e6, float64(s.Uncompressed)/1e6)
}
