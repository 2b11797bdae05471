package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

const (
	exportBucket = "exports"
	exportRole   = "arn:aws:iam::123456789012:role/rds-s3-export"
	exportKey    = "alias/shop"
)

// exportInput is a valid StartExportTask request for id exporting the snapshot arn.
func exportInput(id, arn string) *rds.StartExportTaskInput {
	return &rds.StartExportTaskInput{
		ExportTaskIdentifier: aws.String(id),
		SourceArn:            aws.String(arn),
		S3BucketName:         aws.String(exportBucket),
		IamRoleArn:           aws.String(exportRole),
		KmsKeyId:             aws.String(exportKey),
	}
}

// describeExport returns one export task, failing the test when it cannot.
func describeExport(t *testing.T, c *rds.Client, id string) types.ExportTask {
	t.Helper()
	out, err := c.DescribeExportTasks(context.Background(), &rds.DescribeExportTasksInput{ExportTaskIdentifier: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeExportTasks %s: %v", id, err)
	}
	if len(out.ExportTasks) != 1 {
		t.Fatalf("DescribeExportTasks %s: got %d tasks", id, len(out.ExportTasks))
	}
	return out.ExportTasks[0]
}

// waitExport polls until the export task has the status and returns it with the statuses
// seen on the way.
func waitExport(t *testing.T, c *rds.Client, id, want string, timeout time.Duration) (types.ExportTask, []string) {
	t.Helper()
	var seen []string
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		task := describeExport(t, c, id)
		got := aws.ToString(task.Status)
		if len(seen) == 0 || seen[len(seen)-1] != got {
			seen = append(seen, got)
		}
		if got == want {
			return task, seen
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("export %s not %s after %v; seen %v", id, want, timeout, seen)
	return types.ExportTask{}, nil
}

// newS3Client is an unmodified aws-sdk-go-v2 S3 client of the emulator's S3 stand-in.
func newS3Client(t *testing.T, endpoint string) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDEMULATOR", "secret", "")),
	)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

// listKeys lists every key of the bucket under prefix.
func listKeys(t *testing.T, c *s3.Client, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(exportBucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListObjectsV2 %s: %v", prefix, err)
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// getObject reads one object.
func getObject(t *testing.T, c *s3.Client, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(exportBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	return b
}

// httpStatus is the HTTP status of an SDK error, 0 for none.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// startExports runs an emulator without engines whose account holds the export bucket, with
// an available postgres snapshot "pg-snap" and mysql snapshot "my-snap"; it returns the
// emulator, its client and the snapshots' ARNs.
func startExports(t *testing.T, cfg Config) (*Emulator, *rds.Client, string, string) {
	t.Helper()
	cfg.NoEngine = true
	cfg.Account.Buckets = append(cfg.Account.Buckets, exportBucket)
	e, c := start(t, cfg)
	ctx := context.Background()
	my := createInput("my-db")
	my.Engine, my.EngineVersion = aws.String("mysql"), aws.String("8.0.40")
	for _, in := range []*rds.CreateDBInstanceInput{createInput("pg-db"), my} {
		if _, err := c.CreateDBInstance(ctx, in); err != nil {
			t.Fatalf("CreateDBInstance: %v", err)
		}
	}
	var arns []string
	for _, id := range []string{"pg", "my"} {
		waitStatus(t, c, id+"-db", "available", 10*time.Second)
		if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(id + "-db"), DBSnapshotIdentifier: aws.String(id + "-snap")}); err != nil {
			t.Fatalf("CreateDBSnapshot: %v", err)
		}
		arns = append(arns, aws.ToString(waitSnapshot(t, c, id+"-snap", "available", 10*time.Second).DBSnapshotArn))
	}
	return e, c, arns[0], arns[1]
}

func TestStartExportTaskValidation(t *testing.T) {
	e, c, pgARN, myARN := startExports(t, Config{})
	ctx := context.Background()
	// A snapshot still being taken cannot be exported.
	e.mu.Lock()
	e.snapshots["pending"] = &snapshot{ID: "pending", Status: "creating", Engine: "postgres"}
	e.mu.Unlock()
	if _, err := c.StartExportTask(ctx, exportInput("taken", pgARN)); err != nil {
		t.Fatalf("StartExportTask taken: %v", err)
	}

	cases := []struct {
		name, reason string
		change       func(in *rds.StartExportTaskInput)
		code         string
		status       int
	}{
		{"valid", "a request naming an available snapshot, a bucket, a role and a key of the account starts", func(*rds.StartExportTaskInput) {}, "", 200},
		{"duplicate", "an identifier already used is refused", func(in *rds.StartExportTaskInput) { in.ExportTaskIdentifier = aws.String("taken") }, "ExportTaskAlreadyExists", 400},
		{"unknown snapshot", "a snapshot the account does not have is not found (404)", func(in *rds.StartExportTaskInput) {
			in.SourceArn = aws.String(strings.Replace(pgARN, "pg-snap", "nope", 1))
		}, "DBSnapshotNotFound", 404},
		{"snapshot of another account", "a snapshot ARN of another account cannot be the emulator's", func(in *rds.StartExportTaskInput) {
			in.SourceArn = aws.String(strings.Replace(pgARN, "123456789012", "210987654321", 1))
		}, "DBSnapshotNotFound", 404},
		{"unknown cluster snapshot", "a DB cluster snapshot the account does not have is not found", func(in *rds.StartExportTaskInput) {
			in.SourceArn = aws.String("arn:aws:rds:us-east-1:123456789012:cluster-snapshot:nope")
		}, "DBClusterSnapshotNotFoundFault", 404},
		{"unknown cluster", "a DB cluster the account does not have is not found", func(in *rds.StartExportTaskInput) {
			in.SourceArn = aws.String("arn:aws:rds:us-east-1:123456789012:cluster:nope")
		}, "DBClusterNotFoundFault", 404},
		{"not an ARN", "a SourceArn that names no snapshot is an invalid value", func(in *rds.StartExportTaskInput) { in.SourceArn = aws.String("pg-snap") }, "InvalidParameterValue", 400},
		{"snapshot not available", "a snapshot that is not available is in an invalid state for export", func(in *rds.StartExportTaskInput) {
			in.SourceArn = aws.String(strings.Replace(pgARN, "pg-snap", "pending", 1))
		}, "InvalidExportSourceState", 400},
		{"bad bucket name", "a bucket name S3 would refuse is an invalid bucket", func(in *rds.StartExportTaskInput) { in.S3BucketName = aws.String("Not_A_Bucket") }, "InvalidS3BucketFault", 400},
		{"colon in prefix", "exports don't support S3 prefixes containing a colon", func(in *rds.StartExportTaskInput) { in.S3Prefix = aws.String("daily:1") }, "InvalidParameterValue", 400},
		{"role not an ARN", "an IAM role that is not an ARN is an invalid value", func(in *rds.StartExportTaskInput) { in.IamRoleArn = aws.String("rds-s3-export") }, "InvalidParameterValue", 400},
		{"role of another account", "a role of another account cannot be passed to RDS: not found (404)", func(in *rds.StartExportTaskInput) {
			in.IamRoleArn = aws.String("arn:aws:iam::210987654321:role/rds-s3-export")
		}, "IamRoleNotFound", 404},
		{"unknown key", "a KMS key the account does not hold is not accessible", func(in *rds.StartExportTaskInput) { in.KmsKeyId = aws.String("alias/nope") }, "KMSKeyNotAccessibleFault", 400},
		{"export only too deep", "database.schema.table.more names nothing", func(in *rds.StartExportTaskInput) { in.ExportOnly = []string{"shop.public.orders.id"} }, "InvalidExportOnly", 400},
		{"export only odd name", "partial exports support only letters, digits, $ and _", func(in *rds.StartExportTaskInput) { in.ExportOnly = []string{"shop.public.order-lines"} }, "InvalidExportOnly", 400},
		{"export only mysql schema", "database.schema.table is valid only for PostgreSQL", func(in *rds.StartExportTaskInput) {
			in.SourceArn = aws.String(myARN)
			in.ExportOnly = []string{"shop.orders.id"}
		}, "InvalidExportOnly", 400},
		{"export only mysql table", "database.table is valid for MySQL", func(in *rds.StartExportTaskInput) {
			in.SourceArn = aws.String(myARN)
			in.ExportOnly = []string{"shop.orders"}
		}, "", 200},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := exportInput(fmt.Sprintf("case-%d", i), pgARN)
			tc.change(in)
			out, err := c.StartExportTask(ctx, in)
			if got := errorCode(err); got != tc.code {
				t.Fatalf("%s: error code %q, want %q (%v)", tc.reason, got, tc.code, err)
			}
			if err != nil {
				if got := httpStatus(err); got != tc.status {
					t.Errorf("%s: HTTP status %d, want %d", tc.reason, got, tc.status)
				}
				return
			}
			if got := aws.ToString(out.Status); got != "STARTING" {
				t.Errorf("%s: a new task is %q, want STARTING", tc.reason, got)
			}
		})
	}
}

