package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// What a run with Config.Exports gives the stack and its objects: a bucket and a KMS alias
// in the emulator's account, and an export role (of the emulator's account) the manager
// allows in the benchmark's namespace.
const (
	ExportBucket = "bench-exports"
	ExportRole   = "arn:aws:iam::123456789012:role/rds-export"
	ExportKMSKey = "alias/rds-export"
)

// exportsPerObject is how many exports each object makes in a run: its automated backup's
// (the emulator takes the first when it makes the database) and its scheduled snapshot's.
const exportsPerObject = 2

// exportSettings are the emulator's and the manager's flags, and the objects' backup spec,
// of a run with exports.
func exportSettings(every string) (emulatorArgs, managerArgs []string, backup v1.Backup) {
	return []string{"--s3-buckets", ExportBucket, "--kms-aliases", ExportKMSKey},
		[]string{"--allow-export-roles", Namespace + "=" + ExportRole},
		v1.Backup{Every: every, Export: &v1.BackupExport{Bucket: ExportBucket, Prefix: Namespace, IAMRoleARN: ExportRole, KMSKeyID: ExportKMSKey}}
}

// Exports is what the fleet's exports wrote to the emulator's S3 stand-in.
type Exports struct {
	// Completed counts the exports that completed: each writes its export_info file last.
	Completed int `json:"completed"`
	// Objects and Bytes are everything the exports wrote into the bucket; MeanBytes is
	// Bytes per completed export. Without engines an export holds no table, only its
	// metadata (export_info and export_tables_info).
	Objects   int     `json:"objects"`
	Bytes     int64   `json:"bytes"`
	MeanBytes float64 `json:"meanBytes"`
}

// s3Client reaches the emulator's S3 stand-in, whose calls the emulator's call counts do not
// include: reading the bucket costs the fleet's figures nothing.
func (e emulator) s3Client(ctx context.Context) (*s3.Client, error) {
	body, err := get(ctx, e.http, e.url+"/_emulator/s3")
	if err != nil {
		return nil, fmt.Errorf("find the S3 stand-in: %w", err)
	}
	var info struct {
		Endpoint string `json:"endpoint"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return nil, fmt.Errorf("find the S3 stand-in: %w", err)
	}
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(info.Endpoint), UsePathStyle: true, HTTPClient: e.http,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}), nil
}

// listExports reads the export bucket: what the exports wrote, and the identifiers of those
// that completed (each writes <prefix>/<task>/export_info_<task>.json last).
func listExports(ctx context.Context, c *s3.Client) (*Exports, map[string]bool, error) {
	out, done := &Exports{}, map[string]bool{}
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(ExportBucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("list s3://%s: %w", ExportBucket, err)
		}
		for _, o := range page.Contents {
			out.Objects++
			out.Bytes += aws.ToInt64(o.Size)
			key := aws.ToString(o.Key)
			if task, ok := strings.CutPrefix(key[strings.LastIndex(key, "/")+1:], "export_info_"); ok {
				done[strings.TrimSuffix(task, ".json")] = true
			}
		}
	}
	if out.Completed = len(done); out.Completed > 0 {
		out.MeanBytes = round(float64(out.Bytes)/float64(out.Completed), 0)
	}
	return out, done, nil
}
