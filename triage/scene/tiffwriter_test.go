package scene

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"math"
	"sort"
	"testing"
)

// tiffSpec describes a test GeoTIFF for buildTIFF, the test-only writer
// that produces every layout the reader claims to support.
type tiffSpec struct {
	big          bool
	bo           testByteOrder
	bps          int // 8 or 16
	planar       bool
	tileW, tileH int // 0: strips
	rowsPerStrip int // 0: whole image
	compression  int
	predictor    int
	width        int
	height       int
	dn           [][]uint16 // per band, row-major
	geoKeys      []uint16   // GeoKeyDirectory values; nil for none
	tiepoint     []float64
	pixelScale   []float64
	extra        map[uint16]tiffValue
}

// testByteOrder is what binary.LittleEndian and BigEndian both are.
type testByteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// tiffValue is a tag's type and values (integers or doubles or ASCII).
type tiffValue struct {
	typ   uint16
	ints  []uint64
	dbls  []float64
	ascii string
}

// utm25SKeys are L7_ETMs.tif's GeoKeys: projected, pixel-is-area,
// EPSG 31985 (SIRGAS 2000 / UTM 25S), metres.
var utm25SKeys = []uint16{1, 1, 0, 4, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 31985, 3076, 0, 1, 9001}

func defaultSpec(w, h, bands, bps int, seed uint64) tiffSpec {
	s := tiffSpec{
		bo: binary.LittleEndian, bps: bps, width: w, height: h, compression: compressionNone,
		geoKeys:    utm25SKeys,
		tiepoint:   []float64{0, 0, 0, 288776.25, 9120760.75, 0},
		pixelScale: []float64{28.5, 28.5, 0},
	}
	maxv := uint64(255)
	if bps == 16 {
		maxv = 65535
	}
	x := seed*2654435761 + 1
	for range bands {
		p := make([]uint16, w*h)
		for i := range p {
			// Smooth-ish data with noise, so predictors and LZW get real work.
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			p[i] = uint16((uint64(i%w)*3 + uint64(i/w)*5 + x%7) % (maxv + 1))
		}
		s.dn = append(s.dn, p)
	}
	return s
}

// chunkBytes returns the raw (uncompressed, predicted) bytes of each chunk.
func (s *tiffSpec) chunks() [][]byte {
	spp := len(s.dn)
	cw, ch := s.width, s.rowsPerStrip
	if ch == 0 {
		ch = s.height
	}
	if s.tileW > 0 {
		cw, ch = s.tileW, s.tileH
	}
	across := (s.width + cw - 1) / cw
	down := (s.height + ch - 1) / ch
	planes := []int{-1}
	if s.planar {
		planes = planes[:0]
		for b := range spp {
			planes = append(planes, b)
		}
	}
	var out [][]byte
	for _, plane := range planes {
		for cy := range down {
			for cx := range across {
				rows := ch
				if s.tileW == 0 {
					rows = min(ch, s.height-cy*ch)
				}
				var chunk []byte
				for r := range rows {
					var row []uint16
					for c := range cw {
						x, y := cx*cw+c, cy*ch+r
						for b := range spp {
							if plane >= 0 && b != plane {
								continue
							}
							v := uint16(0)
							if x < s.width && y < s.height {
								v = s.dn[b][y*s.width+x]
							}
							row = append(row, v)
						}
					}
					if s.predictor == predictorHorizontal {
						stride := spp
						if plane >= 0 {
							stride = 1
						}
						for i := len(row) - 1; i >= stride; i-- {
							row[i] -= row[i-stride]
							if s.bps == 8 {
								row[i] &= 0xff
							}
						}
					}
					for _, v := range row {
						if s.bps == 8 {
							chunk = append(chunk, byte(v))
						} else {
							chunk = s.bo.AppendUint16(chunk, v)
						}
					}
				}
				out = append(out, chunk)
			}
		}
	}
	return out
}

func compressChunk(method int, b []byte) []byte {
	switch method {
	case compressionDeflate, compressionDeflateZ:
		var buf bytes.Buffer
		zw := zlib.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	case compressionLZW:
		return lzwEncode(b)
	}
	return b
}

