package store

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// The log file is a header followed by records:
//
//	header: the 8 bytes of fileMagic
//	record: u32 body length | u32 CRC-32C of body | body      (little endian)
//	body:   uvarint group offset | op ...
//	op:     u8 opPut  | u8 kind | uvarint id | uvarint value length | value
//	        u8 opDelete | u8 kind | uvarint id
//
// The group offset is the distance from the start of the group write the
// record was part of (all records written by one write+fsync) back to the
// record. Recovery uses it to tell a torn last write, which it may drop, from
// damage to data that was already durable, which it must not hide.

// fileMagic opens every log file: it names the format and its version.
const fileMagic = "MQKSLOG1"

const (
	headerLen    = len(fileMagic)
	recordHeader = 8
	// minBody is the smallest body: a group offset and one delete op.
	minBody = 4
	// maxBody bounds a record so that a corrupt length cannot make
	// recovery allocate gigabytes; one value of MaxValueSize fits.
	maxBody = MaxValueSize + 1<<20
)

const (
	opPut    byte = 1
	opDelete byte = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errBadBody reports a body whose checksum matched but whose ops do not parse:
// written by a newer version or damaged in a way the checksum missed.
var errBadBody = errors.New("record body does not parse")

// recordWriter appends one record to a buffer, op by op.
type recordWriter struct {
	buf   []byte
	start int // where the record begins in buf
}

// begin starts a record at the end of buf whose group write began groupOff
// bytes before it.
func (w *recordWriter) begin(buf []byte, groupOff uint64) {
	w.start = len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0)
	w.buf = binary.AppendUvarint(buf, groupOff)
}

// add appends op and returns the value's position relative to the record's
// start and the op's encoded size (the bytes it keeps alive while live).
func (w *recordWriter) add(op Op) (valuePos int, entry int) {
	before := len(w.buf)
	if op.Delete {
		w.buf = append(w.buf, opDelete, byte(op.Key.Kind))
		w.buf = binary.AppendUvarint(w.buf, op.Key.ID)
		return 0, len(w.buf) - before
	}
	w.buf = append(w.buf, opPut, byte(op.Key.Kind))
	w.buf = binary.AppendUvarint(w.buf, op.Key.ID)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(op.Value)))
	valuePos = len(w.buf) - w.start
	w.buf = append(w.buf, op.Value...)
	return valuePos, len(w.buf) - before
}

// finish fills in the record's length and checksum and returns the buffer.
func (w *recordWriter) finish() []byte {
	body := w.buf[w.start+recordHeader:]
	binary.LittleEndian.PutUint32(w.buf[w.start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(w.buf[w.start+4:], crc32.Checksum(body, castagnoli))
	return w.buf
}

// recordSize returns the encoded size of a record holding ops.
func recordSize(ops []Op) int {
	n := recordHeader + binary.MaxVarintLen64
	for _, op := range ops {
		n += 2 + binary.MaxVarintLen64*2 + len(op.Value)
	}
	return n
}

// checkRecord validates the record at the start of b and returns its body,
// or ok false when b does not start with a complete record whose checksum
// matches.
func checkRecord(b []byte) (body []byte, ok bool) {
	if len(b) < recordHeader {
		return nil, false
	}
	n := binary.LittleEndian.Uint32(b)
	if n < minBody || n > maxBody || uint64(len(b)-recordHeader) < uint64(n) {
		return nil, false
	}
	body = b[recordHeader : recordHeader+int(n)]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return nil, false
	}
	return body, true
}

// decodedOp is one op read back from a body: the value is described by its
// position in the record, not copied.
type decodedOp struct {
	key      Key
	delete   bool
	valuePos int // from the record's start
	valueLen int
	entry    int
}

// decodeBody parses body (of a record whose checksum matched) and returns its
// ops, appended to ops. The group offset is skipped: only laterGroup needs it.
func decodeBody(body []byte, ops []decodedOp) ([]decodedOp, error) {
	_, n := binary.Uvarint(body)
	if n <= 0 {
		return ops, errBadBody
	}
	pos := n
	for pos < len(body) {
		start := pos
		if len(body)-pos < 3 {
			return ops, errBadBody
		}
		typ, kind := body[pos], Kind(body[pos+1])
		pos += 2
		id, n := binary.Uvarint(body[pos:])
		if n <= 0 || kind == 0 {
			return ops, errBadBody
		}
		pos += n
		op := decodedOp{key: Key{Kind: kind, ID: id}}
		switch typ {
		case opDelete:
			op.delete = true
		case opPut:
			vlen, n := binary.Uvarint(body[pos:])
			if n <= 0 || vlen > uint64(len(body)-pos-n) {
				return ops, errBadBody
			}
			pos += n
			op.valuePos, op.valueLen = recordHeader+pos, int(vlen)
			pos += int(vlen)
		default:
			return ops, errBadBody
		}
		op.entry = pos - start
		ops = append(ops, op)
	}
	return ops, nil
}
