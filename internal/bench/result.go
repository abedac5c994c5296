package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Result is what a run measured. Its JSON form is the common language of
// `mqttkit bench --json` and the peer programs of bench/.
type Result struct {
	Client      string  `json:"client"`
	Scenario    string  `json:"scenario"`
	QoS         byte    `json:"qos"`
	Size        int     `json:"size"`
	Clients     int     `json:"clients"`
	Subscribers int     `json:"subscribers,omitempty"`
	Group       string  `json:"group,omitempty"`
	Rate        float64 `json:"rate,omitempty"` // per publisher
	Seconds     float64 `json:"seconds"`        // measured time, after the warmup

	Sent        uint64 `json:"sent"`
	Acked       uint64 `json:"acknowledged"`
	Failed      uint64 `json:"failed"`
	Received    uint64 `json:"received"`
	Expected    uint64 `json:"expected"`
	Lost        uint64 `json:"lost"`
	Duplicated  uint64 `json:"duplicated"`
	OutOfOrder  uint64 `json:"out_of_order"`
	Foreign     uint64 `json:"foreign,omitempty"`
	LossCounted string `json:"loss_counted"` // how lost was counted

	MsgsPerSec float64 `json:"msgs_per_sec"`
	P50ms      float64 `json:"p50_ms"`
	P90ms      float64 `json:"p90_ms"`
	P99ms      float64 `json:"p99_ms"`
	P999ms     float64 `json:"p999_ms"`
	MaxMs      float64 `json:"max_ms"`
	MeanMs     float64 `json:"mean_ms"`

	CPUSeconds   float64 `json:"cpu_s"`
	CPUusPerMsg  float64 `json:"cpu_us_per_msg"`
	PeakRSSMB    float64 `json:"peak_rss_mb"`
	Connections  int     `json:"connections,omitempty"`
	MemPerConnKB float64 `json:"mem_per_conn_kb,omitempty"` // Go runtime memory (conn)
	RSSPerConnKB float64 `json:"rss_per_conn_kb,omitempty"` // resident memory (conn)

	FirstError string `json:"first_error,omitempty"`

	// Latency holds the latencies (end to end, or connect times for
	// conn); Timeline the counts once a second. Both feed the HTML report.
	Latency  *Histogram `json:"-"`
	Timeline []Sample   `json:"-"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// result turns the counts of r into a Result.
func (r *run) result(end time.Time, atMeasure, after Usage) *Result {
	cfg := &r.cfg
	res := &Result{
		Scenario: string(cfg.Scenario), QoS: cfg.QoS, Size: cfg.Size, Clients: cfg.Clients,
		Group: cfg.Group, Rate: cfg.Rate, Client: r.d.Name(),
		Sent: r.sent.Load(), Acked: r.acked.Load(), Failed: r.failed.Load(),
		Received: r.arrivals.Load(), Foreign: r.foreign.Load(),
		Latency: &r.lat, Timeline: r.timeline,
	}
	if cfg.Scenario == PubSub {
		res.Subscribers = cfg.Subscribers
	}
	if p := r.firstErr.Load(); p != nil {
		res.FirstError = (*p).Error()
	}
	for _, oc := range r.orders {
		res.OutOfOrder += oc.count()
	}
	var measured uint64
	from := r.measureStart
	switch cfg.Scenario {
	case Pub:
		res.LossCounted = "publishes not acknowledged"
		if cfg.QoS > 0 {
			res.Lost = res.Sent - res.Acked
		}
		measured = r.measuredAck.Load()
	case Sub:
		res.LossCounted = "gaps in each publisher's sequence (loss after the last arrival is not seen)"
		for _, l := range r.ledgers {
			t := l.Tally(nil)
			res.Lost += t.Lost
			res.Duplicated += t.Duplicated
			res.Expected += t.Distinct + t.Lost
		}
		measured = r.measuredRecv.Load()
		if f := r.firstRecv.Load(); f != 0 {
			from = time.Unix(0, f)
		}
	case PubSub:
		res.LossCounted = "messages sent and never received, per publisher and receiving set"
		for _, l := range r.ledgers {
			t := l.Tally(r.sentPer)
			res.Lost += t.Lost
			res.Duplicated += t.Duplicated
		}
		res.Expected = res.Sent * uint64(len(r.ledgers))
		measured = r.measuredRecv.Load()
	}
	last := end
	if l := r.lastEvent.Load(); l != 0 {
		last = time.Unix(0, l)
	}
	if secs := last.Sub(from).Seconds(); secs > 0 {
		res.Seconds = secs
		res.MsgsPerSec = float64(measured) / secs
	}
	res.P50ms, res.P90ms = ms(r.lat.Quantile(0.5)), ms(r.lat.Quantile(0.9))
	res.P99ms, res.P999ms = ms(r.lat.Quantile(0.99)), ms(r.lat.Quantile(0.999))
	res.MaxMs, res.MeanMs = ms(r.lat.Max()), ms(r.lat.Mean())
	cpu := after.CPU - atMeasure.CPU
	res.CPUSeconds = cpu.Seconds()
	per := measured
	if cfg.Scenario == PubSub {
		per = r.measuredSent.Load() // per message published, its deliveries included
	}
	if per > 0 {
		res.CPUusPerMsg = float64(cpu.Microseconds()) / float64(per)
	}
	res.PeakRSSMB = float64(after.PeakRSSKB) / 1024
	return res
}

// Bad reports whether the run lost, failed or duplicated messages at a QoS
// that promises not to, so that the caller can say so and fail.
func (r *Result) Bad() bool {
	return r.Lost > 0 || r.Failed > 0 || (r.QoS == 2 && r.Duplicated > 0)
}

// WriteJSON writes r as one line of JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// csvColumns are the CSV columns, in order.
var csvColumns = []string{"time", "client", "scenario", "qos", "size", "clients", "subscribers", "group", "rate",
	"sent", "acknowledged", "received", "lost", "duplicated", "out_of_order",
	"msgs_per_sec", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "cpu_us_per_msg", "peak_rss_mb"}

// WriteCSV appends r as a CSV row to w, after a header row when header is
// true (a new file).
func (r *Result) WriteCSV(w io.Writer, header bool, now time.Time) error {
	cw := csv.NewWriter(w)
	if header {
		if err := cw.Write(csvColumns); err != nil {
			return err
		}
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	row := []string{now.UTC().Format(time.RFC3339), r.Client, r.Scenario, strconv.Itoa(int(r.QoS)), strconv.Itoa(r.Size),
		strconv.Itoa(r.Clients), strconv.Itoa(r.Subscribers), r.Group, f(r.Rate),
		u(r.Sent), u(r.Acked), u(r.Received), u(r.Lost), u(r.Duplicated), u(r.OutOfOrder),
		f(r.MsgsPerSec), f(r.P50ms), f(r.P90ms), f(r.P99ms), f(r.P999ms), f(r.MaxMs), f(r.CPUusPerMsg), f(r.PeakRSSMB)}
	if err := cw.Write(row); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes the end-of-run summary for people.
func (r *Result) WriteTable(w io.Writer) error {
	var lines [][2]string
	add := func(k, format string, args ...any) { lines = append(lines, [2]string{k, fmt.Sprintf(format, args...)}) }
	add("client", "%s", r.Client)
	if r.Scenario == string(Conns) {
		add("scenario", "conn, %d clients", r.Clients)
		add("connections", "%d", r.Connections)
		add("connect time", "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms", r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
		add("memory/connection", "%.1f KB Go runtime, %.1f KB resident", r.MemPerConnKB, r.RSSPerConnKB)
		add("peak RSS", "%.1f MB", r.PeakRSSMB)
	} else {
		add("scenario", "%s, QoS %d, %d B, %d clients", r.Scenario, r.QoS, r.Size, r.Clients)
		add("measured", "%.2f s", r.Seconds)
		add("sent", "%d (acknowledged %d, failed %d)", r.Sent, r.Acked, r.Failed)
		if r.Scenario != string(Pub) {
			add("received", "%d of %d expected", r.Received, r.Expected)
			add("duplicated", "%d", r.Duplicated)
			add("out of order", "%d", r.OutOfOrder)
		}
		add("lost", "%d (%s)", r.Lost, r.LossCounted)
		add("throughput", "%.0f msg/s", r.MsgsPerSec)
		if r.Latency != nil && r.Latency.Count() > 0 {
			add("latency", "p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms", r.P50ms, r.P90ms, r.P99ms, r.P999ms, r.MaxMs)
		}
		add("client CPU", "%.2f s, %.1f µs/msg", r.CPUSeconds, r.CPUusPerMsg)
		add("peak RSS", "%.1f MB", r.PeakRSSMB)
	}
	if r.Foreign > 0 {
		add("foreign", "%d messages without a bench header were ignored", r.Foreign)
	}
	if r.FirstError != "" {
		add("first error", "%s", r.FirstError)
	}
	for _, l := range lines {
		if _, err := fmt.Fprintf(w, "%-18s %s\n", l[0], l[1]); err != nil {
			return err
		}
	}
	return nil
}
