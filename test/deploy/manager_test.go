package deploy

import (
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// managerShape is what an install must get right about the manager pod, whatever installs it.
type managerShape struct {
	RunAsNonRoot           bool
	ReadOnlyRootFilesystem bool
	NoPrivilegeEscalation  bool
	DroppedCapabilities    []corev1.Capability
	Seccomp                corev1.SeccompProfileType
	Liveness               string // path:port
	Readiness              string
	MetricsPort            int32
	LeaderElect            bool
}

// hardened is the shape every install has; leader election varies.
func hardened(leaderElect bool) managerShape {
	return managerShape{
		RunAsNonRoot: true, ReadOnlyRootFilesystem: true, NoPrivilegeEscalation: true,
		DroppedCapabilities: []corev1.Capability{"ALL"}, Seccomp: corev1.SeccompProfileTypeRuntimeDefault,
		Liveness: "/healthz:8081", Readiness: "/readyz:8081", MetricsPort: 8080, LeaderElect: leaderElect,
	}
}

// shapeOf reads the shape of the manager Deployment's first container.
func shapeOf(dep appsv1.Deployment) managerShape {
	var s managerShape
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) == 0 {
		return s
	}
	c := pod.Containers[0]
	if psc := pod.SecurityContext; psc != nil {
		s.RunAsNonRoot = psc.RunAsNonRoot != nil && *psc.RunAsNonRoot
		if psc.SeccompProfile != nil {
			s.Seccomp = psc.SeccompProfile.Type
		}
	}
	if sc := c.SecurityContext; sc != nil {
		s.ReadOnlyRootFilesystem = sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
		s.NoPrivilegeEscalation = sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
		if sc.Capabilities != nil {
			s.DroppedCapabilities = sc.Capabilities.Drop
		}
	}
	s.Liveness = probeTarget(c, c.LivenessProbe)
	s.Readiness = probeTarget(c, c.ReadinessProbe)
	for _, p := range c.Ports {
		if p.Name == "metrics" {
			s.MetricsPort = p.ContainerPort
		}
	}
	s.LeaderElect = slices.Contains(c.Args, "--leader-elect")
	return s
}

// probeTarget returns path:port of an HTTP probe, resolving a named port.
func probeTarget(c corev1.Container, p *corev1.Probe) string {
	if p == nil || p.HTTPGet == nil {
		return ""
	}
	port := p.HTTPGet.Port.String()
	for _, cp := range c.Ports {
		if cp.Name == port {
			port = strconv.Itoa(int(cp.ContainerPort))
		}
	}
	return p.HTTPGet.Path + ":" + port
}
