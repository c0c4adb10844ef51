package bundle

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/skysieve/skysieve/downlink/packet"
)

// Limits of the encoding. Decode refuses anything beyond them before
// allocating.
const (
	// MaxMembers bounds the detections in one bundle.
	MaxMembers = 4096
	// MaxPartBytes bounds one record or chip.
	MaxPartBytes = 1 << 24
	// HeaderBytes and MemberHeaderBytes are the fixed costs of the encoding.
	HeaderBytes       = 6
	MemberHeaderBytes = packet.IDBytes + 8
)

var magic = [4]byte{'S', 'K', 'B', '1'}

// ErrMalformed is wrapped by every Decode error.
var ErrMalformed = errors.New("bundle: malformed")

// Member is one detection in a bundle. Decode's members alias its input.
type Member struct {
	ID     packet.ItemID
	Record []byte
	Chip   []byte
}

// Size is the number of bytes Encode spends on the members.
func Size(members []Member) int {
	n := HeaderBytes
	for i := range members {
		n += MemberHeaderBytes + len(members[i].Record) + len(members[i].Chip)
	}
	return n
}

// MemberSize is what one member adds to a bundle's encoding.
func MemberSize(recordBytes, chipBytes int) int { return MemberHeaderBytes + recordBytes + chipBytes }

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
		dst = append(dst, m.ID[:]...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(m.Record)))
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(m.Chip)))
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
	if max := (len(data) - HeaderBytes) / (MemberHeaderBytes + 1); n > max {
		return nil, fmt.Errorf("%w: member count %d, but %d bytes hold at most %d", ErrMalformed, n, len(data), max)
	}
	out := make([]Member, n)
	off := HeaderBytes
	for i := range out {
		if len(data)-off < MemberHeaderBytes {
			return nil, fmt.Errorf("%w: member %d header at offset %d runs past the end (%d bytes)", ErrMalformed, i, off, len(data))
		}
		m := &out[i]
		copy(m.ID[:], data[off:])
		r := int(binary.BigEndian.Uint32(data[off+packet.IDBytes:]))
		c := int(binary.BigEndian.Uint32(data[off+packet.IDBytes+4:]))
		off += MemberHeaderBytes
		switch {
		case r == 0 || r > MaxPartBytes:
			return nil, fmt.Errorf("%w: member %d (%s) record length %d, want 1..%d", ErrMalformed, i, m.ID, r, MaxPartBytes)
		case c > MaxPartBytes:
			return nil, fmt.Errorf("%w: member %d (%s) chip length %d, want 0..%d", ErrMalformed, i, m.ID, c, MaxPartBytes)
		case r+c > len(data)-off:
			return nil, fmt.Errorf("%w: member %d (%s) record %d + chip %d bytes run past the end (%d bytes left)", ErrMalformed, i, m.ID, r, c, len(data)-off)
		}
		m.Record = data[off : off+r : off+r]
		off += r
		m.Chip = data[off : off+c : off+c]
		off += c
	}
	if off != len(data) {
		return nil, fmt.Errorf("%w: %d bytes after the last member", ErrMalformed, len(data)-off)
	}
	return out, nil
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