// buildTIFF lays out header, chunk data, out-of-line tag values and one IFD.
func buildTIFF(s tiffSpec) []byte {
	bo := s.bo
	var out []byte
	if bo == binary.LittleEndian {
		out = append(out, 'I', 'I')
	} else {
		out = append(out, 'M', 'M')
	}
	if s.big {
		out = bo.AppendUint16(out, 43)
		out = bo.AppendUint16(out, 8)
		out = bo.AppendUint16(out, 0)
		out = bo.AppendUint64(out, 0)
	} else {
		out = bo.AppendUint16(out, 42)
		out = bo.AppendUint32(out, 0)
	}
	var offs, counts []uint64
	for _, c := range s.chunks() {
		c = compressChunk(s.compression, c)
		offs = append(offs, uint64(len(out)))
		counts = append(counts, uint64(len(c)))
		out = append(out, c...)
	}
	spp := len(s.dn)
	tags := map[uint16]tiffValue{
		tagImageWidth:      {typ: tiffTypeLong, ints: []uint64{uint64(s.width)}},
		tagImageLength:     {typ: tiffTypeLong, ints: []uint64{uint64(s.height)}},
		tagBitsPerSample:   {typ: tiffTypeShort, ints: repeat(uint64(s.bps), spp)},
		tagCompression:     {typ: tiffTypeShort, ints: []uint64{uint64(s.compression)}},
		tagPhotometric:     {typ: tiffTypeShort, ints: []uint64{1}},
		tagSamplesPerPixel: {typ: tiffTypeShort, ints: []uint64{uint64(spp)}},
		tagSampleFormat:    {typ: tiffTypeShort, ints: repeat(1, spp)},
	}
	if s.planar {
		tags[tagPlanarConfig] = tiffValue{typ: tiffTypeShort, ints: []uint64{2}}
	}
	if s.predictor != 0 {
		tags[tagPredictor] = tiffValue{typ: tiffTypeShort, ints: []uint64{uint64(s.predictor)}}
	}
	offType := uint16(tiffTypeLong)
	if s.big {
		offType = tiffTypeLong8
	}
	if s.tileW > 0 {
		tags[tagTileWidth] = tiffValue{typ: tiffTypeShort, ints: []uint64{uint64(s.tileW)}}
		tags[tagTileLength] = tiffValue{typ: tiffTypeShort, ints: []uint64{uint64(s.tileH)}}
		tags[tagTileOffsets] = tiffValue{typ: offType, ints: offs}
		tags[tagTileByteCounts] = tiffValue{typ: offType, ints: counts}
	} else {
		if s.rowsPerStrip > 0 {
			tags[tagRowsPerStrip] = tiffValue{typ: tiffTypeLong, ints: []uint64{uint64(s.rowsPerStrip)}}
		}
		tags[tagStripOffsets] = tiffValue{typ: offType, ints: offs}
		tags[tagStripByteCounts] = tiffValue{typ: offType, ints: counts}
	}
	if s.geoKeys != nil {
		ints := make([]uint64, len(s.geoKeys))
		for i, k := range s.geoKeys {
			ints[i] = uint64(k)
		}
		tags[tagGeoKeyDirectory] = tiffValue{typ: tiffTypeShort, ints: ints}
	}
	if s.tiepoint != nil {
		tags[tagModelTiepoint] = tiffValue{typ: tiffTypeDouble, dbls: s.tiepoint}
	}
	if s.pixelScale != nil {
		tags[tagModelPixelScale] = tiffValue{typ: tiffTypeDouble, dbls: s.pixelScale}
	}
	for k, v := range s.extra {
		tags[k] = v
	}
	ids := make([]int, 0, len(tags))
	for k := range tags {
		ids = append(ids, int(k))
	}
	sort.Ints(ids)
	inlineBytes := 4
	if s.big {
		inlineBytes = 8
	}
	encode := func(v tiffValue) []byte {
		var b []byte
		switch {
		case v.typ == tiffTypeASCII:
			b = append([]byte(v.ascii), 0)
		case v.typ == tiffTypeDouble:
			for _, d := range v.dbls {
				b = bo.AppendUint64(b, math.Float64bits(d))
			}
		default:
			for _, x := range v.ints {
				switch tiffTypeBytes[v.typ] {
				case 1:
					b = append(b, byte(x))
				case 2:
					b = bo.AppendUint16(b, uint16(x))
				case 4:
					b = bo.AppendUint32(b, uint32(x))
				case 8:
					b = bo.AppendUint64(b, x)
				}
			}
		}
		return b
	}
	// Out-of-line values first, then the IFD.
	valueAt := map[uint16]uint64{}
	for _, id := range ids {
		b := encode(tags[uint16(id)])
		if len(b) > inlineBytes {
			if len(out)%2 == 1 {
				out = append(out, 0)
			}
			valueAt[uint16(id)] = uint64(len(out))
			out = append(out, b...)
		}
	}
	if len(out)%2 == 1 {
		out = append(out, 0)
	}
	ifd := uint64(len(out))
	if s.big {
		out = bo.AppendUint64(out, uint64(len(ids)))
	} else {
		out = bo.AppendUint16(out, uint16(len(ids)))
	}
	for _, id := range ids {
		v := tags[uint16(id)]
		b := encode(v)
		count := uint64(len(b) / tiffTypeBytes[v.typ])
		out = bo.AppendUint16(out, uint16(id))
		out = bo.AppendUint16(out, v.typ)
		if s.big {
			out = bo.AppendUint64(out, count)
		} else {
			out = bo.AppendUint32(out, uint32(count))
		}
		field := make([]byte, inlineBytes)
		if at, ok := valueAt[uint16(id)]; ok {
			if s.big {
				bo.PutUint64(field, at)
			} else {
				bo.PutUint32(field, uint32(at))
			}
		} else {
			copy(field, b)
		}
		out = append(out, field...)
	}
	if s.big {
		out = bo.AppendUint64(out, 0)
		bo.PutUint64(out[8:], ifd)
	} else {
		out = bo.AppendUint32(out, 0)
		bo.PutUint32(out[4:], uint32(ifd))
	}
	return out
}

