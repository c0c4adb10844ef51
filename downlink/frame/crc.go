package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
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
//
// Table-driven CRC is bound by the latency of one lookup chain, so long
// inputs are split in two halves A and B whose chains run interleaved; the
// CRC is linear, so CRC(A‖B) = CRC(A)·x^(8|B|) mod P ⊕ CRC₀(B), where CRC₀
// starts from zero.
func CRC16(b []byte) uint16 {
	if len(b) < 256 {
		return updateCRC(0xFFFF, b)
	}
	half := len(b) / 2 &^ 15
	a, rest := b[:half], b[half:]
	c1, c2 := uint16(0xFFFF), uint16(0)
	t := &crcTables
	for i := 0; i+16 <= len(a); i += 16 {
		p, q := a[i:i+16:i+16], rest[i:i+16:i+16]
		c1 = t[15][p[0]^byte(c1>>8)] ^ t[14][p[1]^byte(c1)] ^
			t[13][p[2]] ^ t[12][p[3]] ^ t[11][p[4]] ^ t[10][p[5]] ^
			t[9][p[6]] ^ t[8][p[7]] ^ t[7][p[8]] ^ t[6][p[9]] ^
			t[5][p[10]] ^ t[4][p[11]] ^ t[3][p[12]] ^ t[2][p[13]] ^
			t[1][p[14]] ^ t[0][p[15]]
		c2 = t[15][q[0]^byte(c2>>8)] ^ t[14][q[1]^byte(c2)] ^
			t[13][q[2]] ^ t[12][q[3]] ^ t[11][q[4]] ^ t[10][q[5]] ^
			t[9][q[6]] ^ t[8][q[7]] ^ t[7][q[8]] ^ t[6][q[9]] ^
			t[5][q[10]] ^ t[4][q[11]] ^ t[3][q[12]] ^ t[2][q[13]] ^
			t[1][q[14]] ^ t[0][q[15]]
	}
	c2 = updateCRC(c2, rest[half:])
	return polyMulMod(c1, xPow8(len(rest))) ^ c2
}

// polyMulMod is a·b mod P over GF(2), P = x^16 + x^12 + x^5 + 1.
func polyMulMod(a, b uint16) uint16 {
	var r uint16
	for i := 15; i >= 0; i-- {
		if r&0x8000 != 0 {
			r = r<<1 ^ 0x1021
		} else {
			r <<= 1
		}
		if b&(1<<i) != 0 {
			r ^= a
		}
	}
	return r
}

// xPow8Table[j] is x^(8·2^j) mod P.
var xPow8Table = func() (t [32]uint16) {
	t[0] = 0x0100 // x^8
	for j := 1; j < len(t); j++ {
		t[j] = polyMulMod(t[j-1], t[j-1])
	}
	return t
}()

// lastPow caches the last xPow8 result as n<<16 | value: frames have one
// length, so the same n recurs.
var lastPow atomic.Uint64

// xPow8 is x^(8n) mod P.
func xPow8(n int) uint16 {
	if v := lastPow.Load(); v>>16 == uint64(n) && v != 0 {
		return uint16(v)
	}
	key := uint64(n) << 16
	r := uint16(1)
	for j := 0; n > 0; j, n = j+1, n>>1 {
		if n&1 != 0 {
			r = polyMulMod(r, xPow8Table[j])
		}
	}
	lastPow.Store(key | uint64(r))
	return r
}

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
