package emulator

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/mysqlfront"
)

// MariaDB has no AWSAuthenticationPlugin: the front of a MySQL or MariaDB endpoint plays
// it. An IAM user is an account whose password is the one the emulator derives for its
// name (iamPasswords), which the front writes in place of IDENTIFIED WITH
// AWSAuthenticationPlugin AS 'RDS' and logs IAM users in with. That state lives in the
// server's own accounts, so snapshots, restores, read replicas and restarts carry it; an
// account given another password (ALTER USER ... IDENTIFIED WITH mysql_native_password AS
// '*hash') is a password user again.

// iamKeyFile is the file in DataDir holding the key the IAM users' passwords derive from,
// kept so that the accounts a server has keep working across restarts of the emulator.
const iamKeyFile = "mysql-iam.key"

// iamPasswords derives the password of each IAM user of MySQL and MariaDB servers:
// HMAC-SHA256 of the user name under a key only the emulator has, so nobody can log in as
// an IAM user with a password.
type iamPasswords struct{ key []byte }

// password is the password the server knows IAM user by.
func (p iamPasswords) password(user string) string {
	h := hmac.New(sha256.New, p.key)
	h.Write([]byte(user))
	return hex.EncodeToString(h.Sum(nil))
}

// loadIAMPasswords reads the key kept in dataDir, or makes one and keeps it there; without
// a dataDir (no servers run then) the key lives in memory.
func loadIAMPasswords(dataDir string) (iamPasswords, error) {
	fresh := func() ([]byte, error) {
		key := make([]byte, 32)
		_, err := rand.Read(key)
		return key, err
	}
	if dataDir == "" {
		key, err := fresh()
		return iamPasswords{key}, err
	}
	path := filepath.Join(dataDir, iamKeyFile)
	text, err := os.ReadFile(path)
	if err == nil {
		key, err := hex.DecodeString(strings.TrimSpace(string(text)))
		if err != nil || len(key) < 32 {
			return iamPasswords{}, fmt.Errorf("read %s: not a key of 32 bytes in hex", path)
		}
		return iamPasswords{key}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return iamPasswords{}, fmt.Errorf("read the IAM key: %w", err)
	}
	key, err := fresh()
	if err != nil {
		return iamPasswords{}, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return iamPasswords{}, fmt.Errorf("write the IAM key: %w", err)
	}
	return iamPasswords{key}, nil
}

// startMySQLFront starts the front of a MySQL or MariaDB endpoint.
func (e *Emulator) startMySQLFront(target frontTarget) (endpointFront, error) {
	f, err := mysqlfront.Listen(mysqlfront.Config{
		Log: e.cfg.Log,
		Backend: func() (mysqlfront.Backend, error) {
			srv, iam, endpoints, err := resolve[*mariaserver.Server](e, target)
			if err != nil {
				return mysqlfront.Backend{}, err
			}
			b := mysqlfront.Backend{Dial: dialTCP(hostPort(srv.Host, srv.Port))}
			if !iam {
				return b, nil
			}
			tlsConfig, err := srv.TLSConfig()
			if err != nil {
				return mysqlfront.Backend{}, err
			}
			b.IAM = &mysqlfront.IAM{
				TLS:      tlsConfig,
				Password: e.iamPasswords.password,
				UsesIAM: func(ctx context.Context, user string) (bool, error) {
					return srv.HasPassword(ctx, user, e.iamPasswords.password(user))
				},
				Verify: func(user, token string) error { return e.tokens.verify(token, user, endpoints) },
			}
			return b, nil
		},
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}
