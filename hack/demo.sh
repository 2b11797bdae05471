#!/usr/bin/env bash
# demo.sh is the guided tour for a new user on a fresh machine (make demo): it builds the
# tools, installs PostgreSQL and MariaDB, brings up the local stack, creates the samples (one
# RDSDatabase of each type on AWS: PostgreSQL, MySQL, Aurora PostgreSQL, Aurora MySQL, and a
# PostgreSQL one each on Google Cloud SQL and on Azure Database for PostgreSQL through
# DatabaseClasses, all in parallel), waits for them to be Ready, logs in to each database as every user with the password from
# that user's Secret, shows the Services, reads a database's own log with kubectl rds logs,
# takes a snapshot and shows the database with kubectl rds snapshot, status and backups
# (a failed login in it, and a user without the right refused), exports a backup to S3 and
# reads its rows back from the Parquet. On premises, it then makes a database on the stack's
# PostgreSQL server that exists already (db1, a DatabaseClass with provider existing), shows
# that a second object cannot take its user, and deletes both, which drops only what they own.
# The stack is stopped on exit, whatever happened. Exits non-zero if any step or login failed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
name=orders # the PostgreSQL sample; day 2 is shown on it
mysql_name=shop
# Every sample, by the client that speaks to it.
samples=(orders shop ledger carts payments payments-az)
declare -A family=([orders]=postgresql [shop]=mysql [ledger]=postgresql [carts]=mysql [payments]=postgresql [payments-az]=postgresql)
namespace=default
start=$SECONDS

step() { printf '\n=== [%ds] %s\n' $((SECONDS - start)) "$*"; }
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

step "Build the pinned tools and install system packages (make tools deps)"
make --no-print-directory tools deps

step "Start the local stack: control plane, RDS, Cloud SQL and Azure emulators, an on-premises PostgreSQL server (db1), operator (make local-up)"
trap 'step "Stop the local stack (make local-down)"; make --no-print-directory local-down' EXIT
make --no-print-directory local-up
# shellcheck source=/dev/null
source .local/env
echo "kubectl: $(command -v kubectl)"

step "Create one database of each type at once on AWS (PostgreSQL, MySQL, Aurora PostgreSQL, Aurora MySQL), one on Google Cloud SQL and one on Azure Database for PostgreSQL through a DatabaseClass (kubectl apply -f config/samples/ -f config/samples/gcp/ -f config/samples/azure/)"
kubectl apply -f config/samples/ -f config/samples/gcp/ -f config/samples/azure/
applied=$SECONDS
kubectl get databaseclasses
kubectl get rdsdatabases -n "$namespace"

step "The Secrets exist at once, before the databases do"
secrets=()
for db in "${samples[@]}"; do
	users=$(kubectl get rdsdatabase "$db" -n "$namespace" -o go-template='{{range $u, $_ := .spec.users}}{{$u}} {{end}}')
	secrets+=("$db.rds.master")
	for u in $users; do secrets+=("$db.rds.${u//_/-}"); done
done
for s in "${secrets[@]}"; do
	found=
	for _ in $(seq 20); do # the operator writes them within its first reconcile
		if kubectl get secret "$s" -n "$namespace" >/dev/null 2>&1; then found=1; break; fi
		sleep 0.5
	done
	if [[ -n "$found" ]]; then echo "secret/$s: exists"; else fail "secret/$s does not exist"; fi
done

