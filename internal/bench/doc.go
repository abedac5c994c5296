// Package bench is the measuring engine behind `mqttkit bench` and the
// comparison suite under bench/: it runs the pub, sub, pubsub and conn
// scenarios against any MQTT client through a small Driver interface, so
// that mqttkit and its peers (paho.golang, paho.mqtt.golang) are measured by
// the same code, and verifies what it measures.
//
// Every message carries a header (send time, publisher, sequence number) so
// that receivers account for loss, duplicates and reordering per publisher
// and record end-to-end latency in a log-linear histogram. A Result holds
// the figures and renders them as a table, one JSON object, a CSV row or an
// HTML page with inline SVG charts.
package bench
