package pgserver

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// parameterName is what SetParameters takes as a parameter name: a setting such as
// work_mem, or an extension's such as pg_stat_statements.max.
var parameterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// listQuoted are the settings PostgreSQL takes as a list of quoted names (GUC_LIST_QUOTE in
// its guc_tables.c): ALTER SYSTEM quotes a single literal 'a,b' as one name "a,b", so
// SetParameters passes each item of such a value as a literal of its own.
var listQuoted = map[string]bool{
	"search_path":               true,
	"temp_tablespaces":          true,
	"shared_preload_libraries":  true,
	"session_preload_libraries": true,
	"local_preload_libraries":   true,
	"unix_socket_directories":   true,
}

// SetParameters sets server parameters with ALTER SYSTEM (a value "" resets the parameter
// with ALTER SYSTEM RESET); now reloads the configuration (pg_reload_conf) so that the
// parameters that can change without a restart take effect at once; the others wait for
// Restart. Booleans take 1 and 0 (as RDS writes them) as well as on and off. A name must be
// letters, digits and underscores, dotted for an extension's; the server rejects an unknown
// parameter or a value it cannot take, and nothing after it (by name) is set. Whether RDS
// lets a user change a parameter is the caller's to check (package engineparams): this
// sets what the server takes, port and file locations included.
func (s *Server) SetParameters(ctx context.Context, values map[string]string, now bool) error {
	names := make([]string, 0, len(values))
	for name, value := range values {
		if !parameterName.MatchString(name) {
			return fmt.Errorf("set parameters: invalid parameter name %q", name)
		}
		if strings.ContainsRune(value, 0) {
			return fmt.Errorf("set parameters: the value of %s holds a NUL byte", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	conn, err := s.adminConn(ctx)
	if err != nil {
		return fmt.Errorf("set parameters: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, name := range names {
		if _, err := conn.Exec(ctx, alterSystem(name, values[name])); err != nil {
			return fmt.Errorf("set parameter %s: %w", name, err)
		}
	}
	if now {
		if err := s.reload(ctx, conn); err != nil {
			return fmt.Errorf("set parameters: reload the configuration: %w", err)
		}
	}
	return nil
}

// reloadTimeout bounds how long reload waits for the server to read its configuration.
const reloadTimeout = 10 * time.Second

// reload makes the server read its configuration and waits until it has: pg_reload_conf
// only signals the postmaster, and a session that starts before the postmaster has read
// the files would still see the old values. A new session's pg_conf_load_time is the
// postmaster's.
func (s *Server) reload(ctx context.Context, conn *pgx.Conn) error {
	var before time.Time
	if err := conn.QueryRow(ctx, `SELECT pg_conf_load_time()`).Scan(&before); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_reload_conf()`); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, reloadTimeout)
	defer cancel()
	for {
		loaded, err := s.confLoadTime(ctx)
		if err == nil && loaded.After(before) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server did not read its configuration: %w", errors.Join(ctx.Err(), err))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// confLoadTime is when the postmaster last read the configuration, as a new session sees.
func (s *Server) confLoadTime(ctx context.Context) (time.Time, error) {
	conn, err := s.adminConn(ctx)
	if err != nil {
		return time.Time{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var t time.Time
	err = conn.QueryRow(ctx, `SELECT pg_conf_load_time()`).Scan(&t)
	return t, err
}

// alterSystem is the ALTER SYSTEM statement that sets name to value, or resets it when
// value is "".
func alterSystem(name, value string) string {
	ident := pgx.Identifier(strings.Split(name, ".")).Sanitize()
	if value == "" {
		return `ALTER SYSTEM RESET ` + ident
	}
	items := []string{value}
	if listQuoted[strings.ToLower(name)] {
		items = splitList(value)
	}
	literals := make([]string, len(items))
	for i, item := range items {
		literals[i] = escapedLiteral(item)
	}
	return `ALTER SYSTEM SET ` + ident + ` = ` + strings.Join(literals, ", ")
}

// splitList splits a list setting's value as PostgreSQL reads it from a configuration
// file: at commas outside double quotes, each item trimmed and unquoted ("" in a quoted
// item is one ").
func splitList(value string) []string {
	var items []string
	var cur strings.Builder
	quoted := false
	flush := func() {
		items = append(items, strings.TrimSpace(cur.String()))
		cur.Reset()
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case c == '"' && quoted && i+1 < len(value) && value[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return items
}

// escapedLiteral quotes s as an escape string literal (E'...'), whose meaning does not
// depend on standard_conforming_strings, which a parameter group may turn off.
func escapedLiteral(s string) string {
	return "E'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

// Restart stops the server and starts it again on the same data directory and the SAME
// port (clients' endpoints stay valid), applying every parameter set meanwhile. A replica
// restarts as a replica and goes on streaming from its source. When the server does not
// come back (a parameter it cannot start with), Restart fails with its log's tail and
// leaves it stopped.
func (s *Server) Restart(ctx context.Context) error {
	// Not Stop: that removes a temporary socket directory, which the restarted server
	// needs again.
	if err := s.proc.Stop(); err != nil {
		return fmt.Errorf("restart postgres: stop: %w", err)
	}
	// A port given in Options is kept, not moved when taken.
	if err := s.run(ctx, Options{Port: s.Port}); err != nil {
		return fmt.Errorf("restart postgres: %w", err)
	}
	return nil
}
