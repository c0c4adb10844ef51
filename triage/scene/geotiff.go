package scene

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"strings"
	"time"
)

// Bounds on what a GeoTIFF may claim, checked before any allocation.
const (
	// deflateMaxRatio is deflate's largest possible expansion (zlib's
	// technical notes: 1032:1).
	deflateMaxRatio = 1032
	// lzwMaxRatio bounds TIFF LZW: a code of at least 9 bits (12 once the
	// table is full) names a string of at most 3839 bytes.
	lzwMaxRatio = 2560
	// maxChunkSide bounds tile sides; real files use 256 or 512.
	maxChunkSide = 1 << 16
	// maxTileOverhang: a tile side may pass its image's side rounded up to
	// TIFF's multiple of 16 only up to this (writers use one tile size,
	// 256 or 512, for small images too); beyond it the tile buffer would
	// be mostly padding.
	maxTileOverhang = 1024
	// decoderStateBytes covers the LZW table and the zlib reader.
	decoderStateBytes = 64 << 10
)

// tiffLayout is everything about the pixel data of the first IFD.
type tiffLayout struct {
	width, height   int
	spp             int // samples (bands) per pixel
	bytesPerSample  int // 1 or 2
	planar          bool
	compression     uint64
	predictor       uint64
	tiled           bool
	chunkW, chunkH  int // tile size, or width × rows per strip
	across, down    int // chunks per row of chunks and per column
	chunkCount      int // across × down, × spp when planar
	kind            string
	offTag, cntTag  uint16
	offsets, counts []uint64
}

