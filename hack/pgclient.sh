#!/usr/bin/env bash
# pgclient.sh fetches PostgreSQL 17's client programs (pg_dump, pg_restore, psql) for the
# tests' stand-in for the Job controller (test/jobstandin), which runs the operator's dump
# Jobs on this machine: Debian 12's own pg_dump is 15's, and pg_dump refuses a server newer
# than itself. The programs are Debian 13 (trixie)'s, unpacked with `dpkg -x` (never
# installed) together with trixie's C library, which they need, and run through that
# library's own loader; the other libraries they need (libzstd, liblz4, libssl3, krb5,
# sasl) are the machine's, installed with postgresql-15 by hack/deps.sh. The packages are
# pinned by version and SHA256 and fetched into a cache keyed by those versions outside the
# clone, so a machine pays for them once. It prints the directory of the wrappers
# (<dir>/bin/pg_dump, pg_restore, psql) on its last line; the tests find it in
# AWS_RDS_OPERATOR_PGCLIENT.
#
#   hack/pgclient.sh            fetch what is missing, print the bin directory
#   hack/pgclient.sh --print    print the directory without fetching (the bin directory is
#                               <dir>/bin)
#
# When the mirror cannot be reached, or no longer holds a pinned version, it says so, prints
# nothing on stdout and exits 0: the tests that dump PostgreSQL then skip, saying why.
set -euo pipefail

MIRROR=http://deb.debian.org/debian
SUITE=trixie
# One pinned package a line: name, version, SHA256 of its .deb (as trixie's Packages index
# lists them). A Debian point release replaces a version in the pool: change the line to the
# index's new Version and SHA256.
PACKAGES=(
	"postgresql-client-17 17.12-0+deb13u1 53466b127f3f6e95c7a30352db7fcdd7b83d2143a03efbdcd005032b5047aa83"
	"libpq5 17.12-0+deb13u1 b93ae6e06672919c28eb018e7e13af34f1a94fc357f21e28488d339faf53ec98"
	"libc6 2.41-12+deb13u5 b59b0625cd1a791375d40dab23a4d5d3d0641e3d0a773501becdc3725b7f99cf"
	"libldap2 2.6.10+dfsg-1 60069e4a550ca890113fa89d3001417781b18e146ec5d637d31e368dec9909bd"
)
PROGRAMS=(pg_dump pg_restore psql)

cache=${AWS_RDS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aws-rds-operator}
key=$(
	for p in "${PACKAGES[@]}"; do
		read -r _ version _ <<<"$p"
		printf '%s_' "$version"
	done
)
dir="$cache/pgclient/${key%_}"

if [[ "${1:-}" == "--print" ]]; then echo "$dir"; exit 0; fi

start=$SECONDS
log() { printf '[pgclient %3ds] %s\n' $((SECONDS - start)) "$*" >&2; }

# complete DIR: DIR holds every wrapper and what they run.
complete() {
	local p
	for p in "${PROGRAMS[@]}"; do
		[[ -x "$1/bin/$p" && -x "$1/root/usr/lib/postgresql/17/bin/$p" ]] || return 1
	done
}

if complete "$dir"; then echo "$dir/bin"; exit 0; fi
if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
	log "no Debian amd64 build for $(uname -s)-$(uname -m): no pg_dump 17 fetched"
	exit 0
fi
for tool in curl xz dpkg-deb sha256sum; do
	if ! command -v "$tool" >/dev/null; then
		log "$tool is not installed: no pg_dump 17 fetched"
		exit 0
	fi
done

mkdir -p "$cache/pgclient"
# Everything is fetched into a stage and moved into place whole, so that a test never sees
# wrappers without the programs they run.
stage=$(mktemp -d "$cache/pgclient/.fetch-XXXXXX")
trap 'rm -rf "$stage"' EXIT