// TestStartExportTaskMissingParameters posts requests the SDK would refuse to send (it
// checks required members itself), to prove the emulator refuses them too.
func TestStartExportTaskMissingParameters(t *testing.T) {
	e, _, pgARN, _ := startExports(t, Config{})
	srv := http.HandlerFunc(e.ServeHTTP)
	full := url.Values{"Action": {"StartExportTask"}, "Version": {"2014-10-31"}, "ExportTaskIdentifier": {"x"}, "SourceArn": {pgARN},
		"S3BucketName": {exportBucket}, "IamRoleArn": {exportRole}, "KmsKeyId": {exportKey}}
	for _, missing := range []string{"ExportTaskIdentifier", "SourceArn", "S3BucketName", "IamRoleArn", "KmsKeyId"} {
		t.Run(missing, func(t *testing.T) {
			form := url.Values{}
			for k, v := range full {
				if k != missing {
					form[k] = v
				}
			}
			req, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 test")
			rec := &recorder{header: http.Header{}}
			srv.ServeHTTP(rec, req)
			if rec.status != http.StatusBadRequest || !strings.Contains(rec.body.String(), "<Code>MissingParameter</Code>") {
				t.Errorf("a request without %s (required by StartExportTask) got %d %s, want 400 MissingParameter", missing, rec.status, rec.body.String())
			}
		})
	}
}

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	header http.Header
	status int
	body   strings.Builder
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

