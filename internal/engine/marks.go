package engine

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Marks say, on a server several objects share (Endpoint.Owner), which object owns each role
// (MySQL: user) and database the operator made there. A mark is a small set of keys and
// values kept where the engine keeps a note on the object: PostgreSQL's comment on the role
// or database (COMMENT ON ROLE / DATABASE, shared by every database of the server); on
// MySQL and MariaDB, which keep no comment on users, a row of MarksTable.
//
// The operator never changes or drops a role or database whose mark does not name the
// object at work: marks keep one object's work from touching another's, and the operator
// from touching what people made by hand. They are not a security boundary against the
// users the operator makes (a master with CREATEROLE may rewrite a comment on PostgreSQL 15
// and older; a MySQL master may write MarksTable).
const (
	// MarkOwner is the mark's key naming the owning object, "<namespace>/<name>": the same
	// key and value as the owner tag on a cloud database.
	MarkOwner = "matrixmind.cloud/owner"
	// MarkDatabase is the key, on the mark of an object's master user only, naming the
	// object's database identifier (the cloud.Desired.Identifier it stands for).
	MarkDatabase = "matrixmind.cloud/database"
	// MarkPurpose is a key saying, for people, what a role the operator made is for (a
	// database's group of readers, say).
	MarkPurpose = "matrixmind.cloud/purpose"

	// MarksDatabase and MarksTable hold the marks on MySQL and MariaDB: one row per user or
	// database, (kind, name, mark), kind "user" or "database".
	MarksDatabase = "matrixmind_operator"
	MarksTable    = "marks"

	// markPrefix starts every mark's text, so a comment someone wrote by hand is never
	// taken for one.
	markPrefix = "matrixmind.cloud mark: "
)

// FormatMark returns the text that stores mark: a fixed prefix and the mark as JSON, keys
// sorted, so that the same mark is always the same text.
func FormatMark(mark map[string]string) string {
	b, _ := json.Marshal(mark) // a map of strings always marshals
	return markPrefix + string(b)
}

// ParseMark reads a mark back from its text; false when the text is not a mark (a comment
// someone else wrote, or none).
func ParseMark(text string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(text, markPrefix)
	if !ok {
		return nil, false
	}
	var mark map[string]string
	if err := json.Unmarshal([]byte(rest), &mark); err != nil || mark == nil {
		return nil, false
	}
	return mark, true
}

// OwnedBy reports whether text is a mark naming owner as the owner.
func OwnedBy(text, owner string) bool {
	mark, ok := ParseMark(text)
	return ok && owner != "" && mark[MarkOwner] == owner
}

// NotOwned is the refusal of thing (e.g. "role app") that exists on a shared server without
// the mark of the object at work; text is its mark's text, if any, which names who holds
// it.
func NotOwned(op, thing, text string) error {
	why := "exists on this server without any object's mark (made by hand)"
	if mark, ok := ParseMark(text); ok && mark[MarkOwner] != "" {
		why = "belongs to " + mark[MarkOwner] + " on this server"
	}
	return &Error{Op: op, NotOwned: true, Err: fmt.Errorf("%s %s: it is left as it is; choose another name", thing, why)}
}
