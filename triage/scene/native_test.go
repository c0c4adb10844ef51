package scene

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

func TestNativeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Scene)
	}{
		{"default", func(*Scene) {}},
		{"zero time and empty ids", func(s *Scene) { s.CaptureTime, s.ID, s.Satellite = time.Time{}, "", "" }},
		{"lon/lat geo", func(s *Scene) {
			s.Geo = Geo{EPSG: 4326, OriginX: 10, OriginY: 45, PixelSizeX: 0.001, PixelSizeY: 0.001}
		}},
		{"one band", func(s *Scene) { s.Bands, s.Data = []string{"nir"}, s.Data[:1] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testScene(t, 37, 23, 7)
			tc.edit(s)
			var buf bytes.Buffer
			if err := Write(&buf, s); err != nil {
				t.Fatal(err)
			}
			hdr := 16 + 54 + 2 + len(s.Satellite) + 2 + len(s.ID) + 4
			for _, b := range s.Bands {
				hdr += 1 + len(b)
			}
			if want := hdr + len(s.Bands)*(2*37*23+4); buf.Len() != want {
				t.Errorf("encoded %d bytes, layout says %d", buf.Len(), want)
			}
			got, err := Read(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != s.ID || got.Satellite != s.Satellite || !got.CaptureTime.Equal(s.CaptureTime) ||
				got.Width != s.Width || got.Height != s.Height || got.Geo != s.Geo {
				t.Errorf("metadata differs:\n got %+v %v\nwant %+v %v", got.Geo, got.CaptureTime, s.Geo, s.CaptureTime)
			}
			if len(got.Bands) != len(s.Bands) {
				t.Fatalf("bands %v, want %v", got.Bands, s.Bands)
			}
			for b := range s.Bands {
				if got.Bands[b] != s.Bands[b] {
					t.Errorf("band %d %q, want %q", b, got.Bands[b], s.Bands[b])
				}
				for i, v := range s.Data[b] {
					if math.Abs(float64(got.Data[b][i]-v)) > 0.5/ReflectanceScale+1e-7 {
						t.Fatalf("band %d sample %d: %v, want %v", b, i, got.Data[b][i], v)
					}
				}
			}
		})
	}
}

func TestNativeQuantizeClamps(t *testing.T) {
	s := testScene(t, 4, 1, 1)
	s.Data[0] = []float32{-0.2, 0.00004, 0.00006, 7}
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 0, 0.0001, 6.5535}
	for i, w := range want {
		if math.Abs(float64(got.Data[0][i]-w)) > 1e-7 {
			t.Errorf("sample %d: %v, want %v", i, got.Data[0][i], w)
		}
	}
}

func TestWriteRejectsInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Scene)
	}{
		{"NaN", func(s *Scene) { s.Data[2][5] = float32(math.NaN()) }},
		{"Inf", func(s *Scene) { s.Data[0][0] = float32(math.Inf(1)) }},
		{"short plane", func(s *Scene) { s.Data[1] = s.Data[1][:10] }},
		{"planes != bands", func(s *Scene) { s.Data = s.Data[:5] }},
		{"duplicate band", func(s *Scene) { s.Bands[1] = s.Bands[0] }},
		{"empty band name", func(s *Scene) { s.Bands[1] = "" }},
		{"zero width", func(s *Scene) { s.Width = 0 }},
		{"bad EPSG", func(s *Scene) { s.Geo.EPSG = 3857 }},
		{"zero pixel size", func(s *Scene) { s.Geo.PixelSizeY = 0 }},
		{"long id", func(s *Scene) { s.ID = string(make([]byte, MaxIDBytes+1)) }},
		{"year 3000", func(s *Scene) { s.CaptureTime = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testScene(t, 8, 8, 2)
			tc.edit(s)
			err := Write(io.Discard, s)
			if !errors.Is(err, ErrInvalidScene) {
				t.Fatalf("Write: %v, want ErrInvalidScene", err)
			}
		})
	}
}