func TestDescribeAndCancelExportTaskErrors(t *testing.T) {
	_, c, pgARN, _ := startExports(t, Config{})
	ctx := context.Background()
	if _, err := c.StartExportTask(ctx, exportInput("done", pgARN)); err != nil {
		t.Fatalf("StartExportTask: %v", err)
	}
	waitExport(t, c, "done", "COMPLETE", 10*time.Second)

	cases := []struct {
		name, reason string
		call         func() error
		code         string
		status       int
	}{
		{"describe unknown", "an identifier no task has is not found (404)", func() error {
			_, err := c.DescribeExportTasks(ctx, &rds.DescribeExportTasksInput{ExportTaskIdentifier: aws.String("nope")})
			return err
		}, "ExportTaskNotFound", 404},
		{"describe bad filter", "only export-task-identifier, s3-bucket, source-arn and status filter", func() error {
			_, err := c.DescribeExportTasks(ctx, &rds.DescribeExportTasksInput{Filters: []types.Filter{{Name: aws.String("engine"), Values: []string{"postgres"}}}})
			return err
		}, "InvalidParameterValue", 400},
		{"describe max records", "MaxRecords is 20 to 100", func() error {
			_, err := c.DescribeExportTasks(ctx, &rds.DescribeExportTasksInput{MaxRecords: aws.Int32(10)})
			return err
		}, "InvalidParameterValue", 400},
		{"cancel unknown", "canceling a task that does not exist is not found (404)", func() error {
			_, err := c.CancelExportTask(ctx, &rds.CancelExportTaskInput{ExportTaskIdentifier: aws.String("nope")})
			return err
		}, "ExportTaskNotFound", 404},
		{"cancel complete", "a complete task cannot be canceled", func() error {
			_, err := c.CancelExportTask(ctx, &rds.CancelExportTaskInput{ExportTaskIdentifier: aws.String("done")})
			return err
		}, "InvalidExportTaskStateFault", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if got := errorCode(err); got != tc.code {
				t.Fatalf("%s: error code %q, want %q (%v)", tc.reason, got, tc.code, err)
			}
			if got := httpStatus(err); got != tc.status {
				t.Errorf("%s: HTTP status %d, want %d", tc.reason, got, tc.status)
			}
		})
	}
}

