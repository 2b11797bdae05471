package gcpemulator

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// Every instance has a loopback address of its own, as every Cloud SQL instance has an IP
// address of its own, so that every server serves its engine's standard port (5432, 3306)
// as Cloud SQL's do. The addresses are random in 127.0.0.0/8 outside 127.0.0.0/16, where
// the machine's own servers (127.0.0.1) live.

// addressAttempts is how many addresses reserveAddress and startInstanceServer try.
const addressAttempts = 5

// randomLoopback returns a random 127.x.y.z with x and z neither 0 nor 255.
func randomLoopback() string {
	return fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 1+rand.IntN(254))
}

// reserveAddress takes an address no other instance of the emulator has and, when probe
// is set, on which nothing listens on port now. The caller releases it with
// releaseAddress when the instance is gone. The caller must not hold mu.
func (e *Emulator) reserveAddress(port int, probe bool) (string, error) {
	var err error
	for range addressAttempts {
		addr := randomLoopback()
		e.mu.Lock()
		taken := e.addresses[addr]
		e.addresses[addr] = true
		e.mu.Unlock()
		if taken {
			continue
		}
		if !probe {
			return addr, nil
		}
		if err = portFree(addr, port); err == nil {
			return addr, nil
		}
		e.releaseAddress(addr)
	}
	return "", fmt.Errorf("no free loopback address for port %d in %d tries: %w", port, addressAttempts, err)
}

// releaseAddress gives an address back. The caller must not hold mu.
func (e *Emulator) releaseAddress(addr string) {
	e.mu.Lock()
	delete(e.addresses, addr)
	e.mu.Unlock()
}

// portFree reports whether port can be listened on at addr.
func portFree(addr string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}

// startInstanceServer gives a new instance its address and, unless NoEngine, starts its
// server there. An address can be taken by another process between the check and the
// server's bind: when the server fails and its address is no longer free, another address
// is tried. It returns the address; the server is attached to the instance at once, so
// that Close stops it.
func (e *Emulator) startInstanceServer(ctx context.Context, in *instance) (string, error) {
	port := defaultPort[engineOf(in.version)]
	if e.cfg.NoEngine {
		return e.reserveAddress(port, false)
	}
	for attempt := 1; ; attempt++ {
		addr, err := e.reserveAddress(port, true)
		if err != nil {
			return "", err
		}
		srv, err := e.startServerOf(ctx, in, addr)
		if err == nil {
			e.mu.Lock()
			in.server, in.caCert = srv, srv.CACert()
			e.mu.Unlock()
			return addr, nil
		}
		e.releaseAddress(addr)
		if attempt == addressAttempts || ctx.Err() != nil || portFree(addr, port) == nil {
			return "", err // the address was free: it was not what failed
		}
		fmt.Fprintf(e.cfg.Log, "cloudsql-emulator: instance %s: %s:%d was taken meanwhile; trying another address\n", in.key.name, addr, port)
	}
}
