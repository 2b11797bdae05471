package rds

import (
	"context"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// logInstance is the DB instance whose log files are the database identifier's: itself, or
// an Aurora cluster's writer (RDS keeps logs per instance).
func (p *Provider) logInstance(ctx context.Context, identifier string) (string, error) {
	if !p.clusters.has(identifier) {
		return identifier, nil
	}
	c, found, err := p.describeCluster(ctx, identifier)
	if err != nil {
		return "", err
	}
	if writer := writerOf(c); found && writer != "" {
		return writer, nil
	}
	return "", &cloud.Error{Op: "find the log of " + identifier, Message: "the cluster has no writer instance yet", Kind: cloud.ErrBusy}
}

// LogFiles implements cloud.Provider: DescribeDBLogFiles, every page.
func (p *Provider) LogFiles(ctx context.Context, identifier string) ([]cloud.LogFile, error) {
	id, err := p.logInstance(ctx, identifier)
	if err != nil {
		return nil, err
	}
	var out []cloud.LogFile
	pages := awsrds.NewDescribeDBLogFilesPaginator(p.api, &awsrds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String(id)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, wrap("list log files of "+id, err)
		}
		for _, f := range page.DescribeDBLogFiles {
			out = append(out, cloud.LogFile{Name: aws.ToString(f.LogFileName), Size: aws.ToInt64(f.Size),
				LastWritten: time.UnixMilli(aws.ToInt64(f.LastWritten)).UTC()})
		}
	}
	return out, nil
}

// ReadLog implements cloud.Provider: one DownloadDBLogFilePortion. RDS reads from the
// marker, or, without one, the end of the file (NumberOfLines counted back from it).
func (p *Provider) ReadLog(ctx context.Context, identifier, file, marker string, lines int) (cloud.LogPortion, error) {
	id, err := p.logInstance(ctx, identifier)
	if err != nil {
		return cloud.LogPortion{}, err
	}
	in := &awsrds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: aws.String(id), LogFileName: aws.String(file), Marker: optional(marker)}
	if lines > 0 {
		in.NumberOfLines = aws.Int32(int32(min(lines, math.MaxInt32)))
	}
	out, err := p.api.DownloadDBLogFilePortion(ctx, in)
	if err != nil {
		return cloud.LogPortion{}, wrap("read log "+file+" of "+id, err)
	}
	return cloud.LogPortion{Data: aws.ToString(out.LogFileData), Marker: aws.ToString(out.Marker), More: aws.ToBool(out.AdditionalDataPending)}, nil
}
