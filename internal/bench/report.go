package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// LatencyChart renders the latency distribution as an SVG in the manner of
// HDR histogram plots: latency by percentile, on an axis that gives each
// further "nine" (90 %, 99 %, 99.9 %) the same width, where tails show.
func (r *Result) LatencyChart(title string) string {
	return lineChart(title, "percentile", "latency (ms)", percentileTicks(r.Latency), []series{{name: r.Client, color: "#1f77b4", points: percentilePoints(r.Latency)}})
}

// nines returns how many nines the histogram's count supports (1 000
// values: three, 99.9 %), at most five.
func nines(h *Histogram) float64 {
	if h == nil || h.Count() < 10 {
		return 1
	}
	return math.Min(math.Floor(math.Log10(float64(h.Count()))), 5)
}

func percentileTicks(h *Histogram) []tick {
	labels := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"}
	var ts []tick
	for i := 0; i <= int(nines(h)); i++ {
		ts = append(ts, tick{float64(i), labels[i]})
	}
	return ts
}

func percentilePoints(h *Histogram) [][2]float64 {
	if h == nil || h.Count() == 0 {
		return nil
	}
	top := nines(h)
	var pts [][2]float64
	for x := 0.0; x <= top+1e-9; x += top / 200 {
		q := 1 - math.Pow(10, -x)
		pts = append(pts, [2]float64{x, ms(h.Quantile(q))})
	}
	return pts
}

// ThroughputChart renders messages per second, second by second, as an
// SVG: sent and received (or acknowledged).
func (r *Result) ThroughputChart(title string) string {
	var sent, acked, recv [][2]float64
	var prev Sample
	for _, s := range r.Timeline {
		secs := (s.At - prev.At).Seconds()
		if secs <= 0.05 {
			continue
		}
		t := s.At.Seconds()
		sent = append(sent, [2]float64{t, float64(s.Sent-prev.Sent) / secs})
		acked = append(acked, [2]float64{t, float64(s.Acked-prev.Acked) / secs})
		recv = append(recv, [2]float64{t, float64(s.Received-prev.Received) / secs})
		prev = s
	}
	ss := []series{{name: "sent", color: "#1f77b4", points: sent}}
	if r.QoS > 0 {
		ss = append(ss, series{name: "acknowledged", color: "#2ca02c", points: acked})
	}
	if r.Scenario != string(Pub) {
		ss = append(ss, series{name: "received", color: "#d62728", points: recv})
	}
	return lineChart(title, "seconds", "messages per second", nil, ss)
}

// WriteHTML writes a self-contained page (inline SVG, no scripts, nothing
// fetched) with the summary, the latency distribution and the throughput
// over time.
func (r *Result) WriteHTML(w io.Writer) error {
	var table strings.Builder
	if err := r.WriteTable(&table); err != nil {
		return err
	}
	title := fmt.Sprintf("mqttkit bench %s: %s, QoS %d, %d B, %d clients", r.Scenario, r.Client, r.QoS, r.Size, r.Clients)
	latTitle := "End-to-end latency by percentile"
	if r.Scenario == string(Conns) {
		latTitle = "Connect time by percentile"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n", html.EscapeString(title))
	b.WriteString("<style>body{font-family:sans-serif;margin:2em;max-width:760px} pre{background:#f6f6f6;padding:1em}</style></head><body>\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n<pre>%s</pre>\n", html.EscapeString(title), html.EscapeString(table.String()))
	if r.Latency != nil && r.Latency.Count() > 0 {
		fmt.Fprintf(&b, "<h2>%s</h2>\n%s\n", latTitle, r.LatencyChart(latTitle))
	}
	if len(r.Timeline) > 0 {
		fmt.Fprintf(&b, "<h2>Throughput over time</h2>\n%s\n", r.ThroughputChart("Messages per second"))
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
