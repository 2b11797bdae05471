package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/password"
)

// Keys of the credential Secrets.
const (
	keyUsername = "username"
	keyPassword = "password"
	keyHost     = "host"
	keyPort     = "port"
	keyDBName   = "dbname"
	keyURI      = "uri"
	keyJDBCURI  = "jdbc-uri"
	// keyROHost and keyROPort are the readers' host and port, present while there are
	// readers.
	keyROHost = "ro-host"
	keyROPort = "ro-port"
	// keyCACert holds the CA bundle the server's certificate chains to, present when the
	// operator has one or the cloud publishes the database's own: clients verify the server
	// with it (sslmode=verify-full, or verify-ca for a database's own CA).
	keyCACert = "ca.crt"
	// keyTokenHowTo says how a user who logs in with a token from the cloud (the role iam)
	// gets one; such a user's Secret has no password.
	keyTokenHowTo = "token-howto"
)

// reconcileSecrets makes sure the master and every user have a Secret with a password before
// anything is sent to the cloud, so a crash never loses a password, or, for a user who logs
// in with tokens (tokenLogin), a Secret that says so. A password is generated once, when its
// Secret is absent or its user stops logging in with tokens, and never silently
// regenerated.
func (r *RDSDatabaseReconciler) reconcileSecrets(ctx context.Context, s *scope) (ctrl.Result, error) {
	db := s.db
	users := append([]string{db.Spec.MasterUser}, sortedKeys(db.Spec.Users)...)
	names := make([]string, 0, len(users))
	var created []string
	defer func() { // also when a later Secret fails: say what was made
		if len(created) > 0 {
			r.event(db, corev1.EventTypeNormal, v1.EventSecretCreated, "Created Secrets: %s", strings.Join(created, ", "))
		}
	}()
	for _, user := range users {
		name := secretName(db, user)
		names = append(names, name)
		token := tokenLogin(db, user)
		secret := &corev1.Secret{}
		// The cache holds every Secret the operator made; one it does not hold is created at
		// once, and a Secret someone else made under the name shows as AlreadyExists and is
		// read then (below), so a new object costs no extra apiserver reads.
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: db.Namespace, Name: name}, secret)
		switch {
		case apierrors.IsNotFound(err):
			pw := ""
			if !token {
				if pw, err = password.Generate(user); err != nil {
					return ctrl.Result{}, errorf(db, "generate password", err)
				}
			}
			secret = credentialSecret(db, user, name, pw)
			recreatedMaster := user == db.Spec.MasterUser && db.Status.Cloud != nil
			if recreatedMaster {
				// The cloud database still has the old password, now lost: the new one is
				// written first, then set through the cloud like a rotation.
				secret.Annotations[v1.AnnotationRotationPending] = v1.RotationRecreated
			}
			err = r.Client.Create(ctx, secret)
			if err == nil && recreatedMaster {
				r.event(db, corev1.EventTypeWarning, v1.EventMasterSecretRecreated,
					"The master Secret %s was deleted: a new password was written to it and will be set through the cloud", name)
			}
			if apierrors.IsAlreadyExists(err) {
				// The cache has not seen our Secret yet: never overwrite, read it instead.
				err = r.APIReader.Get(ctx, client.ObjectKey{Namespace: db.Namespace, Name: name}, secret)
			} else if err == nil {
				created = append(created, name)
				s.repair = true
			}
			if err != nil {
				return ctrl.Result{}, errorf(db, "create secret "+name, err)
			}
		case err != nil:
			return ctrl.Result{}, errorf(db, "read secret "+name, err)
		}
		if secret, err = r.fitLogin(ctx, s, secret, user, token); err != nil {
			return conflictRequeue(errorf(db, "change how "+user+" logs in in secret "+name, err))
		}
		cred := credential{secret: name, token: token}
		if !token {
			cred.password, cred.pending = string(secret.Data[keyPassword]), secret.Annotations[v1.AnnotationRotationPending]
		}
		if (cred.password == "" && !token) || string(secret.Data[keyUsername]) != user {
			err := fmt.Errorf("secret %s exists but does not hold username %q and a password: delete it to have a new one made, or add them", name, user)
			s.announce(v1.ConditionUsersReady, metav1.ConditionFalse, v1.ReasonSecretInvalid, err.Error(), corev1.EventTypeWarning, "")
			return ctrl.Result{RequeueAfter: ownerRecheck}, nil
		}
		s.credentials[user] = cred
	}
	db.Status.Secrets = names
	return ctrl.Result{}, nil
}

