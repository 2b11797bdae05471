package existing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// Dumps is where and with what a class's final snapshots are taken: a Job per deleted
// object, in the namespace of the class's admin Secret, that dumps the object's databases
// into a PersistentVolumeClaim there, logged in as the administrator through the Secret
// (the provider never handles the password for it).
type Dumps struct {
	// Namespace and Secret name the admin Secret; the Jobs run in Namespace.
	Namespace, Secret string
	// Claim is the PersistentVolumeClaim the dumps are written to.
	Claim string
	// Image runs the dump; empty: the engine's official image of the server's version.
	Image string
	// Jobs creates the dump Jobs, and Reader reads them (past any cache).
	Jobs   client.Writer
	Reader client.Reader
}

// Labels of a dump Job.
const (
	LabelManagedBy = "matrixmind.cloud/managed-by"
	ManagedBy      = "aws-rds-operator"
	// LabelDumpOf names the database (its identifier) a Job dumps.
	LabelDumpOf = "matrixmind.cloud/dump-of"
	// AnnotationOwner names the object the database is of (its owner mark), and
	// AnnotationDatabases the databases the Job dumps (a JSON list).
	AnnotationOwner     = "matrixmind.cloud/owner"
	AnnotationDatabases = "matrixmind.cloud/databases"
	// dumpsMount is where the claim is mounted in a dump Job's container, adminMount the
	// admin Secret's ca.crt.
	dumpsMount = "/dumps"
	adminMount = "/admin"
)

// DumpDir is where, in the claim, the dump taken as final snapshot final of the database
// identifier goes.
func DumpDir(identifier, final string) string { return path.Join(identifier, final) }

// KeepsSnapshots implements cloud.Provider: a final snapshot is a dump, where the class
// names a place for them.
func (p *Provider) KeepsSnapshots() bool { return p.cfg.Dumps != nil }

// dumped reports nil once the final snapshot final of the database identifier, whose
// owner mark is owner, is taken: a dump Job that completed with every database of the
// object in it, or nothing of the object to dump. The first time, it locks the object's
// users out (what the dump holds is then what they wrote last) and starts the Job; it
// reports a Job still running as busy, and one that failed, or that misses a database
// made since, as a failure that holds the delete until a person acts.
func (p *Provider) dumped(ctx context.Context, op string, st engine.Steward, srv Server, identifier, owner, final string) error {
	d := p.cfg.Dumps
	name := strings.ToLower(final)
	var job batchv1.Job
	err := d.Reader.Get(ctx, client.ObjectKey{Namespace: d.Namespace, Name: name}, &job)
	switch {
	case apierrors.IsNotFound(err):
		return p.startDump(ctx, op, st, srv, identifier, owner, name)
	case err != nil:
		return &cloud.Error{Op: op, Code: "DumpJobUnreadable", Message: fmt.Sprintf("read the dump Job %s/%s: %v", d.Namespace, name, err), Kind: cloud.ErrTransient}
	case job.Labels[LabelDumpOf] != identifier:
		return &cloud.Error{Op: op, Code: "DumpJobTaken",
			Message: fmt.Sprintf("a Job %s/%s exists that does not dump %s: the final snapshot cannot be taken under its name; delete that Job, or set deletionPolicy Retain or Delete", d.Namespace, name, identifier)}
	}
	again := "delete the Job to dump again, or set deletionPolicy Retain or Delete"
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			var dumped []string
			if err := json.Unmarshal([]byte(job.Annotations[AnnotationDatabases]), &dumped); err != nil {
				return &cloud.Error{Op: op, Code: "DumpIncomplete",
					Message: fmt.Sprintf("the dump Job %s/%s does not say which databases it dumped (annotation %s): %s", d.Namespace, name, AnnotationDatabases, again)}
			}
			owned, err := st.OwnedDatabases(ctx, owner)
			if err != nil {
				return err
			}
			if missing := slices.DeleteFunc(owned, func(db string) bool { return slices.Contains(dumped, db) }); len(missing) > 0 {
				return &cloud.Error{Op: op, Code: "DumpIncomplete",
					Message: fmt.Sprintf("the dump Job %s/%s did not dump %s, made after it began: nothing is dropped without its dump; %s", d.Namespace, name, strings.Join(missing, ", "), again)}
			}
			return nil
		case batchv1.JobFailed:
			return &cloud.Error{Op: op, Code: "DumpFailed",
				Message: fmt.Sprintf("the dump Job %s/%s failed (%s: %s); its pods' logs say why. Nothing is dropped without the dump: fix the cause and %s", d.Namespace, name, c.Reason, c.Message, again)}
		}
	}
	return &cloud.Error{Op: op, Code: "DumpRunning", Kind: cloud.ErrBusy,
		Message: fmt.Sprintf("dumping %s with Job %s/%s into claim %s at %s/", identifier, d.Namespace, name, d.Claim, DumpDir(identifier, name))}
}

