package localstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// The PostgreSQL server db1 stands in for an on-premises server that exists already (a
// DatabaseClass with provider existing): the stack starts it with an administrator and, once
// the control plane is up, keeps that administrator's login in the Secret that the sample
// class config/samples/onprem/matrixmind_v1_databaseclass_existing.yaml names, as a platform
// team would (docs/on-premises.md).
const (
	// ExistingServerDir holds db1's data, socket and own log (log/error/postgresql.log.*).
	ExistingServerDir = "db1"
	// ExistingCAFile is the CA db1's certificate is signed with, as the Secret's ca.crt
	// holds it.
	ExistingCAFile = "db1-ca.pem"
	// ExistingAdminNamespace and ExistingAdminSecret name the Secret holding the login of
	// db1's administrator: keys engine, host, port, username, password and ca.crt.
	ExistingAdminNamespace = "platform"
	ExistingAdminSecret    = "db1-admin"
	// ExistingAdminUser is db1's administrator, a superuser.
	ExistingAdminUser = "admin"
)

const (
	// existingStartTimeout bounds db1's start: initdb, the server's start, its administrator.
	existingStartTimeout = 90 * time.Second
	// existingWatchInterval is how often Run looks whether db1 still runs.
	existingWatchInterval = time.Second
)

// existingServer is db1, started in the background so that its initdb overlaps the start of
// the control plane and the emulators.
type existingServer struct {
	dir    string
	cancel context.CancelFunc
	// started is closed once the start has returned; the fields below are set then.
	started chan struct{}
	err     error
	srv     *pgserver.Server
	admin   existing.Server
	// postmaster is the server's process id and dataDir its data directory, as the server
	// itself reports them: pgserver does not say when its process exits, so the stack
	// watches the process (exited).
	postmaster int
	dataDir    string
}

// startExistingServer begins db1's start in the background; publishExistingServer waits
// for it.
func (s *stack) startExistingServer(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, existingStartTimeout)
	e := &existingServer{dir: s.path(ExistingServerDir), cancel: cancel, started: make(chan struct{})}
	s.db1 = e
	s.log.logf("starting PostgreSQL db1, an on-premises server that exists already (data and log: %s)", e.dir)
	go func() {
		defer close(e.started)
		defer cancel()
		e.err = e.start(ctx, s.path(ExistingCAFile))
	}()
}

// start starts the server with its certificate signed by a CA of its own, kept in caFile,
// and makes its administrator a superuser.
func (e *existingServer) start(ctx context.Context, caFile string) error {
	ca, err := serverproc.NewCA("db1 CA (local stack)")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(caFile, ca.PEM); err != nil {
		return fmt.Errorf("write db1's CA: %w", err)
	}
	password, err := newPassword()
	if err != nil {
		return err
	}
	// pgserver sets a server up as RDS does, its master an ordinary role; an on-premises
	// server's administrator is a superuser, so the master is made one.
	// 17: a server shared through an existing class must run PostgreSQL 16 or later.
	e.srv, err = pgserver.Start(ctx, pgserver.Options{Dir: e.dir, MasterUser: ExistingAdminUser, MasterPassword: password, CA: ca, Major: 17})
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, e.srv.SuperuserDSN())
	if err != nil {
		return fmt.Errorf("connect to db1 as its superuser: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "ALTER ROLE "+pgx.Identifier{ExistingAdminUser}.Sanitize()+" SUPERUSER"); err != nil {
		return fmt.Errorf("make db1's administrator a superuser: %w", err)
	}
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&e.dataDir); err != nil {
		return fmt.Errorf("ask db1 for its data directory: %w", err)
	}
	if e.postmaster, err = postmasterPID(e.dataDir); err != nil {
		return err
	}
	e.admin = existing.Server{Engine: existing.EnginePostgres, Host: e.srv.Host, Port: int32(e.srv.Port),
		User: ExistingAdminUser, Password: password, CA: ca.PEM}
	return nil
}

