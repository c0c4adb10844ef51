package scene

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/skysieve/skysieve/triage/scene/scenetest"
)

// Decompression bombs and huge tiles are refused from their headers:
// nothing near the claimed size is allocated, and the error names the
// budget (or the tile size) it broke.
func TestBombsRefusedBeforeDecoding(t *testing.T) {
	deflate := scenetest.Bomb(16384, true, scenetest.Deflate, 256)
	lzw := scenetest.Bomb(16384, false, scenetest.LZW, 256)
	tile := scenetest.TileBomb(8192)
	t.Logf("file sizes: deflate %d, LZW %d, tile %d bytes", len(deflate), len(lzw), len(tile))
	for _, tc := range []struct {
		name string
		file []byte
		opts []Option
		want error
		says string
	}{
		{"deflate 16384² uint16, default budget", deflate, nil, ErrTooLarge, "over the memory budget of 1024.0 MiB"},
		{"deflate 16384² uint16, 64 MiB budget", deflate, []Option{WithMaxBytes(64 << 20)}, ErrTooLarge, "over the memory budget of 64.0 MiB"},
		{"LZW 16384² uint8, 64 MiB budget", lzw, []Option{WithMaxBytes(64 << 20), WithCalibration(identity(1))}, ErrTooLarge, "float32 planes 1024.0 MiB"},
		{"1×1 image in an 8192² tile", tile, nil, ErrCorrupt, "tile size 8192x8192 for a 1x1 image"},
		{"band contract from the header", deflate, []Option{WithMaxBytes(4 << 30), WithRequiredBands("red")}, ErrBands, "required band red is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			allocated := allocatedBytes(func() {
				_, err = ReadGeoTIFF(bytes.NewReader(tc.file), int64(len(tc.file)), tc.opts...)
			})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err %v, want %v saying %q", err, tc.want, tc.says)
			}
			if allocated > 4<<20 {
				t.Errorf("allocated %d bytes before refusing", allocated)
			}
		})
	}
}

// The bomb builder makes real GeoTIFFs: small ones decode to zeros.
func TestSmallBombsDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"deflate uint16", scenetest.Bomb(600, true, scenetest.Deflate, 64)},
		{"LZW uint8", scenetest.Bomb(600, false, scenetest.LZW, 64)},
		{"LZW uint16", scenetest.Bomb(333, true, scenetest.LZW, 333)},
		{"1×1 in a 16² tile", scenetest.TileBomb(16)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ReadGeoTIFF(bytes.NewReader(tc.file), int64(len(tc.file)), WithCalibration(identity(1)))
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range s.Data[0] {
				if v != 0 {
					t.Fatalf("sample %d is %v, want 0", i, v)
				}
			}
		})
	}
}

// The budget covers every layout (strips and tiles, chunky and planar,
// none, deflate and LZW): the real allocation of a read stays within the
// budget it passed, and a budget smaller than the planes alone is refused
// before decoding.
func TestBudgetCoversEveryLayout(t *testing.T) {
	for _, comp := range []int{compressionNone, compressionDeflate, compressionLZW} {
		for _, planar := range []bool{false, true} {
			for _, tiled := range []bool{false, true} {
				s := defaultSpec(200, 150, 6, 16, 3)
				s.compression, s.planar = comp, planar
				if tiled {
					s.tileW, s.tileH = 64, 48
				} else {
					s.rowsPerStrip = 40
				}
				b := buildTIFF(s)
				planes := int64(200 * 150 * 6 * 4)
				t.Run(fmt.Sprintf("compression %d planar %v tiled %v", comp, planar, tiled), func(t *testing.T) {
					_, err := ReadGeoTIFF(bytes.NewReader(b), int64(len(b)), WithMaxBytes(planes-1))
					if !errors.Is(err, ErrTooLarge) {
						t.Fatalf("budget below the planes: %v, want ErrTooLarge", err)
					}
					budget := planes + 1<<20
					var got *Scene
					allocated := allocatedBytes(func() {
						got, err = ReadGeoTIFF(bytes.NewReader(b), int64(len(b)), WithMaxBytes(budget), WithCalibration(identity(6)))
					})
					if err != nil {
						t.Fatal(err)
					}
					checkDN(t, got, s)
					if allocated > uint64(budget) {
						t.Errorf("allocated %d bytes under a budget of %d", allocated, budget)
					}
				})
			}
		}
	}
}

// The native reader checks its budget and the band contract from the
// header too.
func TestNativeBudgetAndBands(t *testing.T) {
	b := encoded(t)
	s, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	planes := int64(s.Width * s.Height * len(s.Bands) * 4)
	for _, tc := range []struct {
		name string
		opts []Option
		want error
	}{
		{"budget below the planes", []Option{WithMaxBytes(planes)}, ErrTooLarge},
		{"missing band", []Option{WithRequiredBands(BandRed, "thermal")}, ErrBands},
		{"within budget, bands present", []Option{WithMaxBytes(planes + 1<<20), WithRequiredBands(BandRed, BandSWIR2)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(b), tc.opts...)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Read: %v, want %v", err, tc.want)
			}
		})
	}
}

// A metadata tag claiming millions of values (here BitsPerSample, read
// and converted to integers) is refused before its values are read.
func TestHugeMetadataTagRefused(t *testing.T) {
	s := defaultSpec(16, 16, 1, 16, 1)
	s.extra = map[uint16]tiffValue{tagDateTime: {typ: tiffTypeASCII, ascii: "2024:01:02 03:04:05"}}
	b := buildTIFF(s)
	// Point BitsPerSample at the whole file as 4M SHORT values.
	pad := make([]byte, 8<<20)
	b = append(b, pad...)
	b = patchTag(t, b, tagBitsPerSample, tiffTypeShort, 4<<20, 8)
	var err error
	allocated := allocatedBytes(func() {
		_, err = ReadGeoTIFF(bytes.NewReader(b), int64(len(b)))
	})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "tag 258 has 4194304 values") {
		t.Fatalf("err %v, want ErrCorrupt naming tag 258", err)
	}
	if allocated > 4<<20 {
		t.Errorf("allocated %d bytes before refusing", allocated)
	}
}
