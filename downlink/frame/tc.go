package frame

import (
	"encoding/binary"
	"fmt"
)

// TCHeaderBytes is the size of the TC Transfer Frame primary header.
const TCHeaderBytes = 5

// MaxTCFrameBytes is the largest TC Transfer Frame (CCSDS 232.0-B).
const MaxTCFrameBytes = 1024

// MaxTCVCID is the largest 6-bit TC virtual channel id.
const MaxTCVCID = 63

// TCHeader is a TC Transfer Frame primary header. FrameBytes is the whole
// frame's length including the FECF.
type TCHeader struct {
	Version        uint8 // 2 bits
	Bypass         bool
	ControlCommand bool
	SCID           uint16 // 10 bits
	VCID           uint8  // 6 bits
	FrameBytes     int
	Seq            uint8
}

// Put writes h into b[:5].
func (h TCHeader) Put(b []byte) error {
	if len(b) < TCHeaderBytes {
		return fmt.Errorf("frame: TC header needs %d bytes, have %d", TCHeaderBytes, len(b))
	}
	if h.Version > 3 || h.SCID > MaxSCID || h.VCID > MaxTCVCID ||
		h.FrameBytes < TCHeaderBytes+FECFBytes+1 || h.FrameBytes > MaxTCFrameBytes {
		return fmt.Errorf("frame: TC header field out of range: %+v", h)
	}
	w := uint16(h.Version)<<14 | b2u(h.Bypass)<<13 | b2u(h.ControlCommand)<<12 | h.SCID
	binary.BigEndian.PutUint16(b[0:], w)
	binary.BigEndian.PutUint16(b[2:], uint16(h.VCID)<<10|uint16(h.FrameBytes-1))
	b[4] = h.Seq
	return nil
}

// ParseTCHeader decodes the TC primary header at the start of b and checks
// that the declared length equals len(b).
func ParseTCHeader(b []byte) (TCHeader, error) {
	if len(b) < TCHeaderBytes {
		return TCHeader{}, fmt.Errorf("%w: %d bytes is shorter than a TC header", ErrMalformed, len(b))
	}
	w := binary.BigEndian.Uint16(b[0:])
	v := binary.BigEndian.Uint16(b[2:])
	h := TCHeader{
		Version: uint8(w >> 14), Bypass: w&(1<<13) != 0, ControlCommand: w&(1<<12) != 0,
		SCID: w & MaxSCID, VCID: uint8(v >> 10), FrameBytes: int(v&0x3FF) + 1, Seq: b[4],
	}
	if h.Version != 0 {
		return h, fmt.Errorf("%w: TC frame version %d, want 0", ErrMalformed, h.Version)
	}
	if w&(3<<10) != 0 {
		return h, fmt.Errorf("%w: TC spare bits set", ErrMalformed)
	}
	if h.FrameBytes != len(b) {
		return h, fmt.Errorf("%w: TC frame declares %d bytes, got %d", ErrMalformed, h.FrameBytes, len(b))
	}
	if h.FrameBytes < TCHeaderBytes+FECFBytes+1 {
		return h, fmt.Errorf("%w: TC frame of %d bytes has no data field", ErrMalformed, h.FrameBytes)
	}
	return h, nil
}
