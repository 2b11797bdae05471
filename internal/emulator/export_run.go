package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"
)

// Failure causes of export tasks, in AWS's words ("Failure messages for Amazon S3 export
// tasks").
const (
	causeUnknown = "An unknown internal error occurred."
	causeBucket  = "The S3 bucket %s isn't valid. Either it isn't located in the current AWS Region or it doesn't exist. Review your S3 bucket name and retry the export."
)

// runExport takes an export task from STARTING to COMPLETE (or FAILED, or CANCELED once
// CancelExportTask canceled ctx). As on AWS, STARTING is the snapshot being restored: a
// temporary server starts on the snapshot's data in a scratch directory. IN_PROGRESS is the
// extraction: each table is read and turned into Parquet. Each lasts at least
// Delays.BackingUp. The objects are put into the bucket only when every table has been
// read, so a task that fails or is canceled leaves nothing in S3.
func (e *Emulator) runExport(ctx context.Context, id string) {
	st := e.exports()
	st.mu.Lock()
	t := *st.tasks[id]
	st.mu.Unlock()
	scratch := e.exportScratch(id)
	defer func() {
		_ = os.RemoveAll(scratch)
		if t.source.file != "" {
			_ = os.Remove(t.source.file)
		}
	}()

	start := time.Now()
	if ok, err := st.s3.bucketExistsAfter(e.AccountHolds().Buckets, t.Bucket); err != nil || !ok {
		cause := fmt.Sprintf(causeBucket, t.Bucket)
		if err != nil {
			cause = causeUnknown
			fmt.Fprintf(e.cfg.Log, "rds-emulator: export %s: %v\n", id, err)
		}
		if sleep(ctx, e.cfg.Delays.BackingUp) {
			e.finishExport(id, exportFailed, cause)
		} else {
			e.endCanceled(id)
		}
		return
	}
	var reader tableReader
	if t.source.file != "" {
		srv, port, err := startServer(ctx, t.source.engine, serverOptions{
			dir: scratch, user: t.source.user, password: t.source.password, version: t.source.version,
			snapshot: t.source.file, ca: e.ca, log: e.cfg.Log,
		})
		if err != nil {
			e.failOrCancel(ctx, id, fmt.Errorf("start a server on the snapshot: %w", err))
			return
		}
		defer func() { _ = srv.Stop() }()
		reader = newTableReader(t.source.engine, port, t.source.user, t.source.password)
		defer reader.close()
	}
	if !sleep(ctx, e.cfg.Delays.BackingUp-time.Since(start)) {
		e.endCanceled(id)
		return
	}
	if !e.setExportStatus(id, exportStarting, exportInProgress) {
		return
	}

	start = time.Now()
	objects, tables, warning, err := e.extract(ctx, id, t, reader)
	if err != nil {
		e.failOrCancel(ctx, id, err)
		return
	}
	if !sleep(ctx, e.cfg.Delays.BackingUp-time.Since(start)) {
		e.endCanceled(id)
		return
	}
	st.mu.Lock()
	task, ok := st.tasks[id]
	if !ok || task.Status != exportInProgress {
		st.mu.Unlock()
		e.endCanceled(id)
		return
	}
	task.End = time.Now()
	info := exportInfo(task, tables)
	objects[exportBase(task)+"export_info_"+id+".json"] = info
	if err := st.s3.put(task.Bucket, objects); err != nil {
		task.Status, task.FailureCause = exportFailed, fmt.Sprintf("An unknown internal error occurred writing the export task's metadata to the S3 bucket %s.", task.Bucket)
		st.mu.Unlock()
		fmt.Fprintf(e.cfg.Log, "rds-emulator: export %s: %v\n", id, err)
		return
	}
	var size int
	for _, o := range objects {
		size += len(o)
	}
	task.Status, task.Progress, task.Warning = exportComplete, 100, warning
	task.ExtractedGB = size >> 30
	st.mu.Unlock()
}