// startDump locks the users of owner out and creates the Job that dumps its databases, or,
// when it has none, reports the snapshot taken: nothing of it is left to drop.
func (p *Provider) startDump(ctx context.Context, op string, st engine.Steward, srv Server, identifier, owner, name string) error {
	if _, err := st.LockOut(ctx, owner); err != nil {
		return err
	}
	databases, err := st.OwnedDatabases(ctx, owner)
	if err != nil || len(databases) == 0 {
		return err
	}
	version, err := st.Version(ctx)
	if err != nil {
		return err
	}
	job, err := p.dumpJob(srv, version, identifier, owner, name, databases)
	if err != nil {
		return err
	}
	if err := p.cfg.Dumps.Jobs.Create(ctx, job); err != nil && !apierrors.IsAlreadyExists(err) {
		return &cloud.Error{Op: op, Code: "DumpJobRefused", Message: fmt.Sprintf("create the dump Job %s/%s: %v", job.Namespace, job.Name, err), Kind: cloud.ErrTransient}
	}
	return &cloud.Error{Op: op, Code: "DumpRunning", Kind: cloud.ErrBusy,
		Message: fmt.Sprintf("locked out the users of %s and started Job %s/%s to dump %s into claim %s at %s/", identifier, job.Namespace, job.Name,
			strings.Join(databases, ", "), p.cfg.Dumps.Claim, DumpDir(identifier, name))}
}

// The dump scripts. Their arguments are pairs of a file name (safe in a path) and the
// database it holds, whose name reaches pg_dump only as PGDATABASE (never a connection
// string it would parse) and mysqldump only after "--" (never an option). A file appears
// under its name only once complete, readable by the Job's user only; a Job run again
// after a partial drop writes the files of what is left, and no other.
const (
	pgDumpScript = `set -eu
umask 077
mkdir -p "$DUMP_DIR"
while [ "$#" -ge 2 ]; do
  file="$DUMP_DIR/$1.dump"
  PGDATABASE="$2" pg_dump --format=custom --no-password --file="$file.partial"
  mv "$file.partial" "$file"
  echo "dumped database $2 to $file"
  shift 2
done`
	mysqlDumpScript = `set -eu
umask 077
mkdir -p "$DUMP_DIR"
dump=$(command -v mariadb-dump || command -v mysqldump)
export MYSQL_PWD="$DB_PASSWORD"
# The server's certificate is verified against the admin Secret's CA when it has one;
# without, the connection is encrypted all the same. MariaDB's and Oracle's clients say
# so differently.
if "$dump" --version | grep -qi mariadb; then
  tls="--ssl --skip-ssl-verify-server-cert"
  if [ -s "$DB_CA" ]; then tls="--ssl-ca=$DB_CA --ssl-verify-server-cert"; fi
else
  tls="--ssl-mode=REQUIRED"
  if [ -s "$DB_CA" ]; then tls="--ssl-mode=VERIFY_IDENTITY --ssl-ca=$DB_CA"; fi
fi
while [ "$#" -ge 2 ]; do
  file="$DUMP_DIR/$1.sql"
  # After --, the database's name is a name, never an option.
  "$dump" --host="$DB_HOST" --port="${DB_PORT:-3306}" --user="$DB_USER" $tls \
    --single-transaction --routines --triggers --events --result-file="$file.partial" --databases -- "$2"
  mv "$file.partial" "$file"
  echo "dumped database $2 to $file"
  shift 2
done`
)

