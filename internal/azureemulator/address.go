package azureemulator

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
)

// Every server has a loopback address of its own, as every Azure flexible server has a
// host name of its own, so that each serves its engine's standard port (5432, 3306). The
// addresses are random in 127.0.0.0/8 but outside 127.0.0.0/16, where the machine's own
// servers (127.0.0.1) listen.

// addressTries is how many addresses take tries before it gives up.
const addressTries = 5

// addressBook hands out loopback addresses, each to one server at a time. The zero value
// is ready to use.
type addressBook struct {
	mu    sync.Mutex
	taken map[string]bool
}

// take returns an address no other server holds and, when probe is set, where nothing
// listens on port now. The caller gives it back with give.
func (b *addressBook) take(port int, probe bool) (string, error) {
	var lastErr error
	for range addressTries {
		addr := fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 1+rand.IntN(254))
		if !b.claim(addr) {
			continue
		}
		if !probe {
			return addr, nil
		}
		if lastErr = listenable(addr, port); lastErr == nil {
			return addr, nil
		}
		b.give(addr)
	}
	return "", fmt.Errorf("no free loopback address for port %d in %d tries: %v", port, addressTries, lastErr)
}

// claim marks addr taken, or reports that it already was.
func (b *addressBook) claim(addr string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.taken == nil {
		b.taken = map[string]bool{}
	}
	if b.taken[addr] {
		return false
	}
	b.taken[addr] = true
	return true
}

// give returns an address to the book; giving "" does nothing.
func (b *addressBook) give(addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.taken, addr)
}

// listenable reports why port cannot be listened on at addr, or nil.
func listenable(addr string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}
