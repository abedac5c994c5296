// Package pahotest is a small MQTT v5 test client built on paho.golang, for
// the tests of package broker and mqtttest: they need a real, independent
// client to check the brokers, and mqttkit's own client is tested against
// those brokers in turn. Import it from _test files only.
package pahotest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
)

// Options describes one connection. The zero value is an anonymous client
// with a clean session and a broker-assigned client id.
type Options struct {
	ClientID string
	Username string
	Password string
	// KeepSession connects with Clean Start 0 and a session expiry of one
	// hour, so the broker keeps subscriptions and queued messages.
	KeepSession bool
	// ReceiveMaximum is announced to the broker; 0 leaves it unset (65535).
	ReceiveMaximum uint16
	// ManualAck leaves acknowledging to the test (Client.Ack).
	ManualAck bool
}

// Client is a connected paho client whose received messages arrive on
// Messages (buffered; a test that receives more than 100000 messages
// without reading blocks the client).
type Client struct {
	*paho.Client
	Connack  *paho.Connack
	Messages chan *paho.Publish
	Errors   chan error
}

// Dial connects to addr (host:port). On a refused CONNECT it returns the
// CONNACK (with its reason code) and an error. The client is disconnected
// when the test ends.
func Dial(t testing.TB, addr string, o Options) (*Client, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return DialConn(t, conn, o)
}

// DialConn is Dial over an established connection (e.g. TLS, which paho
// needs wrapped for concurrent writes; DialConn does that).
func DialConn(t testing.TB, conn net.Conn, o Options) (*Client, error) {
	t.Helper()
	conn = packets.NewThreadSafeConn(conn)
	c := &Client{Messages: make(chan *paho.Publish, 100000), Errors: make(chan error, 16)}
	c.Client = paho.NewClient(paho.ClientConfig{
		ClientID:                   o.ClientID,
		Conn:                       conn,
		EnableManualAcknowledgment: o.ManualAck,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){
			func(r paho.PublishReceived) (bool, error) {
				c.Messages <- r.Packet
				return true, nil
			},
		},
		OnClientError: func(err error) {
			select {
			case c.Errors <- err:
			default:
			}
		},
	})
	cp := &paho.Connect{
		ClientID:   o.ClientID,
		KeepAlive:  30,
		CleanStart: !o.KeepSession,
		Properties: &paho.ConnectProperties{},
	}
	if o.KeepSession {
		expiry := uint32(3600)
		cp.Properties.SessionExpiryInterval = &expiry
	}
	if o.ReceiveMaximum != 0 {
		rm := o.ReceiveMaximum
		cp.Properties.ReceiveMaximum = &rm
	}
	if o.Username != "" {
		cp.Username, cp.UsernameFlag = o.Username, true
	}
	if o.Password != "" {
		cp.Password, cp.PasswordFlag = []byte(o.Password), true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ca, err := c.Connect(ctx, cp)
	c.Connack = ca
	if err != nil {
		_ = conn.Close()
		return c, err
	}
	t.Cleanup(func() {
		_ = c.Disconnect(&paho.Disconnect{})
		<-c.Done()
	})
	return c, nil
}

// MustDial is Dial that fails the test on error.
func MustDial(t testing.TB, addr string, o Options) *Client {
	t.Helper()
	c, err := Dial(t, addr, o)
	if err != nil {
		t.Fatalf("pahotest: connecting to %s: %v", addr, err)
	}
	return c
}

// Subscribe subscribes to filter at qos and fails the test unless the
// broker grants it.
func (c *Client) Subscribe(t testing.TB, filter string, qos byte) {
	t.Helper()
	sa, err := c.Client.Subscribe(ctx(t), &paho.Subscribe{
		Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: qos}},
	})
	if err != nil {
		t.Fatalf("pahotest: subscribing to %s: %v", filter, err)
	}
	if len(sa.Reasons) != 1 || sa.Reasons[0] > 2 {
		t.Fatalf("pahotest: subscribing to %s: SUBACK reasons %v", filter, sa.Reasons)
	}
}

// Publish publishes and, at QoS 1/2, waits for the broker's acknowledgement.
func (c *Client) Publish(t testing.TB, topic string, qos byte, retain bool, payload []byte) *paho.PublishResponse {
	t.Helper()
	r, err := c.Client.Publish(ctx(t), &paho.Publish{Topic: topic, QoS: qos, Retain: retain, Payload: payload})
	if err != nil {
		t.Fatalf("pahotest: publishing to %s: %v", topic, err)
	}
	return r
}

// Next waits up to timeout for the next message; nil means none came.
func (c *Client) Next(timeout time.Duration) *paho.Publish {
	select {
	case m := <-c.Messages:
		return m
	case <-time.After(timeout):
		return nil
	}
}

// ctx bounds one request so that a broken broker fails the test instead of
// hanging it.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}
