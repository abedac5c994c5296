package packet

func decodeEmpty(t Type, flags byte, b []byte) error {
	if err := checkFlags(t, flags); err != nil {
		return err
	}
	if len(b) != 0 {
		return errf(MalformedPacket, t, "remaining length %d, must be 0", len(b))
	}
	return nil
}

// Type reports PINGREQ.
func (*Pingreq) Type() Type { return PINGREQ }

// Append encodes the PINGREQ, the same in every version.
func (*Pingreq) Append(dst []byte, _ Version) ([]byte, error) {
	return append(dst, byte(PINGREQ)<<4, 0), nil
}

// Decode checks that the PINGREQ is empty.
func (*Pingreq) Decode(flags byte, b []byte, _ Version) error { return decodeEmpty(PINGREQ, flags, b) }

// Type reports PINGRESP.
func (*Pingresp) Type() Type { return PINGRESP }

// Append encodes the PINGRESP, the same in every version.
func (*Pingresp) Append(dst []byte, _ Version) ([]byte, error) {
	return append(dst, byte(PINGRESP)<<4, 0), nil
}

// Decode checks that the PINGRESP is empty.
func (*Pingresp) Decode(flags byte, b []byte, _ Version) error {
	return decodeEmpty(PINGRESP, flags, b)
}
