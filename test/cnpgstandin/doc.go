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
// of the initdb Secret and owns its database; spec.managed.roles are applied with
// CloudNativePG's algorithm (present/absent, the role attributes, connectionLimit,
// validUntil, comment, inRoles, the password of passwordSecret); and a password is applied
// again whenever its Secret's resourceVersion changes. Like CloudNativePG 1.30, it revokes
// from a managed role every membership that spec.managed.roles[].inRoles does not list, those
// PostgreSQL 16 and later grant a CREATEROLE role in the roles it creates among them.
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
//     of the defaulting only initdb's (database app, owned by a role of its name); the CRDs'
//     own defaults apply. A managed role the webhook would refuse (postgres,
//     streaming_replica, a cnpg_ or pg_ prefix) is treated as the instance manager treats
//     it: left alone and listed reserved when it exists.
//   - Bootstraps other than initdb (recovery, pg_basebackup), initdb's SQL hooks, locale
//     and encoding options, the <cluster>-app Secret CloudNativePG generates when
//     spec.bootstrap.initdb names no Secret (the stand-in then waits), and
//     enableSuperuserAccess true (postgres keeps no password).
//   - Backups, ScheduledBackups, WAL archiving, and spec.backup.
//   - spec.certificates (user-provided CAs and certificates), certificate renewal, and
//     client-certificate authentication; password passthrough Secrets.
//   - Scale and upgrade: a change of spec.instances only changes the status (and whether
//     -ro leads anywhere); a change of spec.imageName does not restart or upgrade the server
//     (status.image follows the spec, status.pgDataImageInfo the major that runs).
//   - Deletion: the server is stopped and its data removed as soon as the Cluster is being
//     deleted; the Services and Secrets go only through the garbage collector of
//     kube-controller-manager, which must run.
//
// Differences inside the server: the stand-in's PostgreSQL is package pgserver's, whose
// bootstrap superuser is rdsadmin (reachable over the server's unix socket only, by the
// stand-in itself) rather than postgres; the stand-in drops pgserver's RDS roles
// (rds_superuser and its master user) before the Cluster's roles are made, and lists
// rdsadmin among the reserved roles of managedRolesStatus. Clients reach the server over TCP
// with SCRAM, with or without TLS, as CloudNativePG's default pg_hba rules allow.
package cnpgstandin
