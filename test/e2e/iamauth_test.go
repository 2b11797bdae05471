package e2e

import (
	"context"
	"database/sql"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/jackc/pgx/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/mysql"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestIAMAuthentication: with iamAuthentication, a user given the role iam logs in with a
// token aws rds generate-db-auth-token would make (the SDK's BuildAuthToken), never with a
// password; its Secret holds none and says how to get a token; the access checker logs in
// as it with a token of its own; the other users keep their passwords. Taking the role away
// gives the user a password again, written to its Secret first.
func TestIAMAuthentication(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "iam")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tokens"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.IAMAuthentication = new(true)
	db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleIAM}, "reporting": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app", "reporting"}}
	db.Spec.HighAvailability = &v1.HighAvailability{ReadReplicas: 1}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(ctx, db) })
	got := waitReady(t, db)
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	token := func(t *testing.T, data map[string][]byte, user string) string {
		t.Helper()
		tok, err := auth.BuildAuthToken(ctx, net.JoinHostPort(string(data["host"]), string(data["port"])), "us-east-1", user, creds)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	loginAs := func(data map[string][]byte, password string) (*pgx.Conn, error) {
		cfg, err := pgx.ParseConfig(string(data["uri"]))
		if err != nil {
			return nil, err
		}
		cfg.Password = password
		return pgx.ConnectConfig(ctx, cfg)
	}

	t.Run("OnInTheCloud", func(t *testing.T) {
		if c := got.Status.Cloud; c == nil || !c.IAMAuthentication {
			t.Errorf("status.cloud = %+v, want iamAuthentication true", got.Status.Cloud)
		}
		waitTokenLogin(t, db, "tokens.rds.app")
	})

	t.Run("SecretHasNoPassword", func(t *testing.T) {
		data := secretData(t, ns, "tokens.rds.app")
		if _, ok := data["password"]; ok {
			t.Errorf("the Secret of a user who logs in with tokens holds a password")
		}
		if u, err := url.Parse(string(data["uri"])); err != nil || u.User == nil || u.User.Username() != "app" {
			t.Errorf("uri %s does not parse with user app: %v", data["uri"], err)
		} else if _, set := u.User.Password(); set {
			t.Errorf("uri %s carries a password", data["uri"])
		}
		howto := string(data["token-howto"])
		for _, want := range []string{"aws rds generate-db-auth-token", "--hostname " + string(data["host"]), "--port " + string(data["port"]), "--region us-east-1", "--username app"} {
			if !strings.Contains(howto, want) {
				t.Errorf("token-howto %q does not say %q", howto, want)
			}
		}
		if string(data["username"]) != "app" || string(data["dbname"]) != "orders" {
			t.Errorf("username %q dbname %q, want app and orders", data["username"], data["dbname"])
		}
	})

	t.Run("LogsInWithAToken", func(t *testing.T) {
		data := secretData(t, ns, "tokens.rds.app")
		conn, err := loginAs(data, token(t, data, "app"))
		if err != nil {
			t.Fatalf("login with an IAM token: %v", err)
		}
		defer conn.Close(ctx)
		var user string
		if err := conn.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil || user != "app" {
			t.Fatalf("current_user = %q (%v), want app", user, err)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE items (id int)"); err != nil {
			t.Errorf("app cannot create in the database it owns: %v", err)
		}
	})

	t.Run("ReadsThroughTheReaderWithAToken", func(t *testing.T) {
		// The read replica was made with token logins, as its source has them.
		data := secretData(t, ns, "tokens.rds.app")
		reader := map[string][]byte{"host": data["ro-host"], "port": data["ro-port"]}
		if len(reader["host"]) == 0 {
			t.Fatalf("the Secret has no ro-host")
		}
		cfg, err := pgx.ParseConfig(string(data["uri"]))
		if err != nil {
			t.Fatal(err)
		}
		port, err := strconv.Atoi(string(reader["port"]))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Host, cfg.Port, cfg.Password = string(reader["host"]), uint16(port), token(t, reader, "app")
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			conn, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				return false, nil // the reader may still be starting
			}
			_ = conn.Close(ctx)
			return true, nil
		})
		if err != nil {
			t.Errorf("app cannot log in to the reader %s:%s with a token", reader["host"], reader["port"])
		}
	})

	t.Run("PasswordsAndOthersTokensAreRefused", func(t *testing.T) {
		data := secretData(t, ns, "tokens.rds.app")
		if conn, err := loginAs(data, "not-a-token"); err == nil {
			_ = conn.Close(ctx)
			t.Errorf("app logged in with a password")
		}
		if conn, err := loginAs(data, token(t, data, "reporting")); err == nil {
			_ = conn.Close(ctx)
			t.Errorf("app logged in with reporting's token")
		}
	})

	t.Run("OthersKeepTheirPasswords", func(t *testing.T) {
		if err := logsIn(ctx, string(secretData(t, ns, "tokens.rds.reporting")["uri"]), ""); err != nil {
			t.Errorf("reporting cannot log in with its Secret: %v", err)
		}
		if err := logsIn(ctx, string(secretData(t, ns, "tokens.rds.master")["uri"]), ""); err != nil {
			t.Errorf("the master cannot log in with its Secret: %v", err)
		}
	})

	t.Run("RoleRevokedIsGrantedAgain", func(t *testing.T) {
		// Someone takes rds_iam away as the master: the checker's token is refused, and the
		// operator grants the role again.
		master, err := loginWith(ctx, string(secretData(t, ns, "tokens.rds.master")["uri"]), "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = master.Exec(ctx, "REVOKE rds_iam FROM app")
		_ = master.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		data := secretData(t, ns, "tokens.rds.app")
		err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			conn, err := loginAs(data, token(t, data, "app"))
			if err == nil {
				_ = conn.Close(ctx)
			}
			return err == nil, nil
		})
		if err != nil {
			t.Fatalf("app's token never worked again after rds_iam was revoked: %v", err)
		}
		waitCondition(t, db, v1.ConditionAccessVerified, v1.ReasonAllLogIn)
	})

	t.Run("BackToAPassword", func(t *testing.T) {
		if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) { s.Users["app"] = v1.UserRoles{} }); err != nil {
			t.Fatal(err)
		}
		waitReady(t, db)
		var data map[string][]byte
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			data = secretData(t, ns, "tokens.rds.app")
			return len(data["password"]) > 0 && logsIn(ctx, string(data["uri"]), "") == nil, nil
		})
		if err != nil {
			t.Fatalf("app never logged in with a password from its Secret: %v", err)
		}
		if _, ok := data["token-howto"]; ok {
			t.Errorf("the Secret still says how to get a token")
		}
		if conn, err := loginAs(data, token(t, data, "app")); err == nil {
			_ = conn.Close(ctx)
			t.Errorf("app still logs in with a token after the role was taken away")
		}
	})

	t.Run("OffInTheCloud", func(t *testing.T) {
		if err := update(ctx, got, func(s *v1.RDSDatabaseSpec) { s.IAMAuthentication = new(false) }); err != nil {
			t.Fatal(err)
		}
		err := harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
			cur := &v1.RDSDatabase{}
			if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), cur); err != nil {
				return false, err
			}
			return cur.Status.Cloud != nil && !cur.Status.Cloud.IAMAuthentication, nil
		})
		if err != nil {
			t.Fatalf("status.cloud.iamAuthentication never went false: %v", err)
		}
	})
}

