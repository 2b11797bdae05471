#!/usr/bin/env bash
# local-down.sh stops the stack hack/local-up.sh started and waits until no process started
# from .local remains. Running it when nothing runs is fine.
#
#   hack/local-down.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.local"
pidfile="$dir/local-stack.pid"
# local-stack stops its children within about a minute (the emulators get 30 s, together, to
# stop their database servers); past this it is killed and the leftovers with it.
timeout=90

# alive PID: the process exists and is not a zombie waiting for a parent to reap it.
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]; }

# leftovers lists the stack's own kind of processes (local-stack, etcd, kube-apiserver,
# kube-controller-manager, rds-emulator, cloudsql-emulator, azure-emulator, manager, database
# servers) whose command line names the state directory; a `tail -f .local/manager.log` in
# another terminal is not one of them. The kernel keeps 15 characters of a command name:
# kube-controller-manager is kube-controller, cloudsql-emulator is cloudsql-emulat
# (azure-emulator, 14, is whole).
dir_re=$(printf '%s' "$dir" | sed 's/[][\.*^$+?(){}|]/\\&/g')
leftovers() {
	local pid
	for pid in $(pgrep -f -- "$dir_re(/| |\$)" || true); do
		case "$(ps -o comm= -p "$pid" 2>/dev/null)" in
		local-stack | etcd | kube-apiserver | kube-controller | rds-emulator | cloudsql-emulat | azure-emulator | manager | postgres | mariadbd | mysqld) echo "$pid" ;;
		esac
	done
}

if [[ -f "$pidfile" ]]; then
	pid=$(cat "$pidfile")
	if alive "$pid"; then
		echo "local-down: stopping local-stack (pid $pid)"
		kill -TERM "$pid"
		start=$SECONDS
		next_report=$((SECONDS + 5))
		while alive "$pid"; do
			if ((SECONDS - start >= timeout)); then
				echo "local-down: local-stack did not stop in ${timeout}s; killing it" >&2
				kill -KILL "$pid" 2>/dev/null || true
				break
			fi
			if ((SECONDS >= next_report)); then
				echo "local-down: waiting for local-stack ($((SECONDS - start))s)"
				next_report=$((SECONDS + 5))
			fi
			sleep 0.2
		done
	fi
else
	echo "local-down: no stack recorded in $pidfile"
fi

# A stack that was killed, rather than stopped, leaves its children behind; they are ours.
left=$(leftovers)
if [[ -n "$left" ]]; then
	echo "local-down: processes from $dir still running:" >&2
	ps -o pid=,args= -p $(echo $left | tr ' ' ',') >&2 || true
	# The control plane's state is thrown away at the next start, so it need not stop
	# gracefully (and a kube-apiserver whose etcd is gone takes long to); neither does
	# kube-controller-manager, which keeps none. The manager, the emulators and the database
	# servers get SIGTERM first.
	for pid in $left; do
		case "$(ps -o comm= -p "$pid" 2>/dev/null)" in
		etcd | kube-apiserver | kube-controller) kill -KILL "$pid" 2>/dev/null || true ;;
		*) kill -TERM "$pid" 2>/dev/null || true ;;
		esac
	done
	for _ in $(seq 20); do
		[[ -z "$(leftovers)" ]] && break
		sleep 0.5
	done
	left=$(leftovers)
	if [[ -n "$left" ]]; then kill -KILL $left 2>/dev/null || true; sleep 1; fi
	if [[ -n "$(leftovers)" ]]; then
		echo "local-down: could not stop: $(leftovers)" >&2
		exit 1
	fi
fi

rm -f "$pidfile" "$dir/ready"
echo "local-down: stopped; nothing from $dir is running"
