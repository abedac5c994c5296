package crashtest

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// roleEnv makes the test binary a helper process instead of running the
// tests: "producer" (producer_test.go) or "member" (member_test.go). The
// helper's parameters come in further environment variables.
const roleEnv = "MQTTKIT_CRASHTEST_ROLE"

func TestMain(m *testing.M) {
	switch role := os.Getenv(roleEnv); role {
	case "":
		goleak.VerifyTestMain(m)
	case "producer":
		os.Exit(exitCode(runProducer()))
	case "member":
		os.Exit(exitCode(runMember()))
	default:
		fmt.Fprintf(os.Stderr, "%s=%q: want producer or member\n", roleEnv, role)
		os.Exit(2)
	}
}

func exitCode(err error) int {
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashtest helper:", err)
		return 1
	}
	return 0
}
