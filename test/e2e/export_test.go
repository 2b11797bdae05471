package e2e

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestBackupExport is the platform engineer's story of spec.backup.export: every backup the
// operator takes, and the cloud's automated one, is exported once to the bucket as Parquet,
// which an S3 client reads back with the rows the database held; status.backup.lastExport
// follows the export; an operator killed right after asking for an export does not ask for a
// second one of the same snapshot.
func TestBackupExport(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "export")
	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ledger"}}
	db.Spec.DeletionPolicy = v1.DeletionSnapshot
	db.Spec.Users = map[string]v1.UserRoles{"app": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"ledger": {"app"}}
	db.Spec.Backup = v1.Backup{Every: "6h", Retention: "7d", Export: &v1.BackupExport{
		Bucket: harness.ExportBucket, Prefix: "rds/" + ns, IAMRoleARN: harness.ExportRole, KMSKeyID: "alias/rds-export"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	ready := waitReady(t, db)
	id := ready.Status.Cloud.Identifier

	app, err := loginWith(ctx, string(secretData(t, ns, "ledger.rds.app")["uri"]), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Exec(ctx, "create table entries (memo text); insert into entries values ('exported-row-one'), ('exported-row-two')"); err != nil {
		t.Fatal(err)
	}
	_ = app.Close(ctx)

	// The next scheduled snapshot holds the rows; the operator is killed right after it
	// asks for its export, and the next operator finds that export rather than asking again.
	stack.CrashAfter("StartExport", "")
	stack.Advance(6 * time.Hour)
	if err := stack.WaitCrash(readyTimeout); err != nil {
		t.Fatal(err)
	}
	if err := stack.StartOperator(); err != nil {
		t.Fatal(err)
	}
	var snapshot string
	got := &v1.RDSDatabase{}
	err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		if err := stack.Client.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
			return false, err
		}
		st := got.Status.Backup
		if st == nil || st.LastExport == nil || st.LatestSnapshot == "" {
			return false, nil
		}
		snapshot = st.LatestSnapshot
		return st.LastExport.Snapshot == snapshot && st.LastExport.Status == "COMPLETE", nil
	})
	if err != nil {
		var calls []string
		for _, c := range stack.Emulator.Stats().Log {
			if strings.Contains(c.Action, "Export") || strings.Contains(c.Action, "Snapshot") {
				calls = append(calls, c.Action+" "+c.ID+" "+c.Code)
			}
		}
		t.Fatalf("the scheduled snapshot's export never completed: %v\nbackup status %+v\nlast export %+v\nconditions %+v\ncalls %v",
			err, got.Status.Backup, got.Status.Backup.LastExport, got.Status.Conditions, calls)
	}
	task := naming.ExportIdentifier(id, snapshot)
	starts := map[string]int{}
	for _, c := range stack.Emulator.Stats().Log {
		if c.Action == "StartExportTask" && c.Code == "" && strings.HasPrefix(c.ID, naming.ExportPrefix(id)) {
			starts[c.ID]++
		}
	}
	if starts[task] != 1 {
		t.Errorf("export %s was started %d times, want once (a crash right after asking must not ask again): %v", task, starts[task], starts)
	}
	if len(starts) < 2 {
		t.Errorf("exports started: %v; want the automated backup's too", starts)
	}

	memos := exportedStrings(t, "rds/"+ns+"/"+task+"/ledger/")
	for _, want := range []string{"exported-row-one", "exported-row-two"} {
		if !memos[want] {
			t.Errorf("the exported Parquet does not hold %q (it holds %v)", want, memos)
		}
	}

	// Deleted with deletionPolicy Snapshot: the final snapshot is exported before the
	// object goes, and holds the rows too.
	if err := stack.Client.Delete(ctx, got); err != nil {
		t.Fatal(err)
	}
	waitGone(t, got)
	final := naming.ExportIdentifier(id, naming.FinalSnapshotIdentifier(id, string(ready.UID)))
	err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		return len(exportedKeys(t, "rds/"+ns+"/"+final+"/ledger/")) > 0, nil
	})
	if err != nil {
		t.Fatalf("the final snapshot's export %s never wrote its files: %v", final, err)
	}
	if memos := exportedStrings(t, "rds/"+ns+"/"+final+"/ledger/"); !memos["exported-row-one"] {
		t.Errorf("the final snapshot's export does not hold the rows: %v", memos)
	}
}

// exportedKeys lists the export bucket's keys under prefix.
func exportedKeys(t *testing.T, prefix string) []string {
	t.Helper()
	c := exportBucketClient(t)
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(harness.ExportBucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// exportBucketClient is the S3 client applications use, on the emulator's S3 stand-in.
func exportBucketClient(t *testing.T) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(stack.S3URL), true })
}

// exportedStrings reads every Parquet file of the export bucket under prefix with the S3
// client applications use, and returns the text values they hold.
func exportedStrings(t *testing.T, prefix string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	c := exportBucketClient(t)
	out := map[string]bool{}
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(harness.ExportBucket), Prefix: aws.String(prefix)})
	files := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			if !strings.HasSuffix(aws.ToString(o.Key), ".parquet") {
				continue
			}
			files++
			obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(harness.ExportBucket), Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(obj.Body)
			_ = obj.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			r := parquet.NewReader(bytes.NewReader(data))
			rows := make([]parquet.Row, r.NumRows())
			n, _ := r.ReadRows(rows)
			for _, row := range rows[:n] {
				for _, v := range row {
					if !v.IsNull() && v.Kind() == parquet.ByteArray {
						out[string(v.ByteArray())] = true
					}
				}
			}
			_ = r.Close()
		}
	}
	if files == 0 {
		t.Fatalf("no Parquet file under s3://%s/%s", harness.ExportBucket, prefix)
	}
	return out
}
