#!/usr/bin/env bash
# local-up.sh starts the local stack (control plane, RDS, Cloud SQL and Azure emulators, an
# existing on-premises PostgreSQL server db1 with its admin Secret platform/db1-admin,
# operator) in the background and returns once it is ready; `source .local/env` then points
# kubectl and the AWS CLI at it, and names the Cloud SQL emulator's URL in
# GCP_SQLADMIN_ENDPOINT and the Azure one's in AZURE_ARM_ENDPOINT.
#
#   hack/local-up.sh [local-stack flags...]     e.g. --emulator-args "--create-delay 2s"
#
# The stack logs to .local/local-stack.log (each part also to its own .local/*.log) and is
# stopped by hack/local-down.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.local"
pidfile="$dir/local-stack.pid"
ready="$dir/ready"
log="$dir/local-stack.log"
timeout=120

# alive PID: the process exists and is not a zombie waiting for a parent to reap it.
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]; }

cd "$root"
if [[ -f "$pidfile" ]] && alive "$(cat "$pidfile")"; then
	echo "local-up: a stack is already running (pid $(cat "$pidfile")); run make local-down first" >&2
	exit 1
fi
rm -f "$pidfile" "$ready"
mkdir -p "$dir"

echo "local-up: building bin/"
make --no-print-directory build
tools=$(hack/tools.sh | tail -n 1)
# The emulator runs the PostgreSQL major each instance asks for from these builds; empty
# when they could not be fetched, and then it runs the machine's PostgreSQL for every one.
AWS_RDS_OPERATOR_POSTGRES=$(hack/postgres.sh | tail -n 1)
export AWS_RDS_OPERATOR_POSTGRES

# setsid: the stack outlives this script and a Ctrl-C in this terminal does not reach it
# behind local-down's back; while we wait, the trap below stops it on failure or interrupt.
setsid nohup "$root/bin/local-stack" --dir "$dir" --bin "$root/bin" --tools "$tools" \
	--crds "$root/config/crd/bases" "$@" >"$log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pidfile"
shown=0 # lines of $log echoed so far

# fail shows what the stack printed that was not shown yet, stops it, and exits.
fail() {
	trap - EXIT INT TERM
	tail -n +$((shown + 1)) "$log" >&2 || true
	echo "local-up: $* (full log: $log)" >&2
	"$root/hack/local-down.sh" >&2 || true
	exit 1
}
trap 'fail "interrupted"' INT TERM
trap 'fail "failed"' EXIT

# Echo the stack's progress lines as they come, until ready, exit or timeout.
start=$SECONDS
while [[ ! -f "$ready" ]]; do
	if ! alive "$pid"; then
		fail "local-stack exited before it was ready"
	fi
	if ((SECONDS - start >= timeout)); then
		fail "not ready after ${timeout}s"
	fi
	lines=$(wc -l <"$log")
	if ((lines > shown)); then
		sed -n "$((shown + 1)),${lines}p" "$log"
		shown=$lines
	fi
	sleep 0.3
done
tail -n +$((shown + 1)) "$log" || true
trap - EXIT INT TERM

echo "local-up: ready in $((SECONDS - start))s (pid $pid). Use it with:"
echo "  source $dir/env && kubectl get rdsdatabases -A"
echo "Stop it with: make local-down"
