package scene

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// TIFF tags this package reads.
const (
	tagImageWidth        = 256
	tagImageLength       = 257
	tagBitsPerSample     = 258
	tagCompression       = 259
	tagPhotometric       = 262
	tagFillOrder         = 266
	tagStripOffsets      = 273
	tagSamplesPerPixel   = 277
	tagRowsPerStrip      = 278
	tagStripByteCounts   = 279
	tagPlanarConfig      = 284
	tagDateTime          = 306
	tagPredictor         = 317
	tagTileWidth         = 322
	tagTileLength        = 323
	tagTileOffsets       = 324
	tagTileByteCounts    = 325
	tagSampleFormat      = 339
	tagModelPixelScale   = 33550
	tagModelTiepoint     = 33922
	tagModelTransform    = 34264
	tagGeoKeyDirectory   = 34735
	tagGeoDoubleParams   = 34736
	tagGeoASCIIParams    = 34737
	maxIFDEntries        = 4096
	maxTagValues         = 1 << 24
	maxMetaTagValues     = 1 << 18 // any other tag: at most 4 MiB read and converted
	maxTagValueBytes     = 1 << 27
	tiffTypeASCII        = 2
	tiffTypeShort        = 3
	tiffTypeLong         = 4
	tiffTypeDouble       = 12
	tiffTypeLong8        = 16
	photometricPalette   = 3
	planarChunky         = 1
	planarSeparate       = 2
	predictorNone        = 1
	predictorHorizontal  = 2
	compressionNone      = 1
	compressionLZW       = 5
	compressionDeflate   = 8
	compressionDeflateZ  = 32946
	sampleFormatUnsigned = 1
)

// tiffTypeBytes is the size of one value of each TIFF field type.
var tiffTypeBytes = map[uint16]int{
	1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8, 17: 8, 18: 8,
}

// tiffFile is an open classic TIFF or BigTIFF: its byte order and the
// entries of its first image file directory.
type tiffFile struct {
	r       io.ReaderAt
	size    int64
	bo      binary.ByteOrder
	little  bool
	big     bool
	entries map[uint16]tiffEntry
}

// tiffEntry is one IFD entry: type, count and either the inline value
// bytes or the offset of the values.
type tiffEntry struct {
	typ    uint16
	count  uint64
	inline []byte // set when the values fit in the entry
	offset uint64
}

// readAt reads exactly len(p) bytes at off, failing with ErrCorrupt naming
// what if the range is outside the file.
func (f *tiffFile) readAt(p []byte, off uint64, what string) error {
	if off > uint64(f.size) || uint64(len(p)) > uint64(f.size)-off {
		return fmt.Errorf("%w: %s at offset %d (+%d bytes) lies past the end of the %d-byte file", ErrCorrupt, what, off, len(p), f.size)
	}
	if n, err := f.r.ReadAt(p, int64(off)); n < len(p) {
		return fmt.Errorf("%w: read %s: %w", ErrCorrupt, what, noEOF(err))
	}
	return nil
}

// openTIFF parses the header and the first IFD.
func openTIFF(r io.ReaderAt, size int64) (*tiffFile, error) {
	f := &tiffFile{r: r, size: size}
	var hdr [16]byte
	if size < 8 {
		return nil, fmt.Errorf("%w: %d bytes is too short for a TIFF header", ErrCorrupt, size)
	}
	if err := f.readAt(hdr[:8], 0, "TIFF header"); err != nil {
		return nil, err
	}
	switch string(hdr[:2]) {
	case "II":
		f.bo, f.little = binary.LittleEndian, true
	case "MM":
		f.bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: byte-order mark %q is not II or MM", ErrFormat, hdr[:2])
	}
	var ifd uint64
	switch v := f.bo.Uint16(hdr[2:]); v {
	case 42:
		ifd = uint64(f.bo.Uint32(hdr[4:]))
	case 43:
		f.big = true
		if err := f.readAt(hdr[:16], 0, "BigTIFF header"); err != nil {
			return nil, err
		}
		if f.bo.Uint16(hdr[4:]) != 8 || f.bo.Uint16(hdr[6:]) != 0 {
			return nil, fmt.Errorf("%w: BigTIFF offset size %d (want 8)", ErrUnsupported, f.bo.Uint16(hdr[4:]))
		}
		ifd = f.bo.Uint64(hdr[8:])
	default:
		return nil, fmt.Errorf("%w: TIFF version %d (want 42, or 43 for BigTIFF)", ErrFormat, v)
	}
	if err := f.readIFD(ifd); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *tiffFile) readIFD(off uint64) error {
	countBytes, entryBytes := 2, 12
	if f.big {
		countBytes, entryBytes = 8, 20
	}
	var cb [8]byte
	if err := f.readAt(cb[:countBytes], off, "IFD entry count"); err != nil {
		return err
	}
	var n uint64
	if f.big {
		n = f.bo.Uint64(cb[:])
	} else {
		n = uint64(f.bo.Uint16(cb[:]))
	}
	if n == 0 || n > maxIFDEntries {
		return fmt.Errorf("%w: IFD at offset %d has %d entries (want 1..%d)", ErrCorrupt, off, n, maxIFDEntries)
	}
	buf := make([]byte, int(n)*entryBytes)
	if err := f.readAt(buf, off+uint64(countBytes), fmt.Sprintf("IFD of %d entries", n)); err != nil {
		return err
	}
	f.entries = make(map[uint16]tiffEntry, n)
	for i := 0; i < int(n); i++ {
		e := buf[i*entryBytes : (i+1)*entryBytes]
		tag := f.bo.Uint16(e)
		te := tiffEntry{typ: f.bo.Uint16(e[2:])}
		var valField []byte
		if f.big {
			te.count = f.bo.Uint64(e[4:])
			valField = e[12:20]
		} else {
			te.count = uint64(f.bo.Uint32(e[4:]))
			valField = e[8:12]
		}
		sz, known := tiffTypeBytes[te.typ]
		if !known {
			// Unknown types are allowed for tags we never read.
			f.entries[tag] = te
			continue
		}
		if te.count <= uint64(len(valField)/sz) {
			te.inline = valField[:te.count*uint64(sz)]
		} else if f.big {
			te.offset = f.bo.Uint64(valField)
		} else {
			te.offset = uint64(f.bo.Uint32(valField))
		}
		f.entries[tag] = te
	}
	return nil
}

