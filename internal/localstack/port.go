package localstack

import (
	"fmt"
	"net"
)

// freePort asks the kernel for a free TCP port on 127.0.0.1. The port is released before the
// child binds it; on a development machine the race is harmless, and a lost race shows as the
// child failing to start.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free local port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
