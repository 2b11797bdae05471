package cnpgstandin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// This file is CloudNativePG 1.30's management of spec.managed.roles
// (internal/management/controller/roles) and of the initdb owner's password
// (refreshCredentialsFromSecret), over a session of the server's superuser.

// dbRole is a role as pg_authid holds it.
type dbRole struct {
	name                                                                 string
	superuser, inherit, createRole, createDB, login, replication, bypass bool
	connLimit                                                            int64
	validUntil                                                           pgtype.Timestamptz
	comment                                                              string
	inRoles                                                              []string
	// xmin is the last transaction that changed the role's row: a password set since the
	// stand-in's last one changes it.
	xmin int64
}

// listRoles lists the server's roles but PostgreSQL's own (pg_*), as CloudNativePG's List.
func listRoles(ctx context.Context, conn *pgx.Conn) ([]dbRole, error) {
	rows, err := conn.Query(ctx, `
		SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,
			rolconnlimit, rolvaliduntil, rolbypassrls,
			coalesce(pg_catalog.shobj_description(auth.oid, 'pg_authid'), ''), auth.xmin::text::bigint,
			coalesce(mem.inroles, '{}')
		FROM pg_catalog.pg_authid AS auth
		LEFT JOIN (
			SELECT pg_catalog.array_agg(pg_catalog.pg_get_userbyid(roleid)::text) AS inroles, member
			FROM pg_catalog.pg_auth_members GROUP BY member
		) mem ON member = oid
		WHERE rolname NOT LIKE 'pg\_%'`)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	roles, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (dbRole, error) {
		var r dbRole
		var connLimit int32
		err := row.Scan(&r.name, &r.superuser, &r.inherit, &r.createRole, &r.createDB, &r.login, &r.replication,
			&connLimit, &r.validUntil, &r.bypass, &r.comment, &r.xmin, &r.inRoles)
		r.connLimit = int64(connLimit)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	return roles, nil
}

// roleAction is what a role needs, as CloudNativePG's evaluateNextRoleActions decides.
type roleAction string

const (
	roleReconciled  roleAction = "reconciled"
	roleCreate      roleAction = "create"
	roleDelete      roleAction = "delete"
	roleUpdate      roleAction = "update"
	roleIgnore      roleAction = "ignore"
	roleReserved    roleAction = "reserved"
	roleComment     roleAction = "comment"
	roleMemberships roleAction = "memberships"
)

// reservedRole reports whether a role is PostgreSQL's, CloudNativePG's or (rdsadmin) the
// stand-in's own server's.
func reservedRole(name string) bool {
	return name == superuser || name == replicationUser || name == pgserver.AdminUser ||
		strings.HasPrefix(name, "cnpg_") || strings.HasPrefix(name, "pg_")
}

// plannedRole is a role of the spec, or only a name for a role of the database, with what
// an update must know of the database's.
type plannedRole struct {
	cnpgv1.RoleConfiguration
	// validUntilNullIsInfinity sets VALID UNTIL 'infinity' for a spec without validUntil:
	// once a role has one, PostgreSQL cannot set it back to none.
	validUntilNullIsInfinity bool
}

// evaluateRoles decides, without side effects, what each role of the spec and of the
// database needs. applied are the password states of the roles the stand-in set; versions
// the resourceVersion of each role's password Secret, absent when it cannot be read.
func evaluateRoles(spec []cnpgv1.RoleConfiguration, inDB []dbRole, applied map[string]cnpgv1.PasswordState, versions map[string]string) map[roleAction][]plannedRole {
	out := map[roleAction][]plannedRole{}
	add := func(a roleAction, r plannedRole) { out[a] = append(out[a], r) }
	named := func(name string) plannedRole {
		return plannedRole{RoleConfiguration: cnpgv1.RoleConfiguration{Name: name}}
	}
	wanted := map[string]cnpgv1.RoleConfiguration{}
	for _, r := range spec {
		wanted[r.Name] = r
	}
	present := map[string]bool{}
	for _, r := range inDB {
		present[r.name] = true
		want, inSpec := wanted[r.name]
		switch {
		case reservedRole(r.name):
			add(roleReserved, named(r.name))
		case inSpec && want.Ensure == cnpgv1.EnsureAbsent:
			add(roleDelete, named(r.name))
		case inSpec && (!r.equivalentTo(want) || r.passwordOutdated(applied, versions) || secretUnreadable(want, versions)):
			add(roleUpdate, plannedRole{RoleConfiguration: want, validUntilNullIsInfinity: r.validUntil.Valid})
		case inSpec && r.comment != want.Comment:
			add(roleComment, plannedRole{RoleConfiguration: want})
		case inSpec && !sameRoles(r.inRoles, want.InRoles):
			add(roleMemberships, plannedRole{RoleConfiguration: want})
		case !inSpec:
			add(roleIgnore, named(r.name))
		default:
			add(roleReconciled, named(r.name))
		}
	}
	for _, r := range spec {
		switch {
		case present[r.Name]:
		case r.Ensure == cnpgv1.EnsureAbsent:
			add(roleReconciled, named(r.Name))
		default: // present is the default of ensure
			add(roleCreate, plannedRole{RoleConfiguration: r})
		}
	}
	return out
}

// equivalentTo compares the attributes ALTER ROLE sets, passwords and memberships aside.
func (r dbRole) equivalentTo(want cnpgv1.RoleConfiguration) bool {
	return r.superuser == want.Superuser && r.createDB == want.CreateDB && r.createRole == want.CreateRole &&
		r.inherit == inherit(want) && r.login == want.Login && r.replication == want.Replication &&
		r.bypass == want.BypassRLS && r.connLimit == connectionLimit(want) && r.sameValidUntil(want)
}

// sameValidUntil compares validUntil; no validUntil matches none and infinity.
func (r dbRole) sameValidUntil(want cnpgv1.RoleConfiguration) bool {
	if want.ValidUntil == nil {
		return !r.validUntil.Valid || r.validUntil.InfinityModifier == pgtype.Infinity
	}
	return r.validUntil.Valid && r.validUntil.InfinityModifier == pgtype.Finite && r.validUntil.Time.Equal(want.ValidUntil.Time)
}

// passwordOutdated reports whether the role's password may not be its Secret's: the Secret
// changed, or the role did since the stand-in set it.
func (r dbRole) passwordOutdated(applied map[string]cnpgv1.PasswordState, versions map[string]string) bool {
	return applied[r.name].SecretResourceVersion != versions[r.name] || applied[r.name].TransactionID != r.xmin
}

// secretUnreadable reports whether the role's password Secret could not be read, so that
// its update surfaces why.
func secretUnreadable(want cnpgv1.RoleConfiguration, versions map[string]string) bool {
	if want.PasswordSecret == nil || want.DisablePassword {
		return false
	}
	_, ok := versions[want.Name]
	return !ok
}

// inherit is the role's INHERIT: true unless set otherwise.
func inherit(r cnpgv1.RoleConfiguration) bool { return r.Inherit == nil || *r.Inherit }

// connectionLimit is the role's connection limit. 0 never reaches the apiserver (the field
// is omitempty) and there becomes the CRD's default, -1: no limit.
func connectionLimit(r cnpgv1.RoleConfiguration) int64 {
	if r.ConnectionLimit == 0 {
		return -1
	}
	return r.ConnectionLimit
}

func sameRoles(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// rolesStatus lists the roles by status as CloudNativePG's convertToRolesByStatus does,
// each list sorted so that an unchanged state writes an unchanged status.
func rolesStatus(actions map[roleAction][]plannedRole) map[cnpgv1.RoleStatus][]string {
	statusOf := map[roleAction]cnpgv1.RoleStatus{
		roleCreate: cnpgv1.RoleStatusPendingReconciliation, roleDelete: cnpgv1.RoleStatusPendingReconciliation,
		roleUpdate: cnpgv1.RoleStatusPendingReconciliation, roleComment: cnpgv1.RoleStatusPendingReconciliation,
		roleMemberships: cnpgv1.RoleStatusPendingReconciliation, roleReconciled: cnpgv1.RoleStatusReconciled,
		roleIgnore: cnpgv1.RoleStatusNotManaged, roleReserved: cnpgv1.RoleStatusReserved,
	}
	out := map[cnpgv1.RoleStatus][]string{}
	for a, roles := range actions {
		for _, r := range roles {
			out[statusOf[a]] = append(out[statusOf[a]], r.Name)
		}
	}
	for _, names := range out {
		slices.Sort(names)
	}
	return out
}

// roleSecrets reads the password Secret of each role of spec: the resourceVersion of those
// it could read, and the credentials or the error of each.
type roleSecrets struct {
	versions map[string]string
	password map[string]string
	err      map[string]error
}

// readRoleSecrets reads the password Secrets of the roles of spec in namespace.
func readRoleSecrets(ctx context.Context, c client.Reader, namespace string, spec []cnpgv1.RoleConfiguration) roleSecrets {
	out := roleSecrets{versions: map[string]string{}, password: map[string]string{}, err: map[string]error{}}
	for _, r := range spec {
		if r.PasswordSecret == nil || r.DisablePassword {
			continue
		}
		sec := &corev1.Secret{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: r.PasswordSecret.Name}, sec); err != nil {
			out.err[r.Name] = fmt.Errorf("failed to get password secret %s: %w", r.PasswordSecret.Name, err)
			continue
		}
		user, password, err := credentials(sec)
		if err != nil {
			out.err[r.Name] = err
			continue
		}
		if strings.TrimSpace(user) != strings.TrimSpace(r.Name) {
			out.err[r.Name] = fmt.Errorf("the username in secret %q does not match role %q", sec.Name, r.Name)
			continue
		}
		out.versions[r.Name], out.password[r.Name] = sec.ResourceVersion, strings.TrimSpace(password)
	}
	return out
}

// credentials returns the username and password of a basic-auth style Secret.
func credentials(sec *corev1.Secret) (string, string, error) {
	user, ok := sec.Data[corev1.BasicAuthUsernameKey]
	if !ok {
		return "", "", errors.New("username key doesn't exist inside the secret")
	}
	password, ok := sec.Data[corev1.BasicAuthPasswordKey]
	if !ok {
		return "", "", errors.New("password key doesn't exist inside the secret")
	}
	return string(user), string(password), nil
}

// applyRoles carries out the actions, each role on its own: it returns the password state
// of each role it created or updated, and what failed, by role.
func applyRoles(ctx context.Context, conn *pgx.Conn, actions map[roleAction][]plannedRole, secrets roleSecrets) (map[string]cnpgv1.PasswordState, map[string][]string) {
	applied := map[string]cnpgv1.PasswordState{}
	failed := map[string][]string{}
	fail := func(name string, err error) {
		if err != nil {
			failed[name] = append(failed[name], err.Error())
		}
	}
	for _, a := range []roleAction{roleCreate, roleUpdate} {
		for _, r := range actions[a] {
			state, err := createOrUpdateRole(ctx, conn, r, a, secrets)
			if err == nil {
				applied[r.Name] = state
			}
			fail(r.Name, err)
		}
	}
	for _, r := range actions[roleComment] {
		_, err := conn.Exec(ctx, "COMMENT ON ROLE "+ident(r.Name)+" IS "+literal(r.Comment))
		fail(r.Name, err)
	}
	for _, r := range actions[roleMemberships] {
		fail(r.Name, updateMemberships(ctx, conn, r))
	}
	for _, r := range actions[roleDelete] {
		_, err := conn.Exec(ctx, "DROP ROLE IF EXISTS "+ident(r.Name))
		fail(r.Name, err)
	}
	return applied, failed
}

// createOrUpdateRole creates or alters a role as the spec has it, with its Secret's password
// (none, or kept as it is, without a Secret), and returns its password state.
func createOrUpdateRole(ctx context.Context, conn *pgx.Conn, r plannedRole, a roleAction, secrets roleSecrets) (cnpgv1.PasswordState, error) {
	verb := "ALTER"
	if a == roleCreate {
		verb = "CREATE"
	}
	var q strings.Builder
	q.WriteString(verb + " ROLE " + ident(r.Name))
	for _, o := range []struct {
		on       bool
		yes, not string
	}{
		{r.BypassRLS, "BYPASSRLS", "NOBYPASSRLS"}, {r.CreateDB, "CREATEDB", "NOCREATEDB"},
		{r.CreateRole, "CREATEROLE", "NOCREATEROLE"}, {inherit(r.RoleConfiguration), "INHERIT", "NOINHERIT"},
		{r.Login, "LOGIN", "NOLOGIN"}, {r.Replication, "REPLICATION", "NOREPLICATION"},
		{r.Superuser, "SUPERUSER", "NOSUPERUSER"},
	} {
		if o.on {
			q.WriteString(" " + o.yes)
		} else {
			q.WriteString(" " + o.not)
		}
	}
	fmt.Fprintf(&q, " CONNECTION LIMIT %d", connectionLimit(r.RoleConfiguration))
	if a == roleCreate && len(r.InRoles) > 0 {
		var quoted []string
		for _, in := range r.InRoles {
			quoted = append(quoted, ident(in))
		}
		q.WriteString(" IN ROLE " + strings.Join(quoted, ","))
	}
	version := ""
	switch {
	case r.PasswordSecret != nil && r.DisablePassword:
		return cnpgv1.PasswordState{}, fmt.Errorf("cannot reconcile: password both provided and disabled: %s", r.PasswordSecret.Name)
	case r.PasswordSecret != nil:
		if err := secrets.err[r.Name]; err != nil {
			return cnpgv1.PasswordState{}, err
		}
		version = secrets.versions[r.Name]
		q.WriteString(" PASSWORD " + literal(secrets.password[r.Name]))
	case r.DisablePassword:
		q.WriteString(" PASSWORD NULL")
	}
	switch {
	case r.ValidUntil != nil:
		q.WriteString(" VALID UNTIL " + literal(r.ValidUntil.UTC().Format(time.RFC3339Nano)))
	case r.validUntilNullIsInfinity:
		q.WriteString(" VALID UNTIL 'infinity'")
	}
	// The statement may hold a password: the error names the role, never the SQL.
	if _, err := conn.Exec(ctx, q.String()); err != nil {
		return cnpgv1.PasswordState{}, fmt.Errorf("while %s role %s: %w", map[string]string{"CREATE": "creating", "ALTER": "updating"}[verb], r.Name, err)
	}
	if a == roleCreate && r.Comment != "" {
		if _, err := conn.Exec(ctx, "COMMENT ON ROLE "+ident(r.Name)+" IS "+literal(r.Comment)); err != nil {
			return cnpgv1.PasswordState{}, err
		}
	}
	var xmin int64
	if err := conn.QueryRow(ctx, `SELECT xmin::text::bigint FROM pg_catalog.pg_authid WHERE rolname = $1`, r.Name).Scan(&xmin); err != nil {
		return cnpgv1.PasswordState{}, fmt.Errorf("while getting last xmin for role %s: %w", r.Name, err)
	}
	return cnpgv1.PasswordState{TransactionID: xmin, SecretResourceVersion: version}, nil
}

// updateMemberships grants the roles of spec.inRoles the role is not in and revokes every
// other membership, in one transaction, as CloudNativePG does.
func updateMemberships(ctx context.Context, conn *pgx.Conn, r plannedRole) error {
	var current []string
	err := conn.QueryRow(ctx, `
		SELECT coalesce(pg_catalog.array_agg(pg_catalog.pg_get_userbyid(m.roleid)::text), '{}')
		FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_authid a ON m.member = a.oid
		WHERE a.rolname = $1`, r.Name).Scan(&current)
	if err != nil {
		return fmt.Errorf("while getting parents for role %s: %w", r.Name, err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for _, in := range r.InRoles {
		if !slices.Contains(current, in) {
			if _, err := tx.Exec(ctx, "GRANT "+ident(in)+" TO "+ident(r.Name)); err != nil {
				return fmt.Errorf("while updating memberships for role %s: %w", r.Name, err)
			}
		}
	}
	for _, in := range current {
		if !slices.Contains(r.InRoles, in) {
			if _, err := tx.Exec(ctx, "REVOKE "+ident(in)+" FROM "+ident(r.Name)); err != nil {
				return fmt.Errorf("while updating memberships for role %s: %w", r.Name, err)
			}
		}
	}
	return tx.Commit(ctx)
}

// setPassword sets a role's password, as CloudNativePG's SetUserPassword.
func setPassword(ctx context.Context, conn *pgx.Conn, role, password string) error {
	if _, err := conn.Exec(ctx, "ALTER ROLE "+ident(role)+" WITH PASSWORD "+literal(password)); err != nil {
		return fmt.Errorf("set the password of %s: %w", role, err)
	}
	return nil
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// literal quotes s as a standard SQL string literal.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
