package mqtttest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
)

func TestProxyBlackhole(t *testing.T) {
	b := mqtttest.NewBroker(t, mqtttest.WithoutPersistence())
	p := mqtttest.NewProxy(t, strings.TrimPrefix(b.DirectURL(), "mqtt://"))
	c := pahotest.MustDial(t, p.Addr(), pahotest.Options{})
	p.Blackhole(true)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Client.Publish(ctx, &paho.Publish{Topic: "t", QoS: 1, Payload: []byte("x")})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("publish through a blackhole: err = %v, want the context deadline (no PUBACK)", err)
	}
	select {
	case <-c.Done():
		t.Fatal("a blackholed connection was closed; it should stay open and silent")
	default:
	}
}

func TestProxyRefuse(t *testing.T) {
	b := mqtttest.NewBroker(t, mqtttest.WithoutPersistence())
	p := mqtttest.NewProxy(t, strings.TrimPrefix(b.DirectURL(), "mqtt://"))
	p.Refuse(true)
	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read from a refused connection: %v, want EOF", err)
	}
	p.Refuse(false)
	pahotest.MustDial(t, p.Addr(), pahotest.Options{})
}

func TestProxyTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := mqtttest.NewProxy(t, addr)
	if _, err := pahotest.Dial(t, p.Addr(), pahotest.Options{}); err == nil {
		t.Fatal("connected through a proxy whose target is down")
	}
}
