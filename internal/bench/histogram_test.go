package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketRoundTrip(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 255, 256, 257, 1000, 1 << 20, 123456789, maxTracked} {
		i := bucketOf(v)
		if hi := bucketHigh(i); hi < v {
			t.Errorf("value %d: bucket %d ends at %d, below the value", v, i, hi)
		}
		if i > 0 && bucketHigh(i-1) >= v {
			t.Errorf("value %d: previous bucket %d already ends at %d", v, i-1, bucketHigh(i-1))
		}
		if i >= bucketCount {
			t.Errorf("value %d: bucket %d out of %d", v, i, bucketCount)
		}
	}
}

func TestQuantilesWithinPrecision(t *testing.T) {
	tests := []struct {
		name string
		gen  func(r *rand.Rand) time.Duration
	}{
		{"uniform 0-10ms", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(10 * time.Millisecond))) }},
		{"exponential mean 300us", func(r *rand.Rand) time.Duration { return time.Duration(r.ExpFloat64() * 300e3) }},
		{"bimodal 50us and 2s", func(r *rand.Rand) time.Duration {
			if r.IntN(100) == 0 {
				return 2*time.Second + time.Duration(r.Int64N(1e6))
			}
			return 50*time.Microsecond + time.Duration(r.Int64N(1e3))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var h Histogram
			vals := make([]time.Duration, 100000)
			for i := range vals {
				vals[i] = tc.gen(r)
				h.Record(vals[i])
			}
			slices.Sort(vals)
			for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
				exact := vals[int(q*float64(len(vals)))-1]
				got := h.Quantile(q)
				if got < exact || float64(got-exact) > float64(exact)/128+1 {
					t.Errorf("q%.3f = %v, exact %v: outside 1/128 above", q, got, exact)
				}
			}
			if h.Max() != vals[len(vals)-1] || h.Min() != vals[0] || h.Count() != uint64(len(vals)) {
				t.Errorf("max %v min %v count %d, want %v %v %d", h.Max(), h.Min(), h.Count(), vals[len(vals)-1], vals[0], len(vals))
			}
		})
	}
}

func TestHistogramEmptyAndNegative(t *testing.T) {
	var h Histogram
	if h.Quantile(0.99) != 0 || h.Mean() != 0 || h.Min() != 0 {
		t.Fatal("empty histogram reports values")
	}
	h.Record(-time.Second)
	if h.Max() != 0 || h.Count() != 1 {
		t.Fatalf("negative duration: max %v count %d, want 0 and 1", h.Max(), h.Count())
	}
}

func TestMerge(t *testing.T) {
	var a, b Histogram
	a.Record(time.Millisecond)
	b.Record(3 * time.Millisecond)
	b.Record(2 * time.Microsecond)
	a.Merge(&b)
	if a.Count() != 3 || a.Max() != 3*time.Millisecond || a.Min() != 2*time.Microsecond {
		t.Fatalf("merged: count %d max %v min %v", a.Count(), a.Max(), a.Min())
	}
}

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i))
	}
}
