package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"time"
)

// entry is one file or directory of the root file system.
type entry struct {
	name string
	mode int64
	uid  int
	dir  bool
	body []byte
}

// rootFS returns the image's only layer as an uncompressed tar: no shell, no package
// manager, nothing but what the static binary needs at run time. Every timestamp is the
// Unix epoch so the same inputs give the same layer digest.
func rootFS(binary, caCerts []byte) ([]byte, error) {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n"+
		"%[2]s:x:%[1]d:%[1]d:%[2]s:/home/%[2]s:/sbin/nologin\n", UID, UserName)
	group := fmt.Sprintf("root:x:0:\n%[2]s:x:%[1]d:\n", UID, UserName)

	entries := []entry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, body: caCerts},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/" + UserName + "/", mode: 0o700, uid: UID, dir: true},
		{name: "manager", mode: 0o755, body: binary},
		// A writable /tmp, as distroless has, for libraries that spill to a temp file.
		{name: "tmp/", mode: 0o1777, dir: true},
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.uid,
			ModTime: time.Unix(0, 0),
			Format:  tar.FormatPAX,
		}
		if e.dir {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar header %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("tar body %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	return buf.Bytes(), nil
}