// encoded returns a valid native encoding to corrupt.
func encoded(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, testScene(t, 16, 9, 3)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// reheader recomputes the header CRC after an edit of the header.
func reheader(b []byte) []byte {
	n := 16 + int(binary.LittleEndian.Uint32(b[12:]))
	binary.LittleEndian.PutUint32(b[n:], crc32c(b[:n]))
	return b
}

func TestReadRejects(t *testing.T) {
	le := binary.LittleEndian
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want error
	}{
		{"empty", func([]byte) []byte { return nil }, ErrCorrupt},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }, ErrFormat},
		{"version 2", func(b []byte) []byte { le.PutUint16(b[8:], 2); return b }, ErrUnsupported},
		{"flags", func(b []byte) []byte { le.PutUint16(b[10:], 1); return b }, ErrUnsupported},
		{"header length huge", func(b []byte) []byte { le.PutUint32(b[12:], 1<<30); return b }, ErrCorrupt},
		{"header length short", func(b []byte) []byte { le.PutUint32(b[12:], 10); return b }, ErrCorrupt},
		{"header bit flip", func(b []byte) []byte { b[20] ^= 1; return b }, ErrChecksum},
		{"plane bit flip", func(b []byte) []byte { b[len(b)-100] ^= 0x10; return b }, ErrChecksum},
		{"truncated header", func(b []byte) []byte { return b[:40] }, ErrCorrupt},
		{"truncated plane", func(b []byte) []byte { return b[:len(b)-3] }, ErrCorrupt},
		{"width zero", func(b []byte) []byte { le.PutUint32(b[16:], 0); return reheader(b) }, ErrCorrupt},
		{"width huge", func(b []byte) []byte { le.PutUint32(b[16:], 1<<31); return reheader(b) }, ErrCorrupt},
		{"zero bands", func(b []byte) []byte { le.PutUint16(b[24:], 0); return reheader(b) }, ErrCorrupt},
		{"bad EPSG", func(b []byte) []byte { le.PutUint32(b[34:], 3857); return reheader(b) }, ErrCorrupt},
		{"NaN pixel size", func(b []byte) []byte {
			le.PutUint64(b[54:], math.Float64bits(math.NaN()))
			return reheader(b)
		}, ErrCorrupt},
		{"satellite length past header", func(b []byte) []byte { le.PutUint16(b[70:], 200); return reheader(b) }, ErrCorrupt},
		{"lying size, short stream", func(b []byte) []byte {
			le.PutUint32(b[16:], 1<<20)
			le.PutUint32(b[20:], 1<<20)
			return reheader(b)
		}, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.edit(encoded(t))
			_, err := Read(bytes.NewReader(b))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Read: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestReadLyingSizeUnderCapAllocatesLittle(t *testing.T) {
	b := encoded(t)
	le := binary.LittleEndian
	le.PutUint32(b[16:], 8000)
	le.PutUint32(b[20:], 8000)
	reheader(b)
	// 8000×8000×6 samples are within a raised cap and budget, but the
	// stream holds a few kilobytes: Read must fail as truncated without
	// allocating the claimed 768 MB.
	allocated := allocatedBytes(func() {
		_, err := Read(bytes.NewReader(b), WithMaxSamples(1<<30), WithMaxBytes(1<<32))
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Read: %v, want ErrCorrupt", err)
		}
	})
	if allocated > 4<<20 {
		t.Errorf("allocated %d bytes", allocated)
	}
}

// allocatedBytes reports the heap bytes f allocates.
func allocatedBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.skyscene")
	s := testScene(t, 20, 10, 4)
	if err := WriteFile(path, s); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the scene", len(entries))
	}
	for _, open := range []func(string, ...Option) (*Scene, error){ReadFile, Open} {
		got, err := open(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != s.ID || got.Width != 20 {
			t.Errorf("read back %q %d", got.ID, got.Width)
		}
	}
	bad := testScene(t, 20, 10, 4)
	bad.Data[0][0] = float32(math.NaN())
	if err := WriteFile(filepath.Join(dir, "b.skyscene"), bad); !errors.Is(err, ErrInvalidScene) {
		t.Errorf("WriteFile of NaN scene: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("failed write left %d entries", len(entries))
	}
}

func FuzzReadNative(f *testing.F) {
	f.Add(encoded(f))
	f.Add([]byte("SKYSCENE"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Read(bytes.NewReader(b), WithMaxSamples(1<<20))
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Read returned an invalid scene: %v", err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, s); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(buf.Bytes(), b[:buf.Len()]) {
			t.Fatalf("re-encoding differs from the input")
		}
	})
}

// Property: any valid scene survives Write and Read with its metadata
// exact and every sample within half a quantum (after clamping to the
// storable range).
func TestNativeRoundTripProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for iter := range 300 {
		w, h := 1+rng.IntN(40), 1+rng.IntN(40)
		s := &Scene{
			ID:          fmt.Sprintf("s%d", rng.Uint64()),
			Satellite:   string(make([]byte, rng.IntN(5))),
			CaptureTime: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC(),
			Width:       w,
			Height:      h,
		}
		for b := range 1 + rng.IntN(8) {
			s.Bands = append(s.Bands, fmt.Sprintf("band-%d-%d", b, rng.IntN(1000)))
			p := make([]float32, w*h)
			for i := range p {
				p[i] = float32(rng.Float64()*8 - 1)
			}
			s.Data = append(s.Data, p)
		}
		if rng.IntN(2) == 0 {
			s.Geo = Geo{EPSG: 4326, OriginX: rng.Float64()*360 - 180, OriginY: rng.Float64()*180 - 90, PixelSizeX: 1e-4, PixelSizeY: 2e-4}
		} else {
			s.Geo = Geo{EPSG: UTMEPSG(1+rng.IntN(60), rng.IntN(2) == 0), OriginX: rng.Float64() * 1e6, OriginY: rng.Float64() * 1e7, PixelSizeX: 10, PixelSizeY: 20}
		}
		var buf bytes.Buffer
		if err := Write(&buf, s); err != nil {
			t.Fatal(err)
		}
		got, err := Read(&buf)
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		if got.ID != s.ID || got.Satellite != s.Satellite || !got.CaptureTime.Equal(s.CaptureTime) || got.Geo != s.Geo ||
			!slices.Equal(got.Bands, s.Bands) || buf.Len() != 0 {
			t.Fatalf("iteration %d: metadata differs", iter)
		}
		for b := range s.Data {
			for i, v := range s.Data[b] {
				want := math.Min(math.Max(float64(v), 0), 6.5535)
				if math.Abs(float64(got.Data[b][i])-want) > 0.5/ReflectanceScale+1e-6 {
					t.Fatalf("iteration %d band %d sample %d: %v, want %v", iter, b, i, got.Data[b][i], want)
				}
			}
		}
	}
}
