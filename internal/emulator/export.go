package emulator

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Export task status words, as DescribeExportTasks reports them.
const (
	exportStarting   = "STARTING"
	exportInProgress = "IN_PROGRESS"
	exportComplete   = "COMPLETE"
	exportCanceling  = "CANCELING"
	exportCanceled   = "CANCELED"
	exportFailed     = "FAILED"
)

// Error codes of snapshot exports, as AWS spells them (aws-sdk-go-v2 service/rds schemas:
// AWSQueryError codes and HTTPError statuses; see docs/rds-export-facts.md).
const (
	codeExportTaskAlreadyExists  = "ExportTaskAlreadyExists"
	codeExportTaskNotFound       = "ExportTaskNotFound"
	codeInvalidExportOnly        = "InvalidExportOnly"
	codeInvalidExportSourceState = "InvalidExportSourceState"
	codeInvalidExportTaskState   = "InvalidExportTaskStateFault"
	codeInvalidS3Bucket          = "InvalidS3BucketFault"
	codeIamRoleNotFound          = "IamRoleNotFound"
)

// notFound builds an error RDS answers with 404, which statusOf does not know of.
func notFound(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: code, Message: fmt.Sprintf(format, args...)}
}

// iamRoleARN is the form of an IAM role ARN.
var iamRoleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]{1,512}$`)

// exportName is the form of one part of an ExportOnly entry: AWS supports partial exports
// only of databases, schemas and tables named with Latin letters, digits, $ and _.
var exportName = regexp.MustCompile(`^[A-Za-z0-9$_]+$`)

// exportTask is the emulator's record of one export task.
type exportTask struct {
	ID         string
	SourceARN  string
	SourceType string
	ExportOnly []string
	Bucket     string
	Prefix     string
	IAMRoleARN string
	KMSKeyID   string
	Status     string
	Progress   int
	// ExtractedGB is TotalExtractedDataInGB: the data written, in whole GB.
	ExtractedGB  int
	FailureCause string
	Warning      string
	SnapshotTime time.Time
	Start, End   time.Time

	// source is what the runner reads: the engine's data and how to start a server on it.
	source exportSource
	// cancel stops the runner's work when the task is canceled.
	cancel context.CancelFunc
}

// exportSource is the snapshot an export reads.
type exportSource struct {
	// engine is the engine of the server that starts on the snapshot: postgres or mysql.
	engine, version, user, password string
	// file is a link to the snapshot's data that the export owns (the snapshot may be
	// deleted while it is exported, as on AWS); "" when the snapshot has no engine data.
	file string
}

// xmlExportTask is the ExportTask shape: the result of StartExportTask and CancelExportTask
// and each member of DescribeExportTasks.
type xmlExportTask struct {
	ExportTaskIdentifier   string
	SourceArn              string
	ExportOnly             []string `xml:"ExportOnly>member,omitempty"`
	SnapshotTime           string   `xml:",omitempty"`
	TaskStartTime          string   `xml:",omitempty"`
	TaskEndTime            string   `xml:",omitempty"`
	S3Bucket               string
	S3Prefix               string
	IamRoleArn             string
	KmsKeyId               string
	Status                 string
	PercentProgress        int
	TotalExtractedDataInGB int
	FailureCause           string `xml:",omitempty"`
	WarningMessage         string `xml:",omitempty"`
	SourceType             string
}

func (t *exportTask) xml() xmlExportTask {
	x := xmlExportTask{
		ExportTaskIdentifier:   t.ID,
		SourceArn:              t.SourceARN,
		ExportOnly:             t.ExportOnly,
		SnapshotTime:           awsTime(t.SnapshotTime),
		TaskStartTime:          awsTime(t.Start),
		S3Bucket:               t.Bucket,
		S3Prefix:               t.Prefix,
		IamRoleArn:             t.IAMRoleARN,
		KmsKeyId:               t.KMSKeyID,
		Status:                 t.Status,
		PercentProgress:        t.Progress,
		TotalExtractedDataInGB: t.ExtractedGB,
		FailureCause:           t.FailureCause,
		WarningMessage:         t.Warning,
		SourceType:             t.SourceType,
	}
	if !t.End.IsZero() {
		x.TaskEndTime = awsTime(t.End)
	}
	return x
}

// startExportTask answers StartExportTask: it checks the request and the source snapshot,
// records the task STARTING and runs it in the background (see runExport).
func (e *Emulator) startExportTask(p params) (any, string, error) {
	id := p.str("ExportTaskIdentifier")
	for _, name := range []string{"ExportTaskIdentifier", "SourceArn", "S3BucketName", "IamRoleArn", "KmsKeyId"} {
		if p.str(name) == "" {
			return nil, id, newError(codeMissingParameter, "The request must contain the parameter %s.", name)
		}
	}
	bucket, prefix := p.str("S3BucketName"), p.str("S3Prefix")
	if !s3BucketName.MatchString(bucket) || strings.Contains(bucket, "..") {
		return nil, id, newError(codeInvalidS3Bucket, "The S3 bucket name %s is not valid.", bucket)
	}
	if strings.Contains(prefix, ":") {
		return nil, id, newError(codeInvalidValue, "The S3 prefix %s is not valid: exports to S3 don't support prefixes containing a colon (:).", prefix)
	}
	role := p.str("IamRoleArn")
	if err := e.checkExportRole(role); err != nil {
		return nil, id, err
	}
	key := p.str("KmsKeyId")
	if _, err := e.kmsKeyARN(true, key); err != nil {
		return nil, id, err
	}
	t := &exportTask{
		ID:         id,
		SourceARN:  p.str("SourceArn"),
		SourceType: "SNAPSHOT",
		ExportOnly: p.list("ExportOnly.member"),
		Bucket:     bucket,
		Prefix:     prefix,
		IAMRoleARN: role,
		KMSKeyID:   key,
		Status:     exportStarting,
		Start:      time.Now(),
	}
	snapFile, err := e.readExportSource(t)
	if err != nil {
		return nil, id, err
	}
	if err := checkExportOnly(t.source.engine, t.ExportOnly); err != nil {
		return nil, id, err
	}

	st := e.exports()
	st.mu.Lock()
	if _, exists := st.tasks[id]; exists {
		st.mu.Unlock()
		return nil, id, newError(codeExportTaskAlreadyExists, "The export task with the ID %s already exists.", id)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	t.cancel = cancel
	st.tasks[id] = t
	x := t.xml()
	st.mu.Unlock()

	if snapFile != "" {
		// The export keeps its own link to the snapshot's data, so that deleting the snapshot
		// meanwhile does not break it.
		t.source.file = e.exportScratch(id) + ".snapshot"
		if err := linkOrCopy(snapFile, t.source.file); err != nil {
			t.source.file = ""
			e.finishExport(id, exportFailed, causeUnknown)
			fmt.Fprintf(e.cfg.Log, "rds-emulator: export %s: keep snapshot data: %v\n", id, err)
			return x, id, nil
		}
	}
	// ctx derives from the emulator's: Close stops the export as CancelExportTask does.
	e.background(func(context.Context) { e.runExport(ctx, id) })
	return x, id, nil
}

// checkExportRole accepts the ARN of any IAM role of the emulator's account: the emulator
// has no IAM, so it cannot see the role's trust and permission policies. A role of another
// account cannot be passed to RDS (iam:PassRole works within an account), so it is not
// found.
func (e *Emulator) checkExportRole(role string) error {
	m := iamRoleARN.FindStringSubmatch(role)
	if m == nil {
		return newError(codeInvalidValue, "The IAM role ARN %s is not valid.", role)
	}
	if m[1] != e.cfg.AccountID {
		return notFound(codeIamRoleNotFound, "The IAM role %s is not found.", role)
	}
	return nil
}

// readExportSource resolves the task's SourceArn to a snapshot that can be exported and
// fills in what the runner needs; it returns the snapshot's data file, "" when it has none.
func (e *Emulator) readExportSource(t *exportTask) (string, error) {
	arn := t.SourceARN
	e.mu.Lock()
	defer e.mu.Unlock()
	if id, ok := strings.CutPrefix(arn, e.snapshotARN("")); ok && id != "" {
		s, found := e.snapshots[strings.ToLower(id)]
		if !found {
			return "", newError(codeSnapshotNotFound, "DBSnapshot %s not found.", id)
		}
		if s.Status != "available" {
			return "", newError(codeInvalidExportSourceState, "The snapshot %s is not in the available state: %s.", id, s.Status)
		}
		t.SnapshotTime = s.CreateTime
		t.source = exportSource{engine: s.Engine, version: s.EngineVersion, user: s.MasterUsername, password: s.masterPassword}
		if t.source.engine == "mariadb" {
			t.source.engine = "mysql"
		}
		return s.File, nil
	}
	if id, ok := strings.CutPrefix(arn, e.clusterSnapshotARN("")); ok && id != "" {
		s, found := e.clusterSnapshots[strings.ToLower(id)]
		if !found {
			return "", newError(codeClusterSnapshotNotFound, "DBClusterSnapshot %s not found.", id)
		}
		if s.Status != "available" {
			return "", newError(codeInvalidExportSourceState, "The DB cluster snapshot %s is not in the available state: %s.", id, s.Status)
		}
		t.SnapshotTime = s.CreateTime
		t.source = exportSource{engine: auroraEngines[s.Engine], version: s.EngineVersion, user: s.MasterUsername, password: s.masterPassword}
		return s.File, nil
	}
	if id, ok := strings.CutPrefix(arn, e.clusterARN("")); ok && id != "" {
		if _, found := e.clusters[strings.ToLower(id)]; !found {
			return "", newError(codeClusterNotFound, "DBCluster %s not found.", id)
		}
		return "", newError(codeInvalidValue, "The emulator exports DB snapshots and DB cluster snapshots, not a DB cluster's live data: take a DB cluster snapshot of %s and export it.", id)
	}
	// A snapshot ARN of another account or region names one the emulator cannot have.
	switch parts := strings.Split(arn, ":"); {
	case len(parts) >= 7 && parts[0] == "arn" && parts[2] == "rds" && parts[5] == "snapshot":
		return "", newError(codeSnapshotNotFound, "DBSnapshot %s not found.", arn)
	case len(parts) >= 7 && parts[0] == "arn" && parts[2] == "rds" && parts[5] == "cluster-snapshot":
		return "", newError(codeClusterSnapshotNotFound, "DBClusterSnapshot %s not found.", arn)
	}
	return "", newError(codeInvalidValue, "Invalid SourceArn %s: it must be the ARN of a DB snapshot or a DB cluster snapshot.", arn)
}

// checkExportOnly checks ExportOnly's entries against the engine: database, database.schema
// or database.schema.table for PostgreSQL; database or database.table for MySQL.
func checkExportOnly(engine string, only []string) error {
	maxParts := 3
	if engine == "mysql" {
		maxParts = 2
	}
	for _, o := range only {
		parts := strings.Split(o, ".")
		if len(parts) > maxParts {
			return newError(codeInvalidExportOnly, "The ExportOnly value %s is not valid for a %s snapshot.", o, engine)
		}
		for _, part := range parts {
			if !exportName.MatchString(part) {
				return newError(codeInvalidExportOnly, "The ExportOnly value %s is not valid: partial exports support only names of Latin letters, digits, $ and _.", o)
			}
		}
	}
	return nil
}

// describeExportTasks answers DescribeExportTasks.
func (e *Emulator) describeExportTasks(p params) (any, string, error) {
	id := p.str("ExportTaskIdentifier")
	max, err := p.maxRecords()
	if err != nil {
		return nil, id, err
	}
	sourceType := p.str("SourceType")
	if sourceType != "" && sourceType != "SNAPSHOT" && sourceType != "CLUSTER" {
		return nil, id, newError(codeInvalidValue, "Invalid SourceType %s: must be SNAPSHOT or CLUSTER.", sourceType)
	}
	match := map[string]func(t *exportTask) string{
		"export-task-identifier": func(t *exportTask) string { return t.ID },
		"s3-bucket":              func(t *exportTask) string { return t.Bucket },
		"source-arn":             func(t *exportTask) string { return t.SourceARN },
		"status":                 func(t *exportTask) string { return strings.ToLower(t.Status) },
	}
	filters := p.filters()
	for _, f := range filters {
		if match[f.Name] == nil {
			return nil, id, newError(codeInvalidValue, "Unrecognized filter name: %s.", f.Name)
		}
	}
	keep := func(t *exportTask) bool {
		if (id != "" && t.ID != id) || (p.str("SourceArn") != "" && t.SourceARN != p.str("SourceArn")) || (sourceType != "" && t.SourceType != sourceType) {
			return false
		}
		for _, f := range filters {
			// Filter values are case-sensitive; status values are lowercase.
			if !contains(f.Values, match[f.Name](t)) {
				return false
			}
		}
		return true
	}
	type result struct {
		ExportTasks []xmlExportTask `xml:"ExportTasks>ExportTask"`
		Marker      string          `xml:",omitempty"`
	}

	st := e.exports()
	st.mu.Lock()
	defer st.mu.Unlock()
	if id != "" {
		if _, ok := st.tasks[id]; !ok {
			return nil, id, notFound(codeExportTaskNotFound, "The export task with the ID %s was not found.", id)
		}
	}
	var keys []string
	for k, t := range st.tasks {
		if keep(t) {
			keys = append(keys, k)
		}
	}
	keys, next := page(keys, p.str("Marker"), max)
	out := result{Marker: next}
	for _, k := range keys {
		out.ExportTasks = append(out.ExportTasks, st.tasks[k].xml())
	}
	return out, id, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// cancelExportTask answers CancelExportTask: a task that is STARTING or IN_PROGRESS becomes
// CANCELING, and CANCELED once its work has stopped (see runExport).
func (e *Emulator) cancelExportTask(p params) (any, string, error) {
	id := p.str("ExportTaskIdentifier")
	if id == "" {
		return nil, id, newError(codeMissingParameter, "The request must contain the parameter ExportTaskIdentifier.")
	}
	st := e.exports()
	st.mu.Lock()
	t, ok := st.tasks[id]
	if !ok {
		st.mu.Unlock()
		return nil, id, notFound(codeExportTaskNotFound, "The export task with the ID %s was not found.", id)
	}
	if t.Status != exportStarting && t.Status != exportInProgress {
		st.mu.Unlock()
		return nil, id, newError(codeInvalidExportTaskState, "The export task with the ID %s can't be canceled because it is %s.", id, t.Status)
	}
	t.Status = exportCanceling
	cancel := t.cancel
	x := t.xml()
	st.mu.Unlock()
	cancel()
	return x, id, nil
}

// exportScratch is the directory an export's temporary server runs in, under DataDir (the
// system's temporary directory without one).
func (e *Emulator) exportScratch(id string) string {
	base := e.cfg.DataDir
	if base == "" {
		base = os.TempDir()
	}
	return filepath.Join(base, "exports", safeFileName(id))
}

// safeFileName keeps an export identifier usable as one file name.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator || r == 0 {
			return '_'
		}
		return r
	}, s)
}

// linkOrCopy makes dst hold src's content: a hard link, or a copy across file systems.
func linkOrCopy(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	_ = os.Remove(dst)
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o600)
}
