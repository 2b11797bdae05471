package jobstandin

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// mount is one of a container's volumeMounts: where the container sees the volume, and the
// directory of this machine that stands in for it.
type mount struct{ path, local string }

// defaultMode is the mode of a Secret's or ConfigMap's files when the volume names none, as
// in Kubernetes.
const defaultMode = 0o644

// volumes makes the directories of pod's volumes that container c mounts, under podDir for
// those of the attempt (secret, configMap, emptyDir), and returns c's mounts. An error says
// why the pod cannot start yet: a claim that does not exist or is being deleted (the
// scheduler's reason), a Secret, ConfigMap or key missing that is not optional (the
// kubelet's MountVolume.SetUp failure).
func (s *StandIn) volumes(ctx context.Context, src *sources, pod corev1.PodSpec, c corev1.Container, podDir string) ([]mount, error) {
	local := map[string]string{}
	for _, v := range pod.Volumes {
		dir := filepath.Join(podDir, "volumes", v.Name)
		var err error
		switch {
		case v.PersistentVolumeClaim != nil:
			dir, err = s.claim(ctx, src.reader, src.namespace, v.PersistentVolumeClaim.ClaimName)
		case v.Secret != nil:
			var data map[string][]byte
			if data, err = src.secretData(ctx, v.Secret.SecretName, v.Secret.Optional); err == nil {
				err = writeFiles(dir, data, v.Secret.Items, v.Secret.DefaultMode, v.Secret.Optional, "Secret "+v.Secret.SecretName)
			}
		case v.ConfigMap != nil:
			var data map[string][]byte
			if data, err = src.configMapData(ctx, v.ConfigMap.Name, v.ConfigMap.Optional); err == nil {
				err = writeFiles(dir, data, v.ConfigMap.Items, v.ConfigMap.DefaultMode, v.ConfigMap.Optional, "ConfigMap "+v.ConfigMap.Name)
			}
		case v.EmptyDir != nil:
			err = os.MkdirAll(dir, 0o777)
		}
		if err != nil {
			return nil, fmt.Errorf("volume %s: %w", v.Name, err)
		}
		local[v.Name] = dir
	}
	var mounts []mount
	for _, m := range c.VolumeMounts {
		dir := local[m.Name]
		if m.SubPath != "" {
			dir = filepath.Join(dir, m.SubPath)
			if err := os.MkdirAll(dir, 0o777); err != nil {
				return nil, err
			}
		}
		mounts = append(mounts, mount{path: path.Clean(m.MountPath), local: dir})
	}
	return mounts, nil
}

// claim returns the directory of claim, making it, once the PersistentVolumeClaim exists
// and is not being deleted; every claim that exists is taken as bound.
func (s *StandIn) claim(ctx context.Context, reader client.Reader, namespace, claim string) (string, error) {
	pvc := &corev1.PersistentVolumeClaim{}
	err := reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: claim}, pvc)
	if apierrors.IsNotFound(err) {
		return "", fmt.Errorf("persistentvolumeclaim %q not found", claim)
	}
	if err != nil {
		return "", err
	}
	if !pvc.DeletionTimestamp.IsZero() {
		return "", fmt.Errorf("persistentvolumeclaim %q is being deleted", claim)
	}
	dir := s.VolumeDir(namespace, claim)
	return dir, os.MkdirAll(dir, 0o777)
}

// writeFiles writes into dir a file per key of data, or per item when items are listed, as
// the kubelet projects a Secret or ConfigMap into a volume. data nil (the object missing,
// optional) leaves dir empty.
func writeFiles(dir string, data map[string][]byte, items []corev1.KeyToPath, mode *int32, optional *bool, what string) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	if data == nil {
		return nil
	}
	if items == nil {
		for k := range data {
			items = append(items, corev1.KeyToPath{Key: k, Path: k})
		}
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if ptr.Deref(optional, false) {
				continue
			}
			return fmt.Errorf("couldn't find key %s in %s", it.Key, what)
		}
		file := filepath.Join(dir, it.Path)
		if err := os.MkdirAll(filepath.Dir(file), 0o777); err != nil {
			return err
		}
		perm := os.FileMode(ptr.Deref(it.Mode, ptr.Deref(mode, defaultMode)))
		if err := os.WriteFile(file, v, perm); err != nil {
			return err
		}
		if err := os.Chmod(file, perm); err != nil { // past the umask
			return err
		}
	}
	return nil
}

// rewrite replaces in s every mount path that stands as a path of its own by its local
// directory: it begins where a word of a command line or a list begins (the start, after a
// space, a quote, =, :, a comma, a redirection...), not inside a path or after a variable
// ("$DIR/dumps", "${DIR}/dumps"), and it ends where its last component ends (the end, a
// slash, a character no file name has here). "/dumps" is rewritten in "/dumps", "/dumps/x"
// and "DIR=/dumps", not in "/dumpster" or "/var/dumps". Longer mount paths are tried
// first, in one pass, so that nothing is rewritten twice.
func rewrite(s string, mounts []mount) string {
	ms := make([]mount, 0, len(mounts))
	for _, m := range mounts {
		if m.path != "/" && m.path != "." {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return s
	}
	sort.SliceStable(ms, func(i, j int) bool { return len(ms[i].path) > len(ms[j].path) })
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && (i == 0 || strings.IndexByte(wordStart, s[i-1]) >= 0) {
			if m, ok := mountAt(s[i:], ms); ok {
				b.WriteString(m.local)
				i += len(m.path) - 1
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountAt returns the mount whose path s begins with, ending at a component boundary.
func mountAt(s string, mounts []mount) (mount, bool) {
	for _, m := range mounts {
		if strings.HasPrefix(s, m.path) && (len(s) == len(m.path) || !inName(s[len(m.path)])) {
			return m, true
		}
	}
	return mount{}, false
}

// wordStart are the characters after which a path begins a word of its own.
const wordStart = " \t\n'\"=:,;([{<>|&`"

// inName reports whether b may be part of a file name as the tests and the operator's
// scripts write them.
func inName(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("._-+~@%", b) >= 0
}
