package broker_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/mqttkit/mqttkit/broker"
)

// A broker on a free loopback port, as a program or a test would start it.
func Example() {
	srv, err := broker.New(broker.Config{
		Addr:   "127.0.0.1:0", // port 0: any free port
		Logger: slog.New(slog.DiscardHandler),
		Limits: broker.Limits{MaxQueuedMessages: 1000},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	fmt.Println(strings.HasPrefix(srv.Addr(), "127.0.0.1:"), srv.Stats().ClientsConnected)
	// Output: true 0
}

// A users file is created and extended with AddUser; the broker then
// requires a password from every client.
func ExampleAddUser() {
	dir, _ := os.MkdirTemp("", "mqttkit-example")
	defer os.RemoveAll(dir)
	users := filepath.Join(dir, "users")
	if err := broker.AddUser(users, "alice", "correct horse"); err != nil {
		fmt.Println(err)
		return
	}
	data, _ := os.ReadFile(users)
	fmt.Println(strings.HasPrefix(string(data), "alice:$2a$"))
	_, err := broker.New(broker.Config{UsersFile: users})
	fmt.Println(err)
	// Output:
	// true
	// <nil>
}

// Anonymous clients on a public address are refused unless asked for.
func ExampleConfig_anonymous() {
	_, err := broker.New(broker.Config{Addr: "0.0.0.0:1883"})
	fmt.Println(err)
	// Output: broker: refusing to accept anonymous clients on a non-loopback address; set UsersFile (see broker.AddUser) or AllowAnonymous
}
