package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/mariaserver"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgfront"
)

// The endpoint of an instance or Aurora cluster with a server is a front on a port of its
// own, in front of the server: package pgfront for PostgreSQL, package mysqlfront for
// MySQL and MariaDB (mysqlfronts.go). It is a byte relay while IAM database authentication
// is off, the checker of IAM tokens while it is on. The emulator's own uses of a server
// (replicas streaming from it, snapshots, exports, logs, parameters, upgrades, reboots) go
// to the server itself. A front finds its server, and whether IAM is on, at each new
// connection, so a server replaced behind the endpoint (an upgrade) and a change of
// IAMDatabaseAuthenticationEnabled count from the next login.

// endpointFront is a running front: pgfront.Front or mysqlfront.Front.
type endpointFront interface {
	// Port is the TCP port the endpoint reports.
	Port() int
	// Close stops the front and every connection through it.
	Close() error
}

// errNoServer is a front's answer while its instance or cluster has no server of its own.
var errNoServer = errors.New("no running server behind the endpoint")

// frontTarget tells a front, under the lock, the server behind it, whether IAM database
// authentication is on, and the endpoints (host:port) a token may name; false while there
// is no server.
type frontTarget func() (srv engineServer, iam bool, endpoints []string, ok bool)

// startFront starts the front of the engine of first, the server the endpoint starts with,
// whose connections go where target says; an engine without fronts has none (nil).
func (e *Emulator) startFront(first engineServer, target frontTarget) (endpointFront, error) {
	switch first.(type) {
	case postgresServer:
		return e.startPostgresFront(target)
	case *mariaserver.Server:
		return e.startMySQLFront(target)
	}
	return nil, nil
}

// resolve resolves target under the lock, with the server as an S; false while there is
// none of that type.
func resolve[S engineServer](e *Emulator, target frontTarget) (srv S, iam bool, endpoints []string, err error) {
	e.mu.Lock()
	got, iam, endpoints, ok := target()
	e.mu.Unlock()
	srv, isS := got.(S)
	if !ok || !isS {
		return srv, false, nil, errNoServer
	}
	return srv, iam, endpoints, nil
}

// dialTCP connects to a server's TCP address.
func dialTCP(addr string) func(ctx context.Context) (net.Conn, error) {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
}

// startPostgresFront starts the front of a PostgreSQL endpoint.
func (e *Emulator) startPostgresFront(target frontTarget) (endpointFront, error) {
	f, err := pgfront.Listen(pgfront.Config{
		Log: e.cfg.Log,
		Backend: func() (pgfront.Backend, error) {
			srv, iam, endpoints, err := resolve[postgresServer](e, target)
			if err != nil {
				return pgfront.Backend{}, err
			}
			b := pgfront.Backend{Dial: dialTCP(srv.Addr())}
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
	if err != nil {
		return nil, err
	}
	return f, nil
}

// startInstanceFront starts the front of an instance, whose endpoint is
// localhost:<EndpointPort>; an instance of an engine without fronts has none (nil).
func (e *Emulator) startInstanceFront(self *instance, first engineServer) (endpointFront, error) {
	f, err := e.startFront(first, func() (engineServer, bool, []string, bool) {
		ok := self.server != nil && e.instances[self.ID] == self
		return self.server, self.IAMAuth, []string{hostPort("localhost", self.EndpointPort)}, ok
	})
	if err != nil {
		return nil, fmt.Errorf("start the endpoint of %s: %w", self.ID, err)
	}
	return f, nil
}

// startClusterFront starts the front of an Aurora cluster, behind its writer and reader
// endpoints and those of its instances (all on the cluster's Port); a cluster of an engine
// without fronts has none (nil).
func (e *Emulator) startClusterFront(self *cluster, first engineServer) (endpointFront, error) {
	f, err := e.startFront(first, func() (engineServer, bool, []string, bool) {
		ok := self.server != nil && e.clusters[self.ID] == self
		endpoints := []string{hostPort(clusterEndpoint, self.Port), hostPort(clusterReaderEndpoint, self.Port)}
		return self.server, self.IAMAuth, endpoints, ok
	})
	if err != nil {
		return nil, fmt.Errorf("start the endpoint of cluster %s: %w", self.ID, err)
	}
	return f, nil
}

// closeFront stops a front, if any, naming what it was the endpoint of in its error. It
// must run without the lock, which the front's connections take.
func closeFront(name string, f endpointFront) error {
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
func endpointPort(f endpointFront, serverPort int) int {
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
