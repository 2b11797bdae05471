package gcpemulator

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// exportSource is what an export reads: the instance's server, and the databases the
// instance lists, which stand in for the server's when there is none.
type exportSource struct {
	server  engineServer
	catalog []string
}

// exporter is the part of an engineServer that exports, as Cloud SQL's export does.
type exporter interface {
	// ExportSQL writes a SQL dump of the job's databases (or tables) to w.
	ExportSQL(ctx context.Context, w io.Writer, job *exportJob) error
	// ExportCSV writes the rows of the job's selectQuery to w as CSV.
	ExportCSV(ctx context.Context, w io.Writer, job *exportJob) error
}

// exportError is a failed export, with the message the operation reports.
type exportError struct{ msg string }

func (e *exportError) Error() string { return e.msg }

func exportFailed(format string, args ...any) error {
	return &exportError{msg: fmt.Sprintf(format, args...)}
}

// runExport takes an EXPORT operation from PENDING through RUNNING to DONE: it checks the
// target, writes the file (a dump of the server, or an empty one without a server),
// waits out Delays.Export and puts the file into the bucket. The object is written only
// when everything else succeeded, so a failed export leaves nothing behind.
func (e *Emulator) runExport(ctx context.Context, op *operation, job *exportJob, src exportSource) {
	start := time.Now()
	e.startOperation(op)
	body, err := e.exportFile(ctx, job, src)
	if !sleep(ctx, e.cfg.Delays.Export-time.Since(start)) {
		return
	}
	if err == nil {
		err = e.putExport(job, body)
	}
	var failed *exportError
	if err != nil && !errors.As(err, &failed) {
		fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: export of %s to %s: %v\n", job.instance, job.target, err)
		err = exportFailed("An internal error occurred while exporting to %s.", job.target)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.finishOperation(op, codeExportFailed, err)
}

// exportFile checks the target and produces the file's content, gzipped when the job asks.
func (e *Emulator) exportFile(ctx context.Context, job *exportJob, src exportSource) ([]byte, error) {
	if err := e.checkTarget(job.target); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if job.gzip {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	if err := e.export(ctx, w, job, src); err != nil {
		return nil, err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// export writes the job's file to w: the server's dump or query result, or without a
// server a file without data (a SQL comment, or an empty CSV) once the databases asked
// for are among those the instance lists.
func (e *Emulator) export(ctx context.Context, w io.Writer, job *exportJob, src exportSource) error {
	if src.server == nil {
		for _, d := range job.databases {
			if !slices.Contains(src.catalog, d) {
				return exportFailed("The database %q does not exist on instance %s.", d, job.instance)
			}
		}
		if job.fileType == fileCSV {
			return nil
		}
		_, err := fmt.Fprintf(w, "-- Cloud SQL emulator export of instance %s: the instance has no database server, so no data.\n", job.instance)
		return err
	}
	x, ok := src.server.(exporter)
	if !ok {
		return fmt.Errorf("the server of %s cannot export", job.instance)
	}
	if job.fileType == fileCSV {
		return x.ExportCSV(ctx, w, job)
	}
	return x.ExportSQL(ctx, w, job)
}

// checkTarget fails an export whose bucket is missing or whose object exists already, as
// Cloud SQL fails the operation (not the request) for either.
func (e *Emulator) checkTarget(t gcsObject) error {
	if !e.gcs.bucketExists(t.bucket) {
		return exportFailed("failed to upload data to GCS URL %s: the bucket %s does not exist.", t, t.bucket)
	}
	if e.gcs.objectExists(t.bucket, t.name) {
		return exportFailed("The file %s already exists.", t)
	}
	return nil
}

// putExport writes the file, checking the target again: it may have changed while the
// export ran.
func (e *Emulator) putExport(job *exportJob, body []byte) error {
	if err := e.checkTarget(job.target); err != nil {
		return err
	}
	contentType := "application/sql"
	switch {
	case job.gzip:
		contentType = "application/gzip"
	case job.fileType == fileCSV:
		contentType = "text/csv"
	}
	return e.gcs.put(job.target.bucket, job.target.name, contentType, body)
}