// bucketExistsAfter makes sure the account's buckets are in the store, then reports whether
// bucket is one of the store's.
func (s *s3Store) bucketExistsAfter(account []string, bucket string) (bool, error) {
	if err := s.ensureBuckets(account); err != nil {
		return false, err
	}
	return s.bucketExists(bucket)
}

// extract reads the tables the task exports and returns the S3 objects to write (the
// Parquet files and export_tables_info), the tables, and the WarningMessage.
func (e *Emulator) extract(ctx context.Context, id string, t exportTask, reader tableReader) (map[string][]byte, []tableStatus, string, error) {
	objects := map[string][]byte{}
	var statuses []tableStatus
	var skipped []skippedTable
	if reader != nil {
		tables, skip, err := reader.list(ctx)
		if err != nil {
			return nil, nil, "", err
		}
		skipped = skip
		tables = selectTables(tables, t.ExportOnly, t.source.engine)
		for i := range tables {
			tbl := &tables[i]
			started := time.Now()
			if err := reader.read(ctx, tbl); errors.Is(err, errPermission) {
				skipped = append(skipped, skippedTable{Target: tbl.target(), Reason: "PERMISSIONS_DO_NOT_EXIST"})
				continue
			} else if err != nil {
				return nil, nil, "", err
			}
			data, err := writeParquet(*tbl)
			if err != nil {
				return nil, nil, "", err
			}
			dir := exportBase(&t) + s3PathPart(tbl.Database) + "/" + s3PathPart(tbl.Schema+"."+tbl.Name) + "/1/"
			objects[dir+partFileName(0)] = data
			statuses = append(statuses, newTableStatus(*tbl, started, len(data)))
			e.setExportProgress(id, 100*(i+1)/(len(tables)+1))
		}
	}
	tablesInfo, err := json.Marshal(map[string]any{"perTableStatus": statuses})
	if err != nil {
		return nil, nil, "", err
	}
	objects[exportBase(&t)+fmt.Sprintf("export_tables_info_%s_from_1_to_%d.json", t.ID, len(statuses))] = tablesInfo
	warning := ""
	if len(skipped) > 0 {
		w, err := json.Marshal(map[string]any{"skippedTables": skipped, "skippedObjectives": []string{}, "general": []string{}})
		if err != nil {
			return nil, nil, "", err
		}
		warning = string(w)
	}
	return objects, statuses, warning, nil
}

