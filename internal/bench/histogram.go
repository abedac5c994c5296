package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// subBits sets the histogram's precision: 2^subBits buckets per power of
// two, so a recorded value is reported within 1/128 (0.8 %) of itself, the
// precision of an HDR histogram with two significant digits.
const subBits = 7

// maxTracked is the largest value the histogram tells apart (about 2.4
// hours in nanoseconds); larger ones count as maxTracked.
const maxTracked = 1<<43 - 1

// Histogram is a log-linear histogram of durations in the manner of HDR
// histograms: constant relative precision from 1 ns to hours in 4 736
// counters (37 KB), safe for concurrent Record without locks, so that every
// receiving goroutine records straight into it. The exact minimum, maximum
// and sum are kept besides the buckets.
type Histogram struct {
	counts [bucketCount]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Uint64
	min    atomic.Uint64 // stored as min+1 so that 0 means unset
	max    atomic.Uint64
}

const bucketCount = (43-subBits)<<subBits + 1<<subBits

// bucketOf returns the bucket of v: values below 2^(subBits+1) have a bucket
// each; above, each power of two is split into 2^subBits equal buckets.
func bucketOf(v uint64) int {
	if v > maxTracked {
		v = maxTracked
	}
	shift := bits.Len64(v) - subBits - 1
	if shift < 0 {
		shift = 0
	}
	return shift<<subBits + int(v>>uint(shift))
}

// bucketHigh returns the highest value that falls into bucket i.
func bucketHigh(i int) uint64 {
	shift := i>>subBits - 1
	if shift < 0 {
		shift = 0
	}
	mant := uint64(i - shift<<subBits)
	return (mant+1)<<uint(shift) - 1
}

// Record adds one duration; negative durations (a clock step between hosts)
// count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			break
		}
	}
	for {
		m := h.min.Load()
		if (m != 0 && v+1 >= m) || h.min.CompareAndSwap(m, v+1) {
			break
		}
	}
}

// Count returns how many values were recorded.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Max returns the largest value recorded, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Min returns the smallest value recorded, exactly.
func (h *Histogram) Min() time.Duration {
	m := h.min.Load()
	if m == 0 {
		return 0
	}
	return time.Duration(m - 1)
}

// Mean returns the average of the values recorded.
func (h *Histogram) Mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / n)
}

// Quantile returns the value below or at which the fraction q (0..1) of the
// values lie, as the highest value of its bucket (never above Max), so a
// percentile is never reported better than it was.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return min(time.Duration(bucketHigh(i)), h.Max())
		}
	}
	return h.Max()
}

// Merge adds the values of o to h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	h.sum.Add(o.sum.Load())
	if o.n.Load() == 0 {
		return
	}
	for v := uint64(o.Max()); ; {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			break
		}
	}
	for v := o.min.Load(); ; {
		m := h.min.Load()
		if (m != 0 && v >= m) || h.min.CompareAndSwap(m, v) {
			break
		}
	}
}
