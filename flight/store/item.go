package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Item is one detection held in custody: its encoded record, its evidence
// chip and the metadata the store orders, expires and releases it by.
type Item struct {
	// ID is the detection id; the store is idempotent on it.
	ID string
	// Class is the detection class ("fire", "flood", ...); it selects the
	// expiry from Options.ExpiryByClass and groups Stats.
	Class string
	// PriorityClass orders first: 0 is most urgent, up to MaxPriorityClass.
	PriorityClass int
	// Value orders within a priority class, higher first. It must be finite.
	Value float64
	// Expiry is when the item stops being worth sending. Zero means
	// Arrival plus the class expiry from Options (or never, if none is set).
	Expiry time.Time
	// Record is the encoded detection record.
	Record []byte
	// Chip is the evidence chip.
	Chip []byte
	// Region is the footprint's bounding box: min lon, min lat, max lon,
	// max lat in degrees. ReleaseWhere matches on it.
	Region [4]float64
	// Arrival is when the item entered the store. Zero means the store's
	// clock at Put.
	Arrival time.Time
}

// SizeBytes is what the item counts against the quotas: its record and chip.
func (it *Item) SizeBytes() int64 { return int64(len(it.Record) + len(it.Chip)) }

// State is a stage of custody.
type State uint8

// Custody states. Queued and InFlight items are stored and offered by Next;
// Acknowledged and Released are remembered as tombstones (no payload) so a
// re-put of the same id is recognised, until Options.TombstoneTTL passes.
const (
	StateUnknown State = iota
	// StateQueued: stored, nothing sent yet.
	StateQueued
	// StateInFlight: some symbols were sent (MarkSent); the item stays
	// stored and keeps its place in the order until acknowledged.
	StateInFlight
	// StateAcknowledged: ground confirmed the item complete (Ack); its
	// payload is released.
	StateAcknowledged
	// StateReleased: deleted for a reason other than acknowledgement
	// (expired, evicted, operator release, corrupt).
	StateReleased
)

