package broker

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/storage"
	"github.com/mochi-mqtt/server/v2/hooks/storage/bolt"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/mochi-mqtt/server/v2/system"
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
//
// It also keeps the hook's writes off a closed database: mochi's Close
// stops the hooks while its event loop may still be sending a delayed will
// (or expiring a session), and bolt.Hook.Stop sets its database to nil
// under that write (a data race the race detector caught in a test, and a
// nil dereference). Stop waits for the writes in progress, and later ones
// are skipped.
type boltStore struct {
	*bolt.Hook
	mu      sync.RWMutex
	stopped bool
}

// Stop closes the database once no write is in progress.
func (b *boltStore) Stop() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
	return b.Hook.Stop()
}

// begin reports whether the database may be written, and then holds it
// open until end.
func (b *boltStore) begin() bool {
	b.mu.RLock()
	if b.stopped {
		b.mu.RUnlock()
		return false
	}
	return true
}

func (b *boltStore) end() { b.mu.RUnlock() }

// The hook's events that write, each guarded by begin and end.

func (b *boltStore) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	if b.begin() {
		defer b.end()
		b.Hook.OnSessionEstablished(cl, pk)
	}
}

func (b *boltStore) OnWillSent(cl *mqtt.Client, pk packets.Packet) {
	if b.begin() {
		defer b.end()
		b.Hook.OnWillSent(cl, pk)
	}
}

func (b *boltStore) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	if b.begin() {
		defer b.end()
		b.Hook.OnDisconnect(cl, err, expire)
	}
}

func (b *boltStore) OnSubscribed(cl *mqtt.Client, pk packets.Packet, reasonCodes []byte) {
	if b.begin() {
		defer b.end()
		b.Hook.OnSubscribed(cl, pk, reasonCodes)
	}
}

func (b *boltStore) OnUnsubscribed(cl *mqtt.Client, pk packets.Packet) {
	if b.begin() {
		defer b.end()
		b.Hook.OnUnsubscribed(cl, pk)
	}
}

func (b *boltStore) OnRetainMessage(cl *mqtt.Client, pk packets.Packet, r int64) {
	if b.begin() {
		defer b.end()
		b.Hook.OnRetainMessage(cl, pk, r)
	}
}

func (b *boltStore) OnQosPublish(cl *mqtt.Client, pk packets.Packet, sent int64, resends int) {
	if b.begin() {
		defer b.end()
		b.Hook.OnQosPublish(cl, pk, sent, resends)
	}
}

func (b *boltStore) OnQosComplete(cl *mqtt.Client, pk packets.Packet) {
	if b.begin() {
		defer b.end()
		b.Hook.OnQosComplete(cl, pk)
	}
}

func (b *boltStore) OnQosDropped(cl *mqtt.Client, pk packets.Packet) {
	if b.begin() {
		defer b.end()
		b.Hook.OnQosDropped(cl, pk)
	}
}

func (b *boltStore) OnSysInfoTick(sys *system.Info) {
	if b.begin() {
		defer b.end()
		b.Hook.OnSysInfoTick(sys)
	}
}

func (b *boltStore) OnRetainedExpired(filter string) {
	if b.begin() {
		defer b.end()
		b.Hook.OnRetainedExpired(filter)
	}
}

func (b *boltStore) OnClientExpired(cl *mqtt.Client) {
	if b.begin() {
		defer b.end()
		b.Hook.OnClientExpired(cl)
	}
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
