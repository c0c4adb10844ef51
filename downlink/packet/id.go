package packet

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// Kind is the item kind, carried as the packet's APID.
type Kind uint16

// Item kinds. Their values are the APIDs on air.
const (
	KindRecord       Kind = 0x100 // a detection record (JSON, see downlink/record)
	KindChip         Kind = 0x101 // the evidence chip of a detection, same ID as its record
	KindHousekeeping Kind = 0x102 // housekeeping telemetry
	// KindBundle carries the records and chips of several detections in one
	// item (see downlink/bundle), so small detections share their frames'
	// padding on slow links. Its id is bundle.ID of its members.
	KindBundle Kind = 0x103
)

// Valid reports whether k is one of the item kinds above.
func (k Kind) Valid() bool {
	return k == KindRecord || k == KindChip || k == KindHousekeeping || k == KindBundle
}

// String names the kind ("record", "chip", "housekeeping", "bundle").
func (k Kind) String() string {
	switch k {
	case KindRecord:
		return "record"
	case KindChip:
		return "chip"
	case KindHousekeeping:
		return "housekeeping"
	case KindBundle:
		return "bundle"
	}
	return fmt.Sprintf("apid-%#x", uint16(k))
}

// IDBytes is the size of an item id.
const IDBytes = 16

// ItemID identifies an item within its kind.
type ItemID [IDBytes]byte

// String is the 32-character lower-case hex form.
func (id ItemID) String() string { return hex.EncodeToString(id[:]) }

// ItemRef names one item on the link: its kind and its id.
type ItemRef struct {
	Kind Kind
	ID   ItemID
}

// String is "kind/hexid".
func (r ItemRef) String() string { return r.Kind.String() + "/" + r.ID.String() }

// ErrBadID is wrapped by ParseDetectionID errors.
var ErrBadID = errors.New("packet: bad detection id")

// ParseDetectionID decodes a detection id of exactly 32 lower-case hex
// characters into an ItemID.
func ParseDetectionID(s string) (ItemID, error) {
	var id ItemID
	if len(s) != 2*IDBytes {
		return id, fmt.Errorf("%w: %q has %d characters, want %d hex", ErrBadID, s, len(s), 2*IDBytes)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return id, fmt.Errorf("%w: %q has %q at %d, want lower-case hex", ErrBadID, s, c, i)
		}
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("%w: %q: %v", ErrBadID, s, err)
	}
	return id, nil
}

// FormatID is the inverse of ParseDetectionID.
func FormatID(id ItemID) string { return id.String() }
