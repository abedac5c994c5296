package store

import "testing"

// BenchmarkPutDeleteNoWait measures the CPU cost of the publish lifecycle's
// store calls on the caller's side — put, then delete on the PUBACK, neither
// waited for — which is what a publisher pays per message while the
// committer fsyncs. BenchmarkDurablePut in store/compare measures the
// durable rate.
func BenchmarkPutDeleteNoWait(b *testing.B) {
	value := make([]byte, 100)
	impls := []struct {
		name string
		open func(b *testing.B) Store
	}{
		{"memory", func(*testing.B) Store { return NewMemory() }},
		{"file", func(b *testing.B) Store {
			f, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return f
		}},
	}
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			s := impl.open(b)
			b.ReportAllocs()
			id := uint64(0)
			for b.Loop() {
				id++
				s.Put(Key{Outbound, id}, value)
				s.Delete(Key{Outbound, id})
			}
			b.StopTimer()
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
