package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// FECFBytes is the size of the frame error control field.
const FECFBytes = 2

// Named errors, testable with errors.Is.
var (
	ErrMalformed = errors.New("frame: malformed")
	ErrCRC       = errors.New("frame: FECF (CRC-16) mismatch")
)

// crcTables[t][b] is the CRC-16-CCITT of byte b followed by t zero bytes,
// for slicing-by-16.
var crcTables = func() (t [16][256]uint16) {
	for b := 0; b < 256; b++ {
		c := uint16(b) << 8
		for i := 0; i < 8; i++ {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[0][b] = c
	}
	for k := 1; k < 16; k++ {
		for b := 0; b < 256; b++ {
			p := t[k-1][b]
			t[k][b] = p<<8 ^ t[0][p>>8]
		}
	}
	return t
}()

// CRC16 is the CRC-16-CCITT of b as CCSDS frames use it (poly 0x1021,
// initial 0xFFFF, MSB first, no final XOR); CRC16("123456789") = 0x29B1.
func CRC16(b []byte) uint16 { return updateCRC(0xFFFF, b) }

func updateCRC(c uint16, b []byte) uint16 {
	t := &crcTables
	for len(b) >= 16 {
		c = t[15][b[0]^byte(c>>8)] ^ t[14][b[1]^byte(c)] ^
			t[13][b[2]] ^ t[12][b[3]] ^ t[11][b[4]] ^ t[10][b[5]] ^
			t[9][b[6]] ^ t[8][b[7]] ^ t[7][b[8]] ^ t[6][b[9]] ^
			t[5][b[10]] ^ t[4][b[11]] ^ t[3][b[12]] ^ t[2][b[13]] ^
			t[1][b[14]] ^ t[0][b[15]]
		b = b[16:]
	}
	for _, x := range b {
		c = c<<8 ^ t[0][byte(c>>8)^x]
	}
	return c
}

// PutFECF writes the CRC of frame[:len-2] into its last two bytes.
func PutFECF(frame []byte) {
	n := len(frame) - FECFBytes
	binary.BigEndian.PutUint16(frame[n:], CRC16(frame[:n]))
}

// CheckFECF verifies the last two bytes of frame against the CRC of the
// rest.
func CheckFECF(frame []byte) error {
	if len(frame) < FECFBytes+1 {
		return fmt.Errorf("%w: %d bytes cannot hold a FECF", ErrMalformed, len(frame))
	}
	n := len(frame) - FECFBytes
	if got, want := binary.BigEndian.Uint16(frame[n:]), CRC16(frame[:n]); got != want {
		return fmt.Errorf("%w: frame says %#04x, computed %#04x", ErrCRC, got, want)
	}
	return nil
}