// waitTokenLogin waits until app logs in with tokens: the cloud reported token logins on, so
// its Secret lost its password, and the access checker logged in as it since (two passes
// later) with a token.
func waitTokenLogin(t *testing.T, db *v1.RDSDatabase, secret string) {
	t.Helper()
	err := harness.WaitFor(context.Background(), readyTimeout, func(ctx context.Context) (bool, error) {
		_, has := secretData(t, db.Namespace, secret)["password"]
		return !has, nil
	})
	if err != nil {
		t.Fatalf("Secret %s kept its password: %v", secret, err)
	}
	passes(t, 2)
	waitCondition(t, db, v1.ConditionAccessVerified, v1.ReasonAllLogIn)
	checkedApp(t, db)
}

// checkedApp fails unless the access checker's last login as app (with a token) worked.
func checkedApp(t *testing.T, db *v1.RDSDatabase) {
	t.Helper()
	cur := &v1.RDSDatabase{}
	if err := stack.Client.Get(context.Background(), client.ObjectKeyFromObject(db), cur); err != nil {
		t.Fatal(err)
	}
	for _, u := range cur.Status.Users {
		if u.Name == "app" {
			if !u.OK {
				t.Errorf("the access checker could not log in as app: %s", u.Reason)
			}
			return
		}
	}
	t.Errorf("the access checker did not log in as app: status.users = %+v", cur.Status.Users)
}

