package controller

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudtest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

func sampleDB() *v1.RDSDatabase {
	return &v1.RDSDatabase{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "orders", Generation: 3},
		Spec: v1.RDSDatabaseSpec{
			Type: v1.TypePostgreSQL, Size: "10GB", MasterUser: "sysadmin",
			Users:          map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "admin": {v1.RoleSuperuser}, "reporting": {}},
			Databases:      map[string]v1.DatabaseUsers{"orders": {"app", "reporting"}, "audit": {"admin"}, "logs": {}},
			Backup:         v1.Backup{Retention: "7d"},
			DeletionPolicy: v1.DeletionSnapshot,
			Tags:           map[string]string{"team": "payments"},
		},
	}
}

func TestDesired(t *testing.T) {
	// A cloud whose smallest gp3 volume is 20 GiB, as RDS's is.
	r := &RDSDatabaseReconciler{Defaults: DefaultDefaults, Cloud: &cloudtest.Provider{StorageFn: func(d cloud.Desired) (int32, bool) {
		if d.StorageType == "gp3" && d.AllocatedStorageGiB < 20 {
			return 20, true
		}
		return d.AllocatedStorageGiB, false
	}}}
	cases := map[string]struct {
		reason     string
		mutate     func(*v1.RDSDatabaseSpec)
		want       cloud.Desired
		wantRaised bool
	}{
		"DefaultsApply": {
			reason: "Empty version, class and storage type take the operator's defaults; 10GB is raised to gp3's 20 GiB.",
			mutate: func(*v1.RDSDatabaseSpec) {},
			want: cloud.Desired{
				Identifier: "shop-orders-id", OwnerTag: v1.TagOwner, Engine: "postgres", EngineVersion: "17", InstanceClass: "db.t4g.micro",
				StorageType: "gp3", AllocatedStorageGiB: 20, BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "pw",
				StorageEncrypted: true,
				Tags:             map[string]string{"team": "payments", v1.TagOwner: "shop/orders", v1.TagManagedBy: v1.ManagedByValue},
			},
			wantRaised: true,
		},
		"MySQL": {
			reason: "Type mysql (the seed's MySQL spelling too) asks RDS for engine mysql at the MySQL default version.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Type = v1.TypeMySQLSeed },
			want: cloud.Desired{
				Identifier: "shop-orders-id", OwnerTag: v1.TagOwner, Engine: "mysql", EngineVersion: "8.0", InstanceClass: "db.t4g.micro",
				StorageType: "gp3", AllocatedStorageGiB: 20, BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "pw",
				StorageEncrypted: true,
				Tags:             map[string]string{"team": "payments", v1.TagOwner: "shop/orders", v1.TagManagedBy: v1.ManagedByValue},
			},
			wantRaised: true,
		},
		"MariaDB": {
			reason: "Type mariadb asks RDS for its own engine, mariadb, at the MariaDB default version.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Type = v1.TypeMariaDB },
			want: cloud.Desired{
				Identifier: "shop-orders-id", OwnerTag: v1.TagOwner, Engine: "mariadb", EngineVersion: "10.11", InstanceClass: "db.t4g.micro",
				StorageType: "gp3", AllocatedStorageGiB: 20, BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "pw",
				StorageEncrypted: true,
				Tags:             map[string]string{"team": "payments", v1.TagOwner: "shop/orders", v1.TagManagedBy: v1.ManagedByValue},
			},
			wantRaised: true,
		},
		"EncryptionAndNetwork": {
			reason: "The spec's key and network placement are sent; disabling encryption drops any key.",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.Encryption = &v1.Encryption{KMSKeyID: "alias/rds-data"}
				s.Network = &v1.Network{SubnetGroup: "private", SecurityGroupIDs: []string{"sg-0a1b2c3d"}, PubliclyAccessible: true}
			},
			want: cloud.Desired{
				Identifier: "shop-orders-id", OwnerTag: v1.TagOwner, Engine: "postgres", EngineVersion: "17", InstanceClass: "db.t4g.micro",
				StorageType: "gp3", AllocatedStorageGiB: 20, BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "pw",
				StorageEncrypted: true, KMSKeyID: "alias/rds-data",
				SubnetGroup: "private", SecurityGroupIDs: []string{"sg-0a1b2c3d"}, PubliclyAccessible: true,
				Tags: map[string]string{"team": "payments", v1.TagOwner: "shop/orders", v1.TagManagedBy: v1.ManagedByValue},
			},
			wantRaised: true,
		},
		"Unencrypted": {
			reason: "encryption.enabled false overrides the operator's default.",
			mutate: func(s *v1.RDSDatabaseSpec) { s.Encryption = &v1.Encryption{Enabled: new(false)} },
			want: cloud.Desired{
				Identifier: "shop-orders-id", OwnerTag: v1.TagOwner, Engine: "postgres", EngineVersion: "17", InstanceClass: "db.t4g.micro",
				StorageType: "gp3", AllocatedStorageGiB: 20, BackupRetentionDays: 7, MasterUser: "sysadmin", MasterPassword: "pw",
				Tags: map[string]string{"team": "payments", v1.TagOwner: "shop/orders", v1.TagManagedBy: v1.ManagedByValue},
			},
			wantRaised: true,
		},
		"SpecWins": {
			reason: "Fields the spec sets override the defaults, and a size above the minimum is kept.",
			mutate: func(s *v1.RDSDatabaseSpec) {
				s.Version, s.InstanceClass, s.StorageType, s.Size, s.Backup.Retention = "16.4", "db.r6g.large", "io1", "200Gi", "35d"
				s.Tags = nil
			},
			want: cloud.Desired{
				Identifier: "shop-orders-id", OwnerTag: v1.TagOwner, Engine: "postgres", EngineVersion: "16.4", InstanceClass: "db.r6g.large",
				StorageType: "io1", AllocatedStorageGiB: 200, BackupRetentionDays: 35, MasterUser: "sysadmin", MasterPassword: "pw",
				StorageEncrypted: true,
				Tags:             map[string]string{v1.TagOwner: "shop/orders", v1.TagManagedBy: v1.ManagedByValue},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db := sampleDB()
			tc.mutate(&db.Spec)
			s := &scope{db: db, cloud: r.Cloud, defaults: r.Defaults, identifier: "shop-orders-id", credentials: map[string]credential{"sysadmin": {password: "pw"}}}
			got, raised, err := r.desired(s)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ndesired: -want +got:\n%s", tc.reason, diff)
			}
			if raised != tc.wantRaised {
				t.Errorf("%s\nraised = %v, want %v", tc.reason, raised, tc.wantRaised)
			}
		})
	}
}

