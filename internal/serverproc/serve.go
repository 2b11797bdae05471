package serverproc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Serve serves h on l until ctx is done, then closes the server and waits until it has
// stopped. An error that stopped it before (or closing it) is handed to failed. The
// emulators run their side services (the S3 and Cloud Storage stand-ins) with it.
func Serve(ctx context.Context, l net.Listener, h http.Handler, failed func(error)) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			failed(err)
		}
	case <-ctx.Done():
		if err := srv.Close(); err != nil {
			failed(err)
		}
		<-served
	}
}
