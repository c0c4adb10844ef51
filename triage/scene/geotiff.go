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
// against the file length and WithMaxSamples before allocation.
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
	if err := f.chunks(l); err != nil {
		return nil, err
	}
	return l, nil
}

// chunks reads the strip or tile geometry, offsets and byte counts, and
// checks them against the file.
func (f *tiffFile) chunks(l *tiffLayout) error {
	offTag, cntTag, kind := uint16(tagStripOffsets), uint16(tagStripByteCounts), "strip"
	if _, ok := f.entries[tagTileWidth]; ok {
		l.tiled, offTag, cntTag, kind = true, tagTileOffsets, tagTileByteCounts, "tile"
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
	want := l.across * l.down
	if l.planar {
		want *= l.spp
	}
	var err error
	var ok bool
	if l.offsets, ok, err = f.uints(offTag); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("%w: no %s offsets tag (%d)", ErrCorrupt, kind, offTag)
	}
	if l.counts, ok, err = f.uints(cntTag); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("%w: no %s byte counts tag (%d)", ErrCorrupt, kind, cntTag)
	}
	if len(l.offsets) != want || len(l.counts) != want {
		return fmt.Errorf("%w: %d %s offsets and %d byte counts, want %d", ErrCorrupt, len(l.offsets), kind, len(l.counts), want)
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
func (f *tiffFile) decode(l *tiffLayout, cal Calibration, out [][]float32) error {
	kind := "strip"
	if l.tiled {
		kind = "tile"
	}
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
		if uint64(cap(src)) < l.counts[i] {
			src = make([]byte, l.counts[i])
		}
		src = src[:l.counts[i]]
		if err := f.readAt(src, l.offsets[i], fmt.Sprintf("%s %d", kind, i)); err != nil {
			return err
		}
		if err := decompress(l.compression, src, buf[:need]); err != nil {
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

// decompress fills dst exactly from src or fails naming the shortfall.
func decompress(method uint64, src, dst []byte) error {
	switch method {
	case compressionNone:
		if len(src) < len(dst) {
			return fmt.Errorf("holds %d bytes, need %d", len(src), len(dst))
		}
		copy(dst, src)
	case compressionDeflate, compressionDeflateZ:
		zr, err := zlib.NewReader(bytes.NewReader(src))
		if err != nil {
			return fmt.Errorf("deflate: %w", err)
		}
		if n, err := io.ReadFull(zr, dst); err != nil {
			return fmt.Errorf("deflate data ends after %d of %d bytes: %w", n, len(dst), err)
		}
	case compressionLZW:
		n, err := lzwDecode(src, dst)
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
