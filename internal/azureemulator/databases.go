package azureemulator

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
)

// dbRecord is a database made through the API.
type dbRecord struct{ name, charset, collation string }

// parent finds the server a child resource's request names, or answers ARM's 404 for a
// missing parent. It runs under mu.
func (e *Emulator) parent(c *call) (*server, error) {
	s, err := e.lookup(c)
	if err != nil {
		return nil, errorf(http.StatusNotFound, "ParentResourceNotFound",
			"Can not perform requested operation on nested resource. Parent resource '%s' not found.", c.v("serverName"))
	}
	return s, nil
}

// databaseView renders a database; charset and collation default to the server's.
func databaseView(s *server, d dbRecord) *Database {
	if d.charset == "" {
		d.charset, d.collation = s.p.charset(s.spec.version)
	}
	return &Database{
		ID: s.id() + "/databases/" + d.name, Name: d.name, Type: s.p.resourceType() + "/databases",
		Properties: &DatabaseProperties{Charset: d.charset, Collation: d.collation},
	}
}

// serverDatabases lists a server's databases: those its database server has, whoever
// made them, or without one those made through the API and the initial ones. The server
// is asked outside mu.
func (e *Emulator) serverDatabases(ctx context.Context, c *call) (*server, []dbRecord, error) {
	e.mu.Lock()
	s, err := e.parent(c)
	if err != nil {
		e.mu.Unlock()
		return nil, nil, err
	}
	recs, eng := slices.Clone(s.databases), s.engine
	e.mu.Unlock()
	names := s.p.systemDatabases
	if eng != nil {
		if names, err = eng.Databases(ctx); err != nil {
			return nil, nil, fmt.Errorf("list the databases of %s: %w", s.name, err)
		}
		// A database dropped with SQL is gone, whoever made it.
		recs = slices.DeleteFunc(recs, func(d dbRecord) bool { return !slices.Contains(names, d.name) })
	}
	for _, n := range names {
		if !slices.ContainsFunc(recs, func(d dbRecord) bool { return d.name == n }) {
			recs = append(recs, dbRecord{name: n})
		}
	}
	slices.SortFunc(recs, func(a, b dbRecord) int { return cmp.Compare(a.name, b.name) })
	return s, recs, nil
}

func (e *Emulator) listDatabases(c *call) (*reply, error) {
	s, recs, err := e.serverDatabases(c.r.Context(), c)
	if err != nil {
		return nil, err
	}
	out := &DatabaseList{Value: []*Database{}}
	for _, d := range recs {
		out.Value = append(out.Value, databaseView(s, d))
	}
	return &reply{status: http.StatusOK, body: out}, nil
}

// findDatabase finds a database of a server by name.
func (e *Emulator) findDatabase(c *call) (*server, *dbRecord, error) {
	s, recs, err := e.serverDatabases(c.r.Context(), c)
	if err != nil {
		return nil, nil, err
	}
	i := slices.IndexFunc(recs, func(d dbRecord) bool { return d.name == c.v("databaseName") })
	if i < 0 {
		return s, nil, nil
	}
	return s, &recs[i], nil
}

func (e *Emulator) getDatabase(c *call) (*reply, error) {
	s, d, err := e.findDatabase(c)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, errResourceNotFound(s.p.resourceType()+"/"+s.name+"/databases/"+c.v("databaseName"), s.rg)
	}
	return &reply{status: http.StatusOK, body: databaseView(s, *d)}, nil
}

// putDatabase creates a database on the server (its database server, when it has one)
// under an operation; a database that exists answers 200 as it is.
func (e *Emulator) putDatabase(c *call) (*reply, error) {
	var req Database
	if err := decodeBody(c.r, &req); err != nil {
		return nil, err
	}
	name := c.v("databaseName")
	if len(name) > 63 {
		return nil, errInvalidParameter("name", "A database name has at most 63 characters.")
	}
	s, d, err := e.findDatabase(c)
	if err != nil {
		return nil, err
	}
	if d != nil {
		return &reply{status: http.StatusOK, body: databaseView(s, *d)}, nil
	}
	rec := dbRecord{name: name}
	if req.Properties != nil {
		rec.charset, rec.collation = req.Properties.Charset, req.Properties.Collation
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := s.busy(); err != nil {
		return nil, err
	}
	eng := s.engine
	op := e.newChildOperation(s, func() (int, any) { return http.StatusOK, databaseView(s, rec) })
	e.background(func(ctx context.Context) {
		var err error
		if eng != nil {
			err = eng.CreateDatabase(ctx, name, rec.charset)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if err != nil {
			fmt.Fprintf(e.cfg.Log, "azure-emulator: create database %s on %s: %v\n", name, s.name, err)
			e.finish(op, nil, errInternal())
			return
		}
		s.databases = append(s.databases, rec)
		e.finish(op, nil, nil)
	})
	return &reply{status: http.StatusCreated, header: op.headers(c), body: databaseView(s, rec)}, nil
}

// deleteDatabase drops a database under an operation; one that does not exist answers 204.
func (e *Emulator) deleteDatabase(c *call) (*reply, error) {
	s, d, err := e.findDatabase(c)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return &reply{status: http.StatusNoContent}, nil
	}
	name := d.name
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := s.busy(); err != nil {
		return nil, err
	}
	eng := s.engine
	op := e.newChildOperation(s, func() (int, any) { return http.StatusNoContent, nil })
	e.background(func(ctx context.Context) {
		var err error
		if eng != nil {
			err = eng.DropDatabase(ctx, name)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if err != nil {
			fmt.Fprintf(e.cfg.Log, "azure-emulator: drop database %s on %s: %v\n", name, s.name, err)
			e.finish(op, nil, errInternal())
			return
		}
		s.databases = slices.DeleteFunc(s.databases, func(d dbRecord) bool { return d.name == name })
		e.finish(op, nil, nil)
	})
	return &reply{status: http.StatusAccepted, header: op.headers(c)}, nil
}
