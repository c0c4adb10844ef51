package packet

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// PrimaryHeaderBytes is the size of the Space Packet primary header.
const PrimaryHeaderBytes = 6

// IdleAPID is the APID CCSDS reserves for idle packets.
const IdleAPID = 0x7FF

// MaxAPID is the largest 11-bit APID.
const MaxAPID = 0x7FF

// MaxSeqCount is the largest 14-bit packet sequence count; counts wrap to 0.
const MaxSeqCount = 0x3FFF

// Sequence flags (2 bits) of the primary header.
const (
	SeqContinuation = 0b00
	SeqFirst        = 0b01
	SeqLast         = 0b10
	SeqUnsegmented  = 0b11
)

// ErrMalformed is wrapped by every decoding error of this package.
var ErrMalformed = errors.New("packet: malformed")

// Header is a Space Packet primary header. DataBytes is the length of the
// packet data field (secondary header plus user data), 1..65536.
type Header struct {
	Version     uint8 // 3 bits, 0 for CCSDS 133.0-B
	Telecommand bool  // type bit: false = telemetry
	SecHeader   bool  // secondary header flag
	APID        uint16
	SeqFlags    uint8  // 2 bits
	SeqCount    uint16 // 14 bits
	DataBytes   int
}

// Put writes h into b[:6]. It returns an error if a field does not fit.
func (h Header) Put(b []byte) error {
	if len(b) < PrimaryHeaderBytes {
		return fmt.Errorf("packet: header needs %d bytes, have %d", PrimaryHeaderBytes, len(b))
	}
	if h.Version > 7 || h.APID > MaxAPID || h.SeqFlags > 3 || h.SeqCount > MaxSeqCount {
		return fmt.Errorf("packet: header field out of range: %+v", h)
	}
	if h.DataBytes < 1 || h.DataBytes > 65536 {
		return fmt.Errorf("packet: data field of %d bytes outside 1..65536", h.DataBytes)
	}
	w := uint16(h.Version)<<13 | h.APID
	if h.Telecommand {
		w |= 1 << 12
	}
	if h.SecHeader {
		w |= 1 << 11
	}
	binary.BigEndian.PutUint16(b[0:], w)
	binary.BigEndian.PutUint16(b[2:], uint16(h.SeqFlags)<<14|h.SeqCount)
	binary.BigEndian.PutUint16(b[4:], uint16(h.DataBytes-1))
	return nil
}

// ParseHeader decodes the primary header at the start of b. It does not
// check that the data field is present; see Split.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < PrimaryHeaderBytes {
		return Header{}, fmt.Errorf("%w: %d bytes is shorter than a primary header", ErrMalformed, len(b))
	}
	w := binary.BigEndian.Uint16(b[0:])
	s := binary.BigEndian.Uint16(b[2:])
	h := Header{
		Version:     uint8(w >> 13),
		Telecommand: w&(1<<12) != 0,
		SecHeader:   w&(1<<11) != 0,
		APID:        w & MaxAPID,
		SeqFlags:    uint8(s >> 14),
		SeqCount:    s & MaxSeqCount,
		DataBytes:   int(binary.BigEndian.Uint16(b[4:])) + 1,
	}
	if h.Version != 0 {
		return Header{}, fmt.Errorf("%w: packet version %d, want 0", ErrMalformed, h.Version)
	}
	return h, nil
}

// Split decodes the packet at the start of b and returns its header, its
// data field (aliasing b) and the bytes after it.
func Split(b []byte) (h Header, data, rest []byte, err error) {
	h, err = ParseHeader(b)
	if err != nil {
		return Header{}, nil, nil, err
	}
	end := PrimaryHeaderBytes + h.DataBytes
	if end > len(b) {
		return Header{}, nil, nil, fmt.Errorf("%w: packet (APID %#x) declares %d data bytes, only %d present",
			ErrMalformed, h.APID, h.DataBytes, len(b)-PrimaryHeaderBytes)
	}
	return h, b[PrimaryHeaderBytes:end], b[end:], nil
}
