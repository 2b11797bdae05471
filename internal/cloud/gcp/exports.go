package gcp

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// A snapshot export on Cloud SQL is instances.export: a SQL dump of the live instance,
// written to Cloud Storage by the instance's own service account. Cloud SQL cannot export a
// backup, so the export named after a backup copies the instance as it is when the export
// runs, just after that backup (ExportsLive), and a final backup's export runs before the
// delete. The facts relied on are in docs/cloudsql-export-facts.md.
//
// An export is one or more EXPORT operations, one per file, under one folder named after
// the export:
//
//	gs://bucket/prefix/<export>/<i>-of-<n>-<database>.sql.gz
//
// A MySQL instance is exported whole in one file (1-of-1-all-databases). A PostgreSQL
// export that is not a parallel one names exactly one database, and an instance runs one
// operation at a time, so a PostgreSQL instance is exported one database after the other,
// each StartExport starting the next once the last is done (ExportPartial in between). The
// part's name says how many parts there are, counting the databases left when it started:
// operations carry no labels, and so the folder and the names are all that tells the
// export's progress, after a restart as before.

// Export object names: <i>-of-<n>-<database>.sql.gz.
var partName = regexp.MustCompile(`^([0-9]+)-of-([0-9]+)-(.+)\.sql\.gz$`)

// allDatabases names the one file of a MySQL export.
const allDatabases = "all-databases"

// postgresSkipped are the databases of a PostgreSQL instance an export leaves out: the
// templates, and Cloud SQL's own.
var postgresSkipped = []string{"template0", "template1", "cloudsqladmin"}

// ExportsLive implements cloud.Provider: instances.export reads the live instance.
func (p *Provider) ExportsLive() bool { return true }

// KeepsSnapshots implements cloud.Provider: Cloud SQL keeps a final backup after the
// instance.
func (p *Provider) KeepsSnapshots() bool { return true }

// EngineDefaults implements cloud.Provider: the operator's general defaults apply (the
// class's tier is the instance class).
func (p *Provider) EngineDefaults(string) (string, string) { return "", "" }