func repeat(v uint64, n int) []uint64 {
	r := make([]uint64, n)
	for i := range r {
		r[i] = v
	}
	return r
}

// lzwEncode is a TIFF LZW encoder (MSB-first, early change) for tests.
func lzwEncode(src []byte) []byte {
	var out []byte
	var acc uint64
	nAcc := 0
	width := 9
	put := func(code int) {
		acc = acc<<width | uint64(code)
		nAcc += width
		for nAcc >= 8 {
			out = append(out, byte(acc>>(nAcc-8)))
			nAcc -= 8
		}
	}
	dict := map[int]int{}
	next := lzwFirst
	put(lzwClear)
	w := -1
	for _, c := range src {
		if w < 0 {
			w = int(c)
			continue
		}
		if code, ok := dict[w<<8|int(c)]; ok {
			w = code
			continue
		}
		put(w)
		dict[w<<8|int(c)] = next
		next++
		if next == lzwMaxCodes-2 {
			put(lzwClear)
			dict = map[int]int{}
			next, width = lzwFirst, 9
		} else if next >= 1<<width {
			width++
		}
		w = int(c)
	}
	if w >= 0 {
		put(w)
		next++
		if next >= 1<<width && width < 12 {
			width++
		}
	}
	put(lzwEOI)
	if nAcc > 0 {
		out = append(out, byte(acc<<(8-nAcc)))
	}
	return out
}

func TestLZWRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 2, 100, 5000, 300000} {
		src := make([]byte, n)
		x := uint32(n + 1)
		for i := range src {
			x = x*1664525 + 1013904223
			src[i] = byte(i/7) ^ byte(x>>29)
		}
		dst := make([]byte, n)
		got, err := lzwDecode(newLZWTable(), lzwEncode(src), dst)
		if err != nil || got != n || !bytes.Equal(dst, src) {
			t.Fatalf("n=%d: decoded %d bytes, err %v, equal %v", n, got, err, bytes.Equal(dst, src))
		}
	}
}
