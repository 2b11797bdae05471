package jobstandin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// sources reads the Secrets and ConfigMaps of a pod's namespace, each once per attempt, as
// the kubelet reads them when it starts a container.
type sources struct {
	reader     client.Reader
	namespace  string
	secrets    map[string]*corev1.Secret
	configMaps map[string]*corev1.ConfigMap
}

func newSources(reader client.Reader, namespace string) *sources {
	return &sources{reader: reader, namespace: namespace, secrets: map[string]*corev1.Secret{}, configMaps: map[string]*corev1.ConfigMap{}}
}

// secret returns the Secret name; nil when it does not exist.
func (s *sources) secret(ctx context.Context, name string) (*corev1.Secret, error) {
	if sec, ok := s.secrets[name]; ok {
		return sec, nil
	}
	sec := &corev1.Secret{}
	err := s.reader.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, sec)
	if apierrors.IsNotFound(err) {
		sec = nil
	} else if err != nil {
		return nil, fmt.Errorf("read Secret %s/%s: %w", s.namespace, name, err)
	}
	s.secrets[name] = sec
	return sec, nil
}

// configMap returns the ConfigMap name; nil when it does not exist.
func (s *sources) configMap(ctx context.Context, name string) (*corev1.ConfigMap, error) {
	if cm, ok := s.configMaps[name]; ok {
		return cm, nil
	}
	cm := &corev1.ConfigMap{}
	err := s.reader.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, cm)
	if apierrors.IsNotFound(err) {
		cm = nil
	} else if err != nil {
		return nil, fmt.Errorf("read ConfigMap %s/%s: %w", s.namespace, name, err)
	}
	s.configMaps[name] = cm
	return cm, nil
}

// secretData returns the data of Secret name (empty, not nil, when it has none), nil when
// it is missing and optional, or why the container cannot start (the kubelet's
// CreateContainerConfigError).
func (s *sources) secretData(ctx context.Context, name string, optional *bool) (map[string][]byte, error) {
	sec, err := s.secret(ctx, name)
	switch {
	case err != nil:
		return nil, err
	case sec != nil:
		data := map[string][]byte{}
		maps.Copy(data, sec.Data)
		return data, nil
	case ptr.Deref(optional, false):
		return nil, nil
	}
	return nil, fmt.Errorf("secret %q not found", name)
}

// configMapData is secretData for ConfigMap name, its binaryData beside its data.
func (s *sources) configMapData(ctx context.Context, name string, optional *bool) (map[string][]byte, error) {
	cm, err := s.configMap(ctx, name)
	switch {
	case err != nil:
		return nil, err
	case cm != nil:
		data := map[string][]byte{}
		maps.Copy(data, cm.BinaryData)
		for k, v := range cm.Data {
			data[k] = []byte(v)
		}
		return data, nil
	case ptr.Deref(optional, false):
		return nil, nil
	}
	return nil, fmt.Errorf("configmap %q not found", name)
}

// envVar is one variable of a container's environment.
type envVar struct{ name, value string }

// unsupportedEnv says which of container c's variables the stand-in cannot resolve.
func unsupportedEnv(c corev1.Container) []string {
	var why []string
	for _, e := range c.Env {
		from := e.ValueFrom
		switch {
		case from == nil, from.SecretKeyRef != nil, from.ConfigMapKeyRef != nil:
		case from.FieldRef != nil && fieldRefs[from.FieldRef.FieldPath]:
		default:
			why = append(why, fmt.Sprintf("env %s: only values, secretKeyRef, configMapKeyRef and fieldRef metadata.name and metadata.namespace are supported", e.Name))
		}
	}
	return why
}

// fieldRefs are the fields of the pod a variable may name.
var fieldRefs = map[string]bool{"metadata.name": true, "metadata.namespace": true}

// environment resolves container c's environment as the kubelet does: envFrom's Secrets and
// ConfigMaps first, then env in order, each later variable replacing an earlier one of its
// name, $(VAR) in a literal value expanded against the variables before it. Literal values
// are returned as written, mount paths not yet rewritten. An error says why the container
// cannot start: a Secret, ConfigMap or key missing that is not optional.
func environment(ctx context.Context, src *sources, podName string, c corev1.Container) ([]envVar, error) {
	var env []envVar
	set := func(name, value string) {
		for i := range env {
			if env[i].name == name {
				env[i].value = value
				return
			}
		}
		env = append(env, envVar{name, value})
	}
	for _, from := range c.EnvFrom {
		var data map[string][]byte
		var err error
		switch {
		case from.SecretRef != nil:
			data, err = src.secretData(ctx, from.SecretRef.Name, from.SecretRef.Optional)
		case from.ConfigMapRef != nil:
			data, err = src.configMapData(ctx, from.ConfigMapRef.Name, from.ConfigMapRef.Optional)
		}
		if err != nil {
			return nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(data)) {
			set(from.Prefix+k, string(data[k]))
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, lookupIn(env)))
			continue
		}
		value, ok, err := valueFrom(ctx, src, podName, e.ValueFrom)
		if err != nil {
			return nil, err
		}
		if ok {
			set(e.Name, value)
		}
	}
	return env, nil
}

// valueFrom resolves a variable's source; ok false leaves the variable unset (an optional
// Secret, ConfigMap or key missing).
func valueFrom(ctx context.Context, src *sources, podName string, from *corev1.EnvVarSource) (value string, ok bool, err error) {
	var data map[string][]byte
	var key, kind, name string
	var optional *bool
	switch {
	case from.FieldRef != nil:
		if from.FieldRef.FieldPath == "metadata.namespace" {
			return src.namespace, true, nil
		}
		return podName, true, nil
	case from.SecretKeyRef != nil:
		kind, name, key, optional = "Secret", from.SecretKeyRef.Name, from.SecretKeyRef.Key, from.SecretKeyRef.Optional
		data, err = src.secretData(ctx, name, optional)
	case from.ConfigMapKeyRef != nil:
		kind, name, key, optional = "ConfigMap", from.ConfigMapKeyRef.Name, from.ConfigMapKeyRef.Key, from.ConfigMapKeyRef.Optional
		data, err = src.configMapData(ctx, name, optional)
	}
	if err != nil || data == nil {
		return "", false, err
	}
	v, found := data[key]
	if !found {
		if ptr.Deref(optional, false) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("couldn't find key %s in %s %s/%s", key, kind, src.namespace, name)
	}
	return string(v), true, nil
}

// lookupIn returns a lookup of the variables of env.
func lookupIn(env []envVar) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for _, e := range env {
			if e.name == name {
				return e.value, true
			}
		}
		return "", false
	}
}

// expand replaces the references $(VAR) in s by the value of VAR, as the kubelet expands a
// container's variables, command and arguments: $$ is a literal $ (so $$(VAR) stays
// $(VAR)), and a reference to a variable that is not defined stays as written.
func expand(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch next := s[i+1]; next {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString("$(")
				i++
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