// ReadGeoTIFF reads the first image of a classic TIFF or BigTIFF with
// GeoKeys from r (size bytes long): uint8 or uint16 samples, chunky or
// planar, strips or tiles, uncompressed, deflate or LZW, with or without
// the horizontal predictor. Samples become reflectance through the
// calibration (WithCalibration; default ScaledReflectance for uint16,
// DefaultETMPlus for six-band uint8, an ErrCalibration otherwise). Bands are
// named by WithBandNames or by default DefaultBands for six bands, else
// "b1", "b2", .... Capture time comes from WithCaptureTime or the TIFF
// DateTime tag (taken as UTC). Every size, count and offset is checked
// against the file length, WithMaxSamples and WithMaxBytes before
// allocation, and the bands against WithRequiredBands before decoding.
func ReadGeoTIFF(r io.ReaderAt, size int64, opts ...Option) (*Scene, error) {
	o := buildOptions(opts)
	f, err := openTIFF(r, size)
	if err != nil {
		return nil, err
	}
	lay, err := f.layout(o.maxSamples)
	if err != nil {
		return nil, err
	}
	geo, err := f.geo()
	if err != nil {
		return nil, err
	}
	cal, err := calibrationFor(o, lay)
	if err != nil {
		return nil, err
	}
	bands, err := bandNamesFor(o, lay.spp)
	if err != nil {
		return nil, err
	}
	if err := lay.checkBudget(o.maxBytes); err != nil {
		return nil, err
	}
	if err := checkRequired(bands, o.required); err != nil {
		return nil, err
	}
	if err := f.chunkTables(lay); err != nil {
		return nil, err
	}
	s := &Scene{
		ID:          o.id,
		Satellite:   o.satellite,
		CaptureTime: o.captureTime,
		Width:       lay.width,
		Height:      lay.height,
		Bands:       bands,
		Geo:         geo,
	}
	if s.CaptureTime.IsZero() {
		if dt, ok, err := f.ascii(tagDateTime); err == nil && ok {
			if t, err := time.Parse("2006:01:02 15:04:05", strings.TrimSpace(dt)); err == nil {
				s.CaptureTime = t.UTC()
			}
		}
	}
	s.Data = make([][]float32, lay.spp)
	for i := range s.Data {
		s.Data[i] = make([]float32, lay.width*lay.height)
	}
	if err := f.decode(lay, cal, s.Data); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func calibrationFor(o options, lay *tiffLayout) (Calibration, error) {
	var c Calibration
	switch {
	case o.calibration != nil:
		c = *o.calibration
	case lay.bytesPerSample == 2:
		c = ScaledReflectance(lay.spp)
	case lay.spp == 6:
		c = DefaultETMPlus()
	default:
		return c, fmt.Errorf("%w: %d-band uint8 file has no default calibration; pass WithCalibration", ErrCalibration, lay.spp)
	}
	return c, c.validate(lay.spp)
}

func bandNamesFor(o options, spp int) ([]string, error) {
	switch {
	case o.bandNames != nil:
		if len(o.bandNames) != spp {
			return nil, fmt.Errorf("%w: %d band names for %d bands", ErrInvalidScene, len(o.bandNames), spp)
		}
		return o.bandNames, nil
	case spp == len(DefaultBands):
		return append([]string(nil), DefaultBands...), nil
	}
	names := make([]string, spp)
	for i := range names {
		names[i] = fmt.Sprintf("b%d", i+1)
	}
	return names, nil
}

// layout reads and checks the image structure tags.
func (f *tiffFile) layout(maxSamples int64) (*tiffLayout, error) {
	l := &tiffLayout{}
	w, err := f.uint(tagImageWidth, 0)
	if err != nil {
		return nil, err
	}
	h, err := f.uint(tagImageLength, 0)
	if err != nil {
		return nil, err
	}
	spp, err := f.uint(tagSamplesPerPixel, 1)
	if err != nil {
		return nil, err
	}
	if w == 0 || h == 0 || w > MaxSideSamples || h > MaxSideSamples {
		return nil, fmt.Errorf("%w: image size %dx%d (each side 1..%d)", ErrCorrupt, w, h, MaxSideSamples)
	}
	if spp == 0 || spp > MaxBands {
		return nil, fmt.Errorf("%w: %d samples per pixel (want 1..%d)", ErrUnsupported, spp, MaxBands)
	}
	l.width, l.height, l.spp = int(w), int(h), int(spp)
	if n := int64(w) * int64(h) * int64(spp); n > maxSamples {
		return nil, fmt.Errorf("%w: %dx%d×%d samples exceed the cap of %d", ErrTooLarge, w, h, spp, maxSamples)
	}
	bps, err := f.uint(tagBitsPerSample, 1)
	if err != nil {
		return nil, err
	}
	if bps != 8 && bps != 16 {
		return nil, fmt.Errorf("%w: %d bits per sample (want 8 or 16)", ErrUnsupported, bps)
	}
	l.bytesPerSample = int(bps / 8)
	if sf, err := f.uint(tagSampleFormat, sampleFormatUnsigned); err != nil {
		return nil, err
	} else if sf != sampleFormatUnsigned {
		return nil, fmt.Errorf("%w: sample format %d (want 1, unsigned integer)", ErrUnsupported, sf)
	}
	if pm, err := f.uint(tagPhotometric, 1); err != nil {
		return nil, err
	} else if pm == photometricPalette {
		return nil, fmt.Errorf("%w: palette-colour image", ErrUnsupported)
	}
	if fo, err := f.uint(tagFillOrder, 1); err != nil {
		return nil, err
	} else if fo != 1 {
		return nil, fmt.Errorf("%w: fill order %d (want 1)", ErrUnsupported, fo)
	}
	pc, err := f.uint(tagPlanarConfig, planarChunky)
	if err != nil {
		return nil, err
	}
	if pc != planarChunky && pc != planarSeparate {
		return nil, fmt.Errorf("%w: planar configuration %d", ErrCorrupt, pc)
	}
	l.planar = pc == planarSeparate && spp > 1
	if l.compression, err = f.uint(tagCompression, compressionNone); err != nil {
		return nil, err
	}
	switch l.compression {
	case compressionNone, compressionLZW, compressionDeflate, compressionDeflateZ:
	default:
		return nil, fmt.Errorf("%w: compression %d (want 1 none, 5 LZW, 8 or 32946 deflate)", ErrUnsupported, l.compression)
	}
	if l.predictor, err = f.uint(tagPredictor, predictorNone); err != nil {
		return nil, err
	}
	if l.predictor != predictorNone && l.predictor != predictorHorizontal {
		return nil, fmt.Errorf("%w: predictor %d (want 1 none or 2 horizontal)", ErrUnsupported, l.predictor)
	}
	if err := f.chunkGeometry(l); err != nil {
		return nil, err
	}
	return l, nil
}

// chunkGeometry reads the strip or tile geometry and checks it against the
// image and the offsets and byte counts tags' lengths, reading no table.
func (f *tiffFile) chunkGeometry(l *tiffLayout) error {
	l.offTag, l.cntTag, l.kind = tagStripOffsets, tagStripByteCounts, "strip"
	if _, ok := f.entries[tagTileWidth]; ok {
		l.tiled, l.offTag, l.cntTag, l.kind = true, tagTileOffsets, tagTileByteCounts, "tile"
		tw, err := f.uint(tagTileWidth, 0)
		if err != nil {
			return err
		}
		th, err := f.uint(tagTileLength, 0)
		if err != nil {
			return err
		}
		if tw == 0 || th == 0 || tw > maxChunkSide || th > maxChunkSide {
			return fmt.Errorf("%w: tile size %dx%d", ErrCorrupt, tw, th)
		}
		if tw > tileSideLimit(l.width) || th > tileSideLimit(l.height) {
			return fmt.Errorf("%w: tile size %dx%d for a %dx%d image (a tile side may reach the image side rounded up to 16, or %d)",
				ErrCorrupt, tw, th, l.width, l.height, maxTileOverhang)
		}
		l.chunkW, l.chunkH = int(tw), int(th)
	} else {
		rps, err := f.uint(tagRowsPerStrip, uint64(l.height))
		if err != nil {
			return err
		}
		if rps == 0 {
			return fmt.Errorf("%w: rows per strip is 0", ErrCorrupt)
		}
		l.chunkW, l.chunkH = l.width, int(min(rps, uint64(l.height)))
	}
	l.across = (l.width + l.chunkW - 1) / l.chunkW
	l.down = (l.height + l.chunkH - 1) / l.chunkH
	l.chunkCount = l.across * l.down
	if l.planar {
		l.chunkCount *= l.spp
	}
	for _, tag := range []uint16{l.offTag, l.cntTag} {
		te, ok := f.entries[tag]
		if !ok {
			return fmt.Errorf("%w: no %s offsets or byte counts tag (%d)", ErrCorrupt, l.kind, tag)
		}
		if te.count != uint64(l.chunkCount) {
			return fmt.Errorf("%w: tag %d holds %d %s entries, want %d", ErrCorrupt, tag, te.count, l.kind, l.chunkCount)
		}
	}
	return nil
}

// tileSideLimit is the largest tile side accepted for an image side.
func tileSideLimit(side int) uint64 {
	return uint64(max((side+15)/16*16, maxTileOverhang))
}

// checkBudget computes everything a read of l allocates (planes, chunk
// buffers, offset tables, conversion tables, decoder state) and fails with
// ErrTooLarge if it passes maxBytes.
func (l *tiffLayout) checkBudget(maxBytes int64) error {
	planes := int64(l.width) * int64(l.height) * int64(l.spp) * 4
	chunk := int64(l.chunkBytes())
	buffers := chunk + int64(srcBound(l.compression, uint64(chunk)))
	// Each of the two tags: up to 8 bytes per value read, 8 per uint64.
	tables := int64(l.chunkCount) * 32
	other := int64(l.spp)*256*4 + decoderStateBytes
	if cost := planes + buffers + tables + other; cost > maxBytes {
		return overBudget(fmt.Sprintf("a %dx%d×%d image of %d-bit samples", l.width, l.height, l.spp, 8*l.bytesPerSample),
			cost, maxBytes, fmt.Sprintf("float32 planes %s, %s buffers %s, %d %s offsets %s",
				sizeText(planes), l.kind, sizeText(buffers), l.chunkCount, l.kind, sizeText(tables)))
	}
	return nil
}

// chunkTables reads the offsets and byte counts (their lengths checked by
// chunkGeometry, their cost by checkBudget) and checks them against the
// file.
func (f *tiffFile) chunkTables(l *tiffLayout) error {
	var err error
	if l.offsets, _, err = f.uints(l.offTag); err != nil {
		return err
	}
	if l.counts, _, err = f.uints(l.cntTag); err != nil {
		return err
	}
	kind := l.kind
	if len(l.offsets) != l.chunkCount || len(l.counts) != l.chunkCount {
		return fmt.Errorf("%w: %d %s offsets and %d byte counts, want %d", ErrCorrupt, len(l.offsets), kind, len(l.counts), l.chunkCount)
	}
	var total uint64
	for i := range l.offsets {
		o, c := l.offsets[i], l.counts[i]
		if o > uint64(f.size) || c > uint64(f.size)-o {
			return fmt.Errorf("%w: %s %d at offset %d (+%d bytes) lies past the end of the %d-byte file", ErrCorrupt, kind, i, o, c, f.size)
		}
		total += c
		// Decoding more chunk bytes than the file holds would mean chunks
		// overlap: reject instead of doing that much work.
		if total > uint64(f.size) {
			return fmt.Errorf("%w: %s byte counts add up to more than the %d-byte file", ErrCorrupt, kind, f.size)
		}
		if need := uint64(l.chunkNeed(i)); need > maxDecodedBytes(l.compression, c) {
			return fmt.Errorf("%w: %s %d claims to expand %d bytes into %d, more than its compression allows", ErrCorrupt, kind, i, c, need)
		}
	}
	return nil
}

// srcBound is the most compressed bytes a chunk that decodes to need bytes
// can take (deflate's stored blocks, LZW's 12-bit codes, with margin);
// bytes past it are never read, so a lying byte count costs no memory.
func srcBound(compression, need uint64) uint64 {
	switch compression {
	case compressionDeflate, compressionDeflateZ:
		return need + need/16 + 1024
	case compressionLZW:
		return need + need/2 + need/64 + 1024
	}
	return need
}

// maxDecodedBytes is the most that compressedBytes can decode to.
func maxDecodedBytes(compression, compressedBytes uint64) uint64 {
	switch compression {
	case compressionDeflate, compressionDeflateZ:
		return deflateMaxRatio*compressedBytes + 1024
	case compressionLZW:
		return lzwMaxRatio*compressedBytes + 4096
	}
	return compressedBytes
}

// samplesPerChunkPixel is 1 for planar files, spp for chunky ones.
func (l *tiffLayout) samplesPerChunkPixel() int {
	if l.planar {
		return 1
	}
	return l.spp
}

// chunkBytes is the decoded size of one full chunk.
func (l *tiffLayout) chunkBytes() int {
	return l.chunkW * l.chunkH * l.samplesPerChunkPixel() * l.bytesPerSample
}

// chunkNeed is the decoded size of chunk i: a full tile, or the rows of
// strip i (a last strip may be stored short).
func (l *tiffLayout) chunkNeed(i int) int {
	if l.tiled {
		return l.chunkBytes()
	}
	idx := i % (l.across * l.down)
	rows := min(l.chunkH, l.height-idx*l.chunkH)
	return rows * l.chunkW * l.samplesPerChunkPixel() * l.bytesPerSample
}

// decode decompresses every chunk and writes calibrated samples into out.
// Its buffers are the ones checkBudget counted.
func (f *tiffFile) decode(l *tiffLayout, cal Calibration, out [][]float32) error {
	kind := l.kind
	buf := make([]byte, l.chunkBytes())
	// 8-bit samples convert through a table per band.
	var luts [][256]float32
	if l.bytesPerSample == 1 {
		luts = make([][256]float32, l.spp)
		for b := range luts {
			for dn := range 256 {
				luts[b][dn] = float32(cal.Gain[b]*float64(dn) + cal.Offset[b])
			}
		}
	}
	var src []byte
	var dec decompressor
	perPlane := l.across * l.down
	spc := l.samplesPerChunkPixel()
	rowBytes := l.chunkW * spc * l.bytesPerSample
	for i := range l.offsets {
		plane, idx := 0, i
		if l.planar {
			plane, idx = i/perPlane, i%perPlane
		}
		x0 := (idx % l.across) * l.chunkW
		y0 := (idx / l.across) * l.chunkH
		rows := min(l.chunkH, l.height-y0)
		need := l.chunkNeed(i)
		n := min(l.counts[i], srcBound(l.compression, uint64(need)))
		if uint64(cap(src)) < n {
			src = make([]byte, n, srcBound(l.compression, uint64(l.chunkBytes())))
		}
		src = src[:n]
		if err := f.readAt(src, l.offsets[i], fmt.Sprintf("%s %d", kind, i)); err != nil {
			return err
		}
		if err := dec.decompress(l.compression, src, buf[:need]); err != nil {
			return fmt.Errorf("%w: %s %d: %w", ErrCorrupt, kind, i, err)
		}
		if l.predictor == predictorHorizontal {
			undoPredictor(buf[:need], rowBytes, spc, l.bytesPerSample, f.little)
		}
		cols := min(l.chunkW, l.width-x0)
		for r := 0; r < rows; r++ {
			row := buf[r*rowBytes:]
			dst := (y0+r)*l.width + x0
			for s := 0; s < spc; s++ {
				band := plane + s
				o := out[band][dst : dst+cols]
				if l.bytesPerSample == 1 {
					lut := &luts[band]
					for c := range o {
						o[c] = lut[row[c*spc+s]]
					}
					continue
				}
				g, off := cal.Gain[band], cal.Offset[band]
				hi, lo := 1, 0 // byte index of the high and low halves
				if !f.little {
					hi, lo = 0, 1
				}
				for c := range o {
					k := 2 * (c*spc + s)
					dn := uint16(row[k+hi])<<8 | uint16(row[k+lo])
					o[c] = float32(g*float64(dn) + off)
				}
			}
		}
	}
	return nil
}

// decompressor keeps one zlib reader and one LZW table for all the
// chunks of an image, so decoding allocates them once.
type decompressor struct {
	zr  io.ReadCloser
	lzw *lzwTable
}

// decompress fills dst exactly from src or fails naming the shortfall.
func (d *decompressor) decompress(method uint64, src, dst []byte) error {
	switch method {
	case compressionNone:
		if len(src) < len(dst) {
			return fmt.Errorf("holds %d bytes, need %d", len(src), len(dst))
		}
		copy(dst, src)
	case compressionDeflate, compressionDeflateZ:
		var err error
		if d.zr == nil {
			d.zr, err = zlib.NewReader(bytes.NewReader(src))
		} else {
			err = d.zr.(zlib.Resetter).Reset(bytes.NewReader(src), nil)
		}
		if err != nil {
			return fmt.Errorf("deflate: %w", err)
		}
		if n, err := io.ReadFull(d.zr, dst); err != nil {
			return fmt.Errorf("deflate data ends after %d of %d bytes: %w", n, len(dst), err)
		}
	case compressionLZW:
		if d.lzw == nil {
			d.lzw = newLZWTable()
		}
		n, err := lzwDecode(d.lzw, src, dst)
		if err != nil {
			return fmt.Errorf("after %d of %d bytes: %w", n, len(dst), err)
		}
		if n < len(dst) {
			return fmt.Errorf("LZW data ends after %d of %d bytes", n, len(dst))
		}
	}
	return nil
}

// undoPredictor reverses TIFF horizontal differencing in place, row by
// row, for samplesPerPixel interleaved samples of 1 or 2 bytes.
func undoPredictor(b []byte, rowBytes, samplesPerPixel, bytesPerSample int, little bool) {
	for start := 0; start+rowBytes <= len(b); start += rowBytes {
		row := b[start : start+rowBytes]
		if bytesPerSample == 1 {
			for i := samplesPerPixel; i < len(row); i++ {
				row[i] += row[i-samplesPerPixel]
			}
			continue
		}
		n := len(row) / 2
		get := func(i int) uint16 {
			if little {
				return uint16(row[2*i]) | uint16(row[2*i+1])<<8
			}
			return uint16(row[2*i])<<8 | uint16(row[2*i+1])
		}
		for i := samplesPerPixel; i < n; i++ {
			v := get(i) + get(i-samplesPerPixel)
			if little {
				row[2*i], row[2*i+1] = byte(v), byte(v>>8)
			} else {
				row[2*i], row[2*i+1] = byte(v>>8), byte(v)
			}
		}
	}
}
