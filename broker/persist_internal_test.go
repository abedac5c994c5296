package broker

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/mochi-mqtt/server/v2/hooks/storage/bolt"
	"github.com/mochi-mqtt/server/v2/system"
	"go.etcd.io/bbolt"
)

// The store's events may come while mochi stops the hooks (its event loop
// sending a delayed will as the broker closes): Stop waits for a write in
// progress and later writes are skipped, where bolt.Hook alone races on its
// database (the race detector) or dereferences it after Stop set it to nil.
func TestBoltStoreStopDuringWrites(t *testing.T) {
	for range 20 {
		b := &boltStore{Hook: new(bolt.Hook)}
		err := b.Init(&bolt.Options{
			Path:    filepath.Join(t.TempDir(), "broker.db"),
			Bucket:  "mqttkit",
			Options: &bbolt.Options{NoSync: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		started := make(chan struct{})
		wg.Go(func() {
			close(started)
			for range 200 {
				b.OnSysInfoTick(&system.Info{})
			}
		})
		<-started
		if err := b.Stop(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
	}
}