// StartExport implements cloud.Provider with instances.export of r.Database: the next part
// of the export, unless one runs, failed, or the last is done. It looks at the instance's
// operations (one call) and, to start a part, at its version (one call) and, on
// PostgreSQL, its databases (one call). Cloud SQL writes as the instance's service account
// and has no key for exports, so a Role or KMSKeyID is refused.
func (p *Provider) StartExport(ctx context.Context, r cloud.ExportRequest) error {
	op := "start export " + r.Identifier + " of instance " + r.Database
	switch {
	case r.Role != "":
		return &cloud.Error{Op: op, Code: "Unsupported", Field: cloud.FieldExportRole, Kind: cloud.ErrUnsupported,
			Message: "Cloud SQL writes exports as the instance's service account (its serviceAccountEmailAddress, which needs roles/storage.objectAdmin on the bucket), not as a role the request names: leave the role empty"}
	case r.KMSKeyID != "":
		return &cloud.Error{Op: op, Code: "Unsupported", Field: cloud.FieldExportKMSKey, Kind: cloud.ErrUnsupported,
			Message: "Cloud SQL exports take no key: the bucket's default encryption applies (set a customer-managed default key on the bucket): leave the key empty"}
	case r.Database == "":
		return invalid(op, "the request names no instance to export")
	}
	folder := exportFolder(r.Prefix, r.Identifier)
	var parts []exportPart
	err := p.svc.Operations.List(p.project).Instance(r.Database).Pages(ctx, func(page *sqladmin.OperationsListResponse) error {
		for _, o := range page.Items {
			if part, ok := partOf(o); ok && part.bucket == r.Bucket && part.folder == folder {
				parts = append(parts, part)
			}
		}
		return nil
	})
	if isNotFound(err) {
		return unsupported(op, "instance "+r.Database+" does not exist: Cloud SQL exports live instances only")
	}
	if err != nil {
		return wrap(op, err)
	}
	e := exportOf(parts)
	if len(parts) > 0 && e.Phase != cloud.ExportPartial {
		return nil // running, failed or done: asking again changes nothing
	}
	db, err := p.svc.Instances.Get(p.project, r.Database).Context(ctx).Do()
	if isNotFound(err) {
		return unsupported(op, "instance "+r.Database+" does not exist: Cloud SQL exports live instances only")
	}
	if err != nil {
		return wrap(op, err)
	}
	engine, _ := engineVersion(db.DatabaseVersion)
	next, databases := allDatabases, []string(nil)
	left := 1
	if engine == enginePostgres {
		todo, err := p.databasesLeft(ctx, op, r.Database, parts)
		if err != nil {
			return err
		}
		if len(todo) == 0 {
			// Every database left was dropped while the export went on part by part: the
			// export can go no further, and asking again never helps.
			return unsupported(op, fmt.Sprintf("export %s has %d parts and the instance holds no database left to export (those counted were dropped meanwhile): it stays partial", r.Identifier, len(parts)))
		}
		next, databases, left = todo[0], todo[:1], len(todo)
	}
	i := len(parts) + 1
	// A database's name may hold any character, "/" too: escaped, it stays one object name.
	uri := fmt.Sprintf("gs://%s/%s%d-of-%d-%s.sql.gz", r.Bucket, folder, i, len(parts)+left, url.PathEscape(next))
	_, err = p.svc.Instances.Export(p.project, r.Database, &sqladmin.InstancesExportRequest{ExportContext: &sqladmin.ExportContext{
		Kind: "sql#exportContext", FileType: "SQL", Uri: uri, Databases: databases,
	}}).Context(ctx).Do()
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

// databasesLeft lists the PostgreSQL instance id's databases no part exported yet, in order.
func (p *Provider) databasesLeft(ctx context.Context, op, id string, parts []exportPart) ([]string, error) {
	list, err := p.svc.Databases.List(p.project, id).Context(ctx).Do()
	if err != nil {
		return nil, wrap(op, err)
	}
	var todo []string
	for _, d := range list.Items {
		done := slices.ContainsFunc(parts, func(part exportPart) bool { return part.database == d.Name })
		if !done && !slices.Contains(postgresSkipped, d.Name) {
			todo = append(todo, d.Name)
		}
	}
	slices.Sort(todo)
	return todo, nil
}

// Exports implements cloud.Provider with operations.list of the project (every page,
// newest first), whatever started the exports: one export per folder of EXPORT
// operations. Snapshot stays empty: an operation does not say which backup the export
// follows.
func (p *Provider) Exports(ctx context.Context) ([]cloud.Export, error) {
	byFolder := map[string][]exportPart{}
	var order []string
	err := p.svc.Operations.List(p.project).Pages(ctx, func(page *sqladmin.OperationsListResponse) error {
		for _, o := range page.Items {
			part, ok := partOf(o)
			if !ok {
				continue
			}
			key := part.bucket + "/" + part.folder
			if _, seen := byFolder[key]; !seen {
				order = append(order, key)
			}
			byFolder[key] = append(byFolder[key], part)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("list export operations", err)
	}
	out := make([]cloud.Export, 0, len(order))
	for _, key := range order {
		out = append(out, exportOf(byFolder[key]))
	}
	return out, nil
}

// exportPart is one EXPORT operation: one file of an export.
type exportPart struct {
	bucket string
	// folder is the object's folder, with its trailing "/" ("" at the bucket's top).
	folder string
	// index and count are the part's place, 1-based, and the number of parts it counted;
	// both 1 for a file not named as a part.
	index, count int
	database     string
	status       string
	failure      string
	started      time.Time
	ended        time.Time
}

// partOf reads an EXPORT operation as a part of an export.
func partOf(o *sqladmin.Operation) (exportPart, bool) {
	if o.OperationType != "EXPORT" || o.ExportContext == nil {
		return exportPart{}, false
	}
	rest, ok := strings.CutPrefix(o.ExportContext.Uri, "gs://")
	bucket, object, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" || object == "" {
		return exportPart{}, false
	}
	cut := strings.LastIndex(object, "/") + 1
	part := exportPart{bucket: bucket, folder: object[:cut], index: 1, count: 1, database: object[cut:], status: o.Status}
	if m := partName.FindStringSubmatch(object[cut:]); m != nil {
		part.index, _ = strconv.Atoi(m[1])
		part.count, _ = strconv.Atoi(m[2])
		part.database = m[3]
		if name, err := url.PathUnescape(m[3]); err == nil {
			part.database = name
		}
	}
	if o.Error != nil && len(o.Error.Errors) > 0 {
		e := o.Error.Errors[0]
		part.failure = e.Code + ": " + e.Message
	}
	part.started = parseTime(o.StartTime, o.InsertTime)
	part.ended = parseTime(o.EndTime)
	return part, true
}

// parseTime reads the first non-empty RFC 3339 time of times.
func parseTime(times ...string) time.Time {
	for _, s := range times {
		if t, err := time.Parse(time.RFC3339Nano, s); s != "" && err == nil {
			return t
		}
	}
	return time.Time{}
}

// exportOf is the export made of parts, all of one folder. It runs while a part runs,
// failed when one failed, is complete when the last part it counted is done, and partial
// otherwise: it waits for the next part to be started.
func exportOf(parts []exportPart) cloud.Export {
	if len(parts) == 0 {
		return cloud.Export{}
	}
	parts = slices.Clone(parts)
	slices.SortFunc(parts, func(a, b exportPart) int { return a.index - b.index })
	first, last := parts[0], parts[len(parts)-1]
	folder := strings.TrimSuffix(first.folder, "/")
	id, prefix := folder, ""
	if i := strings.LastIndex(folder, "/"); i >= 0 {
		id, prefix = folder[i+1:], folder[:i]
	}
	if id == "" {
		id = first.database // a file at the bucket's top is an export of its own
	}
	e := cloud.Export{Identifier: id, Bucket: first.bucket, Prefix: prefix, StartedAt: first.started}
	done := 0
	for _, part := range parts {
		if part.status == statusDone && part.failure == "" {
			done++
		}
	}
	e.Percent = min(100, done*100/max(last.count, 1))
	for _, part := range parts {
		switch {
		case part.status != statusDone:
			e.Status, e.Phase = part.status, cloud.ExportRunning
			return e
		case part.failure != "":
			e.Status, e.Phase, e.FailureCause, e.EndedAt = statusDone, cloud.ExportFailed, part.database+": "+part.failure, part.ended
			return e
		}
	}
	if last.index >= last.count {
		e.Status, e.Phase, e.Percent, e.EndedAt = statusDone, cloud.ExportComplete, 100, last.ended
		return e
	}
	// The next part is not started yet: Cloud SQL's word for an operation not yet running.
	e.Status, e.Phase = "PENDING", cloud.ExportPartial
	return e
}

// exportFolder is the folder an export's files go in: prefix/identifier/.
func exportFolder(prefix, identifier string) string {
	if p := strings.Trim(prefix, "/"); p != "" {
		return p + "/" + identifier + "/"
	}
	return identifier + "/"
}
