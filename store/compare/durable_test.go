package compare

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble"
	"github.com/eclipse/paho.golang/packets"
	pahofile "github.com/eclipse/paho.golang/paho/store/file"
	"github.com/mqttkit/mqttkit/store"
	bolt "go.etcd.io/bbolt"
)

// durable is one storage engine under test: put and del return once the
// change is on disk.
type durable struct {
	put    func(id uint64, value []byte) error
	del    func(id uint64) error
	close  func() error
	report func(b *testing.B, cycles int) // extra metrics, may be nil
}

// backends open each engine in a fresh directory.
var backends = []struct {
	name string
	open func(b *testing.B, dir string) durable
}{
	{"log", func(b *testing.B, dir string) durable { return openLog(b, dir, false) }},
	{"log-async-ack", func(b *testing.B, dir string) durable { return openLog(b, dir, true) }},
	{"bbolt-update", func(b *testing.B, dir string) durable { return openBolt(b, dir, false) }},
	{"bbolt-batch", func(b *testing.B, dir string) durable { return openBolt(b, dir, true) }},
	{"pebble", func(b *testing.B, dir string) durable { return openPebble(b, dir, false) }},
	{"pebble-async-ack", func(b *testing.B, dir string) durable { return openPebble(b, dir, true) }},
	{"paho-file", openPahoFile},
}

// BenchmarkDurablePut measures durable publish lifecycles per second: each
// writer puts a 100-byte value under a new key, waits until it is durable,
// deletes it (the PUBACK) and waits again.
func BenchmarkDurablePut(b *testing.B) {
	value := make([]byte, 100)
	for _, be := range backends {
		for _, writers := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%s/writers=%d", be.name, writers), func(b *testing.B) {
				d := be.open(b, b.TempDir())
				var next atomic.Int64
				var failed atomic.Pointer[error]
				var wg sync.WaitGroup
				b.ResetTimer()
				for range writers {
					wg.Go(func() {
						for {
							i := next.Add(1)
							if i > int64(b.N) || failed.Load() != nil {
								return
							}
							err := d.put(uint64(i), value)
							if err == nil {
								err = d.del(uint64(i))
							}
							if err != nil {
								failed.Store(&err)
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				if err := failed.Load(); err != nil {
					b.Fatal(*err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
				if d.report != nil {
					d.report(b, b.N)
				}
				if err := d.close(); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// openLog opens store's log. With asyncAck the delete does not wait for its
// fsync, as the client's read loop does on a PUBACK: losing it in a crash
// only causes a duplicate, and the next durable put makes it durable too.
func openLog(b *testing.B, dir string, asyncAck bool) durable {
	s, err := store.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	del := func(id uint64) error { return s.Delete(store.Key{Kind: store.Outbound, ID: id}).Wait(ctx) }
	if asyncAck {
		del = func(id uint64) error {
			s.Delete(store.Key{Kind: store.Outbound, ID: id})
			return nil
		}
	}
	return durable{
		put: func(id uint64, v []byte) error {
			return s.Put(store.Key{Kind: store.Outbound, ID: id}, v).Wait(ctx)
		},
		del:   del,
		close: s.Close,
		report: func(b *testing.B, cycles int) {
			b.ReportMetric(float64(s.Stats().Syncs)/float64(cycles), "fsyncs/put")
		},
	}
}

var bucket = []byte("session")

// engineKey encodes an Outbound key for bbolt and pebble: kind, then the id
// big-endian, so that their key order matches Load's.
func engineKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{byte(store.Outbound)}, id)
}

// openBolt opens bbolt with one transaction per change (Update), or with
// concurrent changes coalesced into shared transactions (Batch).
func openBolt(b *testing.B, dir string, batch bool) durable {
	db, err := bolt.Open(filepath.Join(dir, "bolt.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
		b.Fatal(err)
	}
	run := db.Update
	if batch {
		run = db.Batch
	}
	return durable{
		put: func(id uint64, v []byte) error {
			return run(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(engineKey(id), v) })
		},
		del: func(id uint64) error {
			return run(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete(engineKey(id)) })
		},
		close: db.Close,
	}
}

// openPebble opens pebble with synced writes: its WAL shares fsyncs among
// concurrent writers, as the log does. With asyncAck the delete is not
// synced (the next synced write makes it durable), like log-async-ack.
func openPebble(b *testing.B, dir string, asyncAck bool) durable {
	db, err := pebble.Open(dir, &pebble.Options{})
	if err != nil {
		b.Fatal(err)
	}
	delOpts := pebble.Sync
	if asyncAck {
		delOpts = pebble.NoSync
	}
	return durable{
		put:   func(id uint64, v []byte) error { return db.Set(engineKey(id), v, pebble.Sync) },
		del:   func(id uint64) error { return db.Delete(engineKey(id), delOpts) },
		close: db.Close,
	}
}

// openPahoFile opens paho.golang's file store, the baseline the issue names:
// one file per packet, written to a temporary name, fsynced and renamed, all
// under one mutex. Its Delete removes the file without a sync, so it compares
// with the async-ack variants.
func openPahoFile(b *testing.B, dir string) durable {
	s, err := pahofile.New(dir, "p", "msg")
	if err != nil {
		b.Fatal(err)
	}
	return durable{
		put: func(id uint64, v []byte) error {
			return s.Put(pahoID(id), packets.PUBLISH, bytes.NewReader(v))
		},
		del:   func(id uint64) error { return s.Delete(pahoID(id)) },
		close: func() error { return nil },
	}
}

// pahoID maps a benchmark id onto MQTT's 16-bit packet ids, skipping 0; the
// few ids in flight at once never collide.
func pahoID(id uint64) uint16 { return uint16(id%65535) + 1 }
