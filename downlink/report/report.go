package report

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/skysieve/skysieve/downlink/packet"
)

// ItemRef names an item (kind and id).
type ItemRef = packet.ItemRef

// NeedRef is an incomplete item and how many more symbols it needs.
type NeedRef struct {
	Ref     ItemRef
	Symbols int
}

// Report is one ACK/NAK report or one part of it.
type Report struct {
	Seq      uint32    // ground's report counter
	Time     time.Time // when ground made the report (millisecond precision)
	Part     int       // 0-based part index
	Parts    int       // part count (1 when not split)
	Complete []ItemRef
	Need     []NeedRef
}

// Binary layout sizes.
const (
	HeaderBytes   = 20
	completeBytes = 2 + packet.IDBytes
	needBytes     = 2 + packet.IDBytes + 4
	version       = 1
	maxParts      = 255
)

// ErrMalformed is wrapped by every Parse error.
var ErrMalformed = errors.New("report: malformed")

// EncodedBytes is the size of a report with c complete and n need entries.
func EncodedBytes(c, n int) int { return HeaderBytes + c*completeBytes + n*needBytes }

// AppendBinary appends the binary form of r to dst.
func (r *Report) AppendBinary(dst []byte) ([]byte, error) {
	if len(r.Complete) > 0xFFFF || len(r.Need) > 0xFFFF {
		return dst, fmt.Errorf("report: %d complete and %d need entries, limit 65535 each", len(r.Complete), len(r.Need))
	}
	if r.Parts < 1 || r.Parts > maxParts || r.Part < 0 || r.Part >= r.Parts {
		return dst, fmt.Errorf("report: part %d of %d", r.Part, r.Parts)
	}
	var h [HeaderBytes]byte
	h[0] = version
	binary.BigEndian.PutUint32(h[2:], r.Seq)
	binary.BigEndian.PutUint64(h[6:], uint64(r.Time.UnixMilli()))
	h[14], h[15] = byte(r.Part), byte(r.Parts)
	binary.BigEndian.PutUint16(h[16:], uint16(len(r.Complete)))
	binary.BigEndian.PutUint16(h[18:], uint16(len(r.Need)))
	dst = append(dst, h[:]...)
	for _, c := range r.Complete {
		dst = binary.BigEndian.AppendUint16(dst, uint16(c.Kind))
		dst = append(dst, c.ID[:]...)
	}
	for _, n := range r.Need {
		if n.Symbols < 0 || n.Symbols > 1<<31-1 {
			return dst, fmt.Errorf("report: %v needs %d symbols", n.Ref, n.Symbols)
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(n.Ref.Kind))
		dst = append(dst, n.Ref.ID[:]...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(n.Symbols))
	}
	return dst, nil
}

// Parse decodes a report from untrusted bytes. Item kinds must be valid
// and the byte count must match the entry counts exactly.
func Parse(b []byte) (Report, error) {
	if len(b) < HeaderBytes {
		return Report{}, fmt.Errorf("%w: %d bytes is shorter than the %d-byte header", ErrMalformed, len(b), HeaderBytes)
	}
	if b[0] != version || b[1] != 0 {
		return Report{}, fmt.Errorf("%w: version %d flags %#x, want version %d flags 0", ErrMalformed, b[0], b[1], version)
	}
	r := Report{
		Seq:   binary.BigEndian.Uint32(b[2:]),
		Time:  time.UnixMilli(int64(binary.BigEndian.Uint64(b[6:]))).UTC(),
		Part:  int(b[14]),
		Parts: int(b[15]),
	}
	if r.Parts < 1 || r.Part >= r.Parts {
		return Report{}, fmt.Errorf("%w: part %d of %d", ErrMalformed, r.Part, r.Parts)
	}
	c := int(binary.BigEndian.Uint16(b[16:]))
	n := int(binary.BigEndian.Uint16(b[18:]))
	if want := EncodedBytes(c, n); want != len(b) {
		return Report{}, fmt.Errorf("%w: %d complete and %d need entries take %d bytes, have %d", ErrMalformed, c, n, want, len(b))
	}
	p := b[HeaderBytes:]
	if c > 0 {
		r.Complete = make([]ItemRef, c)
	}
	for i := range r.Complete {
		ref, err := parseRef(p)
		if err != nil {
			return Report{}, fmt.Errorf("%w: complete entry %d: %v", ErrMalformed, i, err)
		}
		r.Complete[i] = ref
		p = p[completeBytes:]
	}
	if n > 0 {
		r.Need = make([]NeedRef, n)
	}
	for i := range r.Need {
		ref, err := parseRef(p)
		if err != nil {
			return Report{}, fmt.Errorf("%w: need entry %d: %v", ErrMalformed, i, err)
		}
		s := binary.BigEndian.Uint32(p[completeBytes:])
		if s > 1<<31-1 {
			return Report{}, fmt.Errorf("%w: need entry %d: %d symbols", ErrMalformed, i, s)
		}
		r.Need[i] = NeedRef{Ref: ref, Symbols: int(s)}
		p = p[needBytes:]
	}
	return r, nil
}

func parseRef(p []byte) (ItemRef, error) {
	var ref ItemRef
	ref.Kind = packet.Kind(binary.BigEndian.Uint16(p))
	if !ref.Kind.Valid() {
		return ref, fmt.Errorf("APID %#x is not an item kind", uint16(ref.Kind))
	}
	copy(ref.ID[:], p[2:2+packet.IDBytes])
	return ref, nil
}

// Split cuts r into parts whose binary form is at most maxBytes each,
// numbering them (Part, Parts). An empty report gives one part.
func Split(r Report, maxBytes int) ([]Report, error) {
	perPart := maxBytes - HeaderBytes
	if perPart < needBytes {
		return nil, fmt.Errorf("report: %d bytes per part cannot hold an entry", maxBytes)
	}
	var parts []Report
	cur := Report{Seq: r.Seq, Time: r.Time}
	room := perPart
	flush := func() {
		parts = append(parts, cur)
		cur = Report{Seq: r.Seq, Time: r.Time}
		room = perPart
	}
	for _, c := range r.Complete {
		if room < completeBytes {
			flush()
		}
		cur.Complete = append(cur.Complete, c)
		room -= completeBytes
	}
	for _, n := range r.Need {
		if room < needBytes {
			flush()
		}
		cur.Need = append(cur.Need, n)
		room -= needBytes
	}
	flush()
	if len(parts) > maxParts {
		return nil, fmt.Errorf("report: %d parts exceeds %d; send fewer entries", len(parts), maxParts)
	}
	for i := range parts {
		parts[i].Part, parts[i].Parts = i, len(parts)
	}
	return parts, nil
}