// raw returns the value bytes of a tag, bounded by the file size.
func (f *tiffFile) raw(tag uint16) ([]byte, tiffEntry, bool, error) {
	te, ok := f.entries[tag]
	if !ok {
		return nil, te, false, nil
	}
	sz, known := tiffTypeBytes[te.typ]
	if !known {
		return nil, te, true, fmt.Errorf("%w: tag %d has unknown field type %d", ErrCorrupt, tag, te.typ)
	}
	if te.inline != nil || te.count == 0 {
		return te.inline, te, true, nil
	}
	// Checked only for tags we read, so a bogus count in a tag we ignore
	// does not make the image unreadable.
	limit := uint64(maxMetaTagValues)
	switch tag {
	case tagStripOffsets, tagStripByteCounts, tagTileOffsets, tagTileByteCounts:
		limit = maxTagValues // their cost is in the read's budget
	}
	if te.count > limit {
		return nil, te, true, fmt.Errorf("%w: tag %d has %d values (max %d)", ErrCorrupt, tag, te.count, limit)
	}
	n := te.count * uint64(sz)
	if n > maxTagValueBytes || n > uint64(f.size) {
		return nil, te, true, fmt.Errorf("%w: tag %d claims %d bytes of values in a %d-byte file", ErrCorrupt, tag, n, f.size)
	}
	b := make([]byte, n)
	if err := f.readAt(b, te.offset, fmt.Sprintf("values of tag %d", tag)); err != nil {
		return nil, te, true, err
	}
	return b, te, true, nil
}

// uints returns an integer tag's values (BYTE, SHORT, LONG or LONG8).
func (f *tiffFile) uints(tag uint16) ([]uint64, bool, error) {
	b, te, ok, err := f.raw(tag)
	if !ok || err != nil {
		return nil, ok, err
	}
	v := make([]uint64, te.count)
	for i := range v {
		switch te.typ {
		case 1, 7:
			v[i] = uint64(b[i])
		case tiffTypeShort:
			v[i] = uint64(f.bo.Uint16(b[2*i:]))
		case tiffTypeLong:
			v[i] = uint64(f.bo.Uint32(b[4*i:]))
		case tiffTypeLong8:
			v[i] = f.bo.Uint64(b[8*i:])
		default:
			return nil, true, fmt.Errorf("%w: tag %d has field type %d, want an unsigned integer", ErrCorrupt, tag, te.typ)
		}
	}
	return v, true, nil
}

// uint returns a single-valued integer tag, or def if absent. If the tag
// has several values they must all be equal (BitsPerSample, SampleFormat).
func (f *tiffFile) uint(tag uint16, def uint64) (uint64, error) {
	v, ok, err := f.uints(tag)
	if err != nil || !ok {
		return def, err
	}
	if len(v) == 0 {
		return 0, fmt.Errorf("%w: tag %d has no value", ErrCorrupt, tag)
	}
	for _, x := range v[1:] {
		if x != v[0] {
			return 0, fmt.Errorf("%w: tag %d differs between samples (%v)", ErrUnsupported, tag, v)
		}
	}
	return v[0], nil
}

// doubles returns a DOUBLE tag's values.
func (f *tiffFile) doubles(tag uint16) ([]float64, bool, error) {
	b, te, ok, err := f.raw(tag)
	if !ok || err != nil {
		return nil, ok, err
	}
	if te.typ != tiffTypeDouble {
		return nil, true, fmt.Errorf("%w: tag %d has field type %d, want DOUBLE", ErrCorrupt, tag, te.typ)
	}
	v := make([]float64, te.count)
	for i := range v {
		v[i] = math.Float64frombits(f.bo.Uint64(b[8*i:]))
	}
	return v, true, nil
}

// ascii returns an ASCII tag without its trailing NULs.
func (f *tiffFile) ascii(tag uint16) (string, bool, error) {
	b, te, ok, err := f.raw(tag)
	if !ok || err != nil {
		return "", ok, err
	}
	if te.typ != tiffTypeASCII {
		return "", true, fmt.Errorf("%w: tag %d has field type %d, want ASCII", ErrCorrupt, tag, te.typ)
	}
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return string(b), true, nil
}
