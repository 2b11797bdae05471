package azureemulator

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	my "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/mysql/armmysqlflexibleservers"
	pg "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/postgresql/armpostgresqlflexibleservers"
	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// requirePostgres skips when pgserver finds no PostgreSQL build to run on this machine.
func requirePostgres(t *testing.T) {
	t.Helper()
	builds, err := pgserver.DefaultBuilds()
	if err == nil {
		_, err = builds.Default()
	}
	if err != nil {
		t.Skipf("no PostgreSQL server build on this machine: %v", err)
	}
}

// pgConnect logs in to a server's PostgreSQL over TLS at its address.
func pgConnect(ctx context.Context, host, user, password, db string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, fmt.Sprintf("host=%s port=5432 user=%s password=%s dbname=%s sslmode=require connect_timeout=5", host, user, password, db))
}

func TestPostgresServer(t *testing.T) {
	requirePostgres(t)
	t.Parallel()
	e := start(t, Config{})
	ctx := context.Background()
	created := e.createPG(t, "pg-real", pgServer())
	host := deref(created.Properties.FullyQualifiedDomainName)
	if v := deref(created.Properties.MinorVersion); v == "" {
		t.Logf("no PostgreSQL 16 build on this machine: another major stands in (minorVersion empty)")
	}

	conn, err := pgConnect(ctx, host, "dbadmin", adminPassword, "postgres")
	if err != nil {
		t.Fatalf("log in as the administrator at %s: %v", host, err)
	}
	type role struct{ Super, CreateDB, CreateRole, Replication, Member bool }
	var got role
	err = conn.QueryRow(ctx, `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, pg_has_role('dbadmin', 'azure_pg_admin', 'MEMBER')
		FROM pg_roles WHERE rolname = 'dbadmin'`).Scan(&got.Super, &got.CreateDB, &got.CreateRole, &got.Replication, &got.Member)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(role{CreateDB: true, CreateRole: true, Replication: true, Member: true}, got); diff != "" {
		t.Errorf("the administrator is a member of azure_pg_admin with CREATEDB, CREATEROLE and REPLICATION, not a superuser (-want +got):\n%s", diff)
	}
	for _, q := range []string{`CREATE ROLE app LOGIN PASSWORD 'App-Pass-1'`, `CREATE DATABASE made_by_sql`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Errorf("the administrator cannot %s: %v", q, err)
		}
	}
	conn.Close(ctx)

	dbs := must(pg.NewDatabasesClient(subscription, fakeCredential{}, e.options(nil)))
	if _, err := ended(dbs.BeginCreate(ctx, resourceGroup, "pg-real", "appdb", pg.Database{}, nil)); err != nil {
		t.Fatalf("create a database through the API: %v", err)
	}
	var names []string
	for pager := dbs.NewListByServerPager(resourceGroup, "pg-real", nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Value {
			names = append(names, deref(d.Name))
		}
	}
	if diff := cmp.Diff([]string{"appdb", "made_by_sql", "postgres"}, names); diff != "" {
		t.Errorf("the databases the API lists, SQL's too (-want +got):\n%s", diff)
	}

	// A new password and a new SKU (which restarts the server) in one update.
	update := pg.ServerForUpdate{
		SKU:        &pg.SKU{Name: to.Ptr("Standard_B2s"), Tier: to.Ptr(pg.SKUTierBurstable)},
		Properties: &pg.ServerPropertiesForUpdate{AdministratorLoginPassword: to.Ptr("New-Secret-2")},
	}
	if _, err := ended(e.pg.BeginUpdate(ctx, resourceGroup, "pg-real", update, nil)); err != nil {
		t.Fatalf("update: %v", err)
	}
	if c, err := pgConnect(ctx, host, "dbadmin", adminPassword, "appdb"); err == nil {
		c.Close(ctx)
		t.Error("the old password still logs in after the update")
	}
	c, err := pgConnect(ctx, host, "dbadmin", "New-Secret-2", "appdb")
	if err != nil {
		t.Fatalf("the new password does not log in to the database the API made: %v", err)
	}
	if _, err := c.Exec(ctx, `CREATE TABLE t (v int)`); err != nil {
		t.Errorf("the administrator cannot write the database the API made: %v", err)
	}
	c.Close(ctx)

	if _, err := ended(e.pg.BeginRestart(ctx, resourceGroup, "pg-real", nil)); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if c, err := pgConnect(ctx, host, "dbadmin", "New-Secret-2", "postgres"); err != nil {
		t.Errorf("after the restart the server does not take logins: %v", err)
	} else {
		c.Close(ctx)
	}

	if _, err := ended(e.pg.BeginDelete(ctx, resourceGroup, "pg-real", nil)); err != nil {
		t.Fatal(err)
	}
	if c, err := pgConnect(ctx, host, "dbadmin", "New-Secret-2", "postgres"); err == nil {
		c.Close(ctx)
		t.Error("a deleted server still takes logins")
	}
}

