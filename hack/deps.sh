#!/usr/bin/env bash
# deps.sh installs the system packages the emulator and the tests need, with apt-get, when
# they are missing: PostgreSQL 15 and MariaDB 10.11 server binaries (the emulator runs real
# servers for postgres and mysql instances), psql and the mariadb client (make demo logs in
# with them; the emulator dumps and restores MariaDB with mariadb-dump and mariadb). It
# prints what it found and did. Without root it only checks, and fails naming the command to
# run. The packages' own services are never started or enabled: the emulator runs its own
# server processes.
set -euo pipefail

log() { printf '[deps] %s\n' "$*"; }

# Each need is "package|shell test that succeeds when it is present".
needs=(
	'postgresql-15|compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null'
	'postgresql-client-15|compgen -G "/usr/lib/postgresql/*/bin/psql" >/dev/null || command -v psql >/dev/null'
	'mariadb-server|command -v mariadbd >/dev/null || test -x /usr/sbin/mariadbd'
	'mariadb-client|command -v mariadb >/dev/null && command -v mariadb-dump >/dev/null'
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
# A policy-rc.d that answers 101 ("action forbidden") keeps the packages' maintainer scripts
# from starting their services (mariadb.service, postgresql.service) at install time. One
# that was already there is kept and put back.
policy=/usr/sbin/policy-rc.d
saved=""
if [[ -e $policy ]]; then
	saved=$(mktemp)
	cp -p "$policy" "$saved"
fi
restore_policy() {
	if [[ -n $saved ]]; then
		mv -f "$saved" "$policy"
	else
		rm -f "$policy"
	fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# Written by hack/deps.sh while it installs packages: start no services.\nexit 101\n' >"$policy"
chmod 0755 "$policy"

log "apt-get update"
apt-get update -qq
log "apt-get install ${missing[*]}"
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Without systemd running, policy-rc.d is the guard; with it, also keep the unit from
# starting at boot.
if command -v systemctl >/dev/null && systemctl list-unit-files mariadb.service >/dev/null 2>&1; then
	systemctl disable mariadb.service >/dev/null 2>&1 || true
fi
log "installed ${missing[*]}"
