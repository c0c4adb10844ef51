// Package scenetest builds hostile GeoTIFFs for tests of scene readers and
// of flight's spool: small, well-formed files that claim huge images
// (decompression bombs) or huge tiles. Every file is a little-endian
// classic TIFF with WGS84 UTM 33N GeoKeys, one band, all samples zero, so
// a reader without a memory budget decodes it successfully after
// allocating what it claims.
package scenetest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"math"
	"slices"
)

// Compression methods for Bomb.
const (
	Deflate = 8
	LZW     = 5
)

// Bomb returns a side×side one-band GeoTIFF of zero samples (uint16 when
// sixteenBit, else uint8) in strips of rowsPerStrip rows, each strip
// compressed with compression (Deflate or LZW). A 16384×16384 uint16
// deflate bomb is about 0.5 MB on disk and 512 MiB of samples (1 GiB as
// float32); the LZW one about 0.8 MB.
func Bomb(side int, sixteenBit bool, compression, rowsPerStrip int) []byte {
	bps := 1
	if sixteenBit {
		bps = 2
	}
	raw := make([]byte, side*rowsPerStrip*bps)
	var strip []byte
	if compression == LZW {
		strip = lzwZeros(len(raw))
	} else {
		var buf bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		strip = buf.Bytes()
	}
	n := (side + rowsPerStrip - 1) / rowsPerStrip
	chunks := make([][]byte, n)
	for i := range chunks {
		chunks[i] = strip
	}
	return build(side, side, bps, compression, chunks, map[uint16][]uint32{278: {uint32(rowsPerStrip)}}, false)
}

// TileBomb returns a 1×1 uint16 GeoTIFF stored as one deflate tile of
// tileSide×tileSide samples: a reader that sizes its tile buffer from the
// tags allocates 2·tileSide² bytes for one pixel (128 MiB at 8192).
func TileBomb(tileSide int) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	_, _ = zw.Write(make([]byte, 2*tileSide*tileSide))
	_ = zw.Close()
	return build(1, 1, 2, Deflate, [][]byte{buf.Bytes()},
		map[uint16][]uint32{322: {uint32(tileSide)}, 323: {uint32(tileSide)}}, true)
}

// build lays out header, chunks, out-of-line values and one IFD.
func build(w, h, bps, compression int, chunks [][]byte, extra map[uint16][]uint32, tiled bool) []byte {
	le := binary.LittleEndian
	out := []byte{'I', 'I', 42, 0, 0, 0, 0, 0}
	var offs, counts []uint32
	for _, c := range chunks {
		offs = append(offs, uint32(len(out)))
		counts = append(counts, uint32(len(c)))
		out = append(out, c...)
	}
	type val struct {
		typ uint16
		b   []byte
	}
	longs := func(v ...uint32) val {
		var b []byte
		for _, x := range v {
			b = le.AppendUint32(b, x)
		}
		return val{4, b}
	}
	shorts := func(v ...uint16) val {
		var b []byte
		for _, x := range v {
			b = le.AppendUint16(b, x)
		}
		return val{3, b}
	}
	doubles := func(v ...float64) val {
		var b []byte
		for _, x := range v {
			b = le.AppendUint64(b, math.Float64bits(x))
		}
		return val{12, b}
	}
	offTag, cntTag := uint16(273), uint16(279)
	if tiled {
		offTag, cntTag = 324, 325
	}
	tags := map[uint16]val{
		256:    longs(uint32(w)),
		257:    longs(uint32(h)),
		258:    shorts(uint16(8 * bps)),
		259:    shorts(uint16(compression)),
		262:    shorts(1),
		277:    shorts(1),
		339:    shorts(1),
		offTag: longs(offs...),
		cntTag: longs(counts...),
		// WGS84 / UTM 33N, pixel-is-area, metres.
		34735: shorts(1, 1, 0, 4, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633, 3076, 0, 1, 9001),
		33922: doubles(0, 0, 0, 500000, 5000000, 0),
		33550: doubles(10, 10, 0),
	}
	for k, v := range extra {
		tags[k] = longs(v...)
	}
	ids := make([]uint16, 0, len(tags))
	for k := range tags {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	at := map[uint16]uint32{}
	for _, id := range ids {
		if v := tags[id]; len(v.b) > 4 {
			out = append(out, make([]byte, len(out)%2)...)
			at[id] = uint32(len(out))
			out = append(out, v.b...)
		}
	}
	out = append(out, make([]byte, len(out)%2)...)
	le.PutUint32(out[4:], uint32(len(out)))
	out = le.AppendUint16(out, uint16(len(ids)))
	for _, id := range ids {
		v := tags[id]
		size := 2
		if v.typ == 4 {
			size = 4
		} else if v.typ == 12 {
			size = 8
		}
		out = le.AppendUint16(out, id)
		out = le.AppendUint16(out, v.typ)
		out = le.AppendUint32(out, uint32(len(v.b)/size))
		field := make([]byte, 4)
		if off, ok := at[id]; ok {
			le.PutUint32(field, off)
		} else {
			copy(field, v.b)
		}
		out = append(out, field...)
	}
	return le.AppendUint32(out, 0)
}

// lzwZeros TIFF-LZW-encodes n zero bytes: codes for runs of 1, 2, 3...
// zeros, restarting the table (clear code) before it is full. next mirrors
// the decoder's next free code, which sets the code width.
func lzwZeros(n int) []byte {
	const clear, eoi, first, lastCode = 256, 257, 258, 4093
	var out []byte
	var acc uint64
	nAcc, width := 0, 9
	put := func(code int) {
		acc = acc<<width | uint64(code)
		nAcc += width
		for nAcc >= 8 {
			out = append(out, byte(acc>>(nAcc-8)))
			nAcc -= 8
		}
	}
	put(clear)
	next, run := first-1, 1
	for n > 0 {
		code := 0 // one zero; code first+k names k+2 zeros once defined
		if run > n {
			run = 1 // the tail: single zeros
		} else if run > 1 {
			code = first + run - 2
		}
		put(code)
		n -= run
		next++
		run++
		if next >= lastCode {
			put(clear)
			next, run, width = first-1, 1, 9
			continue
		}
		if next+1 >= 1<<width && width < 12 {
			width++
		}
	}
	put(eoi)
	if nAcc > 0 {
		out = append(out, byte(acc<<(8-nAcc)))
	}
	return out
}
