package store_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/mqttkit/mqttkit/store"
)

// A publisher writes the message's record and, without waiting for the disk,
// sends it; it reports "on disk" when the Commit completes. After a restart,
// Load returns what was not acknowledged, to be resent.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "session")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := store.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	first := s.Put(store.Key{Kind: store.Outbound, ID: 1}, []byte("PUBLISH 1"))
	second := s.Put(store.Key{Kind: store.Outbound, ID: 2}, []byte("PUBLISH 2"))
	// ... both PUBLISH packets go to the network here ...
	if err := second.Wait(ctx); err != nil { // first is durable too: commits complete in order
		log.Fatal(err)
	}
	select {
	case <-first.Done():
		fmt.Println("message 1 on disk")
	default:
		fmt.Println("message 1 still pending")
	}
	// The PUBACK for message 1 arrives: forget it without waiting for the disk.
	s.Delete(store.Key{Kind: store.Outbound, ID: 1})
	if err := s.Close(); err != nil { // Close waits for the delete
		log.Fatal(err)
	}

	s, err = store.Open(dir) // the process restarts
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	err = s.Load(func(k store.Key, v []byte) error {
		fmt.Printf("resend %v: %s\n", k, v)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// message 1 on disk
	// resend {outbound 2}: PUBLISH 2
}
