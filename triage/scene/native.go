package scene

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"
)

// Native format constants (see the package documentation for the layout).
const (
	nativeMagic       = "SKYSCENE"
	NativeVersion     = 1
	nativePrefixBytes = 16 // magic, version, flags, header length
	nativeFixedBytes  = 54 // fixed part of the header body
	maxHeaderBytes    = 1 << 16
	// ReflectanceScale is the factor between reflectance and the uint16
	// samples of the native format.
	ReflectanceScale = 10000
	// readChunkBytes bounds each read so that memory grows only as data
	// actually arrives, whatever the header claims.
	readChunkBytes = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// zeroTimeNanos encodes the zero time.Time, which UnixNano cannot express.
const zeroTimeNanos = math.MinInt64

// Write encodes s in Skysieve's native scene format. Reflectance is stored
// as round(value × 10000) clamped to 0..65535, so values below 0 read back
// as 0 and values above 6.5535 as 6.5535; NaN or infinite samples fail with
// ErrInvalidScene, as does a scene that fails Validate.
func Write(w io.Writer, s *Scene) error {
	if err := s.Validate(); err != nil {
		return err
	}
	hdr := encodeHeader(s)
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.Write(hdr); err != nil {
		return fmt.Errorf("scene: write header: %w", err)
	}
	plane := make([]byte, 2*s.Width*s.Height)
	var sum [4]byte
	for bi, data := range s.Data {
		for i, v := range data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("%w: band %q sample %d is %v", ErrInvalidScene, s.Bands[bi], i, v)
			}
			binary.LittleEndian.PutUint16(plane[2*i:], quantize(v))
		}
		binary.LittleEndian.PutUint32(sum[:], crc32c(plane))
		if _, err := bw.Write(plane); err != nil {
			return fmt.Errorf("scene: write band %q: %w", s.Bands[bi], err)
		}
		if _, err := bw.Write(sum[:]); err != nil {
			return fmt.Errorf("scene: write band %q: %w", s.Bands[bi], err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("scene: write: %w", err)
	}
	return nil
}

func quantize(v float32) uint16 {
	q := math.Round(float64(v) * ReflectanceScale)
	switch {
	case q <= 0:
		return 0
	case q >= math.MaxUint16:
		return math.MaxUint16
	}
	return uint16(q)
}

// encodeHeader returns prefix, header body and header CRC.
func encodeHeader(s *Scene) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString(nativeMagic)
	b.Write(le.AppendUint16(nil, NativeVersion))
	b.Write(le.AppendUint16(nil, 0)) // flags
	bodyLen := nativeFixedBytes + 2 + len(s.Satellite) + 2 + len(s.ID)
	for _, name := range s.Bands {
		bodyLen += 1 + len(name)
	}
	b.Write(le.AppendUint32(nil, uint32(bodyLen)))
	b.Write(le.AppendUint32(nil, uint32(s.Width)))
	b.Write(le.AppendUint32(nil, uint32(s.Height)))
	b.Write(le.AppendUint16(nil, uint16(len(s.Bands))))
	nanos := int64(zeroTimeNanos)
	if !s.CaptureTime.IsZero() {
		nanos = s.CaptureTime.UnixNano()
	}
	b.Write(le.AppendUint64(nil, uint64(nanos)))
	b.Write(le.AppendUint32(nil, uint32(s.Geo.EPSG)))
	for _, f := range []float64{s.Geo.OriginX, s.Geo.OriginY, s.Geo.PixelSizeX, s.Geo.PixelSizeY} {
		b.Write(le.AppendUint64(nil, math.Float64bits(f)))
	}
	b.Write(le.AppendUint16(nil, uint16(len(s.Satellite))))
	b.WriteString(s.Satellite)
	b.Write(le.AppendUint16(nil, uint16(len(s.ID))))
	b.WriteString(s.ID)
	for _, name := range s.Bands {
		b.WriteByte(byte(len(name)))
		b.WriteString(name)
	}
	b.Write(le.AppendUint32(nil, crc32c(b.Bytes())))
	return b.Bytes()
}

