package frame

import (
	"encoding/binary"
	"fmt"
)

// TMHeaderBytes is the size of the TM Transfer Frame primary header.
const TMHeaderBytes = 6

// TM frame length limits (CCSDS 132.0-B allows up to 2048 octets).
const (
	MinTMFrameBytes = 64
	MaxTMFrameBytes = 2048
)

// First header pointer values with special meaning.
const (
	FHPNoPacketStart = 0x7FF // no packet starts in this frame
	FHPIdle          = 0x7FE // the data field holds only idle data
)

// Field limits.
const (
	MaxSCID   = 0x3FF
	MaxTMVCID = 7
)

// TMHeader is a TM Transfer Frame primary header. Skysieve always sends
// version 0, no OCF, no secondary header, packet mode (sync flag 0, packet
// order 0, segment length id 0b11); the decoder reports what it finds.
type TMHeader struct {
	Version     uint8  // 2 bits
	SCID        uint16 // 10 bits
	VCID        uint8  // 3 bits
	OCF         bool
	MCCount     uint8
	VCCount     uint8
	SecHeader   bool
	Sync        bool
	PacketOrder bool
	SegLenID    uint8  // 2 bits
	FHP         uint16 // 11 bits
}

// NewTMHeader is the header Skysieve sends.
func NewTMHeader(scid uint16, vcid, mc, vc uint8, fhp uint16) TMHeader {
	return TMHeader{SCID: scid, VCID: vcid, MCCount: mc, VCCount: vc, SegLenID: 3, FHP: fhp}
}

// Put writes h into b[:6].
func (h TMHeader) Put(b []byte) error {
	if len(b) < TMHeaderBytes {
		return fmt.Errorf("frame: TM header needs %d bytes, have %d", TMHeaderBytes, len(b))
	}
	if h.Version > 3 || h.SCID > MaxSCID || h.VCID > MaxTMVCID || h.SegLenID > 3 || h.FHP > 0x7FF {
		return fmt.Errorf("frame: TM header field out of range: %+v", h)
	}
	w := uint16(h.Version)<<14 | h.SCID<<4 | uint16(h.VCID)<<1 | b2u(h.OCF)
	binary.BigEndian.PutUint16(b[0:], w)
	b[2] = h.MCCount
	b[3] = h.VCCount
	s := b2u(h.SecHeader)<<15 | b2u(h.Sync)<<14 | b2u(h.PacketOrder)<<13 | uint16(h.SegLenID)<<11 | h.FHP
	binary.BigEndian.PutUint16(b[4:], s)
	return nil
}

// ParseTMHeader decodes the primary header at the start of b and checks
// that it is one Skysieve can use: version 0, no secondary header, no OCF,
// packet mode.
func ParseTMHeader(b []byte) (TMHeader, error) {
	if len(b) < TMHeaderBytes {
		return TMHeader{}, fmt.Errorf("%w: %d bytes is shorter than a TM header", ErrMalformed, len(b))
	}
	w := binary.BigEndian.Uint16(b[0:])
	s := binary.BigEndian.Uint16(b[4:])
	h := TMHeader{
		Version: uint8(w >> 14), SCID: w >> 4 & MaxSCID, VCID: uint8(w>>1) & MaxTMVCID, OCF: w&1 != 0,
		MCCount: b[2], VCCount: b[3],
		SecHeader: s&(1<<15) != 0, Sync: s&(1<<14) != 0, PacketOrder: s&(1<<13) != 0,
		SegLenID: uint8(s>>11) & 3, FHP: s & 0x7FF,
	}
	switch {
	case h.Version != 0:
		return h, fmt.Errorf("%w: TM frame version %d, want 0", ErrMalformed, h.Version)
	case h.SecHeader || h.OCF:
		return h, fmt.Errorf("%w: TM frame with secondary header or OCF is not used here", ErrMalformed)
	case h.Sync || h.PacketOrder || h.SegLenID != 3:
		return h, fmt.Errorf("%w: TM frame is not in packet mode (sync %v order %v seg %02b)",
			ErrMalformed, h.Sync, h.PacketOrder, h.SegLenID)
	}
	return h, nil
}

func b2u(b bool) uint16 {
	if b {
		return 1
	}
	return 0
}
