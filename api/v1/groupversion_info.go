// Package v1 contains the matrixmind.cloud/v1 API: the RDSDatabase resource that application
// teams apply to get an AWS RDS database, its users, databases, Secrets and a Service.
// +kubebuilder:object:generate=true
// +groupName=matrixmind.cloud
package v1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every type in this package.
	GroupVersion = schema.GroupVersion{Group: "matrixmind.cloud", Version: "v1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
