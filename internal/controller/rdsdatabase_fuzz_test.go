package controller

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// Admission's rules for spec.backup (api/v1, CEL), written out again: the parsers must
// accept exactly what they accept.
var (
	admittedEvery     = regexp.MustCompile(`^[1-9][0-9]{0,3}[hd]$`)
	admittedRetention = regexp.MustCompile(`^[0-9]+d$`)
)

// FuzzParseEvery proves parseEvery accepts exactly what admission accepts (and "", the
// default), and always returns a positive whole number of hours that cannot overflow.
func FuzzParseEvery(f *testing.F) {
	for _, s := range []string{"", "6h", "24h", "7d", "9999d", "0h", "90m", "+6h", "-6h", "06h", "10000h",
		"99999999999h", "9223372036854775807d", "h", "d", "6", "6H", "６h", "6h\n", "\x006h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseEvery(s)
		want := s == "" || len(s) <= 6 && admittedEvery.MatchString(s)
		if (err == nil) != want {
			t.Fatalf("parseEvery(%q) = %s, %v; admission accepts it: %v", s, d, err, want)
		}
		if err != nil {
			return
		}
		if d <= 0 || d%time.Hour != 0 || d > 9999*24*time.Hour {
			t.Fatalf("parseEvery(%q) = %s: not a whole number of hours from 1h to 9999d", s, d)
		}
	})
}

// FuzzParseRetention proves parseRetention accepts exactly what admission accepts (and "",
// the default) and always returns RDS's range, 1 to 35 days.
func FuzzParseRetention(f *testing.F) {
	for _, s := range []string{"", "7d", "1d", "35d", "36d", "0d", "-1d", "+7d", "007d", "0035d", "7", "1w",
		"4294967297d", "9223372036854775807d", "７d", "7d\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		days, err := parseRetention(s)
		want := s == ""
		if len(s) <= 4 && admittedRetention.MatchString(s) {
			n, convErr := strconv.Atoi(strings.TrimSuffix(s, "d"))
			want = convErr == nil && n >= 1 && n <= 35
		}
		if (err == nil) != want {
			t.Fatalf("parseRetention(%q) = %d, %v; admission accepts it: %v", s, days, err, want)
		}
		if err == nil && (days < 1 || days > 35) {
			t.Fatalf("parseRetention(%q) = %d: outside RDS's 1 to 35 days", s, days)
		}
	})
}

// FuzzSpec decodes any JSON into an RDSDatabase, as if admission had let anything through,
// and runs every pure function the reconciler applies to an object: none may panic, and
// what reaches the cloud must be within RDS's limits or be refused with an error.
func FuzzSpec(f *testing.F) {
	seeds := []string{
		`{"metadata":{"namespace":"shop","name":"orders","generation":3},"spec":{"type":"postgresql","size":"10GB","masteruser":"sysadmin","users":{"app":["createdb"],"admin":["superuser"]},"databases":{"orders":["app","admin"],"logs":[]},"backup":{"every":"6h","retention":"7d"},"tags":{"team":"payments"}}}`,
		`{"metadata":{"name":"x"},"spec":{}}`,
		`{"metadata":{"name":"x"},"spec":{"size":"1e9GB","backup":{"every":"99999999999h","retention":"4294967297d"}}}`,
		`{"metadata":{"name":"x"},"spec":{"backup":{"every":"h","retention":"-1d"},"databases":{"d":[""]},"users":{"":null}}}`,
		`{"metadata":{"name":"x"},"spec":{"type":"MySQL","version":"8.0.40","users":{"app\u0000":[]},"databases":{"orders":["app\u0000","ghost"]}}}`,
		`{"metadata":{"name":"x"},"spec":{"version":"99999999999999999999.1","storageType":"io1","size":"65536GiB"},"status":{"cloud":{"engineVersion":"17.4","allocatedStorageGiB":2147483647},"backup":{"mode":"snapshots","latestSnapshotTime":"9999-12-31T23:59:59Z"}}}`,
		`{"metadata":{"name":"x","annotations":{"rotate.matrixmind.cloud/master":"1"}},"status":{"conditions":[{"type":"Provisioned","status":"False","reason":"Creating","message":"","lastTransitionTime":"0001-01-01T00:00:00Z"}],"users":[{"name":"sysadmin","ok":false}],"databases":["gone"]}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	r := &RDSDatabaseReconciler{Defaults: DefaultDefaults, Cloud: &cloudtest.Provider{}}
	now := time.Date(2026, 11, 25, 12, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		db := &v1.RDSDatabase{}
		if err := json.Unmarshal(data, db); err != nil {
			return
		}
		s := placed(r, db)
		for _, user := range append([]string{db.Spec.MasterUser}, sortedKeys(db.Spec.Users)...) {
			name := secretName(db, user)
			credentialSecret(db, user, name, "pw")
			s.credentials[user] = credential{secret: name, password: "pw"}
			rotationKey(db, user)
			defaultDatabase(db, user)
		}
		desiredUsers(db, s.credentials)
		desiredDatabases(db)
		needsEngine(s)
		justCreated(db, now)
		noteKeptDatabases(s)

		d, _, err := r.desired(s)
		if err == nil {
			// The smallest size is the cloud's rule (Provider.Storage; this fake keeps what
			// was asked): what the spec may ask is 1 to 65536 GiB.
			if d.AllocatedStorageGiB < 1 || d.AllocatedStorageGiB > 65536 {
				t.Fatalf("desired storage %d GiB is outside what a spec may ask", d.AllocatedStorageGiB)
			}
			if d.BackupRetentionDays < 1 || d.BackupRetentionDays > 35 {
				t.Fatalf("desired backup retention %d days is outside RDS's range", d.BackupRetentionDays)
			}
			if d.Identifier != naming.Identifier(db.Namespace, db.Name) || d.Tags[v1.TagOwner] != naming.Owner(db.Namespace, db.Name) {
				t.Fatalf("desired %q with owner tag %q is not this object's", d.Identifier, d.Tags[v1.TagOwner])
			}
			in := cloud.Instance{Identifier: d.Identifier, Status: "available", Phase: cloud.PhaseAvailable, Endpoint: "db.example", Port: 5432}
			if c := db.Status.Cloud; c != nil {
				in.EngineVersion, in.AllocatedStorageGiB, in.InstanceClass = c.EngineVersion, c.AllocatedStorageGiB, c.InstanceClass
			}
			pendingModifications(in)
			s.instance, s.desired = &in, d
			for user, cred := range s.credentials {
				connectionData(engineOf(db), in.Endpoint, in.Port, user, cred.password, defaultDatabase(db, user))
			}
			endpointService(db, "svc", in.Endpoint, in.Port)
		}
		if every, err := parseEvery(db.Spec.Backup.Every); err == nil {
			st := &v1.BackupStatus{}
			if db.Status.Backup != nil {
				st = db.Status.Backup.DeepCopy()
			}
			nextSlot(st, every, now)
		}
		e := engineOf(db)
		e.major(db.Spec.Version)
		r.keepLastChecked(db, v1.UserAccess{Name: db.Spec.MasterUser, LastChecked: metav1.NewTime(now)}, now)
		r.summarize(s)
		phaseOf(db)
	})
}