# A mirror that does not answer fails within a minute, and make test goes on without it.
curl_get() { curl -fsSL --retry 1 --connect-timeout 20 --max-time 300 -o "$2" "$1"; }

index="$MIRROR/dists/$SUITE/main/binary-amd64/Packages.xz"
log "reading $index"
if ! curl_get "$index" "$stage/Packages.xz" 2>"$stage/curl.log"; then
	log "cannot reach $MIRROR ($(tr '\n' ' ' <"$stage/curl.log")): no pg_dump 17 fetched"
	exit 0
fi
xz -dc "$stage/Packages.xz" >"$stage/Packages"

# stanza NAME: the index's paragraph of package NAME.
stanza() { awk -v RS= -v name="$1" '$0 ~ "(^|\n)Package: " name "\n" { print; exit }' "$stage/Packages"; }
# field NAME PARAGRAPH: the value of field NAME.
field() { sed -n "s/^$1: //p" <<<"$2"; }

# Every pin is checked against the index before anything is downloaded.
files=()
for p in "${PACKAGES[@]}"; do
	read -r name version sha <<<"$p"
	entry=$(stanza "$name")
	listed=$(field Version "$entry")
	if [[ $listed != "$version" ]]; then
		log "$SUITE lists $name ${listed:-in no version}, not the pinned $version: update PACKAGES in hack/pgclient.sh; no pg_dump 17 fetched"
		exit 0
	fi
	if [[ $(field SHA256 "$entry") != "$sha" ]]; then
		log "$SUITE's index gives $name $version the SHA256 $(field SHA256 "$entry"), not the pinned $sha; no pg_dump 17 fetched"
		exit 0
	fi
	files+=("$(field Filename "$entry")")
done

mkdir -p "$stage/root"
for i in "${!PACKAGES[@]}"; do
	read -r name version sha <<<"${PACKAGES[$i]}"
	file=${files[$i]}
	deb="$stage/${file##*/}"
	log "fetching $name $version"
	if ! curl_get "$MIRROR/$file" "$deb" 2>"$stage/curl.log"; then
		log "cannot fetch $MIRROR/$file ($(tr '\n' ' ' <"$stage/curl.log")): no pg_dump 17 fetched"
		exit 0
	fi
	if [[ $(sha256sum "$deb" | cut -d' ' -f1) != "$sha" ]]; then
		log "$MIRROR/$file does not have the SHA256 $sha: no pg_dump 17 fetched"
		exit 0
	fi
	dpkg-deb -x "$deb" "$stage/root"
	rm -f "$deb"
done
rm -f "$stage/Packages" "$stage/Packages.xz" "$stage/curl.log"

# Each wrapper runs its program with trixie's loader and C library, then the machine's
# libraries for the rest. It finds the unpacked root beside its own directory, so the
# directory may move.
mkdir -p "$stage/bin"
for p in "${PROGRAMS[@]}"; do
	cat >"$stage/bin/$p" <<EOF
#!/bin/sh
# Written by hack/pgclient.sh: Debian trixie's PostgreSQL 17 $p, run with trixie's C library.
root=\$(CDPATH= cd -- "\$(dirname -- "\$0")/.." && pwd)/root
lib=\$root/usr/lib/x86_64-linux-gnu
exec "\$lib/ld-linux-x86-64.so.2" --library-path "\$lib:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu" "\$root/usr/lib/postgresql/17/bin/$p" "\$@"
EOF
	chmod 0755 "$stage/bin/$p"
	if ! version=$("$stage/bin/$p" --version 2>"$stage/run.log"); then
		log "$p 17 does not run here ($(tr '\n' ' ' <"$stage/run.log")); hack/deps.sh installs the libraries it needs"
		exit 0
	fi
	log "$version"
done
rm -f "$stage/run.log"
chmod 0755 "$stage"
rm -rf "$dir"
mv "$stage" "$dir"
log "fetched PostgreSQL 17's ${PROGRAMS[*]} into $dir"
echo "$dir/bin"
