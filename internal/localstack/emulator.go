package localstack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// emulatorDir is the emulator's data directory inside Config.Dir.
const emulatorDir = "emulator"

// listeningLine is what the emulator prints once it accepts requests.
var listeningLine = regexp.MustCompile(`rds-emulator listening on (http://\S+)`)

// startEmulator starts bin/rds-emulator on a free local port and waits for its listening line.
func (s *stack) startEmulator(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	args := append([]string{
		"--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--data-dir", s.path(emulatorDir),
	}, s.cfg.EmulatorArgs...)
	s.log.logf("starting rds-emulator %v (log: %s)", args, s.path(EmulatorLog))
	s.emulator, err = startChild("rds-emulator", s.path(EmulatorLog), os.Environ(),
		filepath.Join(s.cfg.BinDir, "rds-emulator"), args...)
	if err != nil {
		return err
	}
	err = s.waitFor(ctx, "rds-emulator listening line", s.emulator, emulatorStartTimeout, func() (bool, error) {
		out, err := os.ReadFile(s.emulator.logPath)
		if err != nil {
			return false, err
		}
		s.endpoint = listeningEndpoint(out)
		return s.endpoint != "", nil
	})
	if err != nil {
		return err
	}
	s.log.logf("rds-emulator listening on %s", s.endpoint)
	return nil
}

// listeningEndpoint returns the URL of the first listening line in out, or "" if there is
// none yet.
func listeningEndpoint(out []byte) string {
	m := listeningLine.FindSubmatch(out)
	if m == nil {
		return ""
	}
	return string(m[1])
}
