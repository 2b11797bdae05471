package mariaserver

import (
	"os"
	"path/filepath"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// The server writes its own error log (log_error) into a log directory outside the data
// directory, laid out as RDS names the log files of RDS for MySQL and MariaDB: the file RDS
// calls error/mysql-error.log is <log directory>/error/mysql-error.log. As on RDS, whose
// default log_warnings for MariaDB is MariaDB's own 2, failed logins are logged there
// ("Access denied for user ...").

const (
	// errorLogDir is the directory of the log directory that holds the error log.
	errorLogDir = "error"
	// errorLogName is the error log's file name.
	errorLogName = "mysql-error.log"
)

// LogDir is the directory holding the server's own log files (see LogFiles).
func (s *Server) LogDir() string { return s.logDir }

// LogFiles lists the files of the server's own log, named as RDS names them
// ("error/mysql-error.log").
func (s *Server) LogFiles() ([]serverproc.LogFile, error) {
	return serverproc.ListLogFiles(s.logDir)
}

// OpenLogFile opens one of the files LogFiles lists, by its name, for reading.
func (s *Server) OpenLogFile(name string) (*os.File, error) {
	return serverproc.OpenLogFile(s.logDir, name)
}

// errorLogPath is the path of the server's error log.
func (s *Server) errorLogPath() string {
	return filepath.Join(s.logDir, errorLogDir, errorLogName)
}
