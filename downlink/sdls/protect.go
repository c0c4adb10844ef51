package sdls

import (
	"encoding/binary"
	"fmt"
)

// Sizes of the security header and trailer.
const (
	HeaderBytes   = 10 // SPI (2) + sequence number (8)
	MACBytes      = 16
	OverheadBytes = HeaderBytes + MACBytes
)

// Direction keeps downlink and uplink nonces apart.
type Direction uint8

// Directions.
const (
	Downlink Direction = 0 // TM frames, flight to ground
	Uplink   Direction = 1 // TC frames, ground to flight
)

// PutHeader writes the security header into b[:10].
func PutHeader(b []byte, spi uint16, seq uint64) {
	binary.BigEndian.PutUint16(b[0:], spi)
	binary.BigEndian.PutUint64(b[2:], seq)
}

// ParseHeader reads the security header at the start of b.
func ParseHeader(b []byte) (spi uint16, seq uint64, err error) {
	if len(b) < HeaderBytes {
		return 0, 0, fmt.Errorf("%w: %d bytes is shorter than a security header", ErrAuth, len(b))
	}
	return binary.BigEndian.Uint16(b[0:]), binary.BigEndian.Uint64(b[2:]), nil
}

// Sealer protects and checks frames for one SA and direction. It holds
// scratch space, so it is not safe for concurrent use; it never allocates.
type Sealer struct {
	sa    *SA
	nonce [12]byte
}

// NewSealer returns a Sealer for sa in direction dir.
func NewSealer(sa *SA, dir Direction) *Sealer {
	s := &Sealer{sa: sa}
	s.nonce[0] = byte(dir)
	return s
}

// SA returns the Sealer's association.
func (s *Sealer) SA() *SA { return s.sa }

// Seal protects buf in place. buf[:aadEnd] (frame header and security
// header) is authenticated; buf[aadEnd:len(buf)-16] is encrypted in
// ModeEncrypt and authenticated in ModeAuth; the MAC is written to the last
// 16 bytes. seq must be the sequence number in the security header and must
// never have been used before with this SA and direction.
func (s *Sealer) Seal(buf []byte, aadEnd int, seq uint64) {
	end := len(buf) - MACBytes
	binary.BigEndian.PutUint64(s.nonce[4:], seq)
	if s.sa.Mode == ModeEncrypt {
		s.sa.aead.Seal(buf[aadEnd:aadEnd], s.nonce[:], buf[aadEnd:end], buf[:aadEnd])
		return
	}
	s.sa.aead.Seal(buf[end:end], s.nonce[:], nil, buf[:end])
}

// Open verifies buf (laid out as for Seal) and decrypts it in place. On
// failure it returns an error wrapping ErrAuth and buf's data is garbage.
func (s *Sealer) Open(buf []byte, aadEnd int, seq uint64) error {
	end := len(buf) - MACBytes
	if aadEnd < 0 || end < aadEnd {
		return fmt.Errorf("%w: %d bytes too short for a MAC", ErrAuth, len(buf))
	}
	binary.BigEndian.PutUint64(s.nonce[4:], seq)
	var err error
	if s.sa.Mode == ModeEncrypt {
		_, err = s.sa.aead.Open(buf[aadEnd:aadEnd], s.nonce[:], buf[aadEnd:], buf[:aadEnd])
	} else {
		_, err = s.sa.aead.Open(buf[end:end], s.nonce[:], buf[end:], buf[:end])
	}
	if err != nil {
		return fmt.Errorf("%w: SPI %d sequence %d", ErrAuth, s.sa.SPI, seq)
	}
	return nil
}

// OpenTo is Open reading the protected frame from src and writing the
// verified, decrypted frame to dst, which must be as long as src and must
// not overlap it; src is not modified. It saves the copy an in-place Open
// of a caller's buffer would need.
func (s *Sealer) OpenTo(dst, src []byte, aadEnd int, seq uint64) error {
	end := len(src) - MACBytes
	if aadEnd < 0 || end < aadEnd || len(dst) != len(src) {
		return fmt.Errorf("%w: %d bytes too short for a MAC", ErrAuth, len(src))
	}
	binary.BigEndian.PutUint64(s.nonce[4:], seq)
	var err error
	if s.sa.Mode == ModeEncrypt {
		_, err = s.sa.aead.Open(dst[aadEnd:aadEnd], s.nonce[:], src[aadEnd:], src[:aadEnd])
	} else {
		_, err = s.sa.aead.Open(dst[end:end], s.nonce[:], src[end:], src[:end])
		copy(dst[aadEnd:end], src[aadEnd:end])
	}
	if err != nil {
		return fmt.Errorf("%w: SPI %d sequence %d", ErrAuth, s.sa.SPI, seq)
	}
	copy(dst[:aadEnd], src[:aadEnd])
	copy(dst[end:], src[end:])
	return nil
}
