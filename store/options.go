package store

// Option configures a file store opened with Open.
type Option func(*options)

type options struct {
	compactMin   int64   // dead bytes below which the log is never compacted
	compactRatio float64 // dead/live ratio above which it is
}

func defaultOptions() options {
	return options{compactMin: 8 << 20, compactRatio: 1}
}

// WithCompaction sets when the log is rewritten to drop dead records: once
// it holds at least minDead bytes of records that were replaced or deleted
// and those outnumber the live bytes by more than ratio. The default, 8 MiB
// and 1, keeps the log below twice its live size plus 8 MiB while a long run
// of publishes compacts a nearly empty session every 8 MiB, which is cheap.
// Lower values shrink the file sooner at the cost of more rewriting.
func WithCompaction(minDead int64, ratio float64) Option {
	return func(o *options) {
		o.compactMin = max(minDead, 0)
		o.compactRatio = max(ratio, 0)
	}
}
