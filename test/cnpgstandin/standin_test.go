package cnpgstandin_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/controlplane"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
	"github.com/matrixmind-cloud/aws-rds-operator/test/cnpgstandin"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// env is the control plane (with CloudNativePG's CRDs and the garbage collector) and the
// stand-in the tests share; skip says why there is none.
var env struct {
	client  client.Client
	standIn *cnpgstandin.StandIn
	dir     string
	builds  *pgserver.Builds
}

var skip string

// timeout bounds each wait: a server starts within seconds, on a loaded machine within more.
const timeout = time.Minute

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if _, err := controlplane.ToolsDir(); err != nil {
		skip = err.Error()
		return m.Run()
	}
	builds, err := pgserver.DefaultBuilds()
	if err == nil {
		_, err = builds.Default()
	}
	if err != nil {
		skip = err.Error()
		return m.Run()
	}
	env.builds = builds
	crds, err := harness.CNPGCRDDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cp, err := controlplane.Start(controlplane.Options{CRDDirs: []string{crds}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = cp.Stop() }()
	ctx := context.Background()
	// The Cluster's Services and Secrets go with it through the garbage collector.
	if _, err := cp.StartControllerManager(ctx, controlplane.ControllerManagerOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), cnpgv1.AddToScheme(scheme)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if env.client, err = client.New(cp.Config(), client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if env.dir, err = os.MkdirTemp("", "cnpg-standin-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(env.dir) }()
	// PostgreSQL runs as the postgres user when the tests run as root: it must reach the dir.
	if err := os.Chmod(env.dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The stand-in's log goes to the test's output; CNPG_STANDIN_DEBUG=1 shows debug lines.
	log := zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(os.Getenv("CNPG_STANDIN_DEBUG") != ""))
	logf.SetLogger(log)
	if env.standIn, err = cnpgstandin.Start(ctx, cp.Config(), cnpgstandin.Options{Dir: env.dir, Builds: builds, Log: log}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := env.standIn.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop the stand-in:", err)
		code = 1
	}
	return code
}

func setup(t *testing.T) {
	t.Helper()
	if skip != "" {
		t.Skip(skip)
	}
}

// TestClusterBecomesHealthy is the provider's story: a Cluster made before its initdb
// Secret waits for it, then serves; its owner logs in through the read-write Service with
// the Secret's password, verifying the server against <cluster>-ca.
func TestClusterBecomesHealthy(t *testing.T) {
	setup(t)
	ctx := context.Background()
	ns := namespace(t)
	c := newCluster(ns, "orders", "ghcr.io/cloudnative-pg/postgresql:16.4-standard-bookworm")
	if err := env.client.Create(ctx, c); err != nil {
		t.Fatal(err)
	}

	// Without its Secret, the initdb job's pod could not start: the primary is being set up.
	waiting := waitCluster(t, c, func(c *cnpgv1.Cluster) bool { return c.Status.PhaseReason != "" })
	if waiting.Status.Phase != cnpgv1.PhaseFirstPrimary || !strings.Contains(waiting.Status.PhaseReason, "orders-master") {
		t.Errorf("before its Secret: phase %q (%s), want %q naming the Secret", waiting.Status.Phase, waiting.Status.PhaseReason, cnpgv1.PhaseFirstPrimary)
	}
	// The Services exist before the primary does, as CloudNativePG makes them first.
	if err := env.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "orders-rw"}, &corev1.Service{}); err != nil {
		t.Errorf("the read-write Service before the primary: %v", err)
	}

	secret := masterSecret(ns, "orders-master", "master", "first-Pass'word")
	if err := env.client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	got := waitHealthy(t, c)

	// What the provider reads of the status, as CloudNativePG writes it.
	wantStatus := cnpgv1.ClusterStatus{
		Instances: 1, ReadyInstances: 1, CurrentPrimary: "orders-1", TargetPrimary: "orders-1",
		WriteService: "orders-rw", ReadService: "orders-r", Image: c.Spec.ImageName, Phase: "Cluster in healthy state",
		Certificates: cnpgv1.CertificatesStatus{CertificatesConfiguration: cnpgv1.CertificatesConfiguration{
			ServerCASecret: "orders-ca", ClientCASecret: "orders-ca", ServerTLSSecret: "orders-server", ReplicationTLSSecret: "orders-replication",
		}},
	}
	gotStatus := cnpgv1.ClusterStatus{
		Instances: got.Status.Instances, ReadyInstances: got.Status.ReadyInstances, CurrentPrimary: got.Status.CurrentPrimary,
		TargetPrimary: got.Status.TargetPrimary, WriteService: got.Status.WriteService, ReadService: got.Status.ReadService,
		Image: got.Status.Image, Phase: got.Status.Phase, Certificates: got.Status.Certificates,
	}
	if diff := cmp.Diff(wantStatus, gotStatus); diff != "" {
		t.Errorf("status: -want +got:\n%s", diff)
	}
	if !meta.IsStatusConditionTrue(got.Status.Conditions, string(cnpgv1.ConditionClusterReady)) {
		t.Errorf("conditions %v: want Ready True once healthy", got.Status.Conditions)
	}
	// The managed role is applied with its Secret's version; CloudNativePG's own roles are
	// reserved.
	roles := got.Status.ManagedRolesStatus
	if !slices.Contains(roles.ByStatus[cnpgv1.RoleStatusReconciled], "master") || !slices.Contains(roles.ByStatus[cnpgv1.RoleStatusReserved], "postgres") {
		t.Errorf("managedRolesStatus.byStatus = %v: want master reconciled and postgres reserved", roles.ByStatus)
	}
	if pw := roles.PasswordStatus["master"]; pw.SecretResourceVersion != currentVersion(t, secret) {
		t.Errorf("managedRolesStatus.passwordStatus[master] = %+v: want the Secret's resourceVersion", pw)
	}

	// The Services, CloudNativePG's, owned by the Cluster so that they go with it.
	for name, selector := range map[string]map[string]string{
		"orders-rw": {"cnpg.io/cluster": "orders", "cnpg.io/instanceRole": "primary"},
		"orders-ro": {"cnpg.io/cluster": "orders", "cnpg.io/instanceRole": "replica"},
		"orders-r":  {"cnpg.io/cluster": "orders", "cnpg.io/podRole": "instance"},
	} {
		svc := &corev1.Service{}
		if err := env.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, svc); err != nil {
			t.Errorf("Service %s: %v", name, err)
			continue
		}
		if svc.Spec.Type != corev1.ServiceTypeClusterIP || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "postgres" || svc.Spec.Ports[0].Port != 5432 {
			t.Errorf("Service %s: type %s, ports %v: want ClusterIP with port 5432 named postgres", name, svc.Spec.Type, svc.Spec.Ports)
		}
		if diff := cmp.Diff(selector, svc.Spec.Selector); diff != "" {
			t.Errorf("Service %s's selector: -want +got:\n%s", name, diff)
		}
		if !metav1.IsControlledBy(svc, got) {
			t.Errorf("Service %s is not controlled by the Cluster: %v", name, svc.OwnerReferences)
		}
	}

	// The owner logs in with the Secret's password, the server verified fully against the
	// Cluster's CA by the Service's name.
	ca := clusterCA(t, ns, "orders")
	host := "orders-rw." + ns + ".svc"
	conn, err := connect(ctx, host, "master", "first-Pass'word", "app", &tls.Config{RootCAs: ca, ServerName: host, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("the owner's login with verify-full: %v", err)
	}
	defer conn.Close(ctx)
	var dbOwner string
	var super, createDB, createRole bool
	err = conn.QueryRow(ctx, `SELECT pg_get_userbyid(d.datdba), r.rolsuper, r.rolcreatedb, r.rolcreaterole
		FROM pg_database d, pg_roles r WHERE d.datname = 'app' AND r.rolname = current_user`).Scan(&dbOwner, &super, &createDB, &createRole)
	if err != nil {
		t.Fatal(err)
	}
	// The owner owns initdb's database and has what the managed role asks, no superuser.
	if dbOwner != "master" || super || !createDB || !createRole {
		t.Errorf("app owned by %s; master super %v, createdb %v, createrole %v: want owned by master, CREATEDB CREATEROLE, no superuser", dbOwner, super, createDB, createRole)
	}
	var version int
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int / 10000`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if env.builds.PerMajor() && version != 16 {
		t.Errorf("PostgreSQL %d serves: want 16, the image's tag", version)
	}
	if got.Status.PGDataImageInfo == nil || got.Status.PGDataImageInfo.MajorVersion != version {
		t.Errorf("status.pgDataImageInfo = %+v: want the major that serves, %d", got.Status.PGDataImageInfo, version)
	}

	// verify-ca, as the operator checks a database's own CA: the chain, not the name.
	bundle, err := engine.ParseCABundle(caPEM(t, ns, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	short := "orders-rw." + ns
	if conn, err := connect(ctx, short, "master", "first-Pass'word", "app", bundle.ChainOnly().TLSConfig(short)); err != nil {
		t.Errorf("the owner's login with verify-ca through %s: %v", short, err)
	} else {
		_ = conn.Close(ctx)
	}
	// Another CA's bundle refuses the server: the certificate is the Cluster's CA's.
	other, err := serverproc.NewCA("another")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(other.PEM)
	if _, err := connect(ctx, host, "master", "first-Pass'word", "app", &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}); err == nil || !engine.CertificateRefused(err) {
		t.Errorf("a login trusting another CA: %v, want the certificate refused", err)
	}
	// enableSuperuserAccess false: postgres has no password to log in with.
	if _, err := connect(ctx, host, "postgres", "postgres", "postgres", &tls.Config{RootCAs: ca, ServerName: host, MinVersion: tls.VersionTLS12}); sqlState(err) != "28P01" {
		t.Errorf("postgres's login: %v, want SQLSTATE 28P01 (no usable password)", err)
	}
	// A single instance has no replica: -ro leads nowhere, as a Service without endpoints.
	if _, err := env.standIn.Dial(ctx, "tcp", "orders-ro."+ns+".svc:5432"); err == nil || !strings.Contains(err.Error(), "no ready endpoint") {
		t.Errorf("dial -ro of a single instance: %v, want no ready endpoint", err)
	}
	if _, err := env.standIn.Dial(ctx, "tcp", "nothing-rw."+ns+".svc.cluster.local:5432"); err == nil || !strings.Contains(err.Error(), "no CloudNativePG Cluster") {
		t.Errorf("dial an unknown Service: %v, want an error saying no Cluster has it", err)
	}
}

// TestPasswordsFollowTheirSecrets: a managed role's password, and the owner's, are those of
// their Secrets, again after the Secrets change, as CloudNativePG reapplies them.
func TestPasswordsFollowTheirSecrets(t *testing.T) {
	setup(t)
	ctx := context.Background()
	ns := namespace(t)
	c := newCluster(ns, "shop", "ghcr.io/cloudnative-pg/postgresql:17")
	c.Spec.Managed.Roles = append(c.Spec.Managed.Roles, cnpgv1.RoleConfiguration{
		Name: "reporting", Ensure: cnpgv1.EnsurePresent, Login: true, Comment: "read-only reports",
		PasswordSecret: &cnpgv1.LocalObjectReference{Name: "reporting"},
	})
	for _, obj := range []client.Object{masterSecret(ns, "shop-master", "master", "master-1"), masterSecret(ns, "reporting", "reporting", "reporting-1"), c} {
		if err := env.client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	waitHealthy(t, c)
	host := "shop-rw." + ns
	for user, password := range map[string]string{"master": "master-1", "reporting": "reporting-1"} {
		if err := login(ctx, host, user, password); err != nil {
			t.Fatalf("%s's login with its Secret's password: %v", user, err)
		}
	}

	for name, password := range map[string]string{"shop-master": "master-2", "reporting": "reporting-2"} {
		sec := &corev1.Secret{}
		if err := env.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, sec); err != nil {
			t.Fatal(err)
		}
		sec.Data["password"] = []byte(password)
		if err := env.client.Update(ctx, sec); err != nil {
			t.Fatal(err)
		}
	}
	for user, password := range map[string]string{"master": "master-2", "reporting": "reporting-2"} {
		err := harness.WaitFor(ctx, timeout, func(ctx context.Context) (bool, error) {
			return login(ctx, host, user, password) == nil, nil
		})
		if err != nil {
			t.Errorf("%s's login with its Secret's new password: %v", user, err)
		}
	}
	// The old password no longer works: the new one replaced it.
	if err := login(ctx, host, "reporting", "reporting-1"); sqlState(err) != "28P01" {
		t.Errorf("reporting's login with the old password: %v, want SQLSTATE 28P01", err)
	}
}

// TestUnlistedMembershipIsRevoked shows CloudNativePG 1.30's role synchronizer (issue
// cloudnative-pg#11448): on PostgreSQL 16 and later, a managed CREATEROLE role is a member
// (with ADMIN OPTION) of each role it creates, and the next reconcile of the Cluster revokes
// that membership, which spec.managed.roles[].inRoles does not list.
func TestUnlistedMembershipIsRevoked(t *testing.T) {
	setup(t)
	if !env.builds.PerMajor() {
		t.Skip("needs PostgreSQL 16: the builds per major of hack/postgres.sh are not there")
	}
	ctx := context.Background()
	ns := namespace(t)
	c := newCluster(ns, "grants", "ghcr.io/cloudnative-pg/postgresql:17")
	for _, obj := range []client.Object{masterSecret(ns, "grants-master", "master", "master-1"), c} {
		if err := env.client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	waitHealthy(t, c)
	host := "grants-rw." + ns
	conn, err := connect(ctx, host, "master", "master-1", "app", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	memberOf := func(ctx context.Context, q interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}) (bool, error) {
		var member bool
		err := q.QueryRow(ctx, `SELECT pg_has_role('master', 'app_user', 'MEMBER')`).Scan(&member)
		return member, err
	}
	// Seen in the creating transaction: any reconcile of the Cluster may revoke it once
	// committed.
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `CREATE ROLE app_user LOGIN`); err != nil {
		t.Fatal(err)
	}
	if member, err := memberOf(ctx, tx); err != nil || !member {
		t.Fatalf("master a member of the role it created: %v, %v: want true (PostgreSQL 16 and later)", member, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Any change of the Cluster reconciles its roles.
	if err := env.client.Get(ctx, client.ObjectKeyFromObject(c), c); err != nil {
		t.Fatal(err)
	}
	before := c.DeepCopy()
	c.Annotations = map[string]string{"touched": "yes"}
	if err := env.client.Patch(ctx, c, client.MergeFrom(before)); err != nil {
		t.Fatal(err)
	}
	err = harness.WaitFor(ctx, timeout, func(ctx context.Context) (bool, error) {
		member, err := memberOf(ctx, conn)
		return !member, err
	})
	if err != nil {
		t.Errorf("master's membership of app_user after a reconcile: %v, want it revoked", err)
	}
}

// TestDeletingClusterStopsServer: the server of a deleted Cluster stops and its data goes;
// its Services and Secrets go with it through the garbage collector.
func TestDeletingClusterStopsServer(t *testing.T) {
	setup(t)
	ctx := context.Background()
	ns := namespace(t)
	c := newCluster(ns, "temp", "ghcr.io/cloudnative-pg/postgresql:16")
	c.Spec.Instances = 2
	for _, obj := range []client.Object{masterSecret(ns, "temp-master", "master", "master-1"), c} {
		if err := env.client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	waitHealthy(t, c)
	// With a replica, -ro reaches the one server too.
	conn, err := env.standIn.Dial(ctx, "tcp", "temp-ro."+ns+".svc.cluster.local:5432")
	if err != nil {
		t.Fatalf("dial -ro of two instances: %v", err)
	}
	addr := conn.RemoteAddr().String()
	_ = conn.Close()
	if entries, err := os.ReadDir(filepath.Join(env.dir, ns)); err != nil || len(entries) != 1 {
		t.Fatalf("the stand-in's directory of %s: %v, %v: want the Cluster's", ns, entries, err)
	}

	if err := env.client.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	var entries []os.DirEntry
	err = harness.WaitFor(ctx, timeout, func(ctx context.Context) (bool, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = conn.Close()
			return false, nil
		}
		entries, err = os.ReadDir(filepath.Join(env.dir, ns))
		return len(entries) == 0, err
	})
	if err != nil {
		t.Errorf("the server at %s after the Cluster's deletion: %v (data left: %v), want it stopped and its data removed", addr, err, entries)
	}
	if _, err := env.standIn.Dial(ctx, "tcp", "temp-rw."+ns+".svc:5432"); err == nil {
		t.Errorf("dial the deleted Cluster's -rw: no error, want none to reach")
	}
	err = harness.WaitFor(ctx, timeout, func(ctx context.Context) (bool, error) {
		for _, obj := range []client.Object{
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "temp-rw"}}, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "temp-ro"}},
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "temp-r"}}, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "temp-ca"}},
		} {
			if err := env.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: obj.GetName()}, obj); !apierrors.IsNotFound(err) {
				return false, err
			}
		}
		return true, nil
	})
	if err != nil {
		t.Errorf("the Services and the CA Secret of the deleted Cluster: %v, want them collected", err)
	}
}

// newCluster is a Cluster as the operator's provider makes it.
func newCluster(ns, name, image string) *cnpgv1.Cluster {
	c := &cnpgv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{
		"matrixmind.cloud/managed-by": "aws-rds-operator", "matrixmind.cloud/database": name,
	}}}
	c.Spec.Instances = 1
	c.Spec.ImageName = image
	c.Spec.StorageConfiguration.Size = "10Gi"
	secret := &cnpgv1.LocalObjectReference{Name: name + "-master"}
	c.Spec.Bootstrap = &cnpgv1.BootstrapConfiguration{InitDB: &cnpgv1.BootstrapInitDB{Database: "app", Owner: "master", Secret: secret}}
	c.Spec.Managed = &cnpgv1.ManagedConfiguration{Roles: []cnpgv1.RoleConfiguration{{
		Name: "master", Ensure: cnpgv1.EnsurePresent, Login: true, CreateDB: true, CreateRole: true,
		Inherit: ptr.To(true), PasswordSecret: secret,
	}}}
	c.Spec.EnableSuperuserAccess = ptr.To(false)
	return c
}

func masterSecret(ns, name, user, password string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"username": []byte(user), "password": []byte(password)},
	}
}

func namespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "cnpg-"}}
	if err := env.client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// waitCluster waits until the Cluster satisfies cond and returns it.
func waitCluster(t *testing.T, c *cnpgv1.Cluster, cond func(*cnpgv1.Cluster) bool) *cnpgv1.Cluster {
	t.Helper()
	got := &cnpgv1.Cluster{}
	err := harness.WaitFor(context.Background(), timeout, func(ctx context.Context) (bool, error) {
		if err := env.client.Get(ctx, client.ObjectKeyFromObject(c), got); err != nil {
			return false, err
		}
		return cond(got), nil
	})
	if err != nil {
		t.Fatalf("Cluster %s: %v (status %+v)", c.Name, err, got.Status)
	}
	return got
}

func waitHealthy(t *testing.T, c *cnpgv1.Cluster) *cnpgv1.Cluster {
	t.Helper()
	return waitCluster(t, c, func(c *cnpgv1.Cluster) bool { return c.Status.Phase == cnpgv1.PhaseHealthy })
}

func currentVersion(t *testing.T, sec *corev1.Secret) string {
	t.Helper()
	got := &corev1.Secret{}
	if err := env.client.Get(context.Background(), client.ObjectKeyFromObject(sec), got); err != nil {
		t.Fatal(err)
	}
	return got.ResourceVersion
}

// caPEM is ca.crt of <cluster>-ca, whose ca.key must be the CA's key.
func caPEM(t *testing.T, ns, cluster string) []byte {
	t.Helper()
	sec := &corev1.Secret{}
	if err := env.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: cluster + "-ca"}, sec); err != nil {
		t.Fatal(err)
	}
	certBlock, _ := pem.Decode(sec.Data["ca.crt"])
	keyBlock, _ := pem.Decode(sec.Data["ca.key"])
	if certBlock == nil || keyBlock == nil {
		t.Fatalf("%s-ca holds %d bytes of ca.crt, %d of ca.key: want both PEM", cluster, len(sec.Data["ca.crt"]), len(sec.Data["ca.key"]))
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.ParseECPrivateKey(keyBlock.Bytes)
	if err != nil {
		t.Fatalf("ca.key is no EC PRIVATE KEY, as CloudNativePG writes it: %v", err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) || !cert.IsCA {
		t.Errorf("%s-ca: ca.key is not the key of ca.crt, or ca.crt is no CA", cluster)
	}
	return sec.Data["ca.crt"]
}

func clusterCA(t *testing.T, ns, cluster string) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM(t, ns, cluster))
	return pool
}

// connect logs in to database at host:5432 through the stand-in, over TLS as tc says (nil:
// encrypted, unverified).
func connect(ctx context.Context, host, user, password, database string, tc *tls.Config) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=5432 dbname=%s sslmode=require connect_timeout=10", host, database))
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Password = user, password
	cfg.DialFunc = env.standIn.Dial
	cfg.LookupFunc = func(_ context.Context, host string) ([]string, error) { return []string{host}, nil }
	if tc != nil {
		cfg.TLSConfig = tc
	}
	cfg.Fallbacks = nil
	return pgx.ConnectConfig(ctx, cfg)
}

func login(ctx context.Context, host, user, password string) error {
	conn, err := connect(ctx, host, user, password, "postgres", nil)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
