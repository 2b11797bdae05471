package cnpgstandin

import (
	"testing"
	"time"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgtype"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestEvaluateRoles(t *testing.T) {
	// master is the role the operator's provider asks for, and its state once applied.
	master := cnpgv1.RoleConfiguration{
		Name: "master", Ensure: cnpgv1.EnsurePresent, Login: true, CreateDB: true, CreateRole: true,
		ConnectionLimit: -1, PasswordSecret: &cnpgv1.LocalObjectReference{Name: "master-secret"},
	}
	masterInDB := dbRole{name: "master", inherit: true, login: true, createDB: true, createRole: true, connLimit: -1, xmin: 100}
	applied := map[string]cnpgv1.PasswordState{"master": {TransactionID: 100, SecretResourceVersion: "7"}}
	versions := map[string]string{"master": "7"}
	with := func(r dbRole, change func(*dbRole)) dbRole { change(&r); return r }
	withSpec := func(r cnpgv1.RoleConfiguration, change func(*cnpgv1.RoleConfiguration)) cnpgv1.RoleConfiguration {
		change(&r)
		return r
	}
	named := func(name string) plannedRole {
		return plannedRole{RoleConfiguration: cnpgv1.RoleConfiguration{Name: name}}
	}
	until := metav1.NewTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))

	cases := []struct {
		name     string
		spec     []cnpgv1.RoleConfiguration
		inDB     []dbRole
		applied  map[string]cnpgv1.PasswordState
		versions map[string]string
		want     map[roleAction][]plannedRole
		reason   string
	}{
		{
			name: "new", spec: []cnpgv1.RoleConfiguration{master}, versions: versions,
			want:   map[roleAction][]plannedRole{roleCreate: {{RoleConfiguration: master}}},
			reason: "a present role missing from the database is created",
		},
		{
			name: "applied", spec: []cnpgv1.RoleConfiguration{master}, inDB: []dbRole{masterInDB}, applied: applied, versions: versions,
			want:   map[roleAction][]plannedRole{roleReconciled: {named("master")}},
			reason: "a role as the spec has it, with the password of its Secret's version, needs nothing",
		},
		{
			name: "owner after initdb", spec: []cnpgv1.RoleConfiguration{master},
			inDB: []dbRole{{name: "master", inherit: true, login: true, connLimit: -1, xmin: 90}}, versions: versions,
			want:   map[roleAction][]plannedRole{roleUpdate: {{RoleConfiguration: master}}},
			reason: "initdb's owner is a plain LOGIN role: the spec's attributes and password are applied to it",
		},
		{
			name: "secret changed", spec: []cnpgv1.RoleConfiguration{master}, inDB: []dbRole{masterInDB}, applied: applied,
			versions: map[string]string{"master": "8"},
			want:     map[roleAction][]plannedRole{roleUpdate: {{RoleConfiguration: master}}},
			reason:   "a new version of the password Secret sets the password again",
		},
		{
			name: "changed in the database", spec: []cnpgv1.RoleConfiguration{master},
			inDB: []dbRole{with(masterInDB, func(r *dbRole) { r.xmin = 120 })}, applied: applied, versions: versions,
			want:   map[roleAction][]plannedRole{roleUpdate: {{RoleConfiguration: master}}},
			reason: "a role changed since the stand-in set its password (ALTER ROLE ... PASSWORD) gets the Secret's back",
		},
		{
			name: "secret unreadable", spec: []cnpgv1.RoleConfiguration{master}, inDB: []dbRole{masterInDB}, applied: applied,
			want:   map[roleAction][]plannedRole{roleUpdate: {{RoleConfiguration: master}}},
			reason: "a password Secret that cannot be read routes the role through an update, which says why",
		},
		{
			name: "attribute drift", spec: []cnpgv1.RoleConfiguration{master},
			inDB: []dbRole{with(masterInDB, func(r *dbRole) { r.createDB = false })}, applied: applied, versions: versions,
			want:   map[roleAction][]plannedRole{roleUpdate: {{RoleConfiguration: master}}},
			reason: "an attribute unlike the spec's is set back",
		},
		{
			name: "valid until dropped", spec: []cnpgv1.RoleConfiguration{master},
			inDB: []dbRole{with(masterInDB, func(r *dbRole) {
				r.validUntil = pgtype.Timestamptz{Time: until.Time, Valid: true}
			})}, applied: applied, versions: versions,
			want:   map[roleAction][]plannedRole{roleUpdate: {{RoleConfiguration: master, validUntilNullIsInfinity: true}}},
			reason: "a validUntil removed from the spec becomes infinity: PostgreSQL cannot unset one",
		},
		{
			name: "valid until kept", spec: []cnpgv1.RoleConfiguration{withSpec(master, func(r *cnpgv1.RoleConfiguration) { r.ValidUntil = &until })},
			inDB: []dbRole{with(masterInDB, func(r *dbRole) {
				r.validUntil = pgtype.Timestamptz{Time: until.Time, Valid: true}
			})}, applied: applied, versions: versions,
			want:   map[roleAction][]plannedRole{roleReconciled: {named("master")}},
			reason: "the same validUntil needs nothing",
		},
		{
			name: "comment", spec: []cnpgv1.RoleConfiguration{withSpec(master, func(r *cnpgv1.RoleConfiguration) { r.Comment = "owner" })},
			inDB: []dbRole{masterInDB}, applied: applied, versions: versions,
			want:   map[roleAction][]plannedRole{roleComment: {{RoleConfiguration: withSpec(master, func(r *cnpgv1.RoleConfiguration) { r.Comment = "owner" })}}},
			reason: "a comment alone is set on its own",
		},
		{
			name: "membership the spec does not list", spec: []cnpgv1.RoleConfiguration{master},
			inDB: []dbRole{with(masterInDB, func(r *dbRole) { r.inRoles = []string{"app_user"} })}, applied: applied, versions: versions,
			want:   map[roleAction][]plannedRole{roleMemberships: {{RoleConfiguration: master}}},
			reason: "a membership not in inRoles is revoked, also the one PostgreSQL 16 grants a CREATEROLE role in the roles it creates (CloudNativePG 1.30's behaviour)",
		},
		{
			name: "memberships listed", spec: []cnpgv1.RoleConfiguration{withSpec(master, func(r *cnpgv1.RoleConfiguration) { r.InRoles = []string{"b", "a"} })},
			inDB: []dbRole{with(masterInDB, func(r *dbRole) { r.inRoles = []string{"a", "b"} })}, applied: applied, versions: versions,
			want:   map[roleAction][]plannedRole{roleReconciled: {named("master")}},
			reason: "memberships compare in any order",
		},
		{
			name: "absent", spec: []cnpgv1.RoleConfiguration{{Name: "old", Ensure: cnpgv1.EnsureAbsent}, {Name: "gone", Ensure: cnpgv1.EnsureAbsent}},
			inDB:   []dbRole{{name: "old"}},
			want:   map[roleAction][]plannedRole{roleDelete: {named("old")}, roleReconciled: {named("gone")}},
			reason: "an absent role is dropped when it exists, and reconciled when it does not",
		},
		{
			name: "others", spec: []cnpgv1.RoleConfiguration{withSpec(master, func(r *cnpgv1.RoleConfiguration) { r.Name = "postgres" })},
			inDB: []dbRole{{name: "postgres"}, {name: "streaming_replica"}, {name: "rdsadmin"}, {name: "cnpg_pooler_pgbouncer"}, {name: "app_user"}},
			want: map[roleAction][]plannedRole{
				roleReserved: {named("postgres"), named("streaming_replica"), named("rdsadmin"), named("cnpg_pooler_pgbouncer")},
				roleIgnore:   {named("app_user")},
			},
			reason: "CloudNativePG's and the server's own roles are reserved, even when in the spec; roles others made are not managed",
		},
	}
	for _, c := range cases {
		got := evaluateRoles(c.spec, c.inDB, c.applied, c.versions)
		if diff := cmp.Diff(c.want, got, cmp.AllowUnexported(plannedRole{})); diff != "" {
			t.Errorf("%s: %s: -want +got:\n%s", c.name, c.reason, diff)
		}
	}
}

func TestRolesStatus(t *testing.T) {
	named := func(name string) plannedRole {
		return plannedRole{RoleConfiguration: cnpgv1.RoleConfiguration{Name: name}}
	}
	got := rolesStatus(map[roleAction][]plannedRole{
		roleReconciled: {named("b"), named("a")}, roleCreate: {named("c")}, roleMemberships: {named("d")},
		roleIgnore: {named("app_user")}, roleReserved: {named("postgres")},
	})
	want := map[cnpgv1.RoleStatus][]string{
		cnpgv1.RoleStatusReconciled: {"a", "b"}, cnpgv1.RoleStatusPendingReconciliation: {"c", "d"},
		cnpgv1.RoleStatusNotManaged: {"app_user"}, cnpgv1.RoleStatusReserved: {"postgres"},
	}
	// Every action that changes something is pending, as in CloudNativePG; each list is
	// sorted so that an unchanged state writes an unchanged status.
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rolesStatus: -want +got:\n%s", diff)
	}
}
