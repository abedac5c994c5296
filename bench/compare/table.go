package main

import (
	"fmt"
	"strings"
)

// renderTable prints every outcome as one Markdown table, scenario by
// scenario, with mqttkit's ratio to each peer: how many times its msg/s,
// and how many times less CPU per message and p99 latency. The ratios use
// the first mqttkit row of the scenario that lost nothing; when that is not
// the default "mqttkit" row, they are marked with *: figures of a run with
// loss are no measurement.
func renderTable(all []outcome) string {
	var b strings.Builder
	b.WriteString("| scenario | client | msg/s | p99 ms | client CPU µs/msg | lost | broker CPU | mqttkit msg/s × | mqttkit CPU ÷ | mqttkit p99 ÷ |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	mk := map[string]outcome{}
	for _, o := range all {
		_, seen := mk[o.Scenario]
		if !seen && strings.HasPrefix(o.Result.Client, "mqttkit") && o.Err == "" && !o.Result.Bad() {
			mk[o.Scenario] = o
		}
	}
	for _, o := range all {
		r := o.Result
		ratio := [3]string{"", "", ""}
		if m, ok := mk[o.Scenario]; ok && !strings.HasPrefix(r.Client, "mqttkit") && o.Err == "" && !r.Bad() {
			mark := ""
			if m.Result.Client != "mqttkit" {
				mark = "*"
			}
			ratio[0] = times(m.Result.MsgsPerSec, r.MsgsPerSec) + mark
			ratio[1] = times(r.CPUusPerMsg, m.Result.CPUusPerMsg) + mark
			ratio[2] = times(r.P99ms, m.Result.P99ms) + mark
		}
		client := r.Client
		if o.Note != "" {
			client += " (" + o.Note + ")"
		}
		if o.Err != "" {
			fmt.Fprintf(&b, "| %s | %s | failed: %s | | | | | | | |\n", o.Scenario, client, strings.ReplaceAll(o.Err, "|", "/"))
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.2f | %.1f | %d | %.0f %% | %s | %s | %s |\n",
			o.Scenario, client, r.MsgsPerSec, r.P99ms, r.CPUusPerMsg, r.Lost, 100*o.BrokerCPU, ratio[0], ratio[1], ratio[2])
	}
	return b.String()
}

// times formats a/b as "2.5×", or "–" when b is zero.
func times(a, b float64) string {
	if b <= 0 || a <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
