package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// TestCreateRetriedAfterCrashFindsItsDatabase arranges the state an operator killed right
// after CreateDBInstance leaves behind (the Secret written, the cloud database created and
// tagged, nothing else) and checks that the next operator finishes the job with that
// database and that password: no second create, no new password.
func TestCreateRetriedAfterCrashFindsItsDatabase(t *testing.T) {
	ctx := context.Background()
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t, "crash")
	const masterPassword = "Written-Before-The-Crash-1"
	master := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "survivor.rds.master", Labels: map[string]string{
			v1.LabelDatabase: "survivor", v1.LabelManagedBy: v1.ManagedByValue,
		}, Annotations: map[string]string{v1.AnnotationOwner: ns + "/survivor", v1.AnnotationUser: "sysadmin"}},
		Data: map[string][]byte{"username": []byte("sysadmin"), "password": []byte(masterPassword)},
	}
	if err := stack.Client.Create(ctx, master); err != nil {
		t.Fatal(err)
	}
	// The operator that made the database is gone; the next one starts afresh, and first
	// lists the account.
	stack.StopOperator()
	id := naming.Identifier(ns, "survivor")
	_, err = api.CreateDBInstance(ctx, &awsrds.CreateDBInstanceInput{
		// As the operator would have asked for it: its defaults for an empty spec.
		DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"), EngineVersion: aws.String("17"),
		DBInstanceClass: aws.String("db.t4g.micro"), StorageType: aws.String("gp3"), AllocatedStorage: aws.Int32(20),
		BackupRetentionPeriod: aws.Int32(7), MasterUsername: aws.String("sysadmin"), MasterUserPassword: aws.String(masterPassword),
		Tags: []types.Tag{{Key: aws.String(v1.TagOwner), Value: aws.String(ns + "/survivor")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	before := stack.Emulator.Stats().Operations("CreateDBInstance")
	if err := stack.StartOperator(); err != nil {
		t.Fatal(err)
	}

	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "survivor"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"data": {"app"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitReady(t, db)

	if after := stack.Emulator.Stats().Operations("CreateDBInstance"); after != before {
		t.Errorf("the operator sent CreateDBInstance %d more times for a database that existed", after-before)
	}
	data := secretData(t, ns, "survivor.rds.master")
	if string(data["password"]) != masterPassword {
		t.Errorf("the master password in the Secret was replaced")
	}
	if err := logsIn(ctx, string(data["uri"]), ""); err != nil {
		t.Fatalf("the master logs in with the password written before the crash: %v", err)
	}
	if err := logsIn(ctx, string(secretData(t, ns, "survivor.rds.app")["uri"]), ""); err != nil {
		t.Fatalf("app logs in: %v", err)
	}
}