// WriteFile writes s to path atomically: it writes a temporary file in the
// same directory, syncs it and renames it over path, so a reader (flight's
// spool) never sees a partial scene.
func WriteFile(path string, s *Scene) error {
	if err := s.Validate(); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("scene: write %s: %w", path, err)
	}
	tmp := f.Name()
	err = f.Chmod(0o644)
	if err == nil {
		err = Write(f, s)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("scene: write %s: %w", path, err)
	}
	return nil
}

// Read decodes one scene in the native format from r. Every length is
// checked before use and memory grows only as bytes actually arrive, so a
// truncated or lying stream fails with ErrCorrupt, ErrChecksum or
// ErrTooLarge (WithMaxSamples, and WithMaxBytes for the planes and the
// read buffer) without a large allocation; a header lacking a band of
// WithRequiredBands fails with ErrBands before any plane is read. Other
// options are ignored: the file carries its own metadata.
func Read(r io.Reader, opts ...Option) (*Scene, error) {
	o := buildOptions(opts)
	var prefix [nativePrefixBytes]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return nil, fmt.Errorf("%w: native header: %w", ErrCorrupt, noEOF(err))
	}
	if string(prefix[:8]) != nativeMagic {
		return nil, fmt.Errorf("%w: magic %q is not %q", ErrFormat, prefix[:8], nativeMagic)
	}
	le := binary.LittleEndian
	if v := le.Uint16(prefix[8:]); v != NativeVersion {
		return nil, fmt.Errorf("%w: native format version %d (this reader knows %d)", ErrUnsupported, v, NativeVersion)
	}
	if fl := le.Uint16(prefix[10:]); fl != 0 {
		return nil, fmt.Errorf("%w: native format flags %#x (want 0)", ErrUnsupported, fl)
	}
	bodyLen := le.Uint32(prefix[12:])
	if bodyLen < nativeFixedBytes || bodyLen > maxHeaderBytes {
		return nil, fmt.Errorf("%w: header length %d (want %d..%d)", ErrCorrupt, bodyLen, nativeFixedBytes, maxHeaderBytes)
	}
	hdr := make([]byte, nativePrefixBytes+int(bodyLen)+4)
	copy(hdr, prefix[:])
	if _, err := io.ReadFull(r, hdr[nativePrefixBytes:]); err != nil {
		return nil, fmt.Errorf("%w: header body: %w", ErrCorrupt, noEOF(err))
	}
	n := len(hdr) - 4
	if got, want := crc32c(hdr[:n]), le.Uint32(hdr[n:]); got != want {
		return nil, fmt.Errorf("%w: header CRC32C %08x, stored %08x", ErrChecksum, got, want)
	}
	s, err := decodeHeaderBody(hdr[nativePrefixBytes:n])
	if err != nil {
		return nil, err
	}
	if samples := int64(s.Width) * int64(s.Height) * int64(len(s.Bands)); samples > o.maxSamples {
		return nil, fmt.Errorf("%w: %dx%d×%d samples exceed the cap of %d", ErrTooLarge, s.Width, s.Height, len(s.Bands), o.maxSamples)
	}
	if err := checkRequired(s.Bands, o.required); err != nil {
		return nil, err
	}
	// The float32 planes, and one plane's raw bytes and CRC at a time.
	planes := int64(s.Width) * int64(s.Height) * int64(len(s.Bands)) * 4
	raw := 2*int64(s.Width)*int64(s.Height) + 4
	if cost := planes + raw; cost > o.maxBytes {
		return nil, overBudget(fmt.Sprintf("a %dx%d×%d native scene", s.Width, s.Height, len(s.Bands)),
			cost, o.maxBytes, fmt.Sprintf("float32 planes %s, plane buffer %s", sizeText(planes), sizeText(raw)))
	}
	planeBytes := 2 * s.Width * s.Height
	s.Data = make([][]float32, len(s.Bands))
	for bi, name := range s.Bands {
		buf, err := readGrowing(r, planeBytes+4)
		if err != nil {
			return nil, fmt.Errorf("%w: band %q: %w", ErrCorrupt, name, err)
		}
		if got, want := crc32c(buf[:planeBytes]), le.Uint32(buf[planeBytes:]); got != want {
			return nil, fmt.Errorf("%w: band %q CRC32C %08x, stored %08x", ErrChecksum, name, got, want)
		}
		plane := make([]float32, s.Width*s.Height)
		for i := range plane {
			plane[i] = float32(le.Uint16(buf[2*i:])) / ReflectanceScale
		}
		s.Data[bi] = plane
	}
	return s, nil
}

