package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mqttkit/mqttkit/internal/bench"
)

// benchProgress returns the live line drawn once a second on a terminal:
// the counts so far and the rates of the last second.
func benchProgress() func(bench.Sample) {
	var prev bench.Sample
	return func(s bench.Sample) {
		secs := (s.At - prev.At).Seconds()
		if secs <= 0 {
			return
		}
		fmt.Fprintf(os.Stderr, "\r\x1b[K%4.0fs  sent %d (%.0f/s)  acked %d  received %d (%.0f/s)",
			s.At.Seconds(), s.Sent, float64(s.Sent-prev.Sent)/secs, s.Acked, s.Received, float64(s.Received-prev.Received)/secs)
		prev = s
	}
}

// output prints the summary (table or JSON), appends the CSV row, writes
// the HTML report and turns loss into a loud failure unless --allow-loss.
func (bf *benchFlags) output(res *bench.Result) error {
	if bf.cfg.Progress != nil {
		fmt.Fprint(os.Stderr, "\r\x1b[K")
	}
	var err error
	if bf.json {
		err = res.WriteJSON(os.Stdout)
	} else {
		err = res.WriteTable(os.Stdout)
	}
	if err != nil {
		return failure("bench: writing the summary: %v", err)
	}
	if bf.csv != "" {
		if err := appendCSV(bf.csv, res); err != nil {
			return failure("bench: --csv %s: %v", bf.csv, err)
		}
	}
	if bf.report != "" {
		if err := writeReport(bf.report, res); err != nil {
			return failure("bench: --report %s: %v", bf.report, err)
		}
	}
	if res.Bad() {
		msg := fmt.Sprintf("LOST %d of %d messages, %d publishes failed, %d duplicated at QoS %d (%s)",
			res.Lost, max(res.Expected, res.Sent), res.Failed, res.Duplicated, res.QoS, res.LossCounted)
		if res.FirstError != "" {
			msg += "; first error: " + res.FirstError
		}
		if bf.allowLoss {
			fmt.Fprintln(os.Stderr, "mqttkit: bench: warning: "+msg)
			return nil
		}
		return failure("bench: %s; the figures above are not a valid measurement (add --allow-loss to accept loss, e.g. at QoS 0)", msg)
	}
	return nil
}

func appendCSV(path string, res *bench.Result) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil {
		err = res.WriteCSV(f, st.Size() == 0, time.Now())
	}
	return errors.Join(err, f.Close())
}

func writeReport(path string, res *bench.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(res.WriteHTML(f), f.Close())
}