func TestDescribeExportTasksFilters(t *testing.T) {
	e, c, pgARN, myARN := startExports(t, Config{Account: Account{Buckets: []string{"archive"}}})
	ctx := context.Background()
	starts := []*rds.StartExportTaskInput{exportInput("a-pg", pgARN), exportInput("b-my", myARN), exportInput("c-archive", pgARN), exportInput("d-missing", pgARN)}
	starts[2].S3BucketName = aws.String("archive")
	starts[3].S3BucketName = aws.String("no-such-bucket")
	for _, in := range starts {
		if _, err := c.StartExportTask(ctx, in); err != nil {
			t.Fatalf("StartExportTask %s: %v", aws.ToString(in.ExportTaskIdentifier), err)
		}
	}
	for _, id := range []string{"a-pg", "b-my", "c-archive"} {
		waitExport(t, c, id, "COMPLETE", 10*time.Second)
	}
	waitExport(t, c, "d-missing", "FAILED", 10*time.Second)
	// Enough tasks for two pages.
	for i := range 21 {
		if _, err := c.StartExportTask(ctx, exportInput(fmt.Sprintf("page-%02d", i), myARN)); err != nil {
			t.Fatalf("StartExportTask: %v", err)
		}
	}
	ids := func(in *rds.DescribeExportTasksInput) []string {
		t.Helper()
		var out []string
		p := rds.NewDescribeExportTasksPaginator(c, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("DescribeExportTasks: %v", err)
			}
			for _, task := range page.ExportTasks {
				if !strings.HasPrefix(aws.ToString(task.ExportTaskIdentifier), "page-") {
					out = append(out, aws.ToString(task.ExportTaskIdentifier))
				}
			}
		}
		return out
	}
	filter := func(name string, values ...string) []types.Filter {
		return []types.Filter{{Name: aws.String(name), Values: values}}
	}
	cases := []struct {
		name, reason string
		in           *rds.DescribeExportTasksInput
		want         []string
	}{
		{"all", "every task is listed, across pages of MaxRecords", &rds.DescribeExportTasksInput{MaxRecords: aws.Int32(20)}, []string{"a-pg", "b-my", "c-archive", "d-missing"}},
		{"source arn", "SourceArn keeps the exports of one snapshot", &rds.DescribeExportTasksInput{SourceArn: aws.String(pgARN)}, []string{"a-pg", "c-archive", "d-missing"}},
		{"s3-bucket", "the s3-bucket filter keeps the exports to a bucket", &rds.DescribeExportTasksInput{Filters: filter("s3-bucket", "archive")}, []string{"c-archive"}},
		{"status", "status values are lowercase", &rds.DescribeExportTasksInput{Filters: filter("status", "failed")}, []string{"d-missing"}},
		{"status uppercase", "filter values are case-sensitive: FAILED matches nothing", &rds.DescribeExportTasksInput{Filters: filter("status", "FAILED")}, nil},
		{"identifier filter", "export-task-identifier takes several values", &rds.DescribeExportTasksInput{Filters: filter("export-task-identifier", "a-pg", "b-my")}, []string{"a-pg", "b-my"}},
		{"source-arn filter", "source-arn is a filter too", &rds.DescribeExportTasksInput{Filters: filter("source-arn", myARN)}, []string{"b-my"}},
		{"source type", "exports of snapshots are of SourceType SNAPSHOT", &rds.DescribeExportTasksInput{SourceType: types.ExportSourceTypeSnapshot, Filters: filter("status", "complete")}, []string{"a-pg", "b-my", "c-archive"}},
		{"cluster source type", "no task exported a DB cluster", &rds.DescribeExportTasksInput{SourceType: types.ExportSourceTypeCluster}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ids(tc.in)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
	_ = e
}

func TestExportToMissingBucketFails(t *testing.T) {
	e, c, pgARN, _ := startExports(t, Config{})
	s3URL, err := e.ListenS3("127.0.0.1:0")
	if err != nil {
		t.Fatalf("ListenS3: %v", err)
	}
	in := exportInput("lost", pgARN)
	in.S3BucketName = aws.String("not-in-this-account")
	if _, err := c.StartExportTask(context.Background(), in); err != nil {
		t.Fatalf("StartExportTask to a missing bucket is accepted, as on AWS, and fails later: %v", err)
	}
	task, seen := waitExport(t, c, "lost", "FAILED", 10*time.Second)
	if diff := cmp.Diff([]string{"STARTING", "FAILED"}, seen); diff != "" {
		t.Errorf("statuses of an export to a missing bucket (-want +got):\n%s", diff)
	}
	want := "The S3 bucket not-in-this-account isn't valid. Either it isn't located in the current AWS Region or it doesn't exist. Review your S3 bucket name and retry the export."
	if got := aws.ToString(task.FailureCause); got != want {
		t.Errorf("FailureCause %q, want AWS's %q", got, want)
	}
	if task.TaskEndTime == nil {
		t.Error("a failed task has no TaskEndTime")
	}
	if keys := listKeys(t, newS3Client(t, s3URL), ""); len(keys) != 0 {
		t.Errorf("the account's bucket got objects from a failed export: %v", keys)
	}
}

func TestCancelExportTask(t *testing.T) {
	// Each phase lasts long enough for the cancel to arrive while the task runs.
	e, c, pgARN, _ := startExports(t, Config{Delays: Delays{Create: 100 * time.Millisecond, BackingUp: 700 * time.Millisecond, Modify: 100 * time.Millisecond, Delete: 100 * time.Millisecond}})
	s3URL, err := e.ListenS3("127.0.0.1:0")
	if err != nil {
		t.Fatalf("ListenS3: %v", err)
	}
	ctx := context.Background()
	for _, tc := range []struct{ name, reason, cancelIn string }{
		{"starting", "a task canceled while STARTING ends CANCELED with nothing in S3", "STARTING"},
		{"in progress", "a task canceled while IN_PROGRESS ends CANCELED with nothing in S3", "IN_PROGRESS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "cancel-" + strings.ReplaceAll(tc.name, " ", "-")
			if _, err := c.StartExportTask(ctx, exportInput(id, pgARN)); err != nil {
				t.Fatalf("StartExportTask: %v", err)
			}
			waitExport(t, c, id, tc.cancelIn, 10*time.Second)
			out, err := c.CancelExportTask(ctx, &rds.CancelExportTaskInput{ExportTaskIdentifier: aws.String(id)})
			if err != nil {
				t.Fatalf("CancelExportTask: %v", err)
			}
			if got := aws.ToString(out.Status); got != "CANCELING" {
				t.Errorf("%s: CancelExportTask answered %q, want CANCELING", tc.reason, got)
			}
			task, _ := waitExport(t, c, id, "CANCELED", 10*time.Second)
			if task.TaskEndTime == nil {
				t.Errorf("%s: a canceled task has no TaskEndTime", tc.reason)
			}
			if keys := listKeys(t, newS3Client(t, s3URL), id+"/"); len(keys) != 0 {
				t.Errorf("%s: objects left: %v", tc.reason, keys)
			}
			if _, err := c.CancelExportTask(ctx, &rds.CancelExportTaskInput{ExportTaskIdentifier: aws.String(id)}); errorCode(err) != "InvalidExportTaskStateFault" {
				t.Errorf("canceling a canceled task: %v, want InvalidExportTaskStateFault", err)
			}
		})
	}
}