step "Wait for all of them to be Ready (kubectl wait --for=condition=Ready rdsdatabase/... --timeout=300s)"
declare -A ready_after=()
pending=("${samples[@]}")
while ((${#pending[@]} > 0)) && ((SECONDS - applied < 300)); do
	kubectl get rdsdatabases -n "$namespace" --no-headers 2>/dev/null | sed "s/^/[$((SECONDS - applied))s] /" || true
	still=()
	for db in "${pending[@]}"; do
		if [[ $(kubectl get rdsdatabase "$db" -n "$namespace" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]; then
			ready_after[$db]=$((SECONDS - applied))
		else
			still+=("$db")
		fi
	done
	pending=("${still[@]}")
	((${#pending[@]} == 0)) || sleep 1
done
if ((${#pending[@]} > 0)); then
	for db in "${pending[@]}"; do
		fail "rdsdatabase/$db not Ready within 300s"
		kubectl get rdsdatabase "$db" -n "$namespace" -o yaml | sed -n '/^status:/,$p' || true
	done
	echo "manager log: $root/.local/manager.log, emulator logs: $root/.local/rds-emulator.log, $root/.local/cloudsql-emulator.log, $root/.local/azure-emulator.log, db1's log: $root/.local/db1/log/error/" >&2
	exit 1
fi
kubectl get rdsdatabases -n "$namespace" -o wide

step "Side by side: orders on AWS RDS, payments on Google Cloud SQL, payments-az on Azure Database for PostgreSQL (status.class, status.provider, status.cloud)"
for db in orders payments payments-az; do
	kubectl get rdsdatabase "$db" -n "$namespace" -o go-template='{{.metadata.name}}: class={{or .status.class "(none: the operator'"'"'s AWS settings)"}} provider={{.status.provider}} {{.status.cloud.identifier}} {{.status.cloud.status}} {{.status.cloud.instanceClass}} {{.status.cloud.allocatedStorageGiB}}GiB at {{.status.cloud.endpoint}}:{{.status.cloud.port}}{{"\n"}}'
done
psql_any=$(compgen -G "/usr/lib/postgresql/*/bin/psql" | sort -V | tail -n 1 || command -v psql || true)
# superuser is what each cloud allows instead: membership of its admin role, never a real one.
for db_role in payments:cloudsqlsuperuser payments-az:azure_pg_admin; do
	db=${db_role%%:*} role=${db_role#*:}
	uri=$(kubectl get secret "$db.rds.admin" -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}')
	if out=$("$psql_any" "$uri" -Atc "select pg_has_role(current_user, '$role', 'member') || ' ' || rolsuper from pg_roles where rolname = current_user" 2>&1) && [[ $out == "true "* ]]; then
		echo "OK   $db admin (superuser in the spec), logged in with its Secret alone, is in $role (rolsuper: ${out#* })"
	else
		fail "$db admin is not in $role: $out"
	fi
done

step "PostgreSQL and Aurora PostgreSQL: log in as every user with the uri from its Secret (psql, verifying the server with the Secret's ca.crt)"
psql=$(compgen -G "/usr/lib/postgresql/*/bin/psql" | sort -V | tail -n 1 || true)
psql=${psql:-$(command -v psql || true)}
[[ -n "$psql" ]] || { fail "psql not found (make deps installs it)"; exit 1; }
labelled=()
for db in "${samples[@]}"; do
	[[ ${family[$db]} == postgresql ]] || continue
	mapfile -t -O "${#labelled[@]}" labelled < <(kubectl get secrets -n "$namespace" -l "matrixmind.cloud/rdsdatabase=$db" -o name)
done
((${#labelled[@]} > 0)) || fail "no Secret labelled matrixmind.cloud/rdsdatabase for the PostgreSQL samples"
for s in "${labelled[@]}"; do
	uri=$(kubectl get "$s" -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}' 2>/dev/null || true)
	if [[ -z "$uri" ]]; then fail "$s has no uri key"; continue; fi
	verified="encrypted, server not verified"
	cafile=".local/demo-${s##*/}.ca.crt"
	if kubectl get "$s" -n "$namespace" -o go-template='{{with index .data "ca.crt"}}{{base64decode .}}{{end}}' >"$cafile" 2>/dev/null && [[ -s "$cafile" ]]; then
		# As an application with its Secret mounted: verify the server against ca.crt.
		verify="sslmode=verify-full&sslrootcert=$PWD/$cafile"
		uri=${uri/sslmode=require/"$verify"} # quoted: bash 5.2 reads a bare & as the match
		verified="verify-full with its ca.crt"
	fi
	if out=$("$psql" "$uri" -Atc "select current_user, current_database()" 2>&1); then
		echo "OK   $s ($verified): $out"
	else
		fail "$s: $out"
		echo "FAIL $s"
	fi
done

step "The PostgreSQL sample runs the major version it asks for"
want=$(kubectl get rdsdatabase "$name" -n "$namespace" -o jsonpath='{.spec.version}')
uri=$(kubectl get secret "$name.rds.master" -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}')
if num=$("$psql" "$uri" -Atc "show server_version_num" 2>&1) && [[ "$((num / 10000))" == "${want%%.*}" ]]; then
	echo "OK   $name asks for version $want and its server runs $("$psql" "$uri" -Atc 'show server_version')"
elif grep -q "for every major" .local/rds-emulator.log 2>/dev/null; then
	echo "NOTE $name asks for version $want; this emulator runs the machine's PostgreSQL for every version (server_version_num $num): hack/postgres.sh could not fetch the per-major builds"
else
	fail "$name asks for version $want but its server_version_num is $num"
fi

step "A user not listed on a database cannot connect to it (reporting -> audit)"
uri=$(kubectl get secret "$name.rds.reporting" -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}')
if out=$("$psql" "${uri/\/orders?//audit?}" -Atc "select 1" 2>&1); then
	fail "reporting connected to audit"
else
	echo "refused, as it should be: ${out##*FATAL:  }"
fi

step "MySQL and Aurora MySQL: log in as every user with its Secret (mariadb client, TLS required)"
mysql_client=$(command -v mariadb || command -v mysql || true)
[[ -n "$mysql_client" ]] || { fail "no mariadb client found (make deps installs it)"; exit 1; }
# mysql_login SECRET [DATABASE] [SQL]: log in with nothing but the Secret's keys.
mysql_login() {
	local secret=$1 database=${2:-} sql=${3:-"select current_user(), database()"} keys
	keys=$(kubectl get secret "$secret" -n "$namespace" -o go-template='{{index .data "host" | base64decode}} {{index .data "port" | base64decode}} {{index .data "username" | base64decode}} {{index .data "dbname" | base64decode}}')
	read -r host port user dbname <<<"$keys"
	MYSQL_PWD=$(kubectl get secret "$secret" -n "$namespace" -o go-template='{{index .data "password" | base64decode}}') \
		"$mysql_client" --protocol=tcp -h "$host" -P "$port" -u "$user" --ssl --batch --skip-column-names \
		-e "$sql" "${database:-$dbname}" 2>&1
}
labelled=()
for db in "${samples[@]}"; do
	[[ ${family[$db]} == mysql ]] || continue
	mapfile -t -O "${#labelled[@]}" labelled < <(kubectl get secrets -n "$namespace" -l "matrixmind.cloud/rdsdatabase=$db" -o name)
done
((${#labelled[@]} > 0)) || fail "no Secret labelled matrixmind.cloud/rdsdatabase for the MySQL samples"
for s in "${labelled[@]}"; do
	if out=$(mysql_login "${s#secret/}"); then echo "OK   $s: ${out//$'\t'/ }"; else fail "$s: $out"; echo "FAIL $s"; fi
done
echo "uri of app: $(kubectl get secret "$mysql_name.rds.app" -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}' | sed 's/:[^:@]*@/:***@/')"
if out=$(mysql_login "$mysql_name.rds.reporting" audit); then
	fail "reporting opened audit on MySQL"
else
	echo "MySQL refused reporting on audit, as it should: $out"
fi
echo "encrypted: $(kubectl get rdsdatabase "$mysql_name" -n "$namespace" -o jsonpath='{.status.cloud.storageEncrypted} with {.status.cloud.kmsKeyId}')"

step "Aurora: the members, and the reader endpoint (ledger-rds-ro, ro-host)"
kubectl get rdsdatabase ledger -n "$namespace" -o go-template='{{range .status.members}}{{.identifier}} {{.role}} {{.availabilityZone}} {{.status}}{{"\n"}}{{end}}'
ro_host=$(kubectl get secret ledger.rds.app -n "$namespace" -o go-template='{{index .data "ro-host" | base64decode}}' 2>/dev/null || true)
uri=$(kubectl get secret ledger.rds.app -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}')
host=$(kubectl get secret ledger.rds.app -n "$namespace" -o go-template='{{index .data "host" | base64decode}}')
if [[ -n "$ro_host" ]] && out=$("$psql" "${uri/@$host:/@$ro_host:}" -Atc "select 'reader endpoint: ' || current_user" 2>&1); then
	echo "OK   $out ($ro_host)"
else
	fail "ledger's reader endpoint: ${out:-no ro-host in the Secret}"
fi

step "The Services for applications (kubectl get svc -o wide)"
for db in "${samples[@]}"; do
	kubectl get svc "$db-rds" -n "$namespace" -o wide --no-headers || fail "service/$db-rds missing"
done
kubectl get svc ledger-rds-ro -n "$namespace" -o wide --no-headers || fail "service/ledger-rds-ro missing"

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

step "Drift at the console: someone resets the master password of $name there (the emulator's tamper hook). RDS records an event; the operator reads RDS's event feed (--feed-interval: 10s here, 1m by default) and sets the Secret's password again"
master_uri=$(kubectl get secret "$name.rds.master" -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}')
identifier=$(kubectl get rdsdatabase "$name" -n "$namespace" -o jsonpath='{.status.cloud.identifier}')
curl -fsS -X POST "$AWS_ENDPOINT_URL_RDS/_emulator/tamper" -H 'Content-Type: application/json' \
	-d "{\"id\":\"$identifier\",\"masterUserPassword\":\"Reset-At-The-Console-1\"}" || fail "the console reset did not take"
reset=$SECONDS
repaired=
for _ in $(seq 90); do
	if kubectl get events -n "$namespace" --field-selector "involvedObject.name=$name,reason=MasterPasswordReset" --no-headers 2>/dev/null | grep -q . &&
		"$psql" "$master_uri" -Atc "select 1" >/dev/null 2>&1; then
		repaired=yes
		break
	fi
	sleep 1
done
if [[ -n "$repaired" ]]; then
	echo "OK   found through RDS's events and repaired in $((SECONDS - reset))s; the master Secret logs in again"
	kubectl get events -n "$namespace" --field-selector "involvedObject.name=$name,reason=MasterPasswordReset" -o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message
else
	fail "the master password reset at the console was not set again from the Secret"
fi

step "Cold storage: $name exports its backups to S3 as Parquet (kubectl patch: spec.backup.export); rows written now go out with its final snapshot"
if out=$("$psql" "$uri" -Atc "create table items (name text); insert into items values ('exported-row-1'), ('exported-row-2'); select count(*) || ' rows in items' from items" 2>&1); then echo "OK   $out"; else fail "write rows: $out"; fi
kubectl patch rdsdatabase "$name" -n "$namespace" --type merge -p '{"spec":{"backup":{"export":{"bucket":"demo-exports","prefix":"rds/'"$namespace"'","iamRoleArn":"arn:aws:iam::123456789012:role/rds-export","kmsKeyId":"alias/rds-export"}}}}'
for _ in $(seq 30); do # the newest automated backup is exported at once
	[[ -n $(kubectl get rdsdatabase "$name" -n "$namespace" -o jsonpath='{.status.backup.lastExport.task}') ]] && break
	sleep 1
done
kubectl get rdsdatabase "$name" -n "$namespace" -o go-template='{{with .status.backup.lastExport}}status.backup.lastExport: {{.task}} of {{.snapshot}}: {{.status}}{{"\n"}}{{else}}no export yet{{"\n"}}{{end}}'

step "The database's own log, as a Kubernetes user reads it: kubectl rds logs $name --tail 20 (the kubectl-rds plugin; RBAC get on rdsdatabases/log, no cloud credentials)"
found=
for _ in $(seq 20); do # the server writes the refusal a moment after it refused
	if out=$(kubectl rds logs "$name" -n "$namespace" --tail 20 2>&1) && grep -q 'password authentication failed for user "app"' <<<"$out"; then found=1; break; fi
	sleep 0.5
done
echo "$out" | tail -n 20
if [[ -n "$found" ]]; then echo "OK   the old password's refusal is in the log"; else fail "kubectl rds logs $name does not show the old password's refusal"; fi
if out=$(kubectl rds logs "$name" -n "$namespace" --as dev 2>&1); then
	fail "a user without get on rdsdatabases/log read the log"
else
	echo "OK   a user without the right is refused: $out"
fi

step "Tune the engine: spec.parameters (log_min_duration_statement, dynamic; max_connections, static) with rebootPolicy Immediately (kubectl patch), then SHOW them"
kubectl patch rdsdatabase "$name" -n "$namespace" --type merge \
	-p '{"spec":{"parameters":{"log_min_duration_statement":"250","max_connections":"150"},"rebootPolicy":"Immediately"}}'
shown=
for _ in $(seq 90); do # the static one waits for the restart the policy allows
	shown=$("$psql" "$uri" -Atc "select current_setting('log_min_duration_statement') || ' ' || current_setting('max_connections')" 2>/dev/null || true)
	pending=$(kubectl get rdsdatabase "$name" -n "$namespace" -o jsonpath='{.status.parameters.pendingReboot}')
	[[ "$shown" == "250ms 150" && "$pending" != "true" ]] && break
	sleep 1
done
kubectl get rdsdatabase "$name" -n "$namespace" -o go-template='status.parameters: group {{.status.parameters.group}}, pendingReboot {{.status.parameters.pendingReboot}}{{"\n"}}'
kubectl get events -n "$namespace" --field-selector "involvedObject.name=$name" -o custom-columns=REASON:.reason,MESSAGE:.message --no-headers | grep -E "^(ParametersApplied|Rebooting|RebootPending|InSync)" | tail -n 4
if [[ "$shown" == "250ms 150" ]]; then echo "OK   the server says log_min_duration_statement=250ms, max_connections=150"; else fail "the parameters did not reach the server: ${shown:-no answer}"; fi

step "IAM database authentication: iamAuthentication true and a user svc with the role iam on orders (kubectl patch); its Secret holds no password, and a token logs it in"
kubectl patch rdsdatabase "$name" -n "$namespace" --type json -p '[
	{"op":"add","path":"/spec/iamAuthentication","value":true},
	{"op":"add","path":"/spec/users/svc","value":["iam"]},
	{"op":"add","path":"/spec/databases/orders/-","value":"svc"}]'
go build -o .local/dbauthtoken ./hack/dbauthtoken
svc_uri=
for _ in $(seq 90); do # svc logs in with a password until RDS reports token logins on
	svc_uri=$(kubectl get secret "$name.rds.svc" -n "$namespace" -o jsonpath='{.data.uri}' 2>/dev/null | base64 -d || true)
	svc_pw=$(kubectl get secret "$name.rds.svc" -n "$namespace" -o jsonpath='{.data.password}' 2>/dev/null || true)
	verified=$(kubectl get rdsdatabase "$name" -n "$namespace" -o jsonpath='{.status.users[?(@.name=="svc")].ok}')
	[[ -n "$svc_uri" && -z "$svc_pw" && "$verified" == "true" ]] && break
	sleep 1
done
# Read again: the uri above may predate the switch to tokens (it carried the password then,
# which psql would send in place of the token).
svc_uri=$(kubectl get secret "$name.rds.svc" -n "$namespace" -o jsonpath='{.data.uri}' | base64 -d)
if [[ -z "$(kubectl get secret "$name.rds.svc" -n "$namespace" -o jsonpath='{.data.password}')" ]]; then
	echo "OK   Secret $name.rds.svc has no password: $(kubectl get secret "$name.rds.svc" -n "$namespace" -o go-template='{{range $k, $v := .data}}{{$k}} {{end}}')"
else
	fail "Secret $name.rds.svc holds a password"
fi
howto=$(kubectl get secret "$name.rds.svc" -n "$namespace" -o jsonpath='{.data.token-howto}' | base64 -d)
echo "     token-howto: $howto"
svc_host=$(kubectl get secret "$name.rds.svc" -n "$namespace" -o jsonpath='{.data.host}' | base64 -d)
svc_port=$(kubectl get secret "$name.rds.svc" -n "$namespace" -o jsonpath='{.data.port}' | base64 -d)
# The stand-in for: aws rds generate-db-auth-token --hostname ... --port ... --region ... --username svc
token=$(.local/dbauthtoken --hostname "$svc_host" --port "$svc_port" --username svc)
if out=$(PGPASSWORD="$token" "$psql" "$svc_uri" -Atc "select 'logged in with an IAM token as ' || current_user || ' to ' || current_database()" 2>&1); then echo "OK   $out"; else fail "login with an IAM token: $out"; fi
if out=$(PGPASSWORD="not-a-token" "$psql" "$svc_uri" -Atc "select 1" 2>&1); then fail "svc logged in with a password"; else echo "OK   a password is refused: ${out##*FATAL:  }"; fi

step "The day-to-day plugin: kubectl rds snapshot $name, then kubectl rds status $name (one screen, 80 columns) and kubectl rds backups $name"
if out=$(kubectl rds snapshot "$name" -n "$namespace" --timeout 2m 2>&1); then echo "$out"; else fail "kubectl rds snapshot $name: $out"; fi
if out=$(kubectl rds status "$name" -n "$namespace" 2>&1) && grep -q "^Phase: *Ready" <<<"$out" && grep -q "On demand, .*complete" <<<"$out"; then
	echo "$out"
else
	fail "kubectl rds status $name does not show it Ready with its snapshot: $out"
fi
if out=$(kubectl rds backups "$name" -n "$namespace" 2>&1) && grep -q " manual " <<<"$out"; then echo "$out"; else fail "kubectl rds backups $name does not list the manual snapshot: $out"; fi

step "Delete them all (deletionPolicy Snapshot: a final snapshot is taken; Delete on Azure, which keeps no backup of a deleted server), the Secrets stay"
az_server=$(kubectl get rdsdatabase payments-az -n "$namespace" -o jsonpath='{.status.cloud.identifier}')
az_group=$(kubectl get databaseclass azure-local -o jsonpath='/subscriptions/{.spec.azure.subscriptionId}/resourceGroups/{.spec.azure.resourceGroup}')
kubectl delete rdsdatabase "${samples[@]}" -n "$namespace" --timeout=180s || fail "rdsdatabases not deleted"
for db in "${samples[@]}"; do
	kubectl get events -n "$namespace" --field-selector "involvedObject.name=$db,reason=DeleteRequested" -o custom-columns=REASON:.reason,MESSAGE:.message --no-headers
	if kubectl get svc "$db-rds" -n "$namespace" >/dev/null 2>&1; then fail "service/$db-rds still exists"; else echo "service/$db-rds: removed"; fi
done
kubectl get secrets -n "$namespace" -l "matrixmind.cloud/rdsdatabase"
# As az postgres flexible-server list would: payments-az's server is gone from its resource group.
gone=
for _ in $(seq 30); do # Azure drops a server a moment after it accepted the deletion
	if servers=$(curl -fsS -H "Authorization: Bearer $AZURE_ACCESS_TOKEN" \
		"$AZURE_ARM_ENDPOINT$az_group/providers/Microsoft.DBforPostgreSQL/flexibleServers?api-version=2024-08-01" 2>&1) &&
		[[ -n "$az_server" && $servers != *"\"$az_server\""* ]]; then
		gone=1
		break
	fi
	sleep 1
done
if [[ -n "$gone" ]]; then echo "OK   flexible server $az_server: gone from $az_group"; else fail "flexible server ${az_server:-(none in status)} still in $az_group: $servers"; fi
kubectl delete databaseclass gcp-local azure-local --timeout=60s || fail "the DatabaseClasses were not deleted"

step "Read the final snapshot's export back from S3 (s3://demo-exports/rds/$namespace/..., Parquet, read with the AWS SDK's S3 client: go run ./hack/exportrows)"
go build -o .local/exportrows ./hack/exportrows
found=
for _ in $(seq 60); do # the export runs after the final snapshot is complete
	if out=$(.local/exportrows -bucket demo-exports -prefix "rds/$namespace/" 2>&1) && grep -q exported-row-2 <<<"$out"; then found=1; break; fi
	sleep 1
done
grep -B1 -A2 "items" <<<"$out" | head -n 12 || true
if [[ -n "$found" ]]; then echo "OK   the rows written before the deletion are in the exported Parquet"; else fail "the final snapshot's export does not hold the rows: $out"; fi

step "On premises: db1, a PostgreSQL server that exists already (the stack's; its administrator's login in Secret platform/db1-admin), shared through a DatabaseClass with provider existing (kubectl apply -f config/samples/onprem/matrixmind_v1_databaseclass_existing.yaml -f config/samples/onprem/matrixmind_v1_rdsdatabase_existing.yaml)"
onprem_start=$SECONDS
# db1_admin SQL: as the platform team, with nothing but the admin Secret (verify-ca with its ca.crt).
db1_ca="$PWD/.local/demo-db1-admin.ca.crt"
kubectl get secret db1-admin -n platform -o go-template='{{index .data "ca.crt" | base64decode}}' >"$db1_ca"
keys=$(kubectl get secret db1-admin -n platform -o go-template='{{index .data "host" | base64decode}} {{index .data "port" | base64decode}} {{index .data "username" | base64decode}}')
read -r db1_host db1_port db1_user <<<"$keys"
db1_password=$(kubectl get secret db1-admin -n platform -o go-template='{{index .data "password" | base64decode}}')
db1_admin() {
	PGPASSWORD="$db1_password" "$psql" "host=$db1_host port=$db1_port user=$db1_user dbname=postgres sslmode=verify-ca sslrootcert=$db1_ca" -Atc "$1" 2>&1
}
# What the server holds besides the operator's work: it must be the same after the deletions.
db1_objects="select 'role ' || rolname from pg_roles union all select 'database ' || datname from pg_database order by 1"
db1_before=$(db1_admin "$db1_objects") || fail "log in to db1 as its administrator: $db1_before"
echo "db1 at $db1_host:$db1_port holds the databases $(sed -n 's/^database //p' <<<"$db1_before" | paste -sd' ') and, besides PostgreSQL's own, the roles $(grep -v '^role pg_' <<<"$db1_before" | sed -n 's/^role //p' | paste -sd' ')"
kubectl apply -f config/samples/onprem/matrixmind_v1_databaseclass_existing.yaml -f config/samples/onprem/matrixmind_v1_rdsdatabase_existing.yaml
onprem_applied=$SECONDS
if kubectl wait --for=condition=Ready rdsdatabase/inventory -n "$namespace" --timeout=120s; then
	onprem_ready=$((SECONDS - onprem_applied))
else
	onprem_ready=never
	fail "rdsdatabase/inventory not Ready within 120s"
	kubectl get rdsdatabase inventory -n "$namespace" -o yaml | sed -n '/^status:/,$p' || true
	echo "manager log: $root/.local/manager.log, db1's log: $root/.local/db1/log/error/" >&2
fi
kubectl get rdsdatabase inventory -n "$namespace"
kubectl get rdsdatabase inventory -n "$namespace" -o go-template='status.class={{.status.class}} status.provider={{.status.provider}}: {{.status.cloud.identifier}} at {{.status.cloud.endpoint}}:{{.status.cloud.port}}, PostgreSQL {{.status.cloud.engineVersion}} (the server version){{"\n"}}'
# As an application with only its Secret mounted: the uri, the server verified against ca.crt.
app_ca="$PWD/.local/demo-inventory.rds.inventory-app.ca.crt"
kubectl get secret inventory.rds.inventory-app -n "$namespace" -o go-template='{{index .data "ca.crt" | base64decode}}' >"$app_ca"
app_uri=$(kubectl get secret inventory.rds.inventory-app -n "$namespace" -o go-template='{{index .data "uri" | base64decode}}')
app_uri=${app_uri/sslmode=require/"sslmode=verify-ca&sslrootcert=$app_ca"} # quoted: bash 5.2 reads a bare & as the match
if out=$("$psql" "$app_uri" -qAtc "create table stock (sku text primary key, qty int); insert into stock values ('bolt', 40), ('nut', 75); select current_user || ' in ' || current_database() || ' (verify-ca with its ca.crt): ' || count(*) || ' rows in stock' from stock" 2>&1); then
	echo "OK   $out"
else
	fail "inventory_app with its Secret: $out"
fi
if out=$("$psql" "$app_uri" -Atc "select shobj_description(oid, 'pg_authid') from pg_roles where rolname = current_user" 2>&1) && [[ $out == *'"matrixmind.cloud/owner":"'"$namespace"'/inventory"'* ]]; then
	echo "OK   the role inventory_app is marked as inventory's: $out"
else
	fail "inventory_app's role is not marked as inventory's: $out"
fi

step "On premises: a second object, inventory-copy, on db1 names the same user inventory_app: refused (UsersReady=False, NameTaken), inventory_app untouched"
kubectl apply -f - <<YAML
apiVersion: matrixmind.cloud/v1
kind: RDSDatabase
metadata:
  name: inventory-copy
  namespace: $namespace
spec:
  class: db1
  type: postgresql
  masteruser: invcopy_admin
  users:
    inventory_app: []
  databases:
    inventory_copy: [inventory_app]
  deletionPolicy: Delete
YAML
if kubectl wait --for=jsonpath='{.status.conditions[?(@.type=="UsersReady")].reason}'=NameTaken rdsdatabase/inventory-copy -n "$namespace" --timeout=120s >/dev/null; then
	echo "OK   UsersReady=$(kubectl get rdsdatabase inventory-copy -n "$namespace" -o jsonpath='{.status.conditions[?(@.type=="UsersReady")].status}') NameTaken: $(kubectl get rdsdatabase inventory-copy -n "$namespace" -o jsonpath='{.status.conditions[?(@.type=="UsersReady")].message}')"
else
	fail "inventory-copy did not get UsersReady=False NameTaken: $(kubectl get rdsdatabase inventory-copy -n "$namespace" -o jsonpath='{.status.conditions}')"
fi
if out=$("$psql" "$app_uri" -Atc "select 'inventory_app still logs in with its Secret; ' || count(*) || ' rows in stock' from stock" 2>&1); then echo "OK   $out"; else fail "inventory_app lost its login: $out"; fi

step "On premises: delete both (deletionPolicy Delete): their roles and databases are dropped, nothing else on db1 is touched"
kubectl delete rdsdatabase inventory inventory-copy -n "$namespace" --timeout=120s || fail "inventory and inventory-copy not deleted"
left=$(db1_admin "select 'role ' || rolname from pg_roles where rolname in ('inventory_admin', 'inventory_app', 'inventory_ro', 'invcopy_admin') union all select 'database ' || datname from pg_database where datname in ('inventory', 'inventory_copy')") || fail "log in to db1 as its administrator: $left"
if [[ -z "$left" ]]; then echo "OK   the roles inventory_admin, inventory_app, inventory_ro, invcopy_admin and the database inventory are gone from db1"; else fail "left on db1: ${left//$'\n'/, }"; fi
if db1_after=$(db1_admin "$db1_objects") && [[ "$db1_after" == "$db1_before" ]]; then
	echo "OK   db1 holds the same $(wc -l <<<"$db1_after") roles and databases as before the class was applied"
else
	fail "db1 changed besides the operator's work: $(diff <(echo "$db1_before") <(echo "$db1_after") | tr '\n' ' ')"
fi
kubectl delete databaseclass db1 --timeout=60s || fail "DatabaseClass db1 was not deleted"
onprem_took=$((SECONDS - onprem_start))

step "Summary"
echo "apply to Ready (all created at once): postgresql ${ready_after[orders]}s, mysql ${ready_after[shop]}s, aurora-postgresql ${ready_after[ledger]}s, aurora-mysql ${ready_after[carts]}s, cloud sql postgresql ${ready_after[payments]}s, azure postgresql ${ready_after[payments-az]}s, existing postgresql (db1) ${onprem_ready}s (the on-premises part took ${onprem_took}s)"
if ((failures > 0)); then
	echo "demo: $failures check(s) FAILED" >&2
	exit 1
fi
echo "demo: all checks passed"