// safeFile is a database name that may name a file as it is.
var safeFile = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$`)

// dumpFile is the file name of database's dump: its name, or, where that is not safe in a
// path, a name made of a hash of it.
func dumpFile(database string) string {
	if safeFile.MatchString(database) {
		return database
	}
	sum := sha256.Sum256([]byte(database))
	return "database-" + hex.EncodeToString(sum[:])[:12]
}

// dumpImage is the image that dumps a server of engine at version: the engine's official
// image of that version (pg_dump must be as new as the server), unless the class names one.
func (p *Provider) dumpImage(engineName, version string) string {
	if p.cfg.Dumps.Image != "" {
		return p.cfg.Dumps.Image
	}
	parts := strings.SplitN(version, ".", 3)
	switch engineName {
	case EnginePostgres:
		return "postgres:" + parts[0]
	case EngineMariaDB, EngineMySQL:
		tag := parts[0]
		if len(parts) > 1 {
			tag += "." + parts[1]
		}
		return engineName + ":" + tag
	}
	return ""
}

// dumpJob is the Job that dumps databases, the owned databases of identifier, of the
// server srv at version.
func (p *Provider) dumpJob(srv Server, version, identifier, owner, name string, databases []string) (*batchv1.Job, error) {
	d := p.cfg.Dumps
	fromSecret := func(env, key string, optional bool) corev1.EnvVar {
		sel := &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: d.Secret}, Key: key}
		if optional {
			sel.Optional = ptr.To(true)
		}
		return corev1.EnvVar{Name: env, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: sel}}
	}
	ca := path.Join(adminMount, "ca.crt")
	env := []corev1.EnvVar{{Name: "DUMP_DIR", Value: path.Join(dumpsMount, DumpDir(identifier, name))}}
	script := pgDumpScript
	if srv.Engine == EnginePostgres {
		mode := "require"
		if len(srv.CA) > 0 {
			mode = "verify-full"
		}
		env = append(env, fromSecret("PGHOST", "host", false), fromSecret("PGPORT", "port", true),
			fromSecret("PGUSER", "username", false), fromSecret("PGPASSWORD", "password", false),
			corev1.EnvVar{Name: "PGSSLMODE", Value: mode}, corev1.EnvVar{Name: "PGSSLROOTCERT", Value: ca},
			corev1.EnvVar{Name: "PGCONNECT_TIMEOUT", Value: "30"})
	} else {
		script = mysqlDumpScript
		env = append(env, fromSecret("DB_HOST", "host", false), fromSecret("DB_PORT", "port", true),
			fromSecret("DB_USER", "username", false), fromSecret("DB_PASSWORD", "password", false),
			corev1.EnvVar{Name: "DB_CA", Value: ca})
	}
	args := []string{"/bin/sh", "-c", script, "dump"}
	for _, db := range databases {
		args = append(args, dumpFile(db), db)
	}
	listed, err := json.Marshal(databases)
	if err != nil {
		return nil, err
	}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: d.Namespace, Name: name,
			Labels:      map[string]string{LabelManagedBy: ManagedBy, LabelDumpOf: identifier},
			Annotations: map[string]string{AnnotationOwner: owner, AnnotationDatabases: string(listed)},
		},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](2),
			// A pod that never starts (an image that cannot be pulled, a claim that is
			// never bound) fails the Job in a day, which the object's condition then says.
			ActiveDeadlineSeconds: ptr.To[int64](24 * 60 * 60),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{LabelManagedBy: ManagedBy, LabelDumpOf: identifier}},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					// The restricted Pod Security Standard: the official images' database
					// user (999), which the claim is made writable for.
					AutomountServiceAccountToken: ptr.To(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](999), RunAsGroup: ptr.To[int64](999), FSGroup: ptr.To[int64](999),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name: "dump", Image: p.dumpImage(srv.Engine, version), Command: args, Env: env,
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr.To(false),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "dumps", MountPath: dumpsMount},
							{Name: "admin", MountPath: adminMount, ReadOnly: true},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "dumps", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: d.Claim}}},
						{Name: "admin", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
							SecretName: d.Secret, Optional: ptr.To(true),
							Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
						}}},
					},
				},
			},
		},
	}, nil
}
