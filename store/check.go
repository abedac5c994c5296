package store

import "fmt"

// compareKeys orders keys for Load: by Kind, then by ID.
func compareKeys(a, b Key) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

// checkOps rejects ops that no store can keep, before any of them is applied.
func checkOps(ops []Op) error {
	for _, op := range ops {
		if op.Key.Kind == 0 {
			return fmt.Errorf("store: key %d has Kind 0; use one of the Kind constants (Meta, Outbound, ...)", op.Key.ID)
		}
		if !op.Delete && len(op.Value) > MaxValueSize {
			return fmt.Errorf("store: value for key %v is %d bytes, above the limit of %d; MQTT packets are never that large, so this is a bug in the caller", op.Key, len(op.Value), MaxValueSize)
		}
	}
	return nil
}