func TestDesiredUsersAndDatabases(t *testing.T) {
	db := sampleDB()
	creds := map[string]credential{"app": {password: "a"}, "admin": {password: "b"}, "reporting": {password: "c"}}
	wantUsers := []engine.User{
		{Name: "admin", Password: "b", Superuser: true},
		{Name: "app", Password: "a", CreateDB: true},
		{Name: "reporting", Password: "c"},
	}
	if diff := cmp.Diff(wantUsers, desiredUsers(db, creds)); diff != "" {
		t.Errorf("Roles map to engine capabilities, in name order: -want +got:\n%s", diff)
	}
	wantDBs := []engine.Database{
		{Name: "audit", Owner: "admin", Users: []string{"admin"}},
		{Name: "logs", Users: []string{}},
		{Name: "orders", Owner: "app", Users: []string{"app", "reporting"}},
	}
	if diff := cmp.Diff(wantDBs, desiredDatabases(db)); diff != "" {
		t.Errorf("The first listed user owns a database; none means the master: -want +got:\n%s", diff)
	}
}

// TestDesiredTokenUser: the role iam makes a user log in with tokens, with no password,
// whatever its other roles.
func TestDesiredTokenUser(t *testing.T) {
	db := sampleDB()
	db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleIAM, v1.RoleCreateDB}, "reader": {v1.RoleReadOnly, v1.RoleIAM}}
	want := []engine.User{{Name: "app", TokenLogin: true, CreateDB: true}, {Name: "reader", TokenLogin: true, ReadOnly: true}}
	if diff := cmp.Diff(want, desiredUsers(db, map[string]credential{"app": {token: true}, "reader": {token: true}})); diff != "" {
		t.Errorf("-want +got:\n%s", diff)
	}
}

