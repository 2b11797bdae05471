#!/usr/bin/env bash
# tools.sh builds the pinned tools this project needs (kube-apiserver, kube-controller-manager,
# kubectl, etcd, controller-gen, helm) from the Go module proxy into a version-keyed cache
# outside the clone, so a warm run and a fresh clone on the same machine reuse them. It prints
# the directory that holds the binaries on its last line.
#
#   hack/tools.sh            build what is missing, print the bin directory
#   hack/tools.sh --print    print the bin directory without building
set -euo pipefail

KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
CONTROLLER_GEN_VERSION=v0.23.0
HELM_VERSION=v3.22.0

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${AWS_RDS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aws-rds-operator}
bin="$cache/tools/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION-cg-$CONTROLLER_GEN_VERSION-helm-$HELM_VERSION"

if [[ "${1:-}" == "--print" ]]; then echo "$bin"; exit 0; fi

start=$SECONDS
log() { printf '[tools %3ds] %s\n' $((SECONDS - start)) "$*" >&2; }

# build NAME CMD...: runs CMD unless $bin/NAME exists, printing a progress line every
# 15 seconds so a cold build (minutes) never sits silent.
build() {
	local name=$1; shift
	if [[ -x "$bin/$name" ]]; then return 0; fi
	log "building $name (cold machine: a few minutes)"
	"$@" &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if (( (SECONDS - start) % 15 == 0 )); then log "still building $name"; fi
	done
	wait "$pid" || { log "building $name failed"; exit 1; }
	log "built $name"
}

mkdir -p "$bin"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly

minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	kube_ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
	kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

build etcd go build -C "$root/hack/tools/etcd" -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3
build kube-apiserver go build -C "$root/hack/tools/kube" -ldflags "$kube_ldflags" -o "$bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager go build -C "$root/hack/tools/kube" -ldflags "$kube_ldflags" -o "$bin/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
build kubectl go build -C "$root/hack/tools/kube" -ldflags "$kube_ldflags" -o "$bin/kubectl" k8s.io/kubernetes/cmd/kubectl
build controller-gen env GOBIN="$bin" go install "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION"
build helm env GOBIN="$bin" go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"

echo "$bin"
