package controller

import (
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// namespaceTerminating reports whether err is the apiserver refusing to create something in
// a namespace being deleted. The namespace controller deletes the operator's Secrets and
// Service in any order, sometimes before it marks the RDSDatabase deleted; making them again
// cannot work and need not: the deletion of the object, which follows, brings the next pass.
func namespaceTerminating(err error) bool {
	return err != nil && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause)
}