// ReadFile reads a native scene file.
func ReadFile(path string, opts ...Option) (*Scene, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scene: %w", err)
	}
	defer f.Close()
	s, err := Read(bufio.NewReaderSize(f, 1<<16), opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// readGrowing reads exactly n bytes, growing its buffer one chunk at a time.
func readGrowing(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, readChunkBytes))
	for len(buf) < n {
		chunk := min(n-len(buf), readChunkBytes)
		buf = append(buf, make([]byte, chunk)...)
		if _, err := io.ReadFull(r, buf[len(buf)-chunk:]); err != nil {
			return nil, fmt.Errorf("truncated after %d of %d bytes: %w", len(buf)-chunk, n, noEOF(err))
		}
	}
	return buf, nil
}

func decodeHeaderBody(b []byte) (*Scene, error) {
	le := binary.LittleEndian
	s := &Scene{
		Width:  int(le.Uint32(b[0:])),
		Height: int(le.Uint32(b[4:])),
	}
	nBands := int(le.Uint16(b[8:]))
	if nanos := int64(le.Uint64(b[10:])); nanos != zeroTimeNanos {
		s.CaptureTime = time.Unix(0, nanos).UTC()
	}
	s.Geo = Geo{
		EPSG:       int(int32(le.Uint32(b[18:]))),
		OriginX:    math.Float64frombits(le.Uint64(b[22:])),
		OriginY:    math.Float64frombits(le.Uint64(b[30:])),
		PixelSizeX: math.Float64frombits(le.Uint64(b[38:])),
		PixelSizeY: math.Float64frombits(le.Uint64(b[46:])),
	}
	if s.Width <= 0 || s.Height <= 0 || s.Width > MaxSideSamples || s.Height > MaxSideSamples {
		return nil, fmt.Errorf("%w: size %dx%d (each side 1..%d)", ErrCorrupt, s.Width, s.Height, MaxSideSamples)
	}
	if nBands == 0 || nBands > MaxBands {
		return nil, fmt.Errorf("%w: %d bands (want 1..%d)", ErrCorrupt, nBands, MaxBands)
	}
	rest := b[nativeFixedBytes:]
	str := func(what string, lenBytes, maxLen int) (string, error) {
		if len(rest) < lenBytes {
			return "", fmt.Errorf("%w: header ends inside %s", ErrCorrupt, what)
		}
		n := int(rest[0])
		if lenBytes == 2 {
			n = int(le.Uint16(rest))
		}
		if n > maxLen || len(rest) < lenBytes+n {
			return "", fmt.Errorf("%w: %s length %d (max %d, %d bytes left)", ErrCorrupt, what, n, maxLen, len(rest)-lenBytes)
		}
		v := string(rest[lenBytes : lenBytes+n])
		rest = rest[lenBytes+n:]
		return v, nil
	}
	var err error
	if s.Satellite, err = str("satellite id", 2, MaxIDBytes); err != nil {
		return nil, err
	}
	if s.ID, err = str("scene id", 2, MaxIDBytes); err != nil {
		return nil, err
	}
	s.Bands = make([]string, nBands)
	for i := range s.Bands {
		if s.Bands[i], err = str(fmt.Sprintf("band %d name", i), 1, MaxNameBytes); err != nil {
			return nil, err
		}
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d unexplained bytes at the end of the header", ErrCorrupt, len(rest))
	}
	if err := validateMeta(s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return s, nil
}

// validateMeta is Validate without the plane sizes.
func validateMeta(s *Scene) error {
	seen := make(map[string]bool, len(s.Bands))
	for i, b := range s.Bands {
		if b == "" {
			return fmt.Errorf("band %d has no name", i)
		}
		if seen[b] {
			return fmt.Errorf("band %q appears twice", b)
		}
		seen[b] = true
	}
	return s.Geo.Validate()
}

// noEOF turns a bare io.EOF into io.ErrUnexpectedEOF: inside a scene the
// stream may not end.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
