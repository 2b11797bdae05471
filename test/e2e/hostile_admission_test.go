package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// TestAdmissionRejectsHostileSpecs sends the apiserver specs written to break things: maps
// too large to evaluate cheaply, names far too long, look-alike and invisible characters,
// SQL and shell quoting in names, NUL bytes, numbers that overflow. Each is refused by the
// CRD schema or its CEL rules (within the CEL cost budget) with a message that names the
// field and says what is allowed.
func TestAdmissionRejectsHostileSpecs(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "hostile")
	many := func(n int, prefix string) map[string]v1.UserRoles {
		m := map[string]v1.UserRoles{}
		for i := 0; i < n; i++ {
			m[fmt.Sprintf("%s%03d", prefix, i)] = v1.UserRoles{}
		}
		return m
	}
	user := func(name string) func(*v1.RDSDatabaseSpec) {
		return func(s *v1.RDSDatabaseSpec) { s.Users = map[string]v1.UserRoles{name: {}} }
	}
	database := func(name string) func(*v1.RDSDatabaseSpec) {
		return func(s *v1.RDSDatabaseSpec) { s.Databases = map[string]v1.DatabaseUsers{name: {}} }
	}
	master := func(name string) func(*v1.RDSDatabaseSpec) {
		return func(s *v1.RDSDatabaseSpec) { s.MasterUser = name }
	}
	const (
		userMsg     = "user names must be 1 to 63 lowercase letters, digits or underscores"
		databaseMsg = "database names must be 1 to 63 lowercase letters, digits or underscores"
		masterMsg   = "masteruser must be 1 to 16 lowercase letters, digits or underscores"
		sizeMsg     = "size must be a whole number of gigabytes from 1 to 65536"
	)
	cases := map[string]struct {
		reason    string
		mutate    func(*v1.RDSDatabaseSpec)
		wantField string
		wantMsg   string
	}{
		"TooManyUsers": {
			reason: "101 users exceed the map's limit, which also bounds the cost of the CEL rules over it.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Users = many(101, "u") }, wantField: "spec.users", wantMsg: "must have at most 100 items",
		},
		"TooManyDatabases": {
			reason: "101 databases exceed the map's limit.",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.Databases = map[string]v1.DatabaseUsers{}
				for i := 0; i < 101; i++ {
					s.Databases[fmt.Sprintf("d%03d", i)] = v1.DatabaseUsers{}
				}
			},
			wantField: "spec.databases", wantMsg: "must have at most 100 items",
		},
		"TooManyTags": {
			reason: "RDS takes at most 50 tags, two of them the operator's: 41 spec tags are refused.",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.Tags = map[string]string{}
				for i := 0; i < 41; i++ {
					s.Tags[fmt.Sprintf("k%02d", i)] = "v"
				}
			},
			wantField: "spec.tags", wantMsg: "must have at most 40 items",
		},
		"HugeTagValue": {
			reason:    "A 10,000-character tag value is refused before it reaches AWS.",
			mutate:    func(s *v1.RDSDatabaseSpec) { s.Tags = map[string]string{"team": strings.Repeat("x", 10000)} },
			wantField: "spec.tags", wantMsg: "values at most 256",
		},
		"EmptyTagKey": {
			reason:    "AWS refuses an empty tag key; admission says so first.",
			mutate:    func(s *v1.RDSDatabaseSpec) { s.Tags = map[string]string{"": "x"} },
			wantField: "spec.tags", wantMsg: "tag keys must have 1 to 128 characters",
		},
		"LongUserName": {
			reason: "A 300-character user name would be cut by PostgreSQL into another name.",
			mutate: user(strings.Repeat("u", 300)), wantField: "spec.users", wantMsg: userMsg,
		},
		"LongDatabaseName": {
			reason: "A 300-character database name would be cut by PostgreSQL into another name.",
			mutate: database(strings.Repeat("d", 300)), wantField: "spec.databases", wantMsg: databaseMsg,
		},
		"LongMasterUser": {
			reason: "RDS allows a master name of 16 characters at most.",
			mutate: master(strings.Repeat("m", 300)), wantField: "spec.masteruser", wantMsg: "may not be more than 16",
		},
		"CyrillicUserName": {
			reason: "\"аpp\" with a Cyrillic а looks like app but is another role: refused.",
			mutate: user("\u0430pp"), wantField: "spec.users", wantMsg: userMsg,
		},
		"CyrillicDatabaseName": {
			reason: "A look-alike database name is refused.",
			mutate: database("\u043erders"), wantField: "spec.databases", wantMsg: databaseMsg,
		},
		"CyrillicMasterUser": {
			reason: "A look-alike master name is refused.",
			mutate: master("sys\u0430dmin"), wantField: "spec.masteruser", wantMsg: masterMsg,
		},
		"SQLInUserName": {
			reason: "A statement in a user name is refused (it is quoted anyway).",
			mutate: user("app; DROP TABLE x"), wantField: "spec.users", wantMsg: userMsg,
		},
		"DoubleQuoteInUserName": {
			reason: "A double quote would end a quoted identifier in PostgreSQL.",
			mutate: user(`a"b`), wantField: "spec.users", wantMsg: userMsg,
		},
		"BacktickInUserName": {
			reason: "A backtick would end a quoted identifier in MySQL.",
			mutate: user("a`b"), wantField: "spec.users", wantMsg: userMsg,
		},
		"SQLInDatabaseName": {
			reason: "A statement in a database name is refused.",
			mutate: database("orders; DROP DATABASE postgres"), wantField: "spec.databases", wantMsg: databaseMsg,
		},
		"QuoteInDatabaseName": {
			reason: "A quote in a database name is refused.",
			mutate: database(`o"rders`), wantField: "spec.databases", wantMsg: databaseMsg,
		},
		"SQLInMasterUser": {
			reason: "A statement in the master's name is refused.",
			mutate: master("a';DROP--"), wantField: "spec.masteruser", wantMsg: masterMsg,
		},
		"NULInUserName": {
			reason: "A NUL byte would be dropped from a quoted identifier and name the role app.",
			mutate: user("app\x00"), wantField: "spec.users", wantMsg: userMsg,
		},
		"NULInDatabaseName": {
			reason: "A NUL byte in a database name is refused.",
			mutate: database("orders\x00"), wantField: "spec.databases", wantMsg: databaseMsg,
		},
		"NULInMasterUser": {
			reason: "A NUL byte in the master's name is refused.",
			mutate: master("sysadmin\x00"), wantField: "spec.masteruser", wantMsg: masterMsg,
		},
		"EmojiInUserName": {
			reason: "An emoji is not part of an identifier.",
			mutate: user("app\U0001F600"), wantField: "spec.users", wantMsg: userMsg,
		},
		"ZeroWidthInUserName": {
			reason: "A zero-width space makes two names that look the same.",
			mutate: user("app\u200b"), wantField: "spec.users", wantMsg: userMsg,
		},
		"UserNameEndingInUnderscore": {
			reason: "A trailing _ becomes a trailing - in the Secret name <name>.rds.<user>, which the apiserver refuses.",
			mutate: user("app_"), wantField: "spec.users", wantMsg: "not ending with an underscore",
		},
		"DatabaseListsSQL": {
			reason: "A user listed under a database must be one of users, so no statement gets in that way.",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.Users = map[string]v1.UserRoles{"app": {}}
				s.Databases = map[string]v1.DatabaseUsers{"orders": {"app", "x\"; DROP"}}
			},
			wantField: "spec", wantMsg: "every user listed under databases must be defined under users",
		},
		"HugeVersion": {
			reason:    "A version string far longer than any engine version is refused.",
			mutate:    func(s *v1.RDSDatabaseSpec) { s.Version = strings.Repeat("9", 10000) },
			wantField: "spec.version", wantMsg: "may not be more than 32",
		},
		"VersionWithSQL": {
			reason:    "A version is digits and dots only.",
			mutate:    func(s *v1.RDSDatabaseSpec) { s.Version = "17'; --" },
			wantField: "spec.version", wantMsg: "version must be digits and dots",
		},
		"ExponentSize": {
			reason: "1e9GB is not a whole number of gigabytes.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Size = "1e9GB" }, wantField: "spec.size", wantMsg: sizeMsg,
		},
		"NegativeSize": {
			reason: "A negative size is refused.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Size = "-5GB" }, wantField: "spec.size", wantMsg: sizeMsg,
		},
		"ZeroSize": {
			reason: "A size of zero is refused.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Size = "0GB" }, wantField: "spec.size", wantMsg: sizeMsg,
		},
		"OverflowingSize": {
			reason: "A size that overflows an int64 is refused before anything parses it.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Size = "9223372036854775808GB" }, wantField: "spec.size", wantMsg: "may not be more than 12",
		},
		"FullWidthDigitsInSize": {
			reason: "Full-width digits look like a size but are not one.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Size = "\uff11\uff10GB" }, wantField: "spec.size", wantMsg: sizeMsg,
		},
		"NegativeRetention": {
			reason: "A negative retention is refused.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Backup.Retention = "-1d" }, wantField: "spec.backup.retention", wantMsg: "retention must be a whole number of days from 1d to 35d",
		},
		"ZeroRetention": {
			reason: "Zero days would turn automated backups off: refused.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Backup.Retention = "0d" }, wantField: "spec.backup.retention", wantMsg: "retention must be a whole number of days from 1d to 35d",
		},
		"OverflowingRetention": {
			reason: "A retention that overflows is refused before anything parses it.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Backup.Retention = "4294967297d" }, wantField: "spec.backup.retention", wantMsg: "may not be more than 4",
		},
		"OverflowingEvery": {
			reason: "An interval that would overflow a duration is refused.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Backup.Every = "99999999999h" }, wantField: "spec.backup.every", wantMsg: "may not be more than 6",
		},
		"NegativeEvery": {
			reason: "A negative interval is refused.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Backup.Every = "-6h" }, wantField: "spec.backup.every", wantMsg: "every must be a whole number of hours or days",
		},
		"HugeRestoreSnapshot": {
			reason:    "A snapshot name longer than an ARN can be is refused.",
			mutate:    func(s *v1.RDSDatabaseSpec) { s.RestoreFrom = &v1.RestoreFrom{Snapshot: strings.Repeat("s", 10000)} },
			wantField: "spec.restoreFrom.snapshot", wantMsg: "may not be more than 255",
		},
		"HugeInstanceClass": {
			reason:    "An instance class longer than any is refused.",
			mutate:    func(s *v1.RDSDatabaseSpec) { s.InstanceClass = "db." + strings.Repeat("x", 10000) + ".large" },
			wantField: "spec.instanceClass", wantMsg: "may not be more than 64",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hostile-" + strings.ToLower(name)}}
			tc.mutate(&db.Spec)
			err := stack.Client.Create(ctx, db)
			if err == nil {
				_ = stack.Client.Delete(ctx, db)
				t.Fatalf("%s\nthe apiserver accepted the spec", tc.reason)
			}
			msg := err.Error()
			t.Logf("refused: %s", truncate(msg, 400))
			if !strings.Contains(msg, tc.wantField+":") || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("%s\nerror %q does not name %s and say %q", tc.reason, truncate(msg, 600), tc.wantField, tc.wantMsg)
			}
		})
	}
}

