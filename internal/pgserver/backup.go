package pgserver

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
)

// Backup writes a physical base backup of the server to path: a gzip-compressed tar of its
// data directory with the WAL that makes the copy consistent, taken as pg_basebackup -X
// fetch takes it (BASE_BACKUP over a replication connection, as AdminUser on the unix
// socket). It needs no client program, so it works for every major; StartFromBackup starts
// a server of the same major on it. Every database, role (with its password) and setting
// is in it.
func (s *Server) Backup(ctx context.Context, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	tmp := path + ".partial"
	if err := s.writeBackup(ctx, tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// writeBackup streams the base backup into a new file at path.
func (s *Server) writeBackup(ctx context.Context, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	// Base backups are mostly empty pages and zero-filled WAL: the fastest level shrinks
	// them about tenfold for little CPU.
	zw, err := gzip.NewWriterLevel(buf, gzip.BestSpeed)
	if err != nil {
		_ = f.Close()
		return err
	}
	if err := s.baseBackup(ctx, zw); err != nil {
		_ = f.Close()
		return err
	}
	// The server does not end the archive; two zero blocks do.
	if _, err := zw.Write(make([]byte, 2*512)); err != nil {
		_ = f.Close()
		return err
	}
	err = errors.Join(zw.Close(), buf.Flush(), f.Sync())
	return errors.Join(err, f.Close())
}

// baseBackup runs BASE_BACKUP with the WAL included and writes the tar of the data
// directory to w. A server with tablespaces of its own is refused: their files would be
// other archives, which nothing here restores.
func (s *Server) baseBackup(ctx context.Context, w io.Writer) error {
	cfg, err := pgconn.ParseConfig(s.SuperuserDSN())
	if err != nil {
		return err
	}
	cfg.RuntimeParams["replication"] = "true"
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("replication connection as %s: %w", AdminUser, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	major, err := serverMajor(conn)
	if err != nil {
		return err
	}
	start, err := pglogrepl.StartBaseBackup(ctx, conn, pglogrepl.BaseBackupOptions{
		Label: "pgserver " + filepath.Base(s.dir), Fast: true, WAL: true, NoWait: true, NoVerifyChecksums: true,
	})
	if err != nil {
		return fmt.Errorf("BASE_BACKUP: %w", err)
	}
	if len(start.Tablespaces) > 0 {
		return fmt.Errorf("BASE_BACKUP: the server has %d tablespaces besides the data directory; only the data directory is copied", len(start.Tablespaces))
	}
	if err := copyArchive(ctx, conn, w, major >= 15); err != nil {
		return fmt.Errorf("BASE_BACKUP: %w", err)
	}
	if _, err := pglogrepl.FinishBaseBackup(ctx, conn); err != nil {
		return fmt.Errorf("BASE_BACKUP: %w", err)
	}
	return nil
}

// serverMajor reads the server's major version from its server_version parameter.
func serverMajor(conn *pgconn.PgConn) (int, error) {
	v := conn.ParameterStatus("server_version")
	end := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(v)
	}
	major, err := strconv.Atoi(v[:end])
	if err != nil {
		return 0, fmt.Errorf("server_version %q: %w", v, err)
	}
	return major, nil
}

// copyArchive copies the tar of the data directory from a running BASE_BACKUP to w, up to
// its CopyDone. Servers before 15 send the bare tar; from 15 on each CopyData carries a
// type byte: 'n' starts an archive, 'd' is data of the archive (or of the manifest, after
// 'm'), 'p' is progress.
func copyArchive(ctx context.Context, conn *pgconn.PgConn, w io.Writer, typed bool) error {
	archives, manifest := 0, false
	for {
		msg, err := conn.ReceiveMessage(ctx)
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyOutResponse, *pgproto3.NoticeResponse:
		case *pgproto3.CopyData:
			if !typed {
				if _, err := w.Write(m.Data); err != nil {
					return err
				}
				continue
			}
			if len(m.Data) == 0 {
				continue
			}
			switch m.Data[0] {
			case 'n':
				if archives++; archives > 1 {
					return errors.New("more than one archive (tablespaces) in the backup")
				}
			case 'm':
				manifest = true
			case 'd':
				if manifest {
					continue
				}
				if _, err := w.Write(m.Data[1:]); err != nil {
					return err
				}
			}
		case *pgproto3.CopyDone:
			return nil
		case *pgproto3.ErrorResponse:
			return pgconn.ErrorResponseToPgError(m)
		default:
			return fmt.Errorf("unexpected %T in the backup stream", msg)
		}
	}
}

// StartFromBackup starts a server under opts.Dir on a copy of a backup Backup wrote, as RDS
// restores a snapshot into a new instance: the build of the backup's major (opts.Major, if
// set with builds per major, must be that major), the backup's roles, passwords and databases, and the master
// user opts.MasterUser (the backup's; opts.MasterPassword is not used). The caller must
// Stop the server.
func StartFromBackup(ctx context.Context, opts Options, path string) (*Server, error) {
	s, err := startFromBackup(ctx, opts, path)
	if err != nil {
		return nil, fmt.Errorf("start postgres from %s: %w", filepath.Base(path), err)
	}
	return s, nil
}

func startFromBackup(ctx context.Context, opts Options, path string) (*Server, error) {
	builds, err := opts.builds()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read backup: %w", err)
	}
	// The build is known only once the backup's PG_VERSION is read; the layout does not
	// depend on it.
	s, owner, err := newServer(opts, opts.MasterUser, Build{}, builds)
	if err != nil {
		return nil, err
	}
	if err := extractArchive(zr, s.dataDir, owner); err != nil {
		return nil, fmt.Errorf("read backup: %w", err)
	}
	major, err := s.dataMajor()
	if err != nil {
		return nil, err
	}
	if opts.Major != 0 && builds.PerMajor() && opts.Major != major {
		return nil, fmt.Errorf("the backup is of PostgreSQL %d, not %d", major, opts.Major)
	}
	build, err := builds.ForMajor(major)
	if err != nil {
		return nil, err
	}
	if build.Major != major {
		return nil, fmt.Errorf("the backup is of PostgreSQL %d and this machine runs only %s", major, builds)
	}
	if err := owner.MakeReachable(filepath.Dir(build.Bin)); err != nil {
		return nil, err
	}
	s.Build, s.bin = build, build.Bin
	// A backup of a replica carries its standby settings: the copy is a server of its own.
	for _, signal := range []string{"standby.signal", "recovery.signal"} {
		if err := os.Remove(filepath.Join(s.dataDir, signal)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if err := s.appendSettings(s.ownSettings("a server restored from a backup") + "primary_conninfo = ''\n"); err != nil {
		return nil, err
	}
	if err := s.run(ctx, opts); err != nil {
		return nil, err
	}
	return s, nil
}

// ownSettings are the settings of postgresql.conf that a copy of another server's data
// directory must override to be this server: its address, port, socket directory and log
// (a later line of postgresql.conf overrides an earlier one).
func (s *Server) ownSettings(what string) string {
	return fmt.Sprintf("\n# Written by pgserver: %s.\nlisten_addresses = '%s'\nport = %d\nunix_socket_directories = '%s'\n",
		what, s.Host, s.Port, s.socketDir) + s.logSettings()
}

// dataMajor reads the major version of the data directory from its PG_VERSION.
func (s *Server) dataMajor() (int, error) {
	b, err := os.ReadFile(filepath.Join(s.dataDir, "PG_VERSION"))
	if err != nil {
		return 0, fmt.Errorf("read PG_VERSION: %w", err)
	}
	major, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("PG_VERSION %q: %w", strings.TrimSpace(string(b)), err)
	}
	return major, nil
}

// extractArchive unpacks the tar of a data directory into dataDir, which exists, giving
// every file to the owner. Only directories and regular files are expected; a name that
// leaves dataDir is refused.
func extractArchive(r io.Reader, dataDir string, o *serverproc.Owner) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if name == "." {
			continue
		}
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("entry %q outside the data directory", h.Name)
		}
		target := filepath.Join(dataDir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.Mkdir(target, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
				return err
			}
		case tar.TypeReg:
			if err := writeFile(target, tr, os.FileMode(h.Mode)&0o700); err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %q of type %q: only files and directories are restored", h.Name, h.Typeflag)
		}
		if err := o.Chown(target); err != nil {
			return err
		}
	}
}

// writeFile creates path with r's content.
func writeFile(path string, r io.Reader, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
