package gcpemulator

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

// instances.export, as Cloud SQL does it: the request is checked and answered with an
// EXPORT operation that echoes its exportContext; the operation dumps the databases (or
// runs the CSV query) and writes the file to the Cloud Storage stand-in (gcs.go), gzipped
// when the object's name ends in .gz. A missing bucket or an existing object fails the
// operation, not the request. docs/cloudsql-export-facts.md lists the facts relied on.

// Export file types (ExportContext.fileType).
const (
	fileSQL = "SQL"
	fileCSV = "CSV"
)

// codeExportFailed is the operation error code of a failed export: the code gcloud reports
// when Cloud SQL could not write an export (docs/cloudsql-export-facts.md).
const codeExportFailed = "ERROR_RDBMS"

// mysqlSystemDatabases are the databases a MySQL export of "all databases" leaves out.
var mysqlSystemDatabases = []string{"information_schema", "mysql", "performance_schema", "sys"}

// gcsObject names a Cloud Storage object.
type gcsObject struct{ bucket, name string }

func (o gcsObject) String() string { return "gs://" + o.bucket + "/" + o.name }

// parseGCSURI reads gs://bucket/object: a bucket name and a non-empty object name that is
// not a folder (a trailing / is a parallel export's directory).
func parseGCSURI(uri string) (gcsObject, error) {
	rest, ok := strings.CutPrefix(uri, "gs://")
	bucket, name, _ := strings.Cut(rest, "/")
	if !ok || !validBucketName(bucket) || name == "" || strings.HasSuffix(name, "/") {
		return gcsObject{}, errInvalid("The export URI %q is not valid: it must be gs://bucketName/fileName.", uri)
	}
	return gcsObject{bucket: bucket, name: name}, nil
}

// exportJob is an export request checked against its instance: what the operation runs.
type exportJob struct {
	instance string
	engine   string
	target   gcsObject
	// gzip compresses the file: its name ends in .gz.
	gzip     bool
	fileType string
	// databases are the databases asked for; empty on MySQL means every user database.
	databases  []string
	tables     []string
	schemaOnly bool
	// clean and ifExists are postgresExportOptions; masterData is mysqlExportOptions'.
	clean, ifExists bool
	masterData      int64
	selectQuery     string
}

// newExportJob checks an exportContext for an instance of version as Cloud SQL does
// (400 invalid), leaving to the operation what the real service finds out only while it
// runs: missing databases and tables, the bucket, an existing object.
func newExportJob(name, version string, c *ExportContext) (*exportJob, error) {
	if c == nil {
		return nil, errInvalid("exportContext is required.")
	}
	target, err := parseGCSURI(c.URI)
	if err != nil {
		return nil, err
	}
	job := &exportJob{
		instance: name, engine: engineOf(version), target: target,
		gzip: strings.HasSuffix(target.name, ".gz"), fileType: c.FileType, databases: c.Databases,
	}
	switch c.FileType {
	case "", "SQL_FILE_TYPE_UNSPECIFIED", fileSQL:
		job.fileType = fileSQL
		return job, job.sqlOptions(c.SQLExportOptions)
	case fileCSV:
		return job, job.csvOptions(c.CSVExportOptions)
	case "BAK", "TDE":
		return nil, errInvalid("fileType %s is for SQL Server instances only.", c.FileType)
	default:
		return nil, errInvalid("fileType %q is not one of SQL, CSV.", c.FileType)
	}
}

// sqlOptions checks the databases and sqlExportOptions of a SQL export.
func (j *exportJob) sqlOptions(o *SQLExportOptions) error {
	if o == nil {
		o = &SQLExportOptions{}
	}
	if o.Parallel {
		// A parallel export writes a directory of files per table, which the emulator
		// does not produce.
		return errInvalid("parallel export is not supported by this emulator.")
	}
	if j.engine == "postgres" && len(j.databases) != 1 {
		// Exporting every user database is for directory-formatted parallel exports only.
		return errInvalid("A PostgreSQL SQL export must name exactly one database in exportContext.databases.")
	}
	if len(o.Tables) > 0 && len(j.databases) != 1 {
		return errInvalid("An export of tables must name one and only one database.")
	}
	if j.engine == "postgres" && len(o.Tables) > 1 {
		return errInvalid("A PostgreSQL SQL export can export only one table.")
	}
	if slices.Contains(o.Tables, "") || slices.Contains(j.databases, "") {
		return errInvalid("Database and table names cannot be empty.")
	}
	j.tables, j.schemaOnly = o.Tables, o.SchemaOnly
	if p := o.PostgresExportOptions; p != nil && j.engine == "postgres" {
		// pg_dump takes --if-exists only with --clean.
		j.clean, j.ifExists = p.Clean, p.Clean && p.IfExists
	}
	if m := o.MySQLExportOptions; m != nil && j.engine == "mysql" {
		if m.MasterData < 0 || m.MasterData > 2 {
			return errInvalid("mysqlExportOptions.masterData must be 1 or 2.")
		}
		j.masterData = m.MasterData
	}
	return nil
}

// csvOptions checks the databases and csvExportOptions of a CSV export.
func (j *exportJob) csvOptions(o *CSVExportOptions) error {
	if o == nil || strings.TrimSpace(o.SelectQuery) == "" {
		return errInvalid("A CSV export needs csvExportOptions.selectQuery.")
	}
	if o.EscapeCharacter != "" || o.QuoteCharacter != "" || o.FieldsTerminatedBy != "" || o.LinesTerminatedBy != "" {
		return errInvalid("csvExportOptions other than selectQuery are not supported by this emulator.")
	}
	switch {
	case j.engine == "postgres" && len(j.databases) != 1:
		return errInvalid("A PostgreSQL CSV export must name the one database its query reads in exportContext.databases.")
	case len(j.databases) > 1:
		return errInvalid("A CSV export can name one database only.")
	}
	j.selectQuery = o.SelectQuery
	return nil
}

// exportInstance answers instances.export with an EXPORT operation, which runs in the
// background (runExport). Another operation on the instance meanwhile answers 409, unless
// the export is offloaded (serverless), which Cloud SQL runs beside other operations.
func (e *Emulator) exportInstance(r *http.Request) (any, error) {
	var req InstancesExportRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	in, err := e.lookup(r)
	if err != nil {
		return nil, err
	}
	if err := in.changeable(); err != nil {
		return nil, err
	}
	job, err := newExportJob(in.key.name, in.version, req.ExportContext)
	if err != nil {
		return nil, err
	}
	echo := *req.ExportContext
	echo.Kind = "sql#exportContext"
	op := e.newOperation(r, in.key, opExport)
	op.wire.ExportContext = &echo
	if !echo.Offload {
		in.busy = op
	}
	src := exportSource{server: in.server}
	for _, d := range in.catalog().databases {
		src.catalog = append(src.catalog, d.Name)
	}
	e.backgroundLocked(func(ctx context.Context) { e.runExport(ctx, op, job, src) })
	return op.view(), nil
}
