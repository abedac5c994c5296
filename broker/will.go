package broker

import (
	"encoding/json"
	"slices"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// mochi v2.7.9 keeps only the user properties of a will: its Will type has
// no room for the content type, payload format, message expiry, response
// topic or correlation data, so a will arrived without them. The hook
// carries them through mochi inside one extra user property of the will,
// under a key no client can send (our reader refuses U+0000 in strings),
// and moves them back into place when the will is written to a
// subscriber. Riding in the message itself, they survive a will delay, a
// retained will and a broker restart with persistence.

// willPropsKey is the user property that carries a will's other
// properties through mochi.
const willPropsKey = "\x00mqttkit-will-properties"

// willProps are the will properties mochi drops.
type willProps struct {
	PayloadFormat   *byte  `json:"pf,omitempty"`
	MessageExpiry   uint32 `json:"me,omitempty"`
	ContentType     string `json:"ct,omitempty"`
	ResponseTopic   string `json:"rt,omitempty"`
	CorrelationData []byte `json:"cd,omitempty"`
}

// keepWillProperties stores the CONNECT's will properties in the client's
// will (see willPropsKey).
func keepWillProperties(cl *mqtt.Client, pk packets.Packet) {
	if !pk.Connect.WillFlag {
		return
	}
	p := pk.Connect.WillProperties
	wp := willProps{MessageExpiry: p.MessageExpiryInterval, ContentType: p.ContentType,
		ResponseTopic: p.ResponseTopic, CorrelationData: p.CorrelationData}
	if p.PayloadFormatFlag {
		wp.PayloadFormat = &p.PayloadFormat
	}
	if wp.PayloadFormat == nil && wp.MessageExpiry == 0 && wp.ContentType == "" && wp.ResponseTopic == "" && len(wp.CorrelationData) == 0 {
		return
	}
	b, err := json.Marshal(wp)
	if err != nil {
		return // cannot happen: plain fields
	}
	cl.Properties.Will.User = append(slices.Clone(cl.Properties.Will.User), packets.UserProperty{Key: willPropsKey, Val: string(b)})
}

// restoreWillProperties puts a will's properties back in place in a
// PUBLISH about to be written.
func restoreWillProperties(pk packets.Packet) packets.Packet {
	i := slices.IndexFunc(pk.Properties.User, func(u packets.UserProperty) bool { return u.Key == willPropsKey })
	if i < 0 {
		return pk
	}
	var wp willProps
	err := json.Unmarshal([]byte(pk.Properties.User[i].Val), &wp)
	// The slice is shared with every other subscriber's copy.
	pk.Properties.User = slices.Delete(slices.Clone(pk.Properties.User), i, i+1)
	if err != nil {
		return pk
	}
	if wp.PayloadFormat != nil {
		pk.Properties.PayloadFormat, pk.Properties.PayloadFormatFlag = *wp.PayloadFormat, true
	}
	if wp.MessageExpiry > 0 {
		pk.Properties.MessageExpiryInterval = wp.MessageExpiry
	}
	pk.Properties.ContentType = wp.ContentType
	pk.Properties.ResponseTopic = wp.ResponseTopic
	pk.Properties.CorrelationData = wp.CorrelationData
	return pk
}
