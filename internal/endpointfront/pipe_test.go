package endpointfront

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestPipe checks that Pipe sends the bytes a front already read from the client before
// the rest, relays both ways, and closes the client once the server goes.
func TestPipe(t *testing.T) {
	client, clientFront := net.Pipe()
	serverFront, server := net.Pipe()
	for _, c := range []net.Conn{client, server} {
		if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	clientR := bufio.NewReader(clientFront)
	go func() { _, _ = io.WriteString(client, "early late") }()
	if _, err := clientR.Peek(len("early")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		Pipe(clientFront, clientR, serverFront, serverFront)
		close(done)
	}()
	got := make([]byte, len("early late"))
	if _, err := io.ReadFull(server, got); err != nil || string(got) != "early late" {
		t.Errorf("the server got %q (%v), want \"early late\"", got, err)
	}
	go func() {
		_, _ = io.WriteString(server, "reply")
		_ = server.Close()
	}()
	if got, err := io.ReadAll(client); err != nil || string(got) != "reply" {
		t.Errorf("the client got %q (%v), want \"reply\" and the end", got, err)
	}
	<-done
}

// TestBufferedConn checks that a BufferedConn reads what its reader already holds first.
func TestBufferedConn(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		_, _ = io.WriteString(b, "hello")
		_ = b.Close()
	}()
	r := bufio.NewReader(a)
	if _, err := r.Peek(1); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(BufferedConn{Conn: a, R: r})
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if string(got) != "hello" {
		t.Errorf("read through a BufferedConn: %q, want \"hello\"", got)
	}
}
