package gcpemulator

import (
	"context"
	"net/http"
	"slices"
)

// initialDatabases are the databases a new instance lists: postgres on PostgreSQL; the
// system schemas on MySQL.
func initialDatabases(version string) []Database {
	if engineOf(version) == "postgres" {
		return []Database{{Name: "postgres", Charset: "UTF8", Collation: "en_US.UTF8"}}
	}
	var out []Database
	for _, n := range []string{"information_schema", "mysql", "performance_schema", "sys"} {
		out = append(out, Database{Name: n, Charset: "utf8mb4", Collation: "utf8mb4_0900_ai_ci"})
	}
	return out
}

func (in *instance) findDatabase(name string) int {
	return slices.IndexFunc(in.databases, func(d Database) bool { return d.Name == name })
}

// insertDatabase answers databases.insert. On PostgreSQL the database is owned by
// cloudsqlsuperuser, as Cloud SQL makes it.
func (e *Emulator) insertDatabase(r *http.Request) (any, error) {
	var d Database
	if err := decodeBody(r, &d); err != nil {
		return nil, err
	}
	if d.Name == "" {
		return nil, errInvalid("The database name is required.")
	}
	return e.mutate(r, opCreateDatabase,
		func(in *instance) error {
			if in.findDatabase(d.Name) >= 0 {
				return errInvalid("failed to create database %s. Detail: database %q already exists.", d.Name, d.Name)
			}
			if d.Charset == "" {
				d.Charset = initialDatabases(in.version)[0].Charset
			}
			if d.Collation == "" {
				d.Collation = initialDatabases(in.version)[0].Collation
			}
			return nil
		},
		func(ctx context.Context, srv engineServer) error {
			// The server's own defaults stand in for Cloud SQL's, whose names differ.
			return srv.CreateDatabase(ctx, d.Name, "", "")
		},
		func(in *instance) {
			in.databases = append(in.databases, Database{Name: d.Name, Charset: d.Charset, Collation: d.Collation})
		})
}

func (e *Emulator) deleteDatabase(r *http.Request) (any, error) {
	name := r.PathValue("database")
	return e.mutate(r, opDeleteDatabase,
		func(in *instance) error {
			if in.findDatabase(name) < 0 {
				return errNotFound("database " + name)
			}
			return nil
		},
		func(ctx context.Context, srv engineServer) error { return srv.DropDatabase(ctx, name) },
		func(in *instance) {
			if i := in.findDatabase(name); i >= 0 {
				in.databases = slices.Delete(in.databases, i, i+1)
			}
		})
}

// listDatabases answers databases.list: the databases made through the API and, on an
// instance with a server, those made with SQL too, as Cloud SQL lists every database of
// the instance. The server is asked outside the lock.
func (e *Emulator) listDatabases(r *http.Request) (any, error) {
	e.mu.Lock()
	in, err := e.lookup(r)
	if err != nil {
		e.mu.Unlock()
		return nil, err
	}
	dbs := slices.Clone(in.catalog().databases)
	srv := in.catalog().server
	e.mu.Unlock()
	if srv != nil {
		// A server that does not answer (stopped, restarting) leaves the API's list.
		names, _ := srv.Databases(r.Context())
		for _, name := range names {
			if !slices.ContainsFunc(dbs, func(d Database) bool { return d.Name == name }) {
				first := initialDatabases(in.version)[0]
				dbs = append(dbs, Database{Name: name, Charset: first.Charset, Collation: first.Collation})
			}
		}
	}
	items := make([]Database, 0, len(dbs))
	for _, d := range dbs {
		items = append(items, databaseView(in, d))
	}
	return &listResponse{Kind: "sql#databasesList", Items: items}, nil
}

func (e *Emulator) getDatabase(r *http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, err := e.lookup(r)
	if err != nil {
		return nil, err
	}
	c := in.catalog()
	i := c.findDatabase(r.PathValue("database"))
	if i < 0 {
		return nil, errNotFound("database " + r.PathValue("database"))
	}
	d := databaseView(in, c.databases[i])
	return &d, nil
}

func databaseView(in *instance, d Database) Database {
	return Database{
		Kind: "sql#database", Name: d.Name, Charset: d.Charset, Collation: d.Collation,
		Instance: in.key.name, Project: in.key.project, Etag: etag(d.Name),
		SelfLink: in.base + "/v1/projects/" + in.key.project + "/instances/" + in.key.name + "/databases/" + d.Name,
	}
}