func TestMySQLServer(t *testing.T) {
	if err := mariaserver.Installed(); err != nil {
		t.Skipf("no MariaDB server on this machine: %v", err)
	}
	t.Parallel()
	e := start(t, Config{})
	ctx := context.Background()
	created := e.createMySQL(t, "my-real", myServer())
	host := deref(created.Properties.FullyQualifiedDomainName)
	open := func(user, password string) *sql.DB {
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.Timeout = user, password, "tcp", host+":3306", 5*time.Second
		return sql.OpenDB(must(mysql.NewConnector(cfg)))
	}
	db := open("dbadmin", adminPassword)
	defer db.Close()
	var grants []string
	rows, err := db.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		t.Fatalf("log in as the administrator at %s: %v", host, err)
	}
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		grants = append(grants, g)
	}
	rows.Close()
	all := strings.Join(grants, "\n")
	if strings.Contains(all, "SUPER") || strings.Contains(all, "ALL PRIVILEGES ON *.*") ||
		!strings.Contains(all, "CREATE USER") || !strings.Contains(all, "WITH GRANT OPTION") {
		t.Errorf("the administrator's grants = %q, want Azure's admin privileges WITH GRANT OPTION, without SUPER", all)
	}
	for _, q := range []string{"CREATE DATABASE app", "CREATE USER 'app'@'%' IDENTIFIED BY 'App-Pass-1'", "GRANT ALL PRIVILEGES ON app.* TO 'app'@'%'"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Errorf("the administrator cannot %s: %v", q, err)
		}
	}

	update := my.ServerForUpdate{Properties: &my.ServerPropertiesForUpdate{AdministratorLoginPassword: to.Ptr("New-Secret-2")}}
	if _, err := ended(e.my.BeginUpdate(ctx, resourceGroup, "my-real", update, nil)); err != nil {
		t.Fatalf("update: %v", err)
	}
	fresh := open("dbadmin", "New-Secret-2")
	defer fresh.Close()
	if err := fresh.PingContext(ctx); err != nil {
		t.Errorf("the new password does not log in: %v", err)
	}
	stale := open("dbadmin", adminPassword)
	defer stale.Close()
	if err := stale.PingContext(ctx); err == nil {
		t.Error("the old password still logs in after the update")
	}
}

// TestFailedCreate proves that a server whose database server does not start fails its
// create operation the Azure way (the SDK returns the operation's error) and is gone.
func TestFailedCreate(t *testing.T) {
	dir := t.TempDir()
	e := start(t, Config{DataDir: dir})
	// The servers' directory is a file now: no database server can start.
	if err := os.RemoveAll(filepath.Join(dir, "servers")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "servers"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ended(e.pg.BeginCreate(context.Background(), resourceGroup, "broken", pgServer(), nil))
	if diff := cmp.Diff(apiErr{200, "InternalServerError"}, errOf(err)); diff != "" {
		t.Errorf("the failed create, as the SDK reports the async operation's error (-want +got):\n%s", diff)
	}
	_, err = e.pg.Get(context.Background(), resourceGroup, "broken", nil)
	if diff := cmp.Diff(apiErr{404, "ResourceNotFound"}, errOf(err)); diff != "" {
		t.Errorf("a server that failed to be created is gone (-want +got):\n%s", diff)
	}
}
