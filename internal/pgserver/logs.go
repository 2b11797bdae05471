package pgserver

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// The server's own log is written by PostgreSQL's logging collector, as on RDS for
// PostgreSQL, with RDS's default logging parameters (AWS's "Parameters for logging in RDS
// for PostgreSQL"): one file an hour named postgresql.log.YYYY-MM-DD-HH in UTC, each line
// prefixed with time, remote host, user, database and process id. The log directory lies
// outside the data directory, so that base backups (snapshots, replicas) do not carry one
// server's log to another, and it is laid out as RDS names its log files: the file RDS
// calls error/postgresql.log.2025-01-02-03 is <log directory>/error/postgresql.log.2025-01-02-03.

// errorLogDir is the directory of the log directory that the collector writes into.
const errorLogDir = "error"

// defaultLogDir is the log directory of a server under dir.
func defaultLogDir(dir string) string { return filepath.Join(dir, "log") }

// logSettings are the postgresql.conf lines that make the server write its log as RDS's
// does, into the log directory.
func (s *Server) logSettings() string {
	return fmt.Sprintf(`logging_collector = on
log_directory = '%s'
log_filename = 'postgresql.log.%%Y-%%m-%%d-%%H'
log_rotation_age = 60
log_rotation_size = 0
log_truncate_on_rotation = off
log_timezone = 'UTC'
log_line_prefix = '%%t:%%r:%%u@%%d:[%%p]:'
`, filepath.Join(s.logDir, errorLogDir))
}

// LogDir is the directory holding the server's own log files (see LogFiles).
func (s *Server) LogDir() string { return s.logDir }

// LogFiles lists the files of the server's own log, named as RDS names them
// ("error/postgresql.log.2025-01-02-03").
func (s *Server) LogFiles() ([]serverproc.LogFile, error) {
	return serverproc.ListLogFiles(s.logDir)
}

// OpenLogFile opens one of the files LogFiles lists, by its name, for reading.
func (s *Server) OpenLogFile(name string) (*os.File, error) {
	return serverproc.OpenLogFile(s.logDir, name)
}