// TestAuroraIAMAuthentication: on Aurora PostgreSQL the cluster takes token logins, and a
// user with the role iam logs in at the cluster's endpoint with a token.
func TestAuroraIAMAuthentication(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "aurora-iam")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ledger"}}
	db.Spec.Type = v1.TypeAuroraPostgreSQL
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.IAMAuthentication = new(true)
	db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleIAM}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(ctx, db) })
	got := waitReady(t, db)
	if c := got.Status.Cloud; c == nil || !c.IAMAuthentication {
		t.Errorf("status.cloud = %+v, want iamAuthentication true", got.Status.Cloud)
	}
	waitTokenLogin(t, db, "ledger.rds.app")
	data := secretData(t, ns, "ledger.rds.app")
	if _, ok := data["password"]; ok {
		t.Errorf("the Secret of a user who logs in with tokens holds a password")
	}
	tok, err := auth.BuildAuthToken(ctx, net.JoinHostPort(string(data["host"]), string(data["port"])), "us-east-1", "app",
		credentials.NewStaticCredentialsProvider("local", "local", ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(string(data["uri"]))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = tok
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("login with an IAM token at the cluster endpoint: %v", err)
	}
	_ = conn.Close(ctx)
}

// TestIAMAuthenticationOnMySQL: on MySQL the user with the role iam is identified with
// AWSAuthenticationPlugin and logs in with a token sent by the cleartext plugin over TLS;
// its Secret says so; a password is refused; the access checker logs in as it.
func TestIAMAuthenticationOnMySQL(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "mysql-iam")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}}
	db.Spec.Type = v1.TypeMySQL
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.IAMAuthentication = new(true)
	db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleIAM}, "reporting": {v1.RoleReadOnly}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app", "reporting"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Client.Delete(ctx, db) })
	waitReady(t, db)
	waitTokenLogin(t, db, "shop.rds.app")

	data := secretData(t, ns, "shop.rds.app")
	if _, ok := data["password"]; ok {
		t.Errorf("the Secret of a user who logs in with tokens holds a password")
	}
	if howto := string(data["token-howto"]); !strings.Contains(howto, "--enable-cleartext-plugin") {
		t.Errorf("token-howto %q does not say how a MySQL client sends a token", howto)
	}
	port, err := strconv.Atoi(string(data["port"]))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.BuildAuthToken(ctx, net.JoinHostPort(string(data["host"]), string(data["port"])), "us-east-1", "app",
		credentials.NewStaticCredentialsProvider("local", "local", ""))
	if err != nil {
		t.Fatal(err)
	}
	login := func(password string, token bool) error {
		ep := engine.Endpoint{Host: string(data["host"]), Port: int32(port), User: "app", Password: password, Token: token}
		conn, err := sql.Open("mysql", mysql.DSN(ep, "orders"))
		if err != nil {
			return err
		}
		defer conn.Close()
		var user string
		if err := conn.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&user); err != nil {
			return err
		}
		if user != "app@%" {
			t.Errorf("CURRENT_USER() = %q, want app@%%", user)
		}
		_, err = conn.ExecContext(ctx, "CREATE TABLE items (id INT)")
		if err != nil && mysqlErrNumber(err) != 1050 { // exists from an earlier login
			t.Errorf("app cannot create in the database it owns: %v", err)
		}
		return nil
	}
	if err := login(tok, true); err != nil {
		t.Fatalf("login with an IAM token: %v", err)
	}
	if err := login("not-a-token", true); err == nil {
		t.Errorf("app logged in with a password")
	}
}
