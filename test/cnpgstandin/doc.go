// Package cnpgstandin stands in, in tests, for CloudNativePG's controller (v1.30) on a
// control plane that has CloudNativePG's CRDs but no kubelet: for every Cluster
// (postgresql.cnpg.io/v1) in any namespace it starts one real PostgreSQL server on this
// machine and writes what CloudNativePG writes, as far as a client of the Cluster can see:
//
//   - the Secrets <cluster>-ca (ca.crt, ca.key: the cluster's CA, which is both its server and
//     its client CA), <cluster>-server (the server's certificate, for every name of the
//     cluster's Services) and <cluster>-replication (streaming_replica's client certificate);
//   - the ClusterIP Services <cluster>-rw, <cluster>-ro and <cluster>-r, port 5432 named
//     postgres, with CloudNativePG's labels and selectors, less those listed in
//     spec.managed.services.disabledDefaultServices;
//   - every object it makes with the Cluster as controlling owner, as CloudNativePG does:
//     they go with the Cluster through kube-controller-manager's garbage collector;
//   - the Cluster's status through its status subresource: phase "Setting up primary" while
//     the server starts, then "Cluster in healthy state", instances, readyInstances,
//     instanceNames, currentPrimary and targetPrimary <cluster>-1, writeService, readService,
//     image, certificates, secretsResourceVersion, managedRolesStatus, and the conditions
//     Ready and Initialized.
//
// Inside the server, it does what CloudNativePG's initdb bootstrap and instance manager do:
// the role postgres is a superuser without a password (spec.enableSuperuserAccess false),
// streaming_replica exists, spec.bootstrap.initdb's owner is a LOGIN role with the password
// of the initdb Secret and owns its database (the recovery bootstrap's owner likewise, see
// below); spec.managed.roles are applied with CloudNativePG's algorithm (present/absent,
// the role attributes, connectionLimit, validUntil, comment, inRoles, the password of
// passwordSecret); and a password is applied again whenever its Secret's resourceVersion
// changes. Like CloudNativePG 1.30, it revokes
// from a managed role every membership that spec.managed.roles[].inRoles does not list, those
// PostgreSQL 16 and later grant a CREATEROLE role in the roles it creates among them.
//
// Backups (postgresql.cnpg.io/v1 Backup), whatever their method (volumeSnapshot, plugin,
// barmanObjectStore), are taken as a physical base backup of the Cluster's server
// (pgserver's Backup: its data directory and the WAL that makes it consistent, every role,
// password and database), standing in for the volume snapshots or the object store's
// backup. The copy is kept under Options.Dir (_backups/<namespace>/<backup>-<uid>.tar.gz)
// until the stand-in stops: it outlives the Cluster, and the Backup object too, as
// CloudNativePG's volume snapshots (owned by nothing) and object-store backups do. Its
// status is written through the status subresource as CloudNativePG writes it: "pending"
// while the Cluster does not exist or does not serve yet (CloudNativePG retries every 30
// seconds; here the Cluster's events bring it back) or while another Backup of the Cluster
// is taken (one at a time, the oldest first, as CanExecuteBackup decides); then "started"
// (method, majorVersion, instanceID.podName <cluster>-1, backupId and backupName the
// Backup's name, startedAt), "running" for barmanObjectStore, "finalizing" for a volume
// snapshot, and "completed" (stoppedAt, online, for a volume snapshot one PG_DATA element
// named as the Backup); or "failed" with status.error: CloudNativePG's prerequisites (a
// plugin backup of a Cluster without spec.plugins, a volume snapshot or barmanObjectStore
// backup without its section of spec.backup), or a copy that failed (the Cluster deleted
// while it was taken). A finished Backup is never taken again.
//
// ScheduledBackups make their Backups as CloudNativePG's controller does: at once when
// spec.immediate (a volume snapshot waiting for the Cluster to be healthy), then at each time
// of spec.schedule (robfig/cron v1's syntax: six fields, seconds first, or five without the
// day of week, or a descriptor; in UTC, as in CloudNativePG's operator image), none while a
// Backup of the schedule is being taken, none while spec.suspend. Each is named
// <scheduledbackup>-<time as 20060102150405>, labelled cnpg.io/cluster,
// cnpg.io/scheduled-backup and cnpg.io/immediateBackup, carries the ScheduledBackup's
// method, target, online settings and cnpg.io/volumeSnapshotDeadline, and is owned as
// spec.backupOwnerReference says: by nothing (none), by the ScheduledBackup (self), or by
// the Cluster, with its inherited metadata (cluster). status.lastCheckTime,
// lastScheduleTime and nextScheduleTime are written as CloudNativePG writes them.
//
// A Cluster with spec.bootstrap.recovery.backup starts from that Backup's copy, once the
// Backup exists and is completed (until then it is setting up its primary, the reason in
// status.phaseReason; the Backup's changes bring it back), with the major of the Cluster's
// image, which must be the copy's when this machine has builds per major. As CloudNativePG's
// recovery does, the copy's roles keep their passwords; the recovery's owner (default app)
// and database (default app) are made when the copy has none, the owner a LOGIN role, and
// the owner gets the password of the recovery's Secret, again whenever it changes.
//
// Dial reaches a Cluster's server by its Services' names (<svc>.<ns>, <svc>.<ns>.svc,
// <svc>.<ns>.svc.cluster.local, and a bare <svc> in Options.Namespace; port 5432), since no
// resolver here knows them; the server presents a certificate for those names signed by the
// CA in <cluster>-ca, so clients can verify it fully (sslmode verify-full) or its chain only
// (verify-ca).
//
// What stays untested against the stand-in, compared with real CloudNativePG:
//
//   - Pods, PersistentVolumeClaims, storage size and storage class, resources, affinity,
//     PodDisruptionBudgets, the ServiceAccount and RBAC it makes: none is created; the data
//     lives in a directory of this machine, and spec.storage is not read.
//   - Replication, switchover and failover: one server answers for every instance. Its status
//     names spec.instances instances, all ready; <cluster>-ro reaches that same server (a
//     primary, not a standby) when spec.instances > 1, and nothing when it is 1, as a
//     Service without endpoints would.
//   - Images: spec.imageName only chooses the PostgreSQL major version (the leading digits
//     of the tag; no digits run this machine's default build); the image is never pulled,
//     so an image that does not exist still runs. A major with no build here leaves the
//     Cluster setting up, with the reason in status.phaseReason.
//   - The instance manager's other work: postgresql.conf parameters (spec.postgresql), pg_hba
//     rules, tablespaces, extensions, declarative Databases, Poolers, Publications and
//     Subscriptions, logging to stdout, metrics.
//   - The webhooks: no validation (reserved role names, immutable fields, image names), and
//     of the defaulting only the bootstrap's (database app, owned by a role of its name); the
//     CRDs' own defaults apply. A managed role the webhook would refuse (postgres,
//     streaming_replica, a cnpg_ or pg_ prefix) is treated as the instance manager treats
//     it: left alone and listed reserved when it exists.
//   - The pg_basebackup bootstrap, recovery from an external cluster (recovery.source) or
//     from volume snapshots (recovery.volumeSnapshots), point-in-time recovery
//     (recoveryTarget: the copy is restored as it was taken), initdb's SQL hooks but
//     postInitSQL, locale and encoding options, the <cluster>-app Secret CloudNativePG
//     generates when the bootstrap names no Secret (the stand-in then waits, for recovery
//     too), and enableSuperuserAccess true (postgres keeps no password).
//   - Backups: no VolumeSnapshot, object store or plugin is reached (a plugin's name and
//     parameters are not checked, the VolumeSnapshot CRD need not exist), WAL archiving
//     and continuous backup, cold backups (spec.online false is reported, the copy is still
//     taken hot), retention policies, backup targets (always the primary), the Cluster's
//     status of its backups (lastSuccessfulBackup, firstRecoverabilityPoint, the
//     LastBackupSucceeded condition), the hibernation check, the admission webhooks'
//     validation, and the Events CloudNativePG records on Backups and ScheduledBackups.
//     A copy survives the Backup object's deletion only until the stand-in stops; a Backup
//     completed before it started (by another stand-in or by CloudNativePG) has no copy
//     here, and a Cluster recovering from it waits, saying so.
//   - spec.certificates (user-provided CAs and certificates), certificate renewal, and
//     client-certificate authentication; password passthrough Secrets.
//   - Scale and upgrade: a change of spec.instances only changes the status (and whether
//     -ro leads anywhere); a change of spec.imageName does not restart or upgrade the server
//     (status.image follows the spec, status.pgDataImageInfo the major that runs).
//   - Deletion: the server is stopped and its data removed as soon as the Cluster is being
//     deleted (a Backup being taken then fails); the Services and Secrets, and the Backups
//     a ScheduledBackup owns, go only through the garbage collector of
//     kube-controller-manager, which must run.
//
// Differences inside the server: the stand-in's PostgreSQL is package pgserver's, whose
// bootstrap superuser is rdsadmin (reachable over the server's unix socket only, by the
// stand-in itself) rather than postgres; the stand-in drops pgserver's RDS roles
// (rds_superuser and its master user) before the Cluster's roles are made, and lists
// rdsadmin among the reserved roles of managedRolesStatus. Clients reach the server over TCP
// with SCRAM, with or without TLS, as CloudNativePG's default pg_hba rules allow.
package cnpgstandin
