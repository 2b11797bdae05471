package mysql

import (
	"fmt"
	"regexp"
	"strings"
)

// maxUserName is the longest user name the operator creates. MariaDB allows 80
// characters, but MySQL 8 (and so RDS for MySQL) allows only 32: a longer name would work
// on one engine and not the other.
const maxUserName = 32

var (
	// userName and databaseName are the API's rules for names (a lower-case letter, then
	// lower-case letters, digits and underscores), with MySQL's length limits.
	userName     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	databaseName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// checkUserName refuses a user name the operator would not create.
func checkUserName(name string) error {
	if !userName.MatchString(name) {
		return fmt.Errorf("invalid user name %q: want a lower-case letter followed by at most %d lower-case letters, digits or underscores", name, maxUserName-1)
	}
	return nil
}

// checkDatabaseName refuses a database name the operator would not create.
func checkDatabaseName(name string) error {
	if !databaseName.MatchString(name) {
		return fmt.Errorf("invalid database name %q: want a lower-case letter followed by at most 62 lower-case letters, digits or underscores", name)
	}
	return nil
}

// quoteIdentifier quotes a MySQL identifier with backticks, doubling any backtick inside.
// Names are validated before they get here; quoting makes any name safe regardless.
func quoteIdentifier(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// account is the quoted account '<name>'@'%' the operator manages for a user.
func account(name string) string {
	return quoteString(name) + "@'%'"
}

// quoteString quotes s as a MySQL string literal. Backslashes are escaped too, since the
// server treats them as escapes unless NO_BACKSLASH_ESCAPES is set (doubling the quote
// works in both modes, an escaped backslash only without it; validated names hold neither).
func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`, "\x00", `\0`).Replace(s) + "'"
}

// grantPattern is a database name as GRANT and REVOKE ... ON <db>.* want it: there '_'
// and '%' are wildcards (`my_db`.* would also match "myxdb"), so they and the escape
// character are escaped with a backslash.
func grantPattern(name string) string {
	return strings.NewReplacer(`\`, `\\`, `_`, `\_`, `%`, `\%`).Replace(name)
}
