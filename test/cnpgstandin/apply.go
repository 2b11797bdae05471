package cnpgstandin

import (
	"context"
	"fmt"
	"maps"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// applySecret creates a Secret of the Cluster or brings its content back to want.
func (r *reconciler) applySecret(ctx context.Context, c *cnpgv1.Cluster, want *corev1.Secret) error {
	got := &corev1.Secret{}
	err := r.client.Get(ctx, client.ObjectKeyFromObject(want), got)
	if apierrors.IsNotFound(err) {
		return r.client.Create(ctx, want)
	}
	if err != nil {
		return err
	}
	if err := controlledBy(got, c); err != nil {
		return err
	}
	if maps.EqualFunc(got.Data, want.Data, bytesEqual) && containsAll(got.Labels, want.Labels) {
		return nil
	}
	got.Data = want.Data
	got.Labels = merged(got.Labels, want.Labels)
	return r.client.Update(ctx, got)
}

// applyService creates a Service of the Cluster or brings its selector, ports and labels
// back to want, keeping what the apiserver allocated (its cluster IP).
func (r *reconciler) applyService(ctx context.Context, c *cnpgv1.Cluster, want *corev1.Service) error {
	got := &corev1.Service{}
	err := r.client.Get(ctx, client.ObjectKeyFromObject(want), got)
	if apierrors.IsNotFound(err) {
		return r.client.Create(ctx, want)
	}
	if err != nil {
		return err
	}
	if err := controlledBy(got, c); err != nil {
		return err
	}
	if maps.Equal(got.Spec.Selector, want.Spec.Selector) && samePorts(got.Spec.Ports, want.Spec.Ports) &&
		containsAll(got.Labels, want.Labels) && containsAll(got.Annotations, want.Annotations) {
		return nil
	}
	got.Spec.Selector, got.Spec.Ports = want.Spec.Selector, want.Spec.Ports
	got.Labels, got.Annotations = merged(got.Labels, want.Labels), merged(got.Annotations, want.Annotations)
	return r.client.Update(ctx, got)
}

// controlledBy fails unless obj is Cluster c's, as CloudNativePG refuses to take over an
// object it does not own. An earlier Cluster's goes with the garbage collector.
func controlledBy(obj client.Object, c *cnpgv1.Cluster) error {
	if metav1.IsControlledBy(obj, c) {
		return nil
	}
	return fmt.Errorf("refusing to reconcile %s, not owned by the cluster %s (an earlier Cluster's waits for the garbage collector)", obj.GetName(), c.Name)
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// containsAll reports whether every entry of want is in got.
func containsAll(got, want map[string]string) bool {
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			return false
		}
	}
	return true
}

// merged is got with want's entries set.
func merged(got, want map[string]string) map[string]string {
	out := maps.Clone(got)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, want)
	return out
}

// samePorts compares the ports the stand-in sets, whatever the apiserver added.
func samePorts(got, want []corev1.ServicePort) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Port != w.Port || g.Protocol != w.Protocol || g.TargetPort != w.TargetPort {
			return false
		}
	}
	return true
}
