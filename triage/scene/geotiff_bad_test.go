package scene

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"
)

// patchTag rewrites the first value of tag in a classic little-endian TIFF
// built by buildTIFF (the value must be inline).
func patchTag(t *testing.T, b []byte, tag uint16, typ uint16, count uint32, value uint32) []byte {
	t.Helper()
	le := binary.LittleEndian
	ifd := le.Uint32(b[4:])
	n := le.Uint16(b[ifd:])
	for i := range uint32(n) {
		e := b[ifd+2+12*i:]
		if le.Uint16(e) == tag {
			le.PutUint16(e[2:], typ)
			le.PutUint32(e[4:], count)
			if typ == tiffTypeShort && count == 1 {
				le.PutUint16(e[8:], uint16(value))
				le.PutUint16(e[10:], 0)
			} else {
				le.PutUint32(e[8:], value)
			}
			return b
		}
	}
	t.Fatalf("tag %d not in IFD", tag)
	return nil
}

func TestGeoTIFFRejects(t *testing.T) {
	base := func(edit func(*tiffSpec)) []byte {
		s := defaultSpec(40, 30, 3, 16, 5)
		s.rowsPerStrip = 8
		s.compression = compressionDeflate
		edit(&s)
		return buildTIFF(s)
	}
	plain := func(*tiffSpec) {}
	for _, tc := range []struct {
		name string
		file func(t *testing.T) []byte
		want error
	}{
		{"empty", func(*testing.T) []byte { return nil }, ErrCorrupt},
		{"not a TIFF", func(*testing.T) []byte { return []byte("GIF89a..") }, ErrFormat},
		{"TIFF version 41", func(*testing.T) []byte { return []byte{'I', 'I', 41, 0, 8, 0, 0, 0} }, ErrFormat},
		{"IFD past EOF", func(*testing.T) []byte { return []byte{'I', 'I', 42, 0, 0xff, 0xff, 0, 0} }, ErrCorrupt},
		{"IFD with 0 entries", func(*testing.T) []byte { return []byte{'I', 'I', 42, 0, 8, 0, 0, 0, 0, 0} }, ErrCorrupt},
		{"IFD entries past EOF", func(*testing.T) []byte { return []byte{'I', 'I', 42, 0, 8, 0, 0, 0, 0xff, 0x0f} }, ErrCorrupt},
		{"truncated", func(*testing.T) []byte { b := base(plain); return b[:len(b)/2] }, ErrCorrupt},
		{"strip offset past EOF", func(t *testing.T) []byte {
			s := defaultSpec(40, 30, 3, 16, 5)
			b := buildTIFF(s) // one strip: offset inline
			return patchTag(t, b, tagStripOffsets, tiffTypeLong, 1, 1<<30)
		}, ErrCorrupt},
		{"strip byte count past EOF", func(t *testing.T) []byte {
			b := buildTIFF(defaultSpec(40, 30, 3, 16, 5))
			return patchTag(t, b, tagStripByteCounts, tiffTypeLong, 1, 1<<30)
		}, ErrCorrupt},
		{"strip too short", func(t *testing.T) []byte {
			b := buildTIFF(defaultSpec(40, 30, 3, 16, 5))
			return patchTag(t, b, tagStripByteCounts, tiffTypeLong, 1, 100)
		}, ErrCorrupt},
		{"absurd width", func(t *testing.T) []byte {
			return patchTag(t, base(plain), tagImageWidth, tiffTypeLong, 1, 1<<30)
		}, ErrCorrupt},
		{"width over the sample cap", func(t *testing.T) []byte {
			return patchTag(t, base(plain), tagImageWidth, tiffTypeLong, 1, 1<<20)
		}, ErrTooLarge},
		{"claims more strips than stored", func(t *testing.T) []byte {
			return patchTag(t, base(plain), tagImageLength, tiffTypeLong, 1, 3000)
		}, ErrCorrupt},
		{"huge tag count", func(t *testing.T) []byte {
			return patchTag(t, base(plain), tagStripOffsets, tiffTypeLong, 1<<30, 8)
		}, ErrCorrupt},
		{"tag values past EOF", func(t *testing.T) []byte {
			return patchTag(t, base(plain), tagStripOffsets, tiffTypeLong, 4, 1<<28)
		}, ErrCorrupt},
		{"unknown field type", func(t *testing.T) []byte {
			return patchTag(t, base(plain), tagImageWidth, 99, 1, 40)
		}, ErrCorrupt},
		{"deflate expands too much", func(t *testing.T) []byte {
			s := defaultSpec(200, 100, 3, 16, 5)
			s.compression = compressionDeflate
			return patchTag(t, buildTIFF(s), tagStripByteCounts, tiffTypeLong, 1, 1)
		}, ErrCorrupt},
		{"deflate garbage", func(t *testing.T) []byte {
			b := base(func(s *tiffSpec) { s.rowsPerStrip = 0 })
			for i := 8; i < 200; i++ {
				b[i] = 0x55
			}
			return b
		}, ErrCorrupt},
		{"lzw garbage", func(t *testing.T) []byte {
			b := base(func(s *tiffSpec) { s.rowsPerStrip, s.compression = 0, compressionLZW })
			for i := 8; i < 300; i++ {
				b[i] = 0xff
			}
			return b
		}, ErrCorrupt},
		{"32 bits per sample", func(t *testing.T) []byte {
			return patchTag(t, base(func(s *tiffSpec) { s.dn = s.dn[:1] }), tagBitsPerSample, tiffTypeShort, 1, 32)
		}, ErrUnsupported},
		{"float samples", func(t *testing.T) []byte {
			return patchTag(t, base(func(s *tiffSpec) { s.dn = s.dn[:1] }), tagSampleFormat, tiffTypeShort, 1, 3)
		}, ErrUnsupported},
		{"JPEG", func(t *testing.T) []byte {
			return patchTag(t, base(plain), tagCompression, tiffTypeShort, 1, 7)
		}, ErrUnsupported},
		{"floating predictor", func(t *testing.T) []byte {
			return patchTag(t, base(func(s *tiffSpec) { s.predictor = 2 }), tagPredictor, tiffTypeShort, 1, 3)
		}, ErrUnsupported},
		{"palette", func(t *testing.T) []byte {
			return patchTag(t, base(plain), tagPhotometric, tiffTypeShort, 1, 3)
		}, ErrUnsupported},
		{"mixed bit depths", func(t *testing.T) []byte {
			b := base(plain)
			// BitsPerSample is out of line (3 SHORTs): make the last 8.
			f, _ := openTIFF(bytes.NewReader(b), int64(len(b)))
			off := f.entries[tagBitsPerSample].offset
			binary.LittleEndian.PutUint16(b[off+4:], 8)
			return b
		}, ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.file(t)
			_, err := ReadGeoTIFF(bytes.NewReader(b), int64(len(b)), WithMaxSamples(1<<24))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
}

// A header claiming a 4000×4000×6 image over a few hundred bytes fails
// before the 384 MB of planes are allocated.
func TestGeoTIFFLyingSizeAllocatesLittle(t *testing.T) {
	s := defaultSpec(64, 64, 6, 8, 5)
	s.compression = compressionDeflate
	b := buildTIFF(s)
	b = patchTag(t, b, tagImageWidth, tiffTypeLong, 1, 4000)
	b = patchTag(t, b, tagImageLength, tiffTypeLong, 1, 4000)
	allocated := allocatedBytes(func() {
		_, err := ReadGeoTIFF(bytes.NewReader(b), int64(len(b)))
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err %v, want ErrCorrupt", err)
		}
		t.Log(err)
	})
	if allocated > 4<<20 {
		t.Errorf("allocated %d bytes", allocated)
	}
}

// Cutting the real scene inside its first image gives an error, never a
// panic or a scene.
func TestLandsatTruncated(t *testing.T) {
	full, err := os.ReadFile(landsatPath(t))
	if err != nil {
		t.Fatal(err)
	}
	// The first image's strips end at byte 598195; overviews follow.
	for _, n := range []int{0, 7, 8, 100, 1135, 1136, 5000, 300000, 596537, 598194} {
		b := full[:n]
		if _, err := ReadGeoTIFF(bytes.NewReader(b), int64(n)); err == nil {
			t.Errorf("cut at %d bytes: no error", n)
		}
	}
}

func FuzzReadGeoTIFF(f *testing.F) {
	for _, spec := range []tiffSpec{
		defaultSpec(9, 7, 2, 8, 1),
		func() tiffSpec {
			s := defaultSpec(9, 7, 3, 16, 2)
			s.compression, s.predictor, s.rowsPerStrip = compressionLZW, 2, 3
			return s
		}(),
		func() tiffSpec {
			s := defaultSpec(9, 7, 2, 8, 3)
			s.compression, s.tileW, s.tileH, s.planar, s.bo = compressionDeflate, 16, 16, true, binary.BigEndian
			return s
		}(),
		func() tiffSpec { s := defaultSpec(5, 5, 1, 16, 4); s.big = true; return s }(),
	} {
		f.Add(buildTIFF(spec))
	}
	if b, err := os.ReadFile("../../testdata/scenes/olinda_64.tif"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ReadGeoTIFF(bytes.NewReader(b), int64(len(b)), WithMaxSamples(1<<20))
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ReadGeoTIFF returned an invalid scene: %v", err)
		}
	})
}
