// Package naming derives every name the operator gives to things outside the RDSDatabase:
// the cloud identifier, Secrets, the Service and snapshots. Each function is pure and
// stable: the same object always gets the same names, which is what makes a retried create
// find its own database instead of making a second one.
package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// maxIdentifier is RDS's limit for DBInstanceIdentifier and DBSnapshotIdentifier.
const maxIdentifier = 63

// hashLen is how many hex digits of the hash end every identifier.
const hashLen = 8

// Identifier returns the RDS DBInstanceIdentifier for the RDSDatabase namespace/name: a
// readable "<namespace>-<name>" cut to fit, then a hash of namespace/name so that two objects
// whose readable parts collide ("a-b"/"c" and "a"/"b-c") still get different identifiers.
// The result is 1-63 letters, digits or hyphens, starts with a letter, has no "--" and does
// not end with "-", as RDS requires.
func Identifier(namespace, name string) string {
	return withHash(namespace+"-"+name, namespace+"/"+name, maxIdentifier)
}

// ReplicaIdentifier returns the RDS DBInstanceIdentifier of read replica number n (from 1)
// of the RDSDatabase namespace/name, in Identifier's form.
func ReplicaIdentifier(namespace, name string, n int) string {
	suffix := "-r" + strconv.Itoa(n)
	// The hashed key has a third "/"-separated part, which no object's "<namespace>/<name>"
	// has: replica 1 of "orders" and the primary of an object named "orders-r1" differ.
	return withHash(namespace+"-"+name+suffix, namespace+"/"+name+"/"+suffix, maxIdentifier)
}

// ClusterInstanceIdentifier returns the RDS DBInstanceIdentifier of DB instance number n
// (from 1; the first is created as the writer) of the Aurora cluster of the RDSDatabase
// namespace/name, in Identifier's form.
func ClusterInstanceIdentifier(namespace, name string, n int) string {
	suffix := "-i" + strconv.Itoa(n)
	// A third part in the hashed key, as for replicas: instance 1 of "orders" and the
	// database of an object named "orders-i1" differ.
	return withHash(namespace+"-"+name+suffix, namespace+"/"+name+"/"+suffix, maxIdentifier)
}

// ReaderServiceName returns the name of the Service pointing at the readers of the
// RDSDatabase name.
func ReaderServiceName(name string) string {
	return name + "-rds-ro"
}

// FinalSnapshotIdentifier returns the identifier of the final snapshot taken when the
// database identified by id is deleted. uid is the RDSDatabase's UID, so an object deleted
// and created again under the same name never collides with its predecessor's snapshot.
func FinalSnapshotIdentifier(id, uid string) string {
	return withHash(id+"-final", id+"/"+uid, maxIdentifier)
}

// withHash sanitizes readable into RDS identifier form and appends "-" and a hash of key,
// cutting readable so that the whole fits in max characters.
func withHash(readable, key string, max int) string {
	sum := sha256.Sum256([]byte(key))
	hash := hex.EncodeToString(sum[:])[:hashLen]
	prefix := sanitize(readable)
	if room := max - hashLen - 1; len(prefix) > room {
		prefix = strings.TrimRight(prefix[:room], "-")
	}
	if prefix == "" {
		return "rds-" + hash
	}
	return prefix + "-" + hash
}

// sanitize lowercases s, turns every character RDS does not allow into "-", collapses runs
// of "-", and trims what may not start or end an identifier.
func sanitize(s string) string {
	var b strings.Builder
	lastHyphen := false
	for _, r := range strings.ToLower(s) {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
		switch {
		case ok:
			b.WriteRune(r)
			lastHyphen = false
		case !lastHyphen:
			b.WriteByte('-')
			lastHyphen = true
		}
	}
	out := strings.Trim(b.String(), "-")
	// An identifier must start with a letter.
	if out != "" && (out[0] < 'a' || out[0] > 'z') {
		out = "rds-" + out
	}
	return out
}

// ScheduledSnapshotIdentifier returns the identifier of the snapshot the backup schedule
// takes of the database id for the slot at: the same slot always gets the same name, so a
// snapshot asked for again after a crash is found instead of taken twice.
func ScheduledSnapshotIdentifier(id string, at time.Time) string {
	stamp := at.UTC().Format("200601021504")
	return withHash(id+"-"+stamp, id+"/"+stamp, maxIdentifier)
}

// ManualSnapshotIdentifier returns the identifier of the snapshot taken of the database id
// on request token (the matrixmind.cloud/snapshot-request annotation): the same token always
// gets the same name, so a request asked again after a crash finds its snapshot instead of
// taking a second one. The hashed key has a "manual" part no scheduled or final snapshot's
// key has, so a token that looks like a slot's time stamp never names a scheduled snapshot.
func ManualSnapshotIdentifier(id, token string) string {
	return withHash(id+"-manual-"+token, id+"/manual/"+token, maxIdentifier)
}

// maxExportIdentifier is RDS's limit for ExportTaskIdentifier.
const maxExportIdentifier = 60

// ExportPrefix returns what the identifier of every export of the database id's backups
// starts with: id, cut to leave room for a hash but keeping the hash id ends with (which
// names the object), then "-".
func ExportPrefix(id string) string {
	if room := maxExportIdentifier - hashLen - 1; len(id)+1 > room {
		keep := room - hashLen - 2 // the cut readable part, "-", id's hash, "-"
		id = strings.TrimRight(id[:keep], "-") + "-" + id[len(id)-hashLen:]
	}
	return id + "-"
}

// ExportIdentifier returns the identifier of the export of snapshot, a backup of the database
// id: the same snapshot always gets the same identifier, so asking again after a crash finds
// the export instead of starting a second one. It is 1-60 letters, digits and hyphens,
// starts with a letter, has no "--" and does not end with "-", as RDS requires.
func ExportIdentifier(id, snapshot string) string {
	sum := sha256.Sum256([]byte(snapshot))
	return ExportPrefix(id) + hex.EncodeToString(sum[:])[:hashLen]
}

// ExportLocation is where the export task writes: bucket/prefix/task/, the prefix's own
// slashes trimmed.
func ExportLocation(bucket, prefix, task string) string {
	path := task + "/"
	if p := strings.Trim(prefix, "/"); p != "" {
		path = p + "/" + path
	}
	return bucket + "/" + path
}

// MasterSecretName returns the name of the Secret holding the master user's credentials.
func MasterSecretName(database string) string {
	return database + ".rds.master"
}

// UserSecretName returns the name of the Secret holding user's credentials. A Secret name
// may not contain "_", so it becomes "-"; user names cannot contain "-", so this stays unique.
func UserSecretName(database, user string) string {
	return database + ".rds." + strings.ReplaceAll(user, "_", "-")
}

// ServiceName returns the name of the Service pointing at the database's endpoint. A
// Service name may not contain dots, so the seed's "<name>.rds.svc" became "<name>-rds".
func ServiceName(database string) string {
	return database + "-rds"
}

// Owner returns the value of the owner tag and annotation for namespace/name.
func Owner(namespace, name string) string {
	return namespace + "/" + name
}
