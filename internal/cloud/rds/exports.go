package rds

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// A snapshot export is an RDS export task (StartExportTask): RDS restores the snapshot
// aside, writes its tables to S3 as Parquet, and reports the task by DescribeExportTasks
// until long after it ended. The facts relied on are in docs/rds-export-facts.md.

// exportPhases maps RDS's export task status words to phases. A word not listed (RDS may
// add some) is taken as an export still running: looked at again, relied on for nothing.
var exportPhases = map[string]cloud.ExportPhase{
	"STARTING":    cloud.ExportRunning,
	"IN_PROGRESS": cloud.ExportRunning,
	// Canceling ends by itself in Canceled; until then the task may still write.
	"CANCELING": cloud.ExportRunning,
	"COMPLETE":  cloud.ExportComplete,
	"FAILED":    cloud.ExportFailed,
	"CANCELED":  cloud.ExportCanceled,
}

// exportPhaseOf is the phase of an export task in RDS status word status.
func exportPhaseOf(status string) cloud.ExportPhase {
	if p, ok := exportPhases[status]; ok {
		return p
	}
	return cloud.ExportRunning
}

// StartExport implements cloud.Provider with StartExportTask. A snapshot named by its
// identifier costs one describe to learn its ARN, which StartExportTask wants; one named by
// its ARN costs nothing more. A task with the identifier existing already is success.
func (p *Provider) StartExport(ctx context.Context, r cloud.ExportRequest) error {
	op := "start export " + r.Identifier + " of snapshot " + r.Snapshot
	switch {
	case r.Role == "":
		return &cloud.Error{Op: op, Code: "InvalidParameterValue", Field: cloud.FieldExportRole,
			Message: "RDS writes an export as an IAM role the request names, which must allow the bucket and trust export.rds.amazonaws.com: name one"}
	case r.KMSKeyID == "":
		return &cloud.Error{Op: op, Code: "InvalidParameterValue", Field: cloud.FieldExportKMSKey,
			Message: "RDS encrypts an export with a KMS key the request names: name one"}
	}
	source := r.Snapshot
	if !strings.HasPrefix(source, "arn:") {
		snap, found, err := p.Snapshot(ctx, source)
		if err != nil {
			return err
		}
		if !found {
			return &cloud.Error{Op: op, Code: "DBSnapshotNotFound", Message: "the account has no snapshot " + r.Snapshot}
		}
		source = snap.ARN
	}
	_, err := p.api.StartExportTask(ctx, &awsrds.StartExportTaskInput{
		ExportTaskIdentifier: aws.String(r.Identifier),
		SourceArn:            aws.String(source),
		S3BucketName:         aws.String(r.Bucket),
		S3Prefix:             optional(r.Prefix),
		IamRoleArn:           aws.String(r.Role),
		KmsKeyId:             aws.String(r.KMSKeyID),
	})
	var exists *types.ExportTaskAlreadyExistsFault
	if err == nil || errors.As(err, &exists) {
		return nil
	}
	return wrapExport(op, err)
}

// ExportsLive implements cloud.Provider: an RDS export task reads its snapshot, so the final
// snapshot is exported after the database is gone.
func (p *Provider) ExportsLive() bool { return false }

// KeepsSnapshots implements cloud.Provider: RDS keeps a final snapshot after the database.
func (p *Provider) KeepsSnapshots() bool { return true }

// wrapExport is wrap for StartExportTask: a refusal names the part of the export request
// to change. Within an export the only KMS key is the export's.
func wrapExport(op string, err error) error {
	err = wrap(op, err)
	var ce *cloud.Error
	if !errors.As(err, &ce) {
		return err
	}
	if f := exportRefusedField(ce.Code, ce.Message); f != "" {
		ce.Field = f
	} else if ce.Field == cloud.FieldKMSKey {
		ce.Field = cloud.FieldExportKMSKey
	}
	return err
}

// exportRefusedField tells from an error of StartExportTask which part of the export
// request was refused, by its code and, for RDS's catch-all codes, its message's words.
func exportRefusedField(code, message string) cloud.Field {
	switch code {
	case "InvalidS3BucketFault":
		return cloud.FieldExportBucket
	case "IamRoleNotFound", "IamRoleMissingPermissions":
		return cloud.FieldExportRole
	case "KMSKeyNotAccessibleFault":
		return cloud.FieldExportKMSKey
	case "InvalidParameterValue", "InvalidParameterCombination":
	default:
		return ""
	}
	m := strings.ToLower(message)
	switch {
	case strings.Contains(m, "iam role") || strings.Contains(m, "iamrolearn"):
		return cloud.FieldExportRole
	case strings.Contains(m, "kms"):
		return cloud.FieldExportKMSKey
	case strings.Contains(m, "bucket"):
		return cloud.FieldExportBucket
	}
	return ""
}

// Exports implements cloud.Provider with paged DescribeExportTasks: a call per hundred
// tasks of the account, whoever started them.
func (p *Provider) Exports(ctx context.Context) ([]cloud.Export, error) {
	var out []cloud.Export
	pages := awsrds.NewDescribeExportTasksPaginator(p.api, &awsrds.DescribeExportTasksInput{MaxRecords: aws.Int32(listPageSize)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, wrap("list export tasks", err)
		}
		for _, t := range page.ExportTasks {
			out = append(out, export(t))
		}
	}
	return out, nil
}

func export(t types.ExportTask) cloud.Export {
	status := aws.ToString(t.Status)
	return cloud.Export{
		Identifier:   aws.ToString(t.ExportTaskIdentifier),
		Snapshot:     snapshotName(aws.ToString(t.SourceArn)),
		Status:       status,
		Phase:        exportPhaseOf(status),
		Percent:      int(aws.ToInt32(t.PercentProgress)),
		FailureCause: aws.ToString(t.FailureCause),
		Bucket:       aws.ToString(t.S3Bucket),
		Prefix:       aws.ToString(t.S3Prefix),
		StartedAt:    aws.ToTime(t.TaskStartTime),
		EndedAt:      aws.ToTime(t.TaskEndTime),
	}
}

// snapshotName is the snapshot's identifier in its ARN ("rds:..." for an automated one).
func snapshotName(arn string) string {
	for _, kind := range []string{":cluster-snapshot:", ":snapshot:"} {
		if i := strings.Index(arn, kind); i >= 0 {
			return arn[i+len(kind):]
		}
	}
	return arn
}
