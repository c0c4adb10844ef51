package bundle

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/skysieve/skysieve/downlink/packet"
	"github.com/skysieve/skysieve/downlink/record"
)

// Limits of the encoding. Decode refuses anything beyond them before
// allocating.
const (
	// MaxMembers bounds the detections in one bundle.
	MaxMembers = 4096
	// MaxPartBytes bounds one record or chip.
	MaxPartBytes = 1 << 24
	// HeaderBytes is the bundle header's size; MinMemberHeaderBytes the
	// smallest member header (two one-byte lengths).
	HeaderBytes          = 6
	MinMemberHeaderBytes = 2
)

var magic = [4]byte{'S', 'K', 'B', '1'}

// ErrMalformed is wrapped by every Decode error.
var ErrMalformed = errors.New("bundle: malformed")

// Member is one detection in a bundle. Decode's members alias its input.
// ID is not sent: a record names its detection, so Decode reads it from
// Record, and Encode's caller must give each member the record of that id.
type Member struct {
	ID     packet.ItemID
	Record []byte
	Chip   []byte
}

// Part is one link item a member stands for: its record or its chip,
// under the detection's id.
type Part struct {
	Ref  packet.ItemRef
	Data []byte
}

// Parts are the record and, if it has one, the chip of m, as the items
// they would be if sent on their own: what the ground publishes and
// acknowledges for a member.
func (m *Member) Parts() []Part {
	parts := []Part{{Ref: packet.ItemRef{Kind: packet.KindRecord, ID: m.ID}, Data: m.Record}}
	if len(m.Chip) > 0 {
		parts = append(parts, Part{Ref: packet.ItemRef{Kind: packet.KindChip, ID: m.ID}, Data: m.Chip})
	}
	return parts
}

// Size is the number of bytes Encode spends on the members.
func Size(members []Member) int {
	n := HeaderBytes
	for i := range members {
		n += MemberSize(len(members[i].Record), len(members[i].Chip))
	}
	return n
}

// MemberSize is what one member adds to a bundle's encoding.
func MemberSize(recordBytes, chipBytes int) int {
	return uvarintLen(recordBytes) + uvarintLen(chipBytes) + recordBytes + chipBytes
}

func uvarintLen(v int) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// Encode appends the bundle of members to dst. It fails (naming the member)
// for an empty or oversized bundle, an empty record or a part over
// MaxPartBytes.
func Encode(dst []byte, members []Member) ([]byte, error) {
	if len(members) == 0 || len(members) > MaxMembers {
		return dst, fmt.Errorf("bundle: %d members, want 1..%d", len(members), MaxMembers)
	}
	for i := range members {
		m := &members[i]
		if len(m.Record) == 0 || len(m.Record) > MaxPartBytes || len(m.Chip) > MaxPartBytes {
			return dst, fmt.Errorf("bundle: member %d (%s): record %d bytes, chip %d bytes; want record 1..%d, chip 0..%d",
				i, m.ID, len(m.Record), len(m.Chip), MaxPartBytes, MaxPartBytes)
		}
	}
	dst = append(dst, magic[:]...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(members)))
	for i := range members {
		m := &members[i]
		dst = binary.AppendUvarint(dst, uint64(len(m.Record)))
		dst = binary.AppendUvarint(dst, uint64(len(m.Chip)))
		dst = append(dst, m.Record...)
		dst = append(dst, m.Chip...)
	}
	return dst, nil
}

// Decode parses a bundle. The members' slices alias data. Every error
// wraps ErrMalformed and says which field is wrong; the only allocation is
// the member slice, bounded by what data can hold.
func Decode(data []byte) ([]Member, error) {
	if len(data) < HeaderBytes {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrMalformed, len(data), HeaderBytes)
	}
	if [4]byte(data[:4]) != magic {
		return nil, fmt.Errorf("%w: magic %q, want %q", ErrMalformed, data[:4], magic[:])
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if n == 0 || n > MaxMembers {
		return nil, fmt.Errorf("%w: member count %d, want 1..%d", ErrMalformed, n, MaxMembers)
	}
	if max := (len(data) - HeaderBytes) / (MinMemberHeaderBytes + 1); n > max {
		return nil, fmt.Errorf("%w: member count %d, but %d bytes hold at most %d", ErrMalformed, n, len(data), max)
	}
	out := make([]Member, n)
	off := HeaderBytes
	for i := range out {
		if len(data)-off < MinMemberHeaderBytes {
			return nil, fmt.Errorf("%w: member %d header at offset %d runs past the end (%d bytes)", ErrMalformed, i, off, len(data))
		}
		m := &out[i]
		r, err := length(data, &off)
		if err != nil {
			return nil, fmt.Errorf("%w: member %d record length: %v", ErrMalformed, i, err)
		}
		c, err := length(data, &off)
		if err != nil {
			return nil, fmt.Errorf("%w: member %d chip length: %v", ErrMalformed, i, err)
		}
		switch {
		case r == 0:
			return nil, fmt.Errorf("%w: member %d has an empty record", ErrMalformed, i)
		case r+c > len(data)-off:
			return nil, fmt.Errorf("%w: member %d record %d + chip %d bytes run past the end (%d bytes left)", ErrMalformed, i, r, c, len(data)-off)
		}
		m.Record = data[off : off+r : off+r]
		off += r
		m.Chip = data[off : off+c : off+c]
		off += c
		d, err := record.Unmarshal(m.Record)
		if err != nil {
			return nil, fmt.Errorf("%w: member %d record: %v", ErrMalformed, i, err)
		}
		if m.ID, err = packet.ParseDetectionID(d.ID); err != nil {
			return nil, fmt.Errorf("%w: member %d record id: %v", ErrMalformed, i, err)
		}
	}
	if off != len(data) {
		return nil, fmt.Errorf("%w: %d bytes after the last member", ErrMalformed, len(data)-off)
	}
	return out, nil
}

// length reads one part length at *off: a minimal unsigned varint of at
// most MaxPartBytes.
func length(data []byte, off *int) (int, error) {
	v, n := binary.Uvarint(data[*off:])
	switch {
	case n == 0:
		return 0, errors.New("runs past the end")
	case n < 0 || v > MaxPartBytes:
		return 0, fmt.Errorf("over %d", MaxPartBytes)
	case n != uvarintLen(int(v)):
		return 0, errors.New("not in its shortest form")
	}
	*off += n
	return int(v), nil
}

// ID is the item id of a bundle of members with these ids, in order: the
// first 16 bytes of SHA-256 over "skysieve bundle" and the ids.
func ID(ids []packet.ItemID) packet.ItemID {
	h := sha256.New()
	h.Write([]byte("skysieve bundle"))
	for i := range ids {
		h.Write(ids[i][:])
	}
	var out packet.ItemID
	copy(out[:], h.Sum(nil))
	return out
}
