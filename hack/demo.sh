#!/usr/bin/env bash
# demo.sh is the guided tour for a new user on a fresh machine (make demo): it builds the
# tools, installs PostgreSQL, brings up the local stack, creates the sample RDSDatabase, waits
# for it to be Ready, logs in to the database as every user with the password from that
# user's Secret, and shows the Service. The stack is stopped on exit, whatever happened.
# Exits non-zero if any step or login failed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
name=orders
namespace=default
start=$SECONDS

step() { printf '\n=== [%ds] %s\n' $((SECONDS - start)) "$*"; }
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

step "Build the pinned tools and install system packages (make tools deps)"
make --no-print-directory tools deps

step "Start the local stack: control plane, RDS emulator, operator (make local-up)"
trap 'step "Stop the local stack (make local-down)"; make --no-print-directory local-down' EXIT
make --no-print-directory local-up
# shellcheck source=/dev/null
source .local/env
echo "kubectl: $(command -v kubectl)"

step "Create the sample database (kubectl apply -f config/samples/)"
kubectl apply -f config/samples/
applied=$SECONDS
kubectl get rdsdatabases -n "$namespace"

step "The Secrets exist at once, before the database does"
users=$(kubectl get rdsdatabase "$name" -n "$namespace" -o go-template='{{range $u, $_ := .spec.users}}{{$u}} {{end}}')
secrets=("$name.rds.master")
for u in $users; do secrets+=("$name.rds.${u//_/-}"); done
for s in "${secrets[@]}"; do
	found=
	for _ in $(seq 20); do # the operator writes them within its first reconcile
		if kubectl get secret "$s" -n "$namespace" >/dev/null 2>&1; then found=1; break; fi
		sleep 0.5
	done
	if [[ -n "$found" ]]; then echo "secret/$s: exists"; else fail "secret/$s does not exist"; fi
done

step "Wait for Ready (kubectl wait --for=condition=Ready rdsdatabase/$name --timeout=300s)"
kubectl wait --for=condition=Ready "rdsdatabase/$name" -n "$namespace" --timeout=300s &
wait_pid=$!
while kill -0 "$wait_pid" 2>/dev/null; do
	kubectl get rdsdatabases -n "$namespace" --no-headers 2>/dev/null | sed "s/^/[$((SECONDS - applied))s] /" || true
	for _ in 1 2 3 4 5; do kill -0 "$wait_pid" 2>/dev/null && sleep 1; done
done
if wait "$wait_pid"; then
	ready_after=$((SECONDS - applied))
	kubectl get rdsdatabases -n "$namespace"
else
	fail "rdsdatabase/$name not Ready within 300s"
	kubectl get rdsdatabase "$name" -n "$namespace" -o yaml | sed -n '/^status:/,$p' || true
	echo "manager log: $root/.local/manager.log, emulator log: $root/.local/rds-emulator.log" >&2
	exit 1
fi