func TestExportWithoutEngineWritesMetadata(t *testing.T) {
	e, c, pgARN, _ := startExports(t, Config{})
	s3URL, err := e.ListenS3("127.0.0.1:0")
	if err != nil {
		t.Fatalf("ListenS3: %v", err)
	}
	in := exportInput("empty", pgARN)
	in.S3Prefix = aws.String("nightly/")
	if _, err := c.StartExportTask(context.Background(), in); err != nil {
		t.Fatalf("StartExportTask: %v", err)
	}
	task, seen := waitExport(t, c, "empty", "COMPLETE", 10*time.Second)
	if diff := cmp.Diff([]string{"STARTING", "IN_PROGRESS", "COMPLETE"}, seen); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if aws.ToInt32(task.PercentProgress) != 100 || task.SnapshotTime == nil || task.TaskStartTime == nil || task.TaskEndTime == nil {
		t.Errorf("a complete task reports PercentProgress %d, SnapshotTime %v, TaskStartTime %v, TaskEndTime %v", aws.ToInt32(task.PercentProgress), task.SnapshotTime, task.TaskStartTime, task.TaskEndTime)
	}
	want := []string{"nightly/empty/export_info_empty.json", "nightly/empty/export_tables_info_empty_from_1_to_0.json"}
	if diff := cmp.Diff(want, listKeys(t, newS3Client(t, s3URL), "")); diff != "" {
		t.Errorf("an export of a snapshot without data writes only its metadata (-want +got):\n%s", diff)
	}
	// The /_emulator/s3 introspection finds the stand-in and the account's bucket.
	rec := &recorder{header: http.Header{}}
	e.ServeS3Info(rec, &http.Request{Method: http.MethodGet})
	if want := fmt.Sprintf(`{"endpoint":%q,"buckets":["exports"]}`, s3URL); strings.TrimSpace(rec.body.String()) != want {
		t.Errorf("GET /_emulator/s3 = %s, want %s", rec.body.String(), want)
	}
}