var stateNames = [...]string{"unknown", "queued", "in_flight", "acknowledged", "released"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Reason says why an item left the store.
type Reason uint8

// Deletion reasons, each counted in Stats.Deleted.
const (
	// ReasonAcknowledged: ground confirmed it complete.
	ReasonAcknowledged Reason = iota + 1
	// ReasonExpired: its expiry passed before it was acknowledged.
	ReasonExpired
	// ReasonEvicted: pushed out at the hard limit by a more urgent item.
	ReasonEvicted
	// ReasonOperator: released by an operator command (Release, ReleaseWhere).
	ReasonOperator
	// ReasonSuperseded: released by the flight software because a newer
	// item replaces it.
	ReasonSuperseded
	// ReasonCorrupt: found inconsistent at Open and removed.
	ReasonCorrupt
	reasonEnd
)

var reasonNames = [...]string{"", "acknowledged", "expired", "evicted", "operator", "superseded", "corrupt"}

func (r Reason) String() string {
	if r > 0 && r < reasonEnd {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Reasons lists every deletion reason, for metrics.
func Reasons() []Reason {
	out := make([]Reason, 0, reasonEnd-1)
	for r := ReasonAcknowledged; r < reasonEnd; r++ {
		out = append(out, r)
	}
	return out
}

// Limits on what Put accepts.
const (
	MaxIDBytes       = 128
	MaxClassBytes    = 64
	MaxPassBytes     = 64
	MaxPriorityClass = 255
	// MaxSymbolIndex bounds a symbol index given to MarkSent.
	MaxSymbolIndex = 1<<24 - 1
)

// neverNanos stands for "no expiry" in keys, so such items sort last among
// equals and never enter the expiry index.
const neverNanos = math.MaxInt64

func validate(it *Item, maxItemBytes int64) error {
	switch {
	case it.ID == "":
		return fmt.Errorf("%w: empty id", ErrInvalidItem)
	case len(it.ID) > MaxIDBytes:
		return fmt.Errorf("%w: id of %d bytes exceeds %d", ErrInvalidItem, len(it.ID), MaxIDBytes)
	case it.Class == "" || len(it.Class) > MaxClassBytes:
		return fmt.Errorf("%w: %s: class must be 1..%d bytes", ErrInvalidItem, it.ID, MaxClassBytes)
	case it.PriorityClass < 0 || it.PriorityClass > MaxPriorityClass:
		return fmt.Errorf("%w: %s: priority class %d outside 0..%d", ErrInvalidItem, it.ID, it.PriorityClass, MaxPriorityClass)
	case math.IsNaN(it.Value) || math.IsInf(it.Value, 0):
		return fmt.Errorf("%w: %s: value %v is not finite", ErrInvalidItem, it.ID, it.Value)
	case it.SizeBytes() == 0:
		return fmt.Errorf("%w: %s: empty record and chip", ErrInvalidItem, it.ID)
	case it.SizeBytes() > maxItemBytes:
		return fmt.Errorf("%w: %s: %d bytes exceeds %d", ErrTooLarge, it.ID, it.SizeBytes(), maxItemBytes)
	}
	for i := 0; i < len(it.ID); i++ {
		if it.ID[i] == 0 {
			return fmt.Errorf("%w: id contains a NUL byte", ErrInvalidItem)
		}
	}
	for _, f := range it.Region {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: %s: region %v is not finite", ErrInvalidItem, it.ID, it.Region)
		}
	}
	return nil
}

// header is the fixed part of a stored item (bucket "items"); the payload
// lives in chunks keyed by seq.
type header struct {
	state         State
	priorityClass uint8
	value         float64
	expiryNanos   int64 // neverNanos for none
	arrivalNanos  int64
	seq           uint64
	recordLen     uint32
	chipLen       uint32
	region        [4]float64
	class         string
}

const headerVersion = 1

// headerFixedBytes: version, state, prio, value, expiry, arrival, seq,
// recordLen, chipLen, region, class length.
const headerFixedBytes = 1 + 1 + 1 + 8 + 8 + 8 + 8 + 4 + 4 + 32 + 1

func (h *header) sizeBytes() int64 { return int64(h.recordLen) + int64(h.chipLen) }

func (h *header) marshal() []byte {
	b := make([]byte, headerFixedBytes+len(h.class))
	b[0] = headerVersion
	b[1] = byte(h.state)
	b[2] = h.priorityClass
	binary.BigEndian.PutUint64(b[3:], math.Float64bits(h.value))
	binary.BigEndian.PutUint64(b[11:], uint64(h.expiryNanos))
	binary.BigEndian.PutUint64(b[19:], uint64(h.arrivalNanos))
	binary.BigEndian.PutUint64(b[27:], h.seq)
	binary.BigEndian.PutUint32(b[35:], h.recordLen)
	binary.BigEndian.PutUint32(b[39:], h.chipLen)
	for i, f := range h.region {
		binary.BigEndian.PutUint64(b[43+8*i:], math.Float64bits(f))
	}
	b[75] = byte(len(h.class))
	copy(b[76:], h.class)
	return b
}

// errBadHeader is wrapped by every header decoding failure.
var errBadHeader = errors.New("bad item header")

func unmarshalHeader(b []byte) (header, error) {
	var h header
	if len(b) < headerFixedBytes {
		return h, fmt.Errorf("%w: %d bytes, need at least %d", errBadHeader, len(b), headerFixedBytes)
	}
	if b[0] != headerVersion {
		return h, fmt.Errorf("%w: version %d", errBadHeader, b[0])
	}
	h.state = State(b[1])
	if h.state != StateQueued && h.state != StateInFlight {
		return h, fmt.Errorf("%w: state %d", errBadHeader, b[1])
	}
	h.priorityClass = b[2]
	h.value = math.Float64frombits(binary.BigEndian.Uint64(b[3:]))
	if math.IsNaN(h.value) || math.IsInf(h.value, 0) {
		return h, fmt.Errorf("%w: value not finite", errBadHeader)
	}
	h.expiryNanos = int64(binary.BigEndian.Uint64(b[11:]))
	h.arrivalNanos = int64(binary.BigEndian.Uint64(b[19:]))
	h.seq = binary.BigEndian.Uint64(b[27:])
	h.recordLen = binary.BigEndian.Uint32(b[35:])
	h.chipLen = binary.BigEndian.Uint32(b[39:])
	for i := range h.region {
		h.region[i] = math.Float64frombits(binary.BigEndian.Uint64(b[43+8*i:]))
	}
	n := int(b[75])
	if n == 0 || len(b) != headerFixedBytes+n {
		return h, fmt.Errorf("%w: class length %d in %d bytes", errBadHeader, n, len(b))
	}
	h.class = string(b[76:])
	return h, nil
}

// orderKey sorts the ready index: priority class ascending, value
// descending, expiry ascending, arrival ascending, then seq.
func (h *header) orderKey() []byte {
	k := make([]byte, 1+8+8+8+8)
	k[0] = h.priorityClass
	binary.BigEndian.PutUint64(k[1:], ^sortableFloat(h.value))
	binary.BigEndian.PutUint64(k[9:], sortableInt(h.expiryNanos))
	binary.BigEndian.PutUint64(k[17:], sortableInt(h.arrivalNanos))
	binary.BigEndian.PutUint64(k[25:], h.seq)
	return k
}

// orderValue is the order index's value: the item's header, then its id,
// so Next reads each item's metadata from the index itself.
func orderValue(h *header, id string) []byte { return append(h.marshal(), id...) }

// splitOrderValue decodes an order index value.
func splitOrderValue(v []byte) (header, string, error) {
	if len(v) < headerFixedBytes {
		return header{}, "", fmt.Errorf("%w: order entry of %d bytes", errBadHeader, len(v))
	}
	n := headerFixedBytes + int(v[75])
	if len(v) <= n {
		return header{}, "", fmt.Errorf("%w: order entry without id", errBadHeader)
	}
	h, err := unmarshalHeader(v[:n])
	return h, string(v[n:]), err
}

// expiryKey sorts the expiry index: expiry then seq.
func expiryKey(expiryNanos int64, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, sortableInt(expiryNanos))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// chunkKey addresses chunk i of the payload of the item with sequence seq.
func chunkKey(seq uint64, i uint32) []byte {
	k := make([]byte, 12)
	binary.BigEndian.PutUint64(k, seq)
	binary.BigEndian.PutUint32(k[8:], i)
	return k
}

// sortableFloat maps a float64 to a uint64 with the same order.
func sortableFloat(f float64) uint64 {
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		return ^u
	}
	return u | 1<<63
}

// sortableInt maps an int64 to a uint64 with the same order.
func sortableInt(i int64) uint64 { return uint64(i) ^ 1<<63 }

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time {
	if n == neverNanos {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// tombstone is what the store remembers of an item that left (bucket
// "gone"): why and when.
type tombstone struct {
	reason  Reason
	atNanos int64
}

func (t tombstone) marshal() []byte {
	b := make([]byte, 9)
	b[0] = byte(t.reason)
	binary.BigEndian.PutUint64(b[1:], uint64(t.atNanos))
	return b
}

func unmarshalTombstone(b []byte) (tombstone, error) {
	if len(b) != 9 || b[0] == 0 || Reason(b[0]) >= reasonEnd {
		return tombstone{}, fmt.Errorf("%w: bad tombstone of %d bytes", ErrCorrupt, len(b))
	}
	return tombstone{reason: Reason(b[0]), atNanos: int64(binary.BigEndian.Uint64(b[1:]))}, nil
}

// goneTimeKey indexes tombstones by time for bounded pruning.
func goneTimeKey(atNanos int64, id string) []byte {
	k := make([]byte, 8+len(id))
	binary.BigEndian.PutUint64(k, sortableInt(atNanos))
	copy(k[8:], id)
	return k
}

// Symbols sent in one pass are stored as a sorted set: a uvarint count,
// then uvarint deltas.
func marshalSymbols(syms []int) []byte {
	b := binary.AppendUvarint(nil, uint64(len(syms)))
	prev := 0
	for i, s := range syms {
		if i == 0 {
			b = binary.AppendUvarint(b, uint64(s))
		} else {
			b = binary.AppendUvarint(b, uint64(s-prev))
		}
		prev = s
	}
	return b
}

var errBadSymbols = errors.New("bad symbol set")

// uvarint decodes a canonical (shortest) uvarint, so every set has one
// encoding.
func uvarint(b []byte) (uint64, int) {
	v, k := binary.Uvarint(b)
	var buf [binary.MaxVarintLen64]byte
	if k <= 0 || k != len(binary.AppendUvarint(buf[:0], v)) {
		return 0, -1
	}
	return v, k
}

func unmarshalSymbols(b []byte) ([]int, error) {
	n, k := uvarint(b)
	if k <= 0 {
		return nil, fmt.Errorf("%w: bad count", errBadSymbols)
	}
	b = b[k:]
	// Each symbol takes at least one byte, which bounds the allocation.
	if n > uint64(len(b)) {
		return nil, fmt.Errorf("%w: count %d exceeds %d bytes", errBadSymbols, n, len(b))
	}
	out := make([]int, 0, n)
	prev := uint64(0)
	for i := uint64(0); i < n; i++ {
		d, k := uvarint(b)
		if k <= 0 {
			return nil, fmt.Errorf("%w: truncated at symbol %d", errBadSymbols, i)
		}
		b = b[k:]
		if i > 0 && d == 0 {
			return nil, fmt.Errorf("%w: repeated symbol", errBadSymbols)
		}
		v := prev + d
		if d > MaxSymbolIndex || v > MaxSymbolIndex {
			return nil, fmt.Errorf("%w: symbol beyond %d", errBadSymbols, MaxSymbolIndex)
		}
		out = append(out, int(v))
		prev = v
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errBadSymbols, len(b))
	}
	return out, nil
}

// custodyKey addresses the symbols of item id sent in pass.
func custodyKey(id, pass string) []byte {
	k := make([]byte, 0, len(id)+1+len(pass))
	k = append(k, id...)
	k = append(k, 0)
	return append(k, pass...)
}