// publishExistingServer waits for db1 and writes its administrator's login into the Secret
// the sample class names, in a namespace of the platform team's.
func (s *stack) publishExistingServer(ctx context.Context) error {
	stopTicker := s.log.every(3*time.Second, "still starting PostgreSQL db1")
	<-s.db1.started
	stopTicker()
	if s.db1.err != nil {
		return fmt.Errorf("start PostgreSQL db1 in %s: %w", s.db1.dir, s.db1.err)
	}
	c, err := client.New(s.cp.Config(), client.Options{})
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ExistingAdminNamespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", ns.Name, err)
	}
	if err := c.Create(ctx, adminSecret(s.db1.admin)); err != nil {
		return fmt.Errorf("create Secret %s/%s: %w", ExistingAdminNamespace, ExistingAdminSecret, err)
	}
	s.log.logf("PostgreSQL %s db1 up at %s:%d; Secret %s/%s holds its administrator's login (CA: %s)",
		s.db1.srv.Build.Version, s.db1.admin.Host, s.db1.admin.Port, ExistingAdminNamespace, ExistingAdminSecret, s.path(ExistingCAFile))
	return nil
}

// adminSecret is the Secret of an existing class holding srv's administrator's login, as
// docs/on-premises.md has a platform team make it.
func adminSecret(srv existing.Server) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ExistingAdminNamespace, Name: ExistingAdminSecret},
		Data: map[string][]byte{
			"engine":   []byte(srv.Engine),
			"host":     []byte(srv.Host),
			"port":     []byte(strconv.Itoa(int(srv.Port))),
			"username": []byte(srv.User),
			"password": []byte(srv.Password),
			"ca.crt":   srv.CA,
		},
	}
}

// exited returns a channel closed when db1's postmaster is no longer running, looking every
// existingWatchInterval until ctx is done.
func (e *existingServer) exited(ctx context.Context) <-chan struct{} {
	gone := make(chan struct{})
	go func() {
		t := time.NewTicker(existingWatchInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if !runs(e.postmaster, e.dataDir) {
				close(gone)
				return
			}
		}
	}()
	return gone
}

// db1Died reports db1 gone while the stack was up, as died reports a child.
func (s *stack) db1Died() error {
	path, tail := s.db1.logTail(logTailLines)
	err := fmt.Errorf("PostgreSQL db1 (pid %d) exited unexpectedly; see %s", s.db1.postmaster, path)
	s.log.logf("%v; its last lines:\n%s", err, tail)
	return err
}

// logTail returns the path of db1's newest log file and its last n lines.
func (e *existingServer) logTail(n int) (string, string) {
	files, err := e.srv.LogFiles()
	if err != nil || len(files) == 0 {
		return e.srv.LogDir(), ""
	}
	newest := files[0]
	for _, f := range files[1:] {
		if f.LastWritten.After(newest.LastWritten) {
			newest = f
		}
	}
	path := filepath.Join(e.srv.LogDir(), filepath.FromSlash(newest.Name))
	out, err := os.ReadFile(path)
	if err != nil {
		return path, ""
	}
	return path, lastLines(out, n)
}

// stop cancels a start still under way, waits for it and stops the server it started.
func (e *existingServer) stop() error {
	e.cancel()
	<-e.started
	if e.srv == nil {
		return nil
	}
	return e.srv.Stop()
}

// postmasterPID reads the process id PostgreSQL keeps on the first line of postmaster.pid
// in its data directory while it runs.
func postmasterPID(dataDir string) (int, error) {
	out, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("read db1's postmaster.pid: %w", err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("db1's postmaster.pid names no process: %q", line)
	}
	return pid, nil
}

// runs reports whether process pid runs and names dataDir on its command line: a process
// that took the number of an exited server's does not.
func runs(pid int, dataDir string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && bytes.Contains(cmdline, []byte(dataDir))
}

// newPassword is a fresh random password of letters and digits only.
func newPassword() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate db1's administrator password: %w", err)
	}
	return hex.EncodeToString(b), nil
}
