package rdsctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// The database clients, run with a user's Secret only: the password goes in a file only
// the user can read (psql's PGPASSFILE, mysql's --defaults-extra-file), never on a command
// line, in the environment or in ps.

var psqlCommand = clientCommand("psql", "PostgreSQL",
	"  # as the master user, then as app on the readers\n  kubectl rds psql orders\n  kubectl rds psql orders --user app --read-only -- -c 'select 1'")

var mysqlCommand = clientCommand("mysql", "MySQL/MariaDB",
	"  kubectl rds mysql shop --user app -- -e 'show tables'")

// clientCommand is psql or mysql.
func clientCommand(name, engines, example string) command {
	return command{
		name: name, object: true,
		args:    "NAME [--user U] [--read-only] [-- " + name + " arguments]",
		summary: "Run " + name + " on a " + engines + " database as a user, with its Secret.",
		example: example,
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var user string
			var readOnly bool
			fs.StringVar(&user, "user", "", "The user whose Secret to use (default the master user).")
			fs.StringVar(&user, "u", "", "Short for --user.")
			fs.BoolVar(&readOnly, "read-only", false, "Connect to the readers (read replicas or the cluster's reader endpoint).")
			return func(ctx context.Context, e *env, args []string) error {
				var extra []string
				if i := slices.Index(args, "--"); i >= 0 {
					args, extra = args[:i], args[i+1:]
				}
				db, err := oneName(args)
				if err != nil {
					return err
				}
				return e.runClient(ctx, name, db, user, readOnly, extra)
			}
		},
	}
}

// program is a client program to run.
type program struct {
	path string
	args []string
	// env is added to the plugin's environment.
	env []string
}

// runClient runs the client (psql or mysql) against the RDSDatabase db as user.
func (e *env) runClient(ctx context.Context, clientName, dbName, user string, readOnly bool, extra []string) error {
	db, err := e.getDatabase(ctx, dbName)
	if err != nil {
		return err
	}
	postgres := strings.Contains(strings.ToLower(orDefault(string(db.Spec.Type), "postgresql")), "postgres")
	if postgres != (clientName == "psql") {
		other := map[bool]string{true: "psql", false: "mysql"}[postgres]
		return fmt.Errorf("%s is a %s database: use kubectl rds %s", dbName, orDefault(string(db.Spec.Type), "postgresql"), other)
	}
	secretName := naming.MasterSecretName(db.Name)
	if user != "" {
		secretName = naming.UserSecretName(db.Name, user)
	}
	sec := &corev1.Secret{}
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: db.Namespace, Name: secretName}, sec); err != nil {
		return explain(err, "secret", db.Namespace, secretName)
	}
	c, err := credentialsOf(sec, readOnly)
	if err != nil {
		return fmt.Errorf("secret %s: %w", secretName, err)
	}
	path, err := e.lookPath(clientName)
	if err != nil {
		return fmt.Errorf("%s is not installed here (%v): install the %s client", clientName, err, clientName)
	}
	dir, err := os.MkdirTemp("", "kubectl-rds-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var p program
	if postgres {
		p, err = c.psql(dir, path)
	} else {
		p, err = c.mysql(dir, path)
	}
	if err != nil {
		return err
	}
	p.args = append(p.args, extra...)
	return e.run(ctx, e, p)
}

// credentials are what a Secret says of a login.
type credentials struct {
	user, password, host, port, database, sslmode string
	ca                                            []byte
}

// credentialsOf reads a credential Secret; readOnly takes the readers' host and port.
func credentialsOf(sec *corev1.Secret, readOnly bool) (credentials, error) {
	d := sec.Data
	c := credentials{user: string(d["username"]), password: string(d["password"]), host: string(d["host"]), port: string(d["port"]),
		database: string(d["dbname"]), ca: d["ca.crt"], sslmode: "require"}
	if u, err := url.Parse(string(d["uri"])); err == nil && u.Query().Get("sslmode") != "" {
		c.sslmode = u.Query().Get("sslmode")
	}
	if readOnly {
		if len(d["ro-host"]) == 0 {
			return c, errors.New("the database has no readers (spec.highAvailability.readReplicas) to connect to read-only")
		}
		c.host, c.port = string(d["ro-host"]), string(d["ro-port"])
	}
	if c.user == "" || c.password == "" || c.host == "" {
		return c, errors.New("it has no username, password or host yet: is the database Ready?")
	}
	return c, nil
}

// psql is the psql run for c, its password and CA in files under dir.
func (c credentials) psql(dir, path string) (program, error) {
	esc := func(s string) string { return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s) }
	pass := filepath.Join(dir, "pgpass")
	line := strings.Join([]string{esc(c.host), esc(c.port), "*", esc(c.user), esc(c.password)}, ":") + "\n"
	if err := os.WriteFile(pass, []byte(line), 0o600); err != nil {
		return program{}, err
	}
	env := []string{"PGHOST=" + c.host, "PGPORT=" + c.port, "PGUSER=" + c.user, "PGDATABASE=" + c.database, "PGPASSFILE=" + pass, "PGSSLMODE=" + c.sslmode}
	if len(c.ca) > 0 {
		ca := filepath.Join(dir, "ca.crt")
		if err := os.WriteFile(ca, c.ca, 0o600); err != nil {
			return program{}, err
		}
		env = append(env, "PGSSLROOTCERT="+ca)
	}
	return program{path: path, env: env}, nil
}

// mysql is the mysql run for c, its password and CA in an option file under dir (the
// first argument, as the client requires).
func (c credentials) mysql(dir, path string) (program, error) {
	quote := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	opts := []string{"[client]", "user=" + quote(c.user), "password=" + quote(c.password), "host=" + quote(c.host), "port=" + c.port}
	if len(c.ca) > 0 {
		ca := filepath.Join(dir, "ca.crt")
		if err := os.WriteFile(ca, c.ca, 0o600); err != nil {
			return program{}, err
		}
		opts = append(opts, "ssl-ca="+quote(ca))
	}
	file := filepath.Join(dir, "my.cnf")
	if err := os.WriteFile(file, []byte(strings.Join(opts, "\n")+"\n"), 0o600); err != nil {
		return program{}, err
	}
	args := []string{"--defaults-extra-file=" + file}
	if c.database != "" {
		args = append(args, "--database="+c.database)
	}
	return program{path: path, args: args}, nil
}

// lookPath finds a client on PATH, else PostgreSQL's newest on Debian's versioned paths.
func lookPath(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil {
		return path, nil
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(m) > 0 {
		slices.Sort(m)
		return m[len(m)-1], nil
	}
	return "", err
}

// runProgram runs p with e's input and output, and says how it ended when it failed. The
// client is not killed when the plugin's context ends: Ctrl-C reaches it from the terminal,
// and psql cancels its query rather than the whole session.
func runProgram(_ context.Context, e *env, p program) error {
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(p.path), err)
	}
	return nil
}