// selectTables keeps the tables ExportOnly names (all without it): database,
// database.schema or database.schema.table for PostgreSQL, database or database.table for
// MySQL.
func selectTables(tables []exportTable, only []string, engine string) []exportTable {
	if len(only) == 0 {
		return tables
	}
	var out []exportTable
	for _, t := range tables {
		names := []string{t.Database, t.Schema, t.Name}
		if engine == "mysql" {
			names = []string{t.Database, t.Name}
		}
		for _, o := range only {
			parts := strings.Split(o, ".")
			if len(parts) <= len(names) && strings.Join(names[:len(parts)], ".") == o {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// exportBase is the key prefix of everything an export writes: <S3Prefix>/<identifier>/.
func exportBase(t *exportTask) string {
	base := path.Join(strings.Trim(t.Prefix, "/"), t.ID)
	return s3PathPart(base) + "/"
}

// tableStatus is one table's entry in export_tables_info's perTableStatus.
type tableStatus struct {
	TableStatistics tableStatistics `json:"tableStatistics"`
	SchemaMetadata  schemaMetadata  `json:"schemaMetadata"`
	Status          string          `json:"status"`
	SizeGB          float64         `json:"sizeGB"`
	Target          string          `json:"target"`
}

type tableStatistics struct {
	ExtractionStartTime string           `json:"extractionStartTime"`
	ExtractionEndTime   string           `json:"extractionEndTime"`
	PartitioningInfo    partitioningInfo `json:"partitioningInfo"`
}

type partitioningInfo struct {
	NumberOfPartitions          int `json:"numberOfPartitions"`
	NumberOfCompletedPartitions int `json:"numberOfCompletedPartitions"`
}

type schemaMetadata struct {
	OriginalTypeMappings []typeMapping `json:"originalTypeMappings"`
}

type typeMapping struct {
	ColumnName           string `json:"columnName"`
	OriginalType         string `json:"originalType"`
	ExpectedExportedType string `json:"expectedExportedType"`
}

func newTableStatus(t exportTable, started time.Time, size int) tableStatus {
	s := tableStatus{
		TableStatistics: tableStatistics{
			ExtractionStartTime: awsTime(started),
			ExtractionEndTime:   awsTime(time.Now()),
			PartitioningInfo:    partitioningInfo{NumberOfPartitions: 1, NumberOfCompletedPartitions: 1},
		},
		Status: exportComplete,
		SizeGB: float64(size) / (1 << 30),
		Target: t.target(),
	}
	for _, c := range t.Columns {
		s.SchemaMetadata.OriginalTypeMappings = append(s.SchemaMetadata.OriginalTypeMappings,
			typeMapping{ColumnName: c.Name, OriginalType: c.OriginalType, ExpectedExportedType: c.Kind.exportedType()})
	}
	return s
}

// exportInfo is the content of export_info_<identifier>.json, the task as it completed.
func exportInfo(t *exportTask, tables []tableStatus) []byte {
	var gb float64
	for _, s := range tables {
		gb += s.SizeGB
	}
	info := map[string]any{
		"exportTaskIdentifier":  t.ID,
		"sourceArn":             t.SourceARN,
		"exportOnly":            t.ExportOnly,
		"snapshotTime":          awsTime(t.SnapshotTime),
		"taskStartTime":         awsTime(t.Start),
		"taskEndTime":           awsTime(t.End),
		"s3Bucket":              t.Bucket,
		"s3Prefix":              t.Prefix,
		"exportedFilesPath":     strings.TrimSuffix(exportBase(t), "/"),
		"iamRoleArn":            t.IAMRoleARN,
		"kmsKeyId":              t.KMSKeyID,
		"status":                exportComplete,
		"percentProgress":       100,
		"totalExportedDataInGB": gb,
	}
	b, _ := json.Marshal(info) // a map of strings, numbers and a string slice always marshals
	return b
}

// setExportStatus moves a task from one status to another; false when it has moved on
// meanwhile (to CANCELING).
func (e *Emulator) setExportStatus(id, from, to string) bool {
	st := e.exports()
	st.mu.Lock()
	defer st.mu.Unlock()
	t, ok := st.tasks[id]
	if !ok || t.Status != from {
		return false
	}
	t.Status = to
	return true
}

func (e *Emulator) setExportProgress(id string, pct int) {
	st := e.exports()
	st.mu.Lock()
	defer st.mu.Unlock()
	if t, ok := st.tasks[id]; ok && t.Status == exportInProgress {
		t.Progress = pct
	}
}

// finishExport ends a task that is still running with status and cause.
func (e *Emulator) finishExport(id, status, cause string) {
	st := e.exports()
	st.mu.Lock()
	defer st.mu.Unlock()
	t, ok := st.tasks[id]
	if !ok || (t.Status != exportStarting && t.Status != exportInProgress) {
		return
	}
	t.Status, t.FailureCause, t.End = status, cause, time.Now()
}

// endCanceled makes a CANCELING task CANCELED once its work stopped. A task whose context
// ended because the emulator closed stays as it was.
func (e *Emulator) endCanceled(id string) {
	st := e.exports()
	st.mu.Lock()
	defer st.mu.Unlock()
	if t, ok := st.tasks[id]; ok && t.Status == exportCanceling {
		t.Status, t.End = exportCanceled, time.Now()
	}
}

// failOrCancel ends a task whose work failed: CANCELED when it was canceled (the failure is
// the cancellation), else FAILED.
func (e *Emulator) failOrCancel(ctx context.Context, id string, err error) {
	if ctx.Err() != nil {
		e.endCanceled(id)
		return
	}
	fmt.Fprintf(e.cfg.Log, "rds-emulator: export %s failed: %v\n", id, err)
	e.finishExport(id, exportFailed, causeUnknown)
}