step "Log in as every user with the uri from its Secret (psql)"
psql=$(compgen -G "/usr/lib/postgresql/*/bin/psql" | sort -V | tail -n 1 || true)
psql=${psql:-$(command -v psql || true)}
[[ -n "$psql" ]] || { fail "psql not found (make deps installs it)"; exit 1; }
mapfile -t labelled < <(kubectl get secrets -n "$namespace" -l "matrixmind.cloud/rdsdatabase=$name" -o name)
((${#labelled[@]} > 0)) || fail "no Secret labelled matrixmind.cloud/rdsdatabase=$name"
for s in "${labelled[@]}"; do
	uri=$(kubectl get "$s" -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}' 2>/dev/null || true)
	if [[ -z "$uri" ]]; then fail "$s has no uri key"; continue; fi
	if out=$("$psql" "$uri" -Atc "select current_user, current_database()" 2>&1); then
		echo "OK   $s: $out"
	else
		fail "$s: $out"
		echo "FAIL $s"
	fi
done

step "A user not listed on a database cannot connect to it (reporting -> audit)"
uri=$(kubectl get secret "$name.rds.reporting" -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}')
if out=$("$psql" "${uri/\/orders?//audit?}" -Atc "select 1" 2>&1); then
	fail "reporting connected to audit"
else
	echo "refused, as it should be: ${out##*FATAL:  }"
fi

step "The Service for applications (kubectl get svc $name-rds -o wide)"
kubectl get svc "$name-rds" -n "$namespace" -o wide || fail "service/$name-rds missing"

step "What the operator did (kubectl get events)"
kubectl get events -n "$namespace" --field-selector "involvedObject.name=$name" --sort-by=.metadata.creationTimestamp \
	-o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message

step "Day 2: grow the size to 30GB and add a user analyst on orders (kubectl patch)"
kubectl patch rdsdatabase "$name" -n "$namespace" --type merge \
	-p '{"spec":{"size":"30GB","users":{"analyst":[]},"databases":{"orders":["app","reporting","analyst"]}}}'
generation=$(kubectl get rdsdatabase "$name" -n "$namespace" -o jsonpath='{.metadata.generation}')
patched=$SECONDS
for _ in $(seq 150); do
	ready=$(kubectl get rdsdatabase "$name" -n "$namespace" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].observedGeneration}')
	kubectl get rdsdatabases -n "$namespace" --no-headers | sed "s/^/[$((SECONDS - patched))s] /"
	[[ "$ready" == "True/$generation" ]] && break
	sleep 2
done
[[ "$ready" == "True/$generation" ]] || fail "rdsdatabase/$name did not apply the change"
echo "allocated storage now: $(kubectl get rdsdatabase "$name" -n "$namespace" -o jsonpath='{.status.cloud.allocatedStorageGiB}') GiB"
uri=$(kubectl get secret "$name.rds.analyst" -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}' 2>/dev/null || true)
if [[ -n "$uri" ]] && out=$("$psql" "$uri" -Atc "select current_user, current_database()" 2>&1); then
	echo "OK   secret/$name.rds.analyst: $out"
else
	fail "analyst cannot log in with its new Secret: ${out:-no uri}"
fi

step "Rotate app's password (kubectl annotate rdsdatabase $name rotate.matrixmind.cloud/app=...)"
old_uri=$(kubectl get secret "$name.rds.app" -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}')
token=$(date +%s)
kubectl annotate rdsdatabase "$name" -n "$namespace" "rotate.matrixmind.cloud/app=$token" --overwrite
rotated=
for _ in $(seq 60); do
	rotated=$(kubectl get secret "$name.rds.app" -n "$namespace" -o jsonpath='{.metadata.annotations.matrixmind\.cloud/rotated}')
	[[ "$rotated" == "$token" ]] && break
	sleep 1
done
if [[ "$rotated" == "$token" ]]; then
	uri=$(kubectl get secret "$name.rds.app" -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}')
	if out=$("$psql" "$uri" -Atc "select 'new password works for ' || current_user" 2>&1); then echo "OK   $out"; else fail "new password: $out"; fi
	if out=$("$psql" "$old_uri" -Atc "select 1" 2>&1); then fail "the old password still works"; else echo "OK   old password refused: ${out##*FATAL:  }"; fi
else
	fail "the rotation of app's password was not carried out"
fi

step "Delete it (deletionPolicy Snapshot): a final snapshot is taken, the Secrets stay"
kubectl delete rdsdatabase "$name" -n "$namespace" --timeout=120s || fail "rdsdatabase/$name not deleted"
kubectl get events -n "$namespace" --field-selector "involvedObject.name=$name,reason=DeleteRequested" -o custom-columns=REASON:.reason,MESSAGE:.message
kubectl get secrets -n "$namespace" -l "matrixmind.cloud/rdsdatabase=$name"
if kubectl get svc "$name-rds" -n "$namespace" >/dev/null 2>&1; then fail "service/$name-rds still exists"; else echo "service/$name-rds: removed"; fi

step "Summary"
echo "apply to Ready: ${ready_after}s"
if ((failures > 0)); then
	echo "demo: $failures check(s) FAILED" >&2
	exit 1
fi
echo "demo: all checks passed"
