package mariaserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// ReplicationUser is the account replicas replicate as, like RDS's rdsrepladmin: it holds
// REPLICATION SLAVE only, and is created on a source the first time a replica of it starts.
const ReplicationUser = "rdsrepladmin"

// replicaReadyTimeout bounds how long StartReplica waits for replication to run.
const replicaReadyTimeout = 30 * time.Second

// replication is a source's replication account; its password lives only in memory.
type replication struct {
	mu       sync.Mutex
	password string
}

// StartReplica starts a read replica of source under opts.Dir, as RDS does for a read
// replica of RDS for MySQL or MariaDB: a new server with the source's master user (opts
// carries the source's master password), loaded from a consistent dump of the source that
// records its GTID position, then replicating from the source as ReplicationUser with
// MASTER_USE_GTID=slave_pos, and read_only on, so that only replication writes to it. The
// caller must Stop the replica; Promote makes it a standalone server.
func StartReplica(ctx context.Context, opts Options, source *Server) (*Server, error) {
	if source == nil {
		return nil, errors.New("start mariadb replica: no source server")
	}
	password, err := source.replicationPassword(ctx)
	if err != nil {
		return nil, fmt.Errorf("start mariadb replica: %w", err)
	}
	opts.MasterUser = source.MasterUser
	r, err := Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start mariadb replica: %w", err)
	}
	if err := r.follow(ctx, source, password); err != nil {
		_ = r.Stop()
		return nil, fmt.Errorf("start mariadb replica: %w", err)
	}
	return r, nil
}

// follow loads a dump of source taken at a GTID position and replicates from there.
func (r *Server) follow(ctx context.Context, source *Server, password string) error {
	f, err := os.CreateTemp(r.dir, "seed-*.sql")
	if err != nil {
		return fmt.Errorf("seed from source: %w", err)
	}
	seed := f.Name()
	_ = f.Close()
	defer os.Remove(seed)
	// --master-data with --gtid makes the dump set gtid_slave_pos to the position it was
	// taken at, consistently with its --single-transaction snapshot.
	if err := source.dump(ctx, seed, "--master-data=1", "--gtid"); err != nil {
		return fmt.Errorf("seed from source: %w", err)
	}
	if err := r.Restore(ctx, seed); err != nil {
		return fmt.Errorf("seed from source: %w", err)
	}
	err = r.execAdmin(ctx,
		"CHANGE MASTER TO MASTER_HOST="+quoteString(source.Host)+", MASTER_PORT="+strconv.Itoa(source.Port)+
			", MASTER_USER="+quoteString(ReplicationUser)+", MASTER_PASSWORD="+quoteString(password)+
			", MASTER_SSL=1, MASTER_USE_GTID=slave_pos",
		"START SLAVE",
		"SET GLOBAL read_only = ON",
	)
	if err != nil {
		return fmt.Errorf("start replication: %w", err)
	}
	if err := r.setRoleOption("read_only", "ON"); err != nil {
		return fmt.Errorf("start replication: %w", err)
	}
	return r.waitReplicating(ctx)
}

// waitReplicating waits until both replication threads run, and fails with the
// replica's own report when one of them stops with an error.
func (r *Server) waitReplicating(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, replicaReadyTimeout)
	defer cancel()
	db, err := r.adminDB()
	if err != nil {
		return err
	}
	defer db.Close()
	for {
		st, err := slaveStatus(ctx, db)
		switch {
		case err != nil:
			return fmt.Errorf("replication status: %w", err)
		case st["Slave_IO_Running"] == "Yes" && st["Slave_SQL_Running"] == "Yes":
			return nil
		case st["Last_IO_Errno"] != "" && st["Last_IO_Errno"] != "0" && st["Slave_IO_Running"] == "No":
			return fmt.Errorf("replication I/O thread stopped: error %s", st["Last_IO_Errno"])
		case st["Last_SQL_Errno"] != "" && st["Last_SQL_Errno"] != "0":
			return fmt.Errorf("replication SQL thread stopped: error %s", st["Last_SQL_Errno"])
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replication not running (I/O %s, SQL %s): %w", st["Slave_IO_Running"], st["Slave_SQL_Running"], ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// slaveStatus reads SHOW SLAVE STATUS into a map; an empty map when the server
// replicates from nobody.
func slaveStatus(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return nil, redact(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if !rows.Next() {
		return out, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, c := range cols {
		out[c] = vals[i].String
	}
	return out, rows.Err()
}

// replicationPassword returns the password of ReplicationUser on this server, creating
// the account the first time a replica needs it (or resetting it on a promoted replica,
// which has its old source's accounts).
func (s *Server) replicationPassword(ctx context.Context) (string, error) {
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	if s.repl.password != "" {
		return s.repl.password, nil
	}
	password := randomPassword()
	account := quoteString(ReplicationUser) + "@'%'"
	hash := quoteString(nativePasswordHash(password))
	err := s.execAdmin(ctx,
		"CREATE USER IF NOT EXISTS "+account+" IDENTIFIED BY PASSWORD "+hash,
		"ALTER USER "+account+" IDENTIFIED BY PASSWORD "+hash,
		"GRANT REPLICATION SLAVE ON *.* TO "+account,
	)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", ReplicationUser, err)
	}
	s.repl.password = password
	return password, nil
}

// IsReplica reports whether the server replicates from a source.
func (s *Server) IsReplica(ctx context.Context) (bool, error) {
	db, err := s.adminDB()
	if err != nil {
		return false, err
	}
	defer db.Close()
	st, err := slaveStatus(ctx, db)
	if err != nil {
		return false, err
	}
	return len(st) > 0, nil
}

// Promote makes a replica a standalone, writable server that no longer replicates from
// its source, as RDS does when it promotes a read replica. Promoting a server that is not
// a replica only makes sure it is writable.
func (s *Server) Promote(ctx context.Context) error {
	err := s.execAdmin(ctx,
		"STOP SLAVE",
		"RESET SLAVE ALL",
		"SET GLOBAL read_only = OFF",
	)
	if err != nil {
		return fmt.Errorf("promote: %w", err)
	}
	if err := s.setRoleOption("read_only", ""); err != nil {
		return fmt.Errorf("promote: %w", err)
	}
	return nil
}