// TestAdmissionRejectsHostileNames sends object names the apiserver must refuse before the
// operator derives any identifier, Secret or Service name from them.
func TestAdmissionRejectsHostileNames(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "hostile-names")
	cases := map[string]struct {
		reason  string
		name    string
		wantMsg string
	}{
		"Long":     {reason: "A 300-character name cannot make a Service name.", name: strings.Repeat("a", 300), wantMsg: "metadata.name"},
		"Cyrillic": {reason: "A look-alike name is not a DNS name.", name: "\u043erders", wantMsg: "metadata.name"},
		"NUL":      {reason: "A NUL byte is not part of a name.", name: "orders\x00", wantMsg: "metadata.name"},
		"SQL":      {reason: "Quotes and spaces are not part of a name.", name: "orders'; drop", wantMsg: "metadata.name"},
		"Dots":     {reason: "A dotted name is a valid object name but not a Service name: the CEL rule says so.", name: "a.b", wantMsg: "the name must be at most 59 lowercase letters"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: tc.name}}
			err := stack.Client.Create(ctx, db)
			if err == nil {
				_ = stack.Client.Delete(ctx, db)
				t.Fatalf("%s\nthe apiserver accepted the name %q", tc.reason, tc.name)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("%s\nerror %q does not say %q", tc.reason, truncate(err.Error(), 600), tc.wantMsg)
			}
		})
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
