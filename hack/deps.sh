#!/usr/bin/env bash
# deps.sh installs the system packages the emulator and the tests need, with apt-get, when
# they are missing: PostgreSQL 15 server binaries (the emulator runs real servers) and psql
# (make demo logs in with it). It prints what it found and did. Without root it only checks,
# and fails naming the command to run.
set -euo pipefail

log() { printf '[deps] %s\n' "$*"; }

# Each need is "package|shell test that succeeds when it is present".
needs=(
	'postgresql-15|compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null'
	'postgresql-client-15|compgen -G "/usr/lib/postgresql/*/bin/psql" >/dev/null || command -v psql >/dev/null'
)

missing=()
for need in "${needs[@]}"; do
	pkg=${need%%|*}
	if eval "${need#*|}"; then
		log "$pkg: present"
	else
		log "$pkg: missing"
		missing+=("$pkg")
	fi
done

if ((${#missing[@]} == 0)); then
	log "nothing to install"
	exit 0
fi

if ((EUID != 0)); then
	echo "deps.sh: missing ${missing[*]} and not root; install them with:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
apt-get update -qq
log "apt-get install ${missing[*]}"
apt-get install -y -qq --no-install-recommends "${missing[@]}"
log "installed ${missing[*]}"
