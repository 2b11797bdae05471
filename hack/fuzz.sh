#!/usr/bin/env bash
# Runs every Go fuzz target (func FuzzXxx in a *_fuzz_test.go file) for the same time each,
# one after the other, and prints each target's time and executions.
#
#   hack/fuzz.sh 3000x            # a quick pass: executions, not seconds (FUZZTIME=3000x make fuzz)
#   FUZZTIME=60s hack/fuzz.sh     # make fuzz
#
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline exceeded" when a
# duration -fuzztime ends while a worker is mid-input (go.dev/issue/75804, fixed in Go 1.27):
# no input fails, none is written. A count (3000x) has no deadline; with a duration, such a
# run is tried once more, and only a run that fails again, or fails otherwise, fails here.
#   hack/fuzz.sh 5m FuzzIdent     # one target (or a regexp of target names) for longer
#
# New inputs that widen coverage go to Go's fuzz cache ($(go env GOCACHE)/fuzz); a failing
# input is written to testdata/fuzz/FuzzXxx/ next to the test, where it stays as a
# regression seed once the bug is fixed. The seed corpora in testdata/fuzz also run as plain
# tests under go test ./...
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${1:-${FUZZTIME:-60s}}
only=${2:-.}

targets=()
while IFS= read -r line; do
	file=${line%%:*}
	name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]+).*/\1/' <<<"${line#*:}")
	[[ $name =~ $only ]] && targets+=("./$(dirname "${file#./}") $name")
done < <(grep -rE --include='*_fuzz_test.go' '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . | sort)

if ((${#targets[@]} == 0)); then
	echo "fuzz.sh: no fuzz target matches $only" >&2
	exit 1
fi

failed=()
summary=()
start=$(date +%s)
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	t0=$(date +%s)
	log=$(mktemp)
	status=FAIL
	for attempt in 1 2; do
		if go test "$pkg" -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" >"$log" 2>&1; then
			status=ok
			break
		fi
		if ((attempt == 1)) && grep -q 'context deadline exceeded' "$log" && ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
			echo "fuzz.sh: $name: the coordinator's deadline race (go.dev/issue/75804), no failing input: trying once more"
			continue
		fi
		break
	done
	if [[ $status == FAIL ]]; then
		failed+=("$pkg $name")
		cat "$log"
	fi
	# The last progress line holds the totals: "fuzz: elapsed: 2s, execs: 12345 (6172/sec), ...".
	last=$(grep -E '^fuzz: elapsed: .*execs:' "$log" | tail -n 1 || true)
	execs=$(sed -E 's/.*execs: ([0-9]+).*/\1/' <<<"$last")
	elapsed=$(sed -E 's/^fuzz: elapsed: ([^,]+),.*/\1/' <<<"$last")
	rm -f "$log"
	summary+=("$(printf '%-4s %-55s %-22s fuzzed %-6s %12s execs  %4ss in all' "$status" "$pkg" "$name" "${elapsed:-0s}" "${execs:-0}" "$(($(date +%s) - t0))")")
	echo "${summary[-1]}"
done
echo "fuzz.sh: ${#targets[@]} targets, ${fuzztime} each, $(($(date +%s) - start))s in all"
if ((${#failed[@]} > 0)); then
	echo "fuzz.sh: failed: ${failed[*]}" >&2
	exit 1
fi