func TestDefaultDatabase(t *testing.T) {
	db := sampleDB()
	cases := map[string]struct {
		reason string
		user   string
		want   string
	}{
		"Owner":    {reason: "A user's Secret points at the database it owns.", user: "app", want: "orders"},
		"Listed":   {reason: "Else at a database it may connect to.", user: "reporting", want: "orders"},
		"Master":   {reason: "The master is on no list: postgres.", user: "sysadmin", want: "postgres"},
		"Unlisted": {reason: "A user on no list gets postgres.", user: "nobody", want: "postgres"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := defaultDatabase(db, tc.user); got != tc.want {
				t.Errorf("%s\ndefaultDatabase(%s) = %q, want %q", tc.reason, tc.user, got, tc.want)
			}
		})
	}
}

func TestConnectionData(t *testing.T) {
	cases := map[string]struct {
		reason   string
		engine   engineProfile
		port     int32
		password string // p-w.~_X when empty
		want     map[string]string
	}{
		"PostgreSQL": {reason: "libpq and pgJDBC uris, TLS required.", engine: postgresProfile, port: 5432, want: map[string]string{
			"host":     "db.example.com",
			"port":     "5432",
			"dbname":   "orders",
			"uri":      "postgresql://app:p-w.~_X@db.example.com:5432/orders?sslmode=require",
			"jdbc-uri": "jdbc:postgresql://db.example.com:5432/orders?password=p-w.~_X&sslmode=require&user=app",
		}},
		"MySQL": {reason: "MySQL Shell and Connector/J uris, TLS required.", engine: mysqlProfile, port: 3306, want: map[string]string{
			"host":     "db.example.com",
			"port":     "3306",
			"dbname":   "orders",
			"uri":      "mysql://app:p-w.~_X@db.example.com:3306/orders?ssl-mode=REQUIRED",
			"jdbc-uri": "jdbc:mysql://db.example.com:3306/orders?password=p-w.~_X&sslMode=REQUIRED&user=app",
		}},
		"MariaDB": {reason: "MariaDB's own schemes (Connector/J 3 takes only jdbc:mariadb:), TLS required.", engine: mariadbProfile, port: 3306, want: map[string]string{
			"host":     "db.example.com",
			"port":     "3306",
			"dbname":   "orders",
			"uri":      "mariadb://app:p-w.~_X@db.example.com:3306/orders?ssl-mode=REQUIRED",
			"jdbc-uri": "jdbc:mariadb://db.example.com:3306/orders?password=p-w.~_X&sslMode=trust&user=app",
		}},
		"PostgreSQLToken": {reason: "A user who logs in with tokens has no password: the uris carry none.", engine: postgresProfile, port: 5432, password: "-", want: map[string]string{
			"host":     "db.example.com",
			"port":     "5432",
			"dbname":   "orders",
			"uri":      "postgresql://app@db.example.com:5432/orders?sslmode=require",
			"jdbc-uri": "jdbc:postgresql://db.example.com:5432/orders?sslmode=require&user=app",
		}},
		"MariaDBEscapes": {reason: "Characters a uri gives meaning to are escaped where they would end the user info or the query value (& may stay in user info, as RFC 3986 allows).", engine: mariadbProfile, port: 3306, password: "p:w@/?&#", want: map[string]string{
			"host":     "db.example.com",
			"port":     "3306",
			"dbname":   "orders",
			"uri":      "mariadb://app:p%3Aw%40%2F%3F&%23@db.example.com:3306/orders?ssl-mode=REQUIRED",
			"jdbc-uri": "jdbc:mariadb://db.example.com:3306/orders?password=p%3Aw%40%2F%3F%26%23&sslMode=trust&user=app",
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pw := tc.password
			switch pw {
			case "":
				pw = "p-w.~_X"
			case "-":
				pw = ""
			}
			got := connectionData(tc.engine, "db.example.com", tc.port, "app", pw, "orders")
			gotStr := map[string]string{}
			for k, v := range got {
				gotStr[k] = string(v)
			}
			if diff := cmp.Diff(tc.want, gotStr); diff != "" {
				t.Errorf("%s\nconnection keys: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestMajorVersion(t *testing.T) {
	cases := []struct {
		engine  engineProfile
		version string
		want    string
	}{
		{postgresProfile, "16.4", "16"}, {postgresProfile, "17", "17"},
		{mysqlProfile, "8.0.40", "8.0"}, {mysqlProfile, "8.4", "8.4"}, {mysqlProfile, "8", "8"},
		{mariadbProfile, "10.11.9", "10.11"}, {mariadbProfile, "11.4", "11.4"}, {mariadbProfile, "10.6.20", "10.6"},
	}
	for _, tc := range cases {
		if got := tc.engine.major(tc.version); got != tc.want {
			t.Errorf("%s major(%s) = %q, want %q", tc.engine.engine, tc.version, got, tc.want)
		}
	}
}

func TestCredentialSecret(t *testing.T) {
	db := sampleDB()
	s := credentialSecret(db, "app", "orders.rds.app", "pw")
	if len(s.OwnerReferences) != 0 {
		t.Errorf("Secrets must not be owned by the RDSDatabase, or they would go with it")
	}
	want := map[string]string{v1.LabelDatabase: "orders", v1.LabelManagedBy: v1.ManagedByValue}
	if diff := cmp.Diff(want, s.Labels); diff != "" {
		t.Errorf("labels: -want +got:\n%s", diff)
	}
	if s.Annotations[v1.AnnotationOwner] != "shop/orders" || s.Annotations[v1.AnnotationUser] != "app" || string(s.Data["password"]) != "pw" || string(s.Data["username"]) != "app" {
		t.Errorf("secret = %+v", s)
	}
}

func TestSummarize(t *testing.T) {
	cond := func(t string, s metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
		return metav1.Condition{Type: t, Status: s, Reason: reason, ObservedGeneration: gen}
	}
	cases := map[string]struct {
		reason     string
		conditions []metav1.Condition
		cloud      *v1.CloudStatus
		service    string
		wantPhase  string
		wantReady  metav1.ConditionStatus
	}{
		"Pending": {
			reason:    "Nothing observed yet.",
			wantPhase: v1.PhasePending, wantReady: metav1.ConditionFalse,
		},
		"Creating": {
			reason:     "The cloud database is being created.",
			conditions: []metav1.Condition{cond(v1.ConditionProvisioned, metav1.ConditionFalse, v1.ReasonCreating, 3)},
			wantPhase:  v1.PhaseCreating, wantReady: metav1.ConditionFalse,
		},
		"Configuring": {
			reason:     "Available, users not yet in place.",
			conditions: []metav1.Condition{cond(v1.ConditionProvisioned, metav1.ConditionTrue, v1.ReasonAvailable, 3)},
			cloud:      &v1.CloudStatus{Status: "available"},
			wantPhase:  v1.PhaseConfiguring, wantReady: metav1.ConditionFalse,
		},
		"Error": {
			reason: "An engine failure needs attention.",
			conditions: []metav1.Condition{
				cond(v1.ConditionProvisioned, metav1.ConditionTrue, v1.ReasonAvailable, 3),
				cond(v1.ConditionUsersReady, metav1.ConditionFalse, v1.ReasonEngineUnreachable, 3),
			},
			wantPhase: v1.PhaseError, wantReady: metav1.ConditionFalse,
		},
		"NotVerified": {
			reason: "Users in place but the logins not checked yet: not Ready.",
			conditions: []metav1.Condition{
				cond(v1.ConditionProvisioned, metav1.ConditionTrue, v1.ReasonAvailable, 3),
				cond(v1.ConditionUsersReady, metav1.ConditionTrue, v1.ReasonUsersReady, 3),
			},
			service:   "orders-rds",
			wantPhase: v1.PhaseConfiguring, wantReady: metav1.ConditionFalse,
		},
		"Ready": {
			reason: "Everything True for this generation and the Service exists.",
			conditions: []metav1.Condition{
				cond(v1.ConditionProvisioned, metav1.ConditionTrue, v1.ReasonAvailable, 3),
				cond(v1.ConditionUsersReady, metav1.ConditionTrue, v1.ReasonUsersReady, 3),
				cond(v1.ConditionAccessVerified, metav1.ConditionTrue, v1.ReasonAllLogIn, 3),
			},
			service:   "orders-rds",
			wantPhase: v1.PhaseReady, wantReady: metav1.ConditionTrue,
		},
		"StaleGeneration": {
			reason: "Conditions observed for an older spec do not make the new one Ready.",
			conditions: []metav1.Condition{
				cond(v1.ConditionProvisioned, metav1.ConditionTrue, v1.ReasonAvailable, 2),
				cond(v1.ConditionUsersReady, metav1.ConditionTrue, v1.ReasonUsersReady, 2),
				cond(v1.ConditionAccessVerified, metav1.ConditionTrue, v1.ReasonAllLogIn, 2),
			},
			service:   "orders-rds",
			wantPhase: v1.PhaseConfiguring, wantReady: metav1.ConditionFalse,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db := sampleDB()
			db.Status.Conditions, db.Status.Cloud, db.Status.Service = tc.conditions, tc.cloud, tc.service
			(&RDSDatabaseReconciler{}).summarize(newScope(db))
			var ready metav1.ConditionStatus
			for _, c := range db.Status.Conditions {
				if c.Type == v1.ConditionReady {
					ready = c.Status
				}
			}
			if db.Status.Phase != tc.wantPhase || ready != tc.wantReady {
				t.Errorf("%s\nphase %q Ready %q, want %q %q", tc.reason, db.Status.Phase, ready, tc.wantPhase, tc.wantReady)
			}
		})
	}
}

func TestJustCreated(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason string
		cond   *metav1.Condition
		want   bool
	}{
		"Fresh":    {reason: "Asked for a minute ago: a not-found is not believed.", cond: &metav1.Condition{Reason: v1.ReasonCreating, LastTransitionTime: metav1.NewTime(now.Add(-time.Minute))}, want: true},
		"Old":      {reason: "Asked for long ago and not found: gone.", cond: &metav1.Condition{Reason: v1.ReasonCreating, LastTransitionTime: metav1.NewTime(now.Add(-time.Hour))}, want: false},
		"Refused":  {reason: "AWS refused the create: nothing to wait for.", cond: &metav1.Condition{Reason: v1.ReasonCloudError, LastTransitionTime: metav1.NewTime(now)}, want: false},
		"NeverSet": {reason: "No cloud call yet.", want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db := sampleDB()
			if tc.cond != nil {
				c := *tc.cond
				c.Type, c.Status = v1.ConditionProvisioned, metav1.ConditionFalse
				db.Status.Conditions = []metav1.Condition{c}
			}
			if got := justCreated(db, now); got != tc.want {
				t.Errorf("%s\njustCreated = %v, want %v", tc.reason, got, tc.want)
			}
		})
	}
}
