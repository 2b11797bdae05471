package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"

	"github.com/go-sql-driver/mysql"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
)

// accessDenied is MySQL's error number for a login refused for its user name or password
// (ER_ACCESS_DENIED_ERROR).
const accessDenied = 1045

// loginError classifies a failed login: always unreachable, and PasswordRefused when the
// server refused the password. The driver's login errors never carry the password.
func loginError(op string, err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		refused := me.Number == accessDenied
		return &engine.Error{Op: op, Code: sqlState(me), Unreachable: true, PasswordRefused: refused, LoginRefused: refused, Err: err}
	}
	return &engine.Error{Op: op, Unreachable: true, CertificateRefused: engine.CertificateRefused(err), Err: err}
}

// wrap classifies a statement error once: its SQLSTATE, and whether the session was lost.
func wrap(op string, err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return &engine.Error{Op: op, Code: sqlState(me), Err: err}
	}
	return &engine.Error{Op: op, Unreachable: lostSession(err), Err: err}
}

// wrapSecret classifies the error of a statement that carries a password hash. The
// server's message can quote the statement, so only its number is kept.
func wrapSecret(op string, err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return &engine.Error{Op: op, Code: sqlState(me), Err: fmt.Errorf("server error %d", me.Number)}
	}
	if lostSession(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// Connection and context errors come from the client, never from the statement.
		return &engine.Error{Op: op, Unreachable: lostSession(err), Err: err}
	}
	return &engine.Error{Op: op, Err: errors.New("the statement failed without a server error")}
}

// invalid is the error of a name the operator would not use.
func invalid(op string, err error) error {
	return &engine.Error{Op: op, Err: err}
}

func sqlState(me *mysql.MySQLError) string {
	if me.SQLState == [5]byte{} {
		return ""
	}
	return string(me.SQLState[:])
}

// lostSession reports whether err means the connection to the server is gone.
func lostSession(err error) bool {
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) || errors.As(err, &ne)
}
