package mqttkit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

func TestGroupNameValidation(t *testing.T) {
	srv := mqtttest.NewBroker(t)
	c := dial(t, srv)
	ctx := testCtx(t, 10*time.Second)
	h := newCollector(1)
	for _, tc := range []struct {
		name, group, filter, mention string
	}{
		{"empty", "", "t", "empty"},
		{"slash", "a/b", "t", "contains"},
		{"plus", "a+", "t", "contains"},
		{"hash", "#", "t", "contains"},
		{"raw share and Group", "g", "$share/h/t", "already shared"},
		{"raw share without filter", "", "$share/g", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []mqttkit.SubscribeOption{mqttkit.Group(tc.group)}
			if strings.HasPrefix(tc.filter, "$share/") && tc.group == "" {
				opts = nil
			}
			_, err := c.Subscribe(ctx, tc.filter, h, opts...)
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("err = %v, want an error mentioning %q", err, tc.mention)
			}
		})
	}
}
