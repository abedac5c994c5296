package broker

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mochi-mqtt/server/v2/hooks/storage"
	"github.com/mochi-mqtt/server/v2/hooks/storage/bolt"
	"go.etcd.io/bbolt"
)

// addPersistence attaches mochi's bbolt storage hook on DataDir/broker.db.
//
// bbolt was chosen over mochi's badger and pebble hooks: it is maintained by
// etcd, pure Go, a single file with no background goroutines or compaction
// to tune, and its dependency tree is one module; pebble drags in
// CockroachDB's error, tracing and metrics stack, badger a value log that
// needs garbage collection. A small broker's write rate suits bbolt's one
// fsync per transaction.
func (s *Server) addPersistence() error {
	if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("broker: creating Config.DataDir: %w", err)
	}
	path := filepath.Join(s.cfg.DataDir, "broker.db")
	opts := &bolt.Options{
		Path:   path,
		Bucket: "mqttkit",
		Options: &bbolt.Options{
			Timeout: time.Second, // another broker holding the file
			NoSync:  s.cfg.NoSync,
		},
	}
	if err := s.mochi.AddHook(&boltStore{Hook: new(bolt.Hook)}, opts); err != nil {
		return fmt.Errorf("broker: opening data store %s: %w; is another broker using Config.DataDir?", path, err)
	}
	return nil
}

// boltStore fixes mochi v2.7.9's bolt hook, which stores queued messages
// without their packet id: restored messages then fail to resend ("missing
// packet id") and the reconnecting client is dropped. The id is still the
// suffix of each message's storage key ("<client>:<id>"), so it is
// recovered from there.
type boltStore struct {
	*bolt.Hook
}

// StoredInflightMessages returns the queued messages with their packet ids.
func (b *boltStore) StoredInflightMessages() ([]storage.Message, error) {
	msgs, err := b.Hook.StoredInflightMessages()
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		if msgs[i].PacketID != 0 {
			continue
		}
		if id, err := strconv.ParseUint(msgs[i].ID[strings.LastIndexByte(msgs[i].ID, ':')+1:], 10, 16); err == nil {
			msgs[i].PacketID = uint16(id)
		}
	}
	return msgs, nil
}
