package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgfront"
)

// The endpoint of a PostgreSQL instance or Aurora PostgreSQL cluster is a front (package
// pgfront) on a port of its own, in front of the server: a byte relay while IAM database
// authentication is off, the checker of IAM tokens while it is on. The emulator's own uses
// of a server (replicas streaming from it, snapshots, exports, logs, parameters, upgrades,
// reboots) go to the server itself. A front finds its server, and whether IAM is on, at
// each new connection, so a server replaced behind the endpoint (an upgrade) and a change
// of IAMDatabaseAuthenticationEnabled count from the next login.

// errNoServer is a front's answer while its instance or cluster has no server of its own.
var errNoServer = errors.New("no running PostgreSQL server behind the endpoint")

// frontTarget tells a front, under the lock, the server behind it, whether IAM database
// authentication is on, and the endpoints (host:port) a token may name; false while there
// is no server.
type frontTarget func() (srv postgresServer, iam bool, endpoints []string, ok bool)

// startFront starts a front whose connections go where target says.
func (e *Emulator) startFront(target frontTarget) (*pgfront.Front, error) {
	return pgfront.Listen(pgfront.Config{
		Log: e.cfg.Log,
		Backend: func() (pgfront.Backend, error) {
			e.mu.Lock()
			srv, iam, endpoints, ok := target()
			e.mu.Unlock()
			if !ok {
				return pgfront.Backend{}, errNoServer
			}
			b := pgfront.Backend{Dial: func(ctx context.Context) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", srv.Addr())
			}}
			if !iam {
				return b, nil
			}
			tlsConfig, err := srv.TLSConfig()
			if err != nil {
				return pgfront.Backend{}, err
			}
			b.IAM = &pgfront.IAM{
				TLS:          tlsConfig,
				UsesIAM:      srv.UsesIAM,
				DialTrusted:  srv.DialTrusted,
				DialPassword: srv.DialPassword,
				Verify:       func(user, token string) error { return e.tokens.verify(token, user, endpoints) },
			}
			return b, nil
		},
	})
}

// startInstanceFront starts the front of a PostgreSQL instance, whose endpoint is
// localhost:<EndpointPort>; an instance of another engine has none (nil).
func (e *Emulator) startInstanceFront(self *instance, first engineServer) (*pgfront.Front, error) {
	if _, ok := first.(postgresServer); !ok {
		return nil, nil
	}
	f, err := e.startFront(func() (postgresServer, bool, []string, bool) {
		srv, ok := self.server.(postgresServer)
		ok = ok && e.instances[self.ID] == self
		return srv, self.IAMAuth, []string{hostPort("localhost", self.EndpointPort)}, ok
	})
	if err != nil {
		return nil, fmt.Errorf("start the endpoint of %s: %w", self.ID, err)
	}
	return f, nil
}

// startClusterFront starts the front of an Aurora PostgreSQL cluster, behind its writer
// and reader endpoints and those of its instances (all on the cluster's Port); a cluster
// of another engine has none (nil).
func (e *Emulator) startClusterFront(self *cluster, first engineServer) (*pgfront.Front, error) {
	if _, ok := first.(postgresServer); !ok {
		return nil, nil
	}
	f, err := e.startFront(func() (postgresServer, bool, []string, bool) {
		srv, ok := self.server.(postgresServer)
		ok = ok && e.clusters[self.ID] == self
		endpoints := []string{hostPort(clusterEndpoint, self.Port), hostPort(clusterReaderEndpoint, self.Port)}
		return srv, self.IAMAuth, endpoints, ok
	})
	if err != nil {
		return nil, fmt.Errorf("start the endpoint of cluster %s: %w", self.ID, err)
	}
	return f, nil
}

// closeFront stops a front, if any, naming what it was the endpoint of in its error. It
// must run without the lock, which the front's connections take.
func closeFront(name string, f *pgfront.Front) error {
	if f == nil {
		return nil
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close the endpoint of %s: %w", name, err)
	}
	return nil
}

// endpointPort is the port an instance or cluster reports: its front's when it has one,
// else its server's.
func endpointPort(f *pgfront.Front, serverPort int) int {
	if f != nil {
		return f.Port()
	}
	return serverPort
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// logErr writes an error that has no caller to go to into the emulator's log.
func (e *Emulator) logErr(err error) {
	if err != nil {
		fmt.Fprintf(e.cfg.Log, "rds-emulator: %v\n", err)
	}
}
