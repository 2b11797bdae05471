// Package gcpemulator is a local Google Cloud SQL Admin API v1 (REST/JSON, the wire
// protocol of google.golang.org/api/sqladmin/v1): instances, operations, users, databases,
// backup runs, the Backups API, restores and exports to Cloud Storage (a fake-gcs-server
// stand-in, ListenGCS), with Google's resource shapes, states and
// error format, backed by real database servers (PostgreSQL through package pgserver for
// POSTGRES_*, MariaDB through package mariaserver for MYSQL_*). It is its own product: it
// knows nothing of its clients.
//
// # Emulator-specific behaviour
//
//   - Addresses: Cloud SQL serves 5432 (PostgreSQL) or 3306 (MySQL) on the instance's
//     ipAddresses[type=PRIMARY]. Here every instance gets a loopback address of its own, a
//     random 127.x.y.z outside 127.0.0.0/16 (so the machine's own servers on 127.0.0.1 are
//     no obstacle), and its server listens there on the same standard port; the address
//     is its PRIMARY ipAddress. No-engine instances get an address too, with nothing
//     listening. connectionName stays project:region:name.
//   - serverCaCert.cert is the real server's self-signed certificate.
//   - The PostgreSQL server's real superuser (pgserver's rdsadmin) is the emulator's alone,
//     reachable over the unix socket only, as cloudsqladmin is Google's.
//   - databases.list names the databases made with SQL too, asked of the server, as
//     Cloud SQL lists every database of an instance.
//   - Operations on users and databases are answered already DONE; instance operations
//     run in the background for the configured Delays.
//   - No automated (scheduled) backups: backupConfiguration is stored and echoed only.
//   - No maintenance: settings.maintenanceWindow is checked, stored and echoed only.
//   - A restore replaces the target's server with a fresh one, on the same address, that
//     replays the backup's dump. A restore with restoreInstanceSettings makes a new
//     instance instead (PENDING_CREATE under a CREATE operation until the dump is
//     replayed), as Cloud SQL restores to a new instance.
//   - The Backups API's filter takes "instance:<name>" and "type:<TYPE>" terms joined by
//     AND; its delete takes any backup, refused (409) while an operation runs on a live
//     instance, as backupRuns.delete is.
//   - Read replicas (instances.insert with masterInstanceName) are real replicas of their
//     primary's server: a PostgreSQL hot standby streaming its WAL (pgserver.StartReplica)
//     or a MariaDB server replicating it by GTID with read_only on
//     (mariaserver.StartReplica). Their users and databases are the primary's, as
//     users.list answers them; they take no backups and no user or database changes.
//     Without engines a replica gets an address and no server.
//   - instances.export writes to the Cloud Storage stand-in (fake-gcs-server, in memory,
//     served by ListenGCS; GET /_emulator/gcs says where), whose buckets are
//     Config.Buckets and any a client makes there; nobody's permissions are checked. A SQL
//     export is the machine's pg_dump of one PostgreSQL database (refused, as a failed
//     operation, when the server's major is newer than pg_dump's) or mariadb-dump of the
//     MySQL databases; a CSV export is COPY ... TO STDOUT (CSV) or a SELECT written as
//     INTO OUTFILE would, both run read-only as the server's superuser. Parallel exports
//     and csvExportOptions other than selectQuery are refused (400 invalid). An offloaded
//     export is run the same way but, as a serverless export, leaves the instance free
//     for other operations. Without engines the file holds a SQL comment (or nothing for
//     CSV), once the databases named are among those the instance lists.
//   - Database flags (settings.databaseFlags) are checked against the catalog of the
//     instance's engine (package engineparams, this machine's PostgreSQL and MariaDB) plus
//     the few flags of Cloud SQL's own it knows (stored, not applied), and applied to the
//     real server: a flag the engine takes only at start (a PostgreSQL postmaster setting,
//     a MariaDB read-only variable) restarts the server within the patch's UPDATE
//     operation, others apply at once. An unknown name answers 400 invalid naming it (the
//     wording is a guess), a bad value 400 invalidFlagValue naming the flag.
//   - instances.restart restarts the real server, on its data and address, under a
//     RESTART operation. A restarting instance stays RUNNABLE, busy with its operation.
//   - settings.storageAutoResize (on by default) and storageAutoResizeLimit are checked,
//     stored and echoed; the disks fill with nothing, so Cloud SQL's automatic increase
//     happens when told: Emulator.GrowStorage, or POST /_emulator/grow-storage
//     {"project","instance"}, grows the disk by Cloud SQL's step within the limit.
//   - Labels are checked as Google checks them (keys and values, their characters and
//     lengths, at most 64); diskEncryptionConfiguration is stored and echoed only.
//
// # Cloud SQL facts relied on
//
// docs/cloudsql-facts.md lists them, with where each comes from; those of exports are in
// docs/cloudsql-export-facts.md.

package gcpemulator
