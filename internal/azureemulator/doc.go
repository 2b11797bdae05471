// Package azureemulator is a local Azure Resource Manager (REST/JSON, the wire protocol of
// the Azure SDKs' armpostgresqlflexibleservers and armmysqlflexibleservers) for Azure
// Database for PostgreSQL and MySQL flexible servers: servers under
// /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.DBforPostgreSQL (or
// Microsoft.DBforMySQL)/flexibleServers, their databases and firewall rules, and the
// long-running operations Azure's SDKs poll (Azure-AsyncOperation and Location), with ARM's
// error format, backed by real database servers (PostgreSQL through package pgserver,
// MariaDB through package mariaserver standing in for MySQL). It is its own product: it
// knows nothing of its clients.
//
// # Wire
//
//   - PUT of a new server answers 201 with the server (state Provisioning) and the polling
//     headers; it is Ready after Delays.Create. A PUT on an existing server is an update
//     (ARM's create-or-update): the properties it carries change, those it leaves out keep
//     their values, but the tags, which it replaces; one that changes nothing answers 200
//     at once.
//   - PATCH answers 202 (state Updating until Delays.Update has passed), or 200 at once when
//     it changes nothing or only the tags (applied at once: the emulator's choice, as tags are
//     metadata of Resource Manager's rather than of the database server's). DELETE answers 202 (state Dropping), or 204 for a server that does
//     not exist. POST .../restart answers 202 (state Starting).
//   - The Azure-AsyncOperation URL answers {"name","status","startTime","endTime","error"}
//     with status InProgress, Succeeded or Failed; the Location URL answers 202 while the
//     operation runs, then the server (200), nothing (204 after a delete, 200 after a
//     restart), or the operation's error with its status.
//
// # Emulator-specific behaviour
//
//   - Addresses: every server gets a loopback address of its own, a random 127.x.y.z
//     outside 127.0.0.0/16 (the machine's own servers on 127.0.0.1 are no obstacle), where
//     its database server listens on the engine's standard port (5432, 3306). The address is
//     the server's fullyQualifiedDomainName (Azure's is name.postgres.database.azure.com),
//     reported once the server is Ready. NoEngine servers get an address with nothing
//     listening.
//   - PostgreSQL: the administrator is pgserver's master user, member of azure_pg_admin
//     (pgserver's rds_superuser, renamed) with CREATEDB, CREATEROLE and REPLICATION, not a
//     superuser. The real superuser is pgserver's rdsadmin (Azure's is azuresu), the
//     emulator's alone over the unix socket, so rdsadmin is a reserved login here. A
//     server runs the major version asked for when this machine has a build of it
//     (pgserver.Builds); else the default build stands in, as the log says, and
//     minorVersion is empty.
//   - MySQL: MariaDB stands in for 5.7 and 8.0.21; the administrator has Azure's admin
//     privileges (mariaserver's master privileges: all but SUPER, FILE and SHUTDOWN, WITH
//     GRANT OPTION). There is no minorVersion.
//   - No API version the emulator serves has a state word for a server being created or
//     restarted: it reads Starting then. A server whose database server did not start is
//     gone again and its create operation Failed (InternalServerError); one whose database
//     server did not come back after a restart or a scaling reads Disabled, and a restart
//     may bring it back.
//   - While an operation runs on a server (a create too), every change to it (PUT, PATCH,
//     DELETE, restart, its databases and firewall rules) answers 409 ServerIsBusy; SetBusy
//     (POST /_emulator/busy) makes a server busy the same way.
//   - An update's settings and the new administrator password take effect when its
//     operation ends; a SKU change restarts the database server within the operation.
//     Storage size, autoGrow, IOPS, backup retention, geo-redundant backup, high
//     availability (no standby exists), network, availability zone and the maintenance
//     window are checked, stored and echoed only. createMode other than Default (and
//     Create, Update on PostgreSQL) is refused: there are no restores or replicas.
//   - The same engine versions, storage sizes and properties are taken under every API
//     version served, and every property is answered under every one (an SDK ignores those
//     its API version lacks).
//   - Databases: PUT creates the database on the database server: on PostgreSQL owned by
//     azure_pg_admin, in the cluster's encoding (UTF8) whatever the charset asked; on MySQL
//     in the charset asked. The collation is echoed only. The list asks the database
//     server, so it names databases made with SQL too. Firewall rules are stored and echoed; every
//     database server takes connections from loopback whatever they say.
//   - Faults (Config.Faults, SetFaults, POST /_emulator/faults): throttling answers 429
//     SubscriptionRequestsThrottled with a Retry-After of Faults.RetryAfter;
//     unavailability 503; QuotaExceeded refuses every create with 409 QuotaExceeded;
//     FailOperations accepts creates and updates and then fails their operations.
//     Operation responses carry no Retry-After: clients poll at their own pace.
//   - Tamper (POST /_emulator/tamper) changes a server's SKU, storage, tags or
//     administrator password at once, as someone at the portal would; a SKU change made so
//     does not restart the database server.
//   - The call log counts a call as a retry when it repeats an x-ms-client-request-id
//     already seen (azcore's runtime.NewRequestIDPolicy sets one per logical request).
//   - Operations are kept in memory for the emulator's life.
//
// # Azure facts relied on
//
// docs/azure-facts.md lists them, with where each comes from and which are guesses.
package azureemulator
