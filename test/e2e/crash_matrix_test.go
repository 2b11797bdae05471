package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// TestCrashMatrix kills the operator right after each step of create, update and delete
// (the call went through, the operator never saw its answer) and starts a new one. Every row
// must converge to the same result as without the crash: one cloud database, every password
// in its Secret working, no second create, snapshot or delete.
func TestCrashMatrix(t *testing.T) {
	rows := []struct {
		name    string
		step    string
		subject func(id string) string
		// before runs after the object is Ready, for rows that crash in a later step.
		change func(ctx context.Context, t *testing.T, db *v1.RDSDatabase)
		// deleted rows end with the object gone.
		deleted bool
	}{
		{name: "AfterTheSecretsWereWritten", step: "BeforeCreate", subject: func(id string) string { return id }},
		{name: "RightAfterCreateDBInstance", step: "Create", subject: func(id string) string { return id }},
		{name: "InTheMiddleOfUserCreation", step: "EnsureUser", subject: func(string) string { return "app" }},
		{
			name: "RightAfterModifyDBInstance", step: "Update", subject: func(id string) string { return id },
			change: func(ctx context.Context, t *testing.T, db *v1.RDSDatabase) {
				if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) { s.Size = "40GB" }); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "AfterTheFinalSnapshotWasRequested", step: "Delete", subject: func(id string) string { return id }, deleted: true,
			change: func(ctx context.Context, t *testing.T, db *v1.RDSDatabase) {
				if err := stack.Client.Delete(ctx, db); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	ctx := context.Background()
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			ns := namespace(t, "crash")
			db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "crashy"}}
			db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "reporting": {}}
			db.Spec.Databases = map[string]v1.DatabaseUsers{"data": {"app", "reporting"}}
			id := naming.Identifier(ns, db.Name)

			stack.CrashAfter(row.step, row.subject(id))
			if row.change == nil {
				if err := stack.Client.Create(ctx, db); err != nil {
					t.Fatal(err)
				}
			} else {
				if err := stack.Client.Create(ctx, db); err != nil {
					t.Fatal(err)
				}
				stack.CrashAfter("", "") // not during the create
				waitReady(t, db)
				stack.CrashAfter(row.step, row.subject(id))
				row.change(ctx, t, db)
			}
			if err := stack.WaitCrash(readyTimeout); err != nil {
				t.Fatal(err)
			}
			if err := stack.StartOperator(); err != nil {
				t.Fatal(err)
			}

			if row.deleted {
				waitGone(t, db)
			} else {
				got := waitReady(t, db)
				for _, name := range got.Status.Secrets {
					if err := logsIn(ctx, string(secretData(t, ns, name)["uri"]), ""); err != nil {
						t.Errorf("%s does not log in after the crash: %v", name, err)
						continue
					}
				}
			}
			calls := callsFor(id)
			if calls["CreateDBInstance"] != 1 {
				t.Errorf("CreateDBInstance went through %d times, want 1", calls["CreateDBInstance"])
			}
			if row.step == "Update" && calls["ModifyDBInstance"] != 1 {
				t.Errorf("ModifyDBInstance went through %d times, want 1", calls["ModifyDBInstance"])
			}
			if row.deleted {
				snaps, err := api.DescribeDBSnapshots(ctx, &awsrds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(id), SnapshotType: aws.String("manual")})
				if err != nil {
					t.Fatal(err)
				}
				if len(snaps.DBSnapshots) != 1 || calls["DeleteDBInstance"] != 1 {
					t.Errorf("%d final snapshots and %d deletes went through, want exactly one of each", len(snaps.DBSnapshots), calls["DeleteDBInstance"])
				}
			}
			t.Logf("converged; calls that went through for %s: %v", id, calls)
		})
	}
}

// callsFor counts the emulator's successful calls by action for one identifier.
func callsFor(id string) map[string]int {
	out := map[string]int{}
	for _, c := range stack.Emulator.Stats().Log {
		if c.ID == id && c.Code == "" {
			out[c.Action]++
		}
	}
	return out
}
