package scene

import (
	"errors"
	"fmt"
)

// TIFF LZW (TIFF 6.0 section 13): codes are packed most significant bit
// first, start at 9 bits, and widen one code early (at 511, 1023, 2047).
// Code 256 clears the table and 257 ends the data.
const (
	lzwClear    = 256
	lzwEOI      = 257
	lzwFirst    = 258
	lzwMaxCodes = 4096
)

var errLZWShort = errors.New("LZW data ends early")

type lzwTable struct {
	prefix [lzwMaxCodes]uint16
	suffix [lzwMaxCodes]byte
	first  [lzwMaxCodes]byte
	length [lzwMaxCodes]uint16
	// scratch holds a string that does not fit in what is left of dst.
	scratch [lzwMaxCodes]byte
}

// newLZWTable returns a table with the 256 single-byte codes defined;
// lzwDecode only ever redefines the codes above them.
func newLZWTable() *lzwTable {
	t := new(lzwTable)
	for i := range 256 {
		t.suffix[i] = byte(i)
		t.first[i] = byte(i)
		t.length[i] = 1
	}
	return t
}

// lzwDecode decodes src into dst with table t until dst is full, an end
// code arrives or src runs out. It returns how many bytes it wrote; output
// beyond len(dst) is dropped, so it never allocates.
func lzwDecode(t *lzwTable, src, dst []byte) (int, error) {
	var bits uint32
	nBits, pos, width, next, prev, out := 0, 0, 9, lzwFirst, -1, 0
	for out < len(dst) {
		for nBits < width {
			if pos >= len(src) {
				return out, errLZWShort
			}
			bits = bits<<8 | uint32(src[pos])
			pos++
			nBits += 8
		}
		code := int(bits>>(nBits-width)) & (1<<width - 1)
		nBits -= width
		switch {
		case code == lzwClear:
			width, next, prev = 9, lzwFirst, -1
			continue
		case code == lzwEOI:
			return out, nil
		case code < next && (code < lzwClear || code >= lzwFirst):
			out += t.emit(code, dst[out:])
			if prev >= 0 && next < lzwMaxCodes {
				t.add(next, prev, t.first[code])
				next++
			}
		case code == next && prev >= 0 && next < lzwMaxCodes:
			// The code being defined right now: prev's string plus its own
			// first byte.
			t.add(next, prev, t.first[prev])
			next++
			out += t.emit(code, dst[out:])
		default:
			return out, fmt.Errorf("LZW code %d at byte %d is not yet defined (next is %d)", code, pos, next)
		}
		prev = code
		if next+1 >= 1<<width && width < 12 {
			width++
		}
	}
	return out, nil
}

func (t *lzwTable) add(code, prev int, c byte) {
	t.prefix[code] = uint16(prev)
	t.suffix[code] = c
	t.first[code] = t.first[prev]
	t.length[code] = t.length[prev] + 1
}

// emit writes code's string into dst, truncated to len(dst), and returns
// the bytes written.
func (t *lzwTable) emit(code int, dst []byte) int {
	n := int(t.length[code])
	buf := dst
	if n > len(dst) {
		buf = t.scratch[:]
	}
	for i := n - 1; i >= 0; i-- {
		buf[i] = t.suffix[code]
		code = int(t.prefix[code])
	}
	if n > len(dst) {
		return copy(dst, buf[:n])
	}
	return n
}