// tokenLogin tells whether user logs in with tokens from the cloud's identity service: it
// has the role iam, and the cloud reported token logins on (status.cloud, as last seen).
// Until the cloud takes tokens (a change waiting for the maintenance window, a cloud that
// refuses them) the user keeps its password, so it is never locked out.
func tokenLogin(db *v1.RDSDatabase, user string) bool {
	return user != db.Spec.MasterUser && slices.Contains(db.Spec.Users[user], v1.RoleIAM) &&
		db.Status.Cloud != nil && db.Status.Cloud.IAMAuthentication
}

// fitLogin brings a Secret this object made to how its user logs in. A user who now logs
// in with tokens loses its password (and the uris holding it) from the Secret, which is
// marked as a token user's. A user whose Secret carries that mark and who no longer logs in
// with tokens gets a new password, written here before the engine phase sets it. Any other
// Secret without a password is left for the caller to refuse, and Secrets made by others
// are never changed.
func (r *RDSDatabaseReconciler) fitLogin(ctx context.Context, s *scope, secret *corev1.Secret, user string, token bool) (*corev1.Secret, error) {
	db := s.db
	_, hasPassword := secret.Data[keyPassword]
	marked := secret.Annotations[v1.AnnotationLogin] == v1.LoginToken
	if secret.Annotations[v1.AnnotationOwner] != naming.Owner(db.Namespace, db.Name) || user == db.Spec.MasterUser ||
		(token && marked && !hasPassword) || (!token && !marked) {
		return secret, nil
	}
	updated := secret.DeepCopy()
	var note string
	if token {
		for _, k := range []string{keyPassword, keyPasswordPrevious, keyURI, keyJDBCURI} {
			delete(updated.Data, k)
		}
		delete(updated.Annotations, v1.AnnotationRotationPending)
		updated.Annotations[v1.AnnotationLogin] = v1.LoginToken
		note = fmt.Sprintf("User %s logs in with the cloud's tokens now: its password was removed from Secret %s", user, secret.Name)
	} else {
		pw, err := password.Generate(user)
		if err != nil {
			return nil, err
		}
		if updated.Data == nil {
			updated.Data = map[string][]byte{}
		}
		updated.Data[keyPassword] = []byte(pw)
		delete(updated.Data, keyTokenHowTo)
		delete(updated.Annotations, v1.AnnotationLogin)
		note = fmt.Sprintf("User %s logs in with a password again: a new one was written to Secret %s", user, secret.Name)
	}
	if err := r.Client.Update(ctx, updated); err != nil {
		return nil, err
	}
	s.repair = true
	r.eventAbout(db, corev1.EventTypeNormal, v1.EventLoginChanged, user, "%s", note)
	return updated, nil
}

