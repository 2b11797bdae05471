package rds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/emulator/emulatortest"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/pgserver"
)

// TestReadLog: the database's own log, as RDS serves it, through the neutral interface: its
// files are listed, a read from the start pages to the end with the marker, a read without
// one gives the file's last lines, and a missing file is ErrNoLogFile.
func TestReadLog(t *testing.T) {
	if _, err := pgserver.DefaultBuilds(); err != nil {
		t.Skipf("no PostgreSQL to serve a log: %v", err)
	}
	p, _ := newProviderWith(t, emulator.Config{DataDir: t.TempDir(), Delays: emulatortest.FastDelays})
	ctx := context.Background()
	d := desired()
	if err := p.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	var in cloud.Instance
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		obs, err := p.Observe(ctx, d.Identifier)
		if err != nil {
			t.Fatal(err)
		}
		if in = obs.Instance; in.Phase == cloud.PhaseAvailable && in.Endpoint != "" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A wrong password, which the server logs.
	_, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=sysadmin password=wrong dbname=postgres sslmode=require", in.Endpoint, in.Port))
	if err == nil {
		t.Fatal("a wrong password logged in")
	}

	files, err := p.LogFiles(ctx, d.Identifier)
	if err != nil || len(files) == 0 {
		t.Fatalf("LogFiles = %v, %v; want the server's log", files, err)
	}
	file := files[len(files)-1]
	if !strings.HasPrefix(file.Name, "error/postgresql.log.") || file.Size == 0 || file.LastWritten.IsZero() {
		t.Errorf("log file %+v, want RDS's name, a size and a time", file)
	}
	// The server writes the line after the client has its refusal: read the file from the
	// start until it holds the line.
	readAll := func() string {
		var whole strings.Builder
		marker := "0"
		for reads := 0; ; reads++ {
			part, err := p.ReadLog(ctx, d.Identifier, file.Name, marker, 20)
			if err != nil {
				t.Fatal(err)
			}
			whole.WriteString(part.Data)
			if !part.More || reads > 1000 {
				return whole.String()
			}
			marker = part.Marker
		}
	}
	whole := readAll()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(whole, "password authentication failed") && time.Now().Before(deadline); whole = readAll() {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(whole, "password authentication failed") {
		t.Errorf("the log read from the start does not hold the failed login:\n%s", whole)
	}
	tail, err := p.ReadLog(ctx, d.Identifier, file.Name, "", 5)
	// The server may still add a line (a checkpoint) between the reads: the tail is the end
	// of what was there when it was read, so it is found whole in a read made after it.
	if after := readAll(); err != nil || tail.More || tail.Data == "" || !strings.HasSuffix(tail.Data, "\n") || !strings.Contains(after, tail.Data) || !strings.HasSuffix(whole, tail.Data) && len(after) == len(whole) {
		t.Errorf("a read without a marker = %+v, %v; want the file's last lines, nothing after them", tail, err)
	}
	if _, err := p.ReadLog(ctx, d.Identifier, "error/no-such.log", "0", 0); !errors.Is(err, cloud.ErrNoLogFile) {
		t.Errorf("a missing file: %v, want ErrNoLogFile", err)
	}
}
