package mariaserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// parameters are the server variables set beyond the option file's base settings: the
// role's (read_only on a replica) and the user's (SetParameters), kept in memory and
// written at the end of the option file, where a later option overrides an earlier one.
type parameters struct {
	// mu serialises changes and the option file's writes that carry them.
	mu sync.Mutex
	// role are the variables the server's role sets (a replica is read-only).
	role map[string]string
	// user are the variables SetParameters set.
	user map[string]string
	// baseline is each variable's global value before SetParameters first changed it: a
	// reset with now goes back to it (SET GLOBAL x = DEFAULT would go to the compiled
	// default, not to the option file's base setting).
	baseline map[string]sql.NullString
}

// options is the option file's tail that sets the parameters. The caller holds mu, or no
// one else has the server yet.
func (p *parameters) options() string {
	if len(p.role) == 0 && len(p.user) == 0 {
		return ""
	}
	var b strings.Builder
	for _, set := range []struct {
		comment string
		values  map[string]string
	}{{"# The server's role.\n", p.role}, {"# Parameters (SetParameters).\n", p.user}} {
		if len(set.values) == 0 {
			continue
		}
		b.WriteString(set.comment)
		for _, name := range sortedKeys(set.values) {
			fmt.Fprintf(&b, "%s = %s\n", name, optionValue(set.values[name]))
		}
	}
	return b.String()
}

// optionValue quotes a value for an option file, whose reader strips the double quotes
// and reads \\ and \" inside them as \ and ". Values never hold control characters
// (checkValue).
func optionValue(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// variableName is what SetParameters takes as a variable name (dashes as RDS sometimes
// writes them, such as allow-suspicious-udfs, stand for underscores).
var variableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// numeric is a value SET GLOBAL takes unquoted: a numeric variable refuses a string.
var numeric = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// variable is what SetParameters needs to know of a server variable.
type variable struct {
	name        string
	dynamic     bool
	commandLine bool
	sessionOnly bool
	global      sql.NullString
}

// SetParameters sets server variables as an RDS parameter group does: every value is
// written to the server's option file, so that it holds after Restart (where the static
// ones take effect), and with now the dynamic ones take effect at once with SET GLOBAL. A
// value "" resets the variable: it leaves the option file, and with now a dynamic one goes
// back to its value from before the first change. A variable the server does not have,
// or cannot take in an option file, is refused before anything is set; a value SET GLOBAL
// refuses fails the call, after the variables before it (by name) were set. Whether RDS
// lets a user change a variable is the caller's to check (package engineparams).
func (s *Server) SetParameters(ctx context.Context, values map[string]string, now bool) error {
	names := make([]string, 0, len(values))
	for name, value := range values {
		if !variableName.MatchString(name) {
			return fmt.Errorf("set parameters: invalid parameter name %q", name)
		}
		if err := checkValue(value); err != nil {
			return fmt.Errorf("set parameter %s: %w", name, err)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	db, err := s.adminDB()
	if err != nil {
		return fmt.Errorf("set parameters: %w", err)
	}
	defer db.Close()
	vars := make([]variable, len(names))
	for i, name := range names {
		if vars[i], err = lookupVariable(ctx, db, name); err != nil {
			return fmt.Errorf("set parameter %s: %w", name, err)
		}
	}

	s.params.mu.Lock()
	defer s.params.mu.Unlock()
	if s.params.user == nil {
		s.params.user = map[string]string{}
		s.params.baseline = map[string]sql.NullString{}
	}
	var setErr error
	for i, v := range vars {
		value := values[names[i]]
		if _, ok := s.params.baseline[v.name]; !ok {
			s.params.baseline[v.name] = v.global
		}
		if now && v.dynamic {
			if err := setGlobal(ctx, db, v.name, value, s.params.baseline[v.name]); err != nil {
				setErr = fmt.Errorf("set parameter %s: %w", v.name, err)
				break
			}
		}
		if value == "" {
			delete(s.params.user, v.name)
		} else {
			s.params.user[v.name] = value
		}
	}
	// What was set holds after a restart, even when a later variable failed.
	if err := s.writeServerConf(); err != nil {
		return errors.Join(setErr, fmt.Errorf("set parameters: %w", err))
	}
	return setErr
}

// checkValue refuses control characters, which an option file cannot hold.
func checkValue(v string) error {
	for _, r := range v {
		if r < ' ' || r == 0x7f {
			return fmt.Errorf("the value holds a control character %q", r)
		}
	}
	return nil
}

// lookupVariable reads what SetParameters needs of a variable; name may have dashes.
func lookupVariable(ctx context.Context, db *sql.DB, name string) (variable, error) {
	v := variable{name: strings.ToLower(strings.ReplaceAll(name, "-", "_"))}
	var readOnly, scope string
	err := db.QueryRowContext(ctx, `
		SELECT READ_ONLY, VARIABLE_SCOPE, COMMAND_LINE_ARGUMENT IS NOT NULL, GLOBAL_VALUE
		FROM information_schema.SYSTEM_VARIABLES WHERE VARIABLE_NAME = ?`, v.name).
		Scan(&readOnly, &scope, &v.commandLine, &v.global)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return v, errors.New("the server has no such variable")
	case err != nil:
		return v, redact(err)
	case scope == "SESSION ONLY":
		return v, errors.New("a session-only variable is no server parameter")
	case !v.commandLine:
		return v, errors.New("the variable cannot be set in an option file")
	}
	v.dynamic = readOnly == "NO"
	return v, nil
}

// setGlobal sets a dynamic variable for the running server: to value, or when value is
// "" back to baseline.
func setGlobal(ctx context.Context, db *sql.DB, name, value string, baseline sql.NullString) error {
	literal := "DEFAULT"
	switch {
	case value != "":
		literal = sqlValue(value)
	case baseline.Valid:
		literal = sqlValue(baseline.String)
	}
	// name is a checked variable name: letters, digits and underscores.
	if _, err := db.ExecContext(ctx, "SET GLOBAL "+name+" = "+literal); err != nil {
		return redact(err)
	}
	return nil
}

// sqlValue is value as SET GLOBAL takes it: a number bare, anything else a string.
func sqlValue(value string) string {
	if numeric.MatchString(value) {
		return value
	}
	return quoteString(value)
}

// setRoleOption makes the option file set a variable for the server's role ("" removes
// it), as a replica's read_only, which SET GLOBAL alone would lose in a restart.
func (s *Server) setRoleOption(name, value string) error {
	s.params.mu.Lock()
	defer s.params.mu.Unlock()
	if s.params.role == nil {
		s.params.role = map[string]string{}
	}
	if value == "" {
		delete(s.params.role, name)
	} else {
		s.params.role[name] = value
	}
	return s.writeServerConf()
}

// Restart stops the server and starts it again on the same data directory and the SAME
// port (clients' endpoints stay valid), applying every parameter set meanwhile. A replica
// restarts as a replica: it resumes replicating and stays read-only. When the server does
// not come back (a value it cannot start with), Restart fails with its log's tail and
// leaves it stopped.
func (s *Server) Restart(ctx context.Context) error {
	// Not Stop: that removes a temporary socket directory, which the restarted server
	// needs again.
	if err := s.proc.Stop(); err != nil {
		return fmt.Errorf("restart mariadb: stop: %w", err)
	}
	samePort := func() error { return errors.New("the port is taken") }
	if err := s.proc.Run(ctx, s.ping, false, samePort); err != nil {
		return errors.Join(fmt.Errorf("restart mariadb: %w", err), s.Stop())
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
