package store

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// The test binary re-executes itself as a helper process when one of these
// variables names a session directory: holdEnv opens it and holds it until
// standard input closes; writeEnv writes to it until it is killed.
const (
	holdEnv  = "MQTTKIT_STORE_TEST_HOLD_DIR"
	writeEnv = "MQTTKIT_STORE_TEST_WRITE_DIR"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdEnv); dir != "" {
		os.Exit(holdDir(dir))
	}
	if dir := os.Getenv(writeEnv); dir != "" {
		os.Exit(writeUntilKilled(dir))
	}
	goleak.VerifyTestMain(m)
}

// holdDir is the helper process: it opens dir, says "ready" on stdout, and
// keeps the store open until stdin reaches EOF.
func holdDir(dir string) int {
	s, err := Open(dir)
	if err != nil {
		fmt.Println("open failed:", err)
		return 1
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	if err := s.Close(); err != nil {
		fmt.Println("close failed:", err)
		return 1
	}
	return 0
}
