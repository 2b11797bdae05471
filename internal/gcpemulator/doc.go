// Package gcpemulator is a local Google Cloud SQL Admin API v1 (REST/JSON, the wire
// protocol of google.golang.org/api/sqladmin/v1): instances, operations, users, databases,
// backup runs, the Backups API and restores, with Google's resource shapes, states and
// error format, backed by real database servers (PostgreSQL through package pgserver for
// POSTGRES_*, MariaDB through package mariaserver for MYSQL_*). It is its own product: it
// knows nothing of its clients.
//
// # Emulator-specific behaviour
//
//   - Port: Cloud SQL serves 5432 or 3306 on ipAddresses[type=PRIMARY]. Here every server
//     listens on its own loopback port, so an instance reports ipAddress 127.0.0.1 and its
//     port in two places: the instance's "emulatorPort" JSON field (an extension, dropped by
//     Google's generated client) and the X-Cloudsql-Emulator-Port response header of
//     instances.get, which the generated client exposes as
//     DatabaseInstance.ServerResponse.Header. connectionName stays project:region:name.
//   - serverCaCert.cert is the real server's self-signed certificate.
//   - The PostgreSQL server's real superuser (pgserver's rdsadmin) is the emulator's alone,
//     reachable over the unix socket only, as cloudsqladmin is Google's.
//   - Operations on users and databases are answered already DONE; instance operations
//     run in the background for the configured Delays.
//   - No automated (scheduled) backups: backupConfiguration is stored and echoed only.
//   - A restore replaces the target's server with a fresh one, on the same port, that
//     replays the backup's dump.
//
// # Cloud SQL facts relied on
//
// docs/cloudsql-facts.md lists them, with where each comes from.

package gcpemulator
