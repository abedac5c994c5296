package bench

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleResult() *Result {
	h := &Histogram{}
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	return &Result{Client: "mqttkit", Scenario: "pubsub", QoS: 1, Size: 64, Clients: 2, Subscribers: 1,
		Sent: 1000, Acked: 1000, Received: 1000, Expected: 1000, MsgsPerSec: 12345.6, P50ms: 0.5, P99ms: 0.99,
		P999ms: 1, MaxMs: 1, CPUusPerMsg: 7.5, Latency: h,
		Timeline: []Sample{{At: time.Second, Sent: 500, Acked: 500, Received: 490}, {At: 2 * time.Second, Sent: 1000, Acked: 1000, Received: 1000}}}
}

func TestJSONHasTheIssueFields(t *testing.T) {
	var b bytes.Buffer
	if err := sampleResult().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "\n") != 1 {
		t.Fatalf("not one line: %q", b.String())
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"scenario", "qos", "size", "clients", "sent", "received", "lost", "duplicated",
		"msgs_per_sec", "p50_ms", "p99_ms", "p999_ms", "max_ms", "cpu_us_per_msg"} {
		if _, ok := m[k]; !ok {
			t.Errorf("field %q missing from %s", k, b.String())
		}
	}
	if m["msgs_per_sec"].(float64) != 12345.6 || m["sent"].(float64) != 1000 {
		t.Errorf("values changed on the way: %s", b.String())
	}
}

func TestCSVAppends(t *testing.T) {
	var b bytes.Buffer
	r := sampleResult()
	now := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	if err := r.WriteCSV(&b, true, now); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteCSV(&b, false, now); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want a header and two", len(rows))
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	if rows[1][col["msgs_per_sec"]] != "12345.600" || rows[2][col["client"]] != "mqttkit" || rows[1][col["time"]] != "2026-11-25T22:00:00Z" {
		t.Errorf("row %v", rows[1])
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := sampleResult().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if n := strings.Count(s, "<svg"); n != 2 {
		t.Errorf("%d charts, want latency and throughput", n)
	}
	if strings.Contains(s, "<script") || strings.Contains(s, "http://") && !strings.Contains(s, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("the page loads something")
	}
	if !strings.Contains(s, "99.9%") || !strings.Contains(s, "polyline") {
		t.Error("no percentile axis or no line")
	}
}

func TestBad(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		bad  bool
	}{
		{"clean", Result{QoS: 1}, false},
		{"lost", Result{QoS: 1, Lost: 1}, true},
		{"failed", Result{QoS: 0, Failed: 1}, true},
		{"qos1 duplicate is allowed", Result{QoS: 1, Duplicated: 1}, false},
		{"qos2 duplicate", Result{QoS: 2, Duplicated: 1}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.r.Bad() != tc.bad {
				t.Fatalf("Bad() = %v", !tc.bad)
			}
		})
	}
}
