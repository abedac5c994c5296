package mqttkit

import "fmt"

// String describes the client by its id and servers. It exists so that
// printing a *Client with %v or %s never walks its configuration, which
// holds the password, the TLS key and the authenticator.
func (c *Client) String() string {
	return fmt.Sprintf("mqttkit.Client{id=%s servers=%s}", c.ClientID(), c.serverList())
}

// GoString keeps %#v as safe as %v.
func (c *Client) GoString() string { return c.String() }