// reconcileConnectionSecrets completes each Secret with where and how to connect, once the
// database is available.
func (r *RDSDatabaseReconciler) reconcileConnectionSecrets(ctx context.Context, s *scope) (ctrl.Result, error) {
	db := s.db
	for user, cred := range s.credentials {
		secret := &corev1.Secret{}
		if err := r.getSecret(ctx, client.ObjectKey{Namespace: db.Namespace, Name: cred.secret}, secret); err != nil {
			return ctrl.Result{}, errorf(db, "read secret "+cred.secret, err)
		}
		want := connectionData(engineOf(db), s.instance.Endpoint, s.instance.Port, user, cred.password, defaultDatabase(db, user))
		if cred.token {
			want[keyTokenHowTo] = []byte(s.cloud.LoginTokenHowTo(*s.instance, user))
		}
		reader := s.reader.host
		if reader != "" {
			want[keyROHost] = []byte(reader)
			want[keyROPort] = []byte(strconv.Itoa(int(s.reader.port)))
		}
		ca := serverCA(s)
		if ca != nil {
			want[keyCACert] = ca.PEM
		}
		_, staleReader := secret.Data[keyROHost]
		staleReader = staleReader && reader == ""
		_, staleCA := secret.Data[keyCACert]
		staleCA = staleCA && ca == nil
		if secretHas(secret, want) && !staleReader && !staleCA {
			continue
		}
		if secret.Data == nil {
			secret.Data = map[string][]byte{}
		}
		maps.Copy(secret.Data, want)
		if staleReader {
			delete(secret.Data, keyROHost)
			delete(secret.Data, keyROPort)
		}
		if staleCA {
			delete(secret.Data, keyCACert)
		}
		if err := r.Client.Update(ctx, secret); err != nil {
			return conflictRequeue(errorf(db, "complete secret "+cred.secret, err))
		}
	}
	return ctrl.Result{}, nil
}

// getSecret reads a Secret from the cache, or from the apiserver when the cache does not hold
// it: the cache keeps only Secrets with the operator's label, and a Secret someone else made
// under the name must be found (and never overwritten) too.
func (r *RDSDatabaseReconciler) getSecret(ctx context.Context, key client.ObjectKey, secret *corev1.Secret) error {
	err := r.Client.Get(ctx, key, secret)
	if apierrors.IsNotFound(err) {
		return r.APIReader.Get(ctx, key, secret)
	}
	return err
}

// credentialSecret builds the Secret of user with password. It is not owned by the
// RDSDatabase, so it outlives it; a label and an annotation name the object instead.
func credentialSecret(db *v1.RDSDatabase, user, name, pw string) *corev1.Secret {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: db.Namespace,
			Labels: map[string]string{
				v1.LabelDatabase:  db.Name,
				v1.LabelManagedBy: v1.ManagedByValue,
			},
			Annotations: map[string]string{v1.AnnotationOwner: naming.Owner(db.Namespace, db.Name), v1.AnnotationUser: user},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{keyUsername: []byte(user), keyPassword: []byte(pw)},
	}
	if pw == "" { // the user logs in with tokens
		delete(secret.Data, keyPassword)
		secret.Annotations[v1.AnnotationLogin] = v1.LoginToken
	}
	return secret
}

// connectionData returns the connection keys of a Secret: host, port, dbname, and the
// engine's uri and JDBC uri, both requiring TLS.
func connectionData(e engineProfile, host string, port int32, user, pw, database string) map[string][]byte {
	uri, jdbc := e.uris(host, port, user, pw, database)
	return map[string][]byte{
		keyHost:    []byte(host),
		keyPort:    []byte(strconv.Itoa(int(port))),
		keyDBName:  []byte(database),
		keyURI:     []byte(uri),
		keyJDBCURI: []byte(jdbc),
	}
}

// defaultDatabase is the database a user's Secret points at: the first (by name) the user
// owns, else the first it may connect to, else the engine's admin database ("postgres" for
// PostgreSQL, none for MySQL).
func defaultDatabase(db *v1.RDSDatabase, user string) string {
	names := sortedKeys(db.Spec.Databases)
	for _, d := range names {
		if users := db.Spec.Databases[d]; len(users) > 0 && users[0] == user {
			return d
		}
	}
	for _, d := range names {
		if slices.Contains(db.Spec.Databases[d], user) {
			return d
		}
	}
	return engineOf(db).adminDatabase
}

// secretName returns the Secret name of user, the master included.
func secretName(db *v1.RDSDatabase, user string) string {
	if user == db.Spec.MasterUser {
		return naming.MasterSecretName(db.Name)
	}
	return naming.UserSecretName(db.Name, user)
}

func secretHas(s *corev1.Secret, want map[string][]byte) bool {
	for k, v := range want {
		if string(s.Data[k]) != string(v) {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
