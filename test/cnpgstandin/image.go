package cnpgstandin

import (
	"strconv"
	"strings"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
)

// DefaultImageName is the image CloudNativePG 1.30 runs when a Cluster names none.
const DefaultImageName = "ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie"

// imageOf returns the image a Cluster runs: spec.imageName, or DefaultImageName.
func imageOf(c *cnpgv1.Cluster) string {
	if c.Spec.ImageName != "" {
		return c.Spec.ImageName
	}
	return DefaultImageName
}

// majorOf returns the PostgreSQL major version an image's tag names by its leading digits
// (17 of postgresql:17, 17.2 and 17.2-standard-bookworm), or 0 when the tag starts with none
// or there is no tag (latest, a digest only).
func majorOf(image string) int {
	ref, _, _ := strings.Cut(image, "@") // a digest names no version
	slash := strings.LastIndex(ref, "/")
	colon := strings.LastIndex(ref, ":")
	if colon <= slash { // no tag; a colon before the last slash is a registry's port
		return 0
	}
	tag := ref[colon+1:]
	end := strings.IndexFunc(tag, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(tag)
	}
	major, err := strconv.Atoi(tag[:end])
	if err != nil {
		return 0
	}
	return major
}
