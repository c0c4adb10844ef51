package scene

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"testing"
)

// identity reads DNs unchanged, so tests compare samples exactly.
func identity(bands int) Calibration {
	c := Calibration{Gain: make([]float64, bands), Offset: make([]float64, bands)}
	for i := range c.Gain {
		c.Gain[i] = 1
	}
	return c
}

func checkDN(t *testing.T, s *Scene, spec tiffSpec) {
	t.Helper()
	if s.Width != spec.width || s.Height != spec.height || len(s.Data) != len(spec.dn) {
		t.Fatalf("got %dx%d×%d, want %dx%d×%d", s.Width, s.Height, len(s.Data), spec.width, spec.height, len(spec.dn))
	}
	for b := range spec.dn {
		for i, v := range spec.dn[b] {
			if s.Data[b][i] != float32(v) {
				t.Fatalf("band %d pixel (%d,%d): %v, want %d", b, i%spec.width, i/spec.width, s.Data[b][i], v)
			}
		}
	}
}

// Every supported layout reads back the exact samples.
func TestGeoTIFFLayouts(t *testing.T) {
	type variant struct {
		name string
		edit func(*tiffSpec)
	}
	orders := []variant{
		{"II", func(s *tiffSpec) { s.bo = binary.LittleEndian }},
		{"MM", func(s *tiffSpec) { s.bo = binary.BigEndian }},
		{"BigTIFF-MM", func(s *tiffSpec) { s.bo, s.big = binary.BigEndian, true }},
	}
	layouts := []variant{
		{"one strip", func(s *tiffSpec) {}},
		{"strips of 4, short last", func(s *tiffSpec) { s.rowsPerStrip = 4 }},
		{"planar strips", func(s *tiffSpec) { s.planar, s.rowsPerStrip = true, 5 }},
		{"tiles 16x32", func(s *tiffSpec) { s.tileW, s.tileH = 16, 32 }},
		{"planar tiles", func(s *tiffSpec) { s.planar, s.tileW, s.tileH = true, 32, 16 }},
	}
	codecs := []variant{
		{"none", func(s *tiffSpec) { s.compression = compressionNone }},
		{"deflate", func(s *tiffSpec) { s.compression = compressionDeflate }},
		{"adobe-deflate+pred", func(s *tiffSpec) { s.compression, s.predictor = compressionDeflateZ, 2 }},
		{"lzw", func(s *tiffSpec) { s.compression = compressionLZW }},
		{"lzw+pred", func(s *tiffSpec) { s.compression, s.predictor = compressionLZW, 2 }},
	}
	for _, bps := range []int{8, 16} {
		for _, o := range orders {
			for _, l := range layouts {
				for _, c := range codecs {
					name := fmt.Sprintf("%d/%s/%s/%s", bps, o.name, l.name, c.name)
					t.Run(name, func(t *testing.T) {
						spec := defaultSpec(37, 23, 3, bps, 9)
						o.edit(&spec)
						l.edit(&spec)
						c.edit(&spec)
						b := buildTIFF(spec)
						s, err := ReadGeoTIFF(bytes.NewReader(b), int64(len(b)), WithCalibration(identity(3)))
						if err != nil {
							t.Fatal(err)
						}
						checkDN(t, s, spec)
						if s.Geo.EPSG != 32725 || s.Bands[0] != "b1" {
							t.Errorf("Geo %+v bands %v", s.Geo, s.Bands)
						}
					})
				}
			}
		}
	}
}

func TestGeoTIFFDefaults(t *testing.T) {
	spec := defaultSpec(8, 8, 6, 16, 1)
	spec.dn[3][0] = 2500
	spec.extra = map[uint16]tiffValue{tagDateTime: {typ: tiffTypeASCII, ascii: "2002:07:15 12:30:00"}}
	b := buildTIFF(spec)
	s, err := ReadGeoTIFF(bytes.NewReader(b), int64(len(b)), WithSatellite("L7"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Data[3][0]; math.Abs(float64(got)-0.25) > 1e-6 {
		t.Errorf("uint16 2500 read as %v, want 0.25", got)
	}
	if s.Bands[3] != BandNIR || s.Satellite != "L7" || s.CaptureTime.Format("2006-01-02T15:04:05Z07:00") != "2002-07-15T12:30:00Z" {
		t.Errorf("bands %v satellite %q time %v", s.Bands, s.Satellite, s.CaptureTime)
	}
	spec = defaultSpec(8, 8, 4, 8, 1)
	b = buildTIFF(spec)
	if _, err := ReadGeoTIFF(bytes.NewReader(b), int64(len(b))); !errors.Is(err, ErrCalibration) {
		t.Errorf("4-band uint8 without calibration: %v, want ErrCalibration", err)
	}
	if _, err := ReadGeoTIFF(bytes.NewReader(b), int64(len(b)), WithCalibration(identity(3))); !errors.Is(err, ErrCalibration) {
		t.Errorf("3 gains for 4 bands: %v, want ErrCalibration", err)
	}
	s, err = ReadGeoTIFF(bytes.NewReader(b), int64(len(b)), WithCalibration(identity(4)), WithBandNames("a", "b", "c", "d"))
	if err != nil || s.Bands[2] != "c" {
		t.Errorf("named bands: %v %v", err, s)
	}
}

func TestGeoTIFFGeoreference(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*tiffSpec)
		want  Geo
		error error
	}{
		{"SIRGAS UTM 25S", func(*tiffSpec) {}, Geo{EPSG: 32725, OriginX: 288776.25, OriginY: 9120760.75, PixelSizeX: 28.5, PixelSizeY: 28.5}, nil},
		{"WGS84 UTM 33N, tiepoint not at 0,0", func(s *tiffSpec) {
			s.geoKeys = []uint16{1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32633}
			s.tiepoint = []float64{10, 20, 0, 500000, 5000000, 0}
			s.pixelScale = []float64{10, 10, 0}
		}, Geo{EPSG: 32633, OriginX: 499900, OriginY: 5000200, PixelSizeX: 10, PixelSizeY: 10}, nil},
		{"geographic, pixel is point", func(s *tiffSpec) {
			s.geoKeys = []uint16{1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 2, 2048, 0, 1, 4326}
			s.tiepoint = []float64{0, 0, 0, 10, 50, 0}
			s.pixelScale = []float64{0.002, 0.001, 0}
		}, Geo{EPSG: 4326, OriginX: 9.999, OriginY: 50.0005, PixelSizeX: 0.002, PixelSizeY: 0.001}, nil},
		{"model transformation", func(s *tiffSpec) {
			s.tiepoint, s.pixelScale = nil, nil
			s.extra = map[uint16]tiffValue{tagModelTransform: {typ: tiffTypeDouble, dbls: []float64{
				30, 0, 0, 300000, 0, -30, 0, 9000000, 0, 0, 0, 0, 0, 0, 0, 1}}}
		}, Geo{EPSG: 32725, OriginX: 300000, OriginY: 9000000, PixelSizeX: 30, PixelSizeY: 30}, nil},
		{"no GeoKeys", func(s *tiffSpec) { s.geoKeys = nil }, Geo{}, ErrCRS},
		{"no tiepoint", func(s *tiffSpec) { s.tiepoint = nil }, Geo{}, ErrCRS},
		{"web mercator", func(s *tiffSpec) { s.geoKeys = []uint16{1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 3857} }, Geo{}, ErrUnsupported},
		{"feet", func(s *tiffSpec) {
			s.geoKeys = []uint16{1, 1, 0, 3, 1024, 0, 1, 1, 3072, 0, 1, 32633, 3076, 0, 1, 9002}
		}, Geo{}, ErrUnsupported},
		{"rotated transformation", func(s *tiffSpec) {
			s.tiepoint, s.pixelScale = nil, nil
			s.extra = map[uint16]tiffValue{tagModelTransform: {typ: tiffTypeDouble, dbls: []float64{
				30, 1, 0, 300000, 1, -30, 0, 9000000, 0, 0, 0, 0, 0, 0, 0, 1}}}
		}, Geo{}, ErrUnsupported},
		{"negative scale", func(s *tiffSpec) { s.pixelScale = []float64{28.5, -28.5, 0} }, Geo{}, ErrUnsupported},
		{"key count lies", func(s *tiffSpec) { s.geoKeys = []uint16{1, 1, 0, 40, 1024, 0, 1, 1} }, Geo{}, ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := defaultSpec(4, 4, 1, 16, 1)
			tc.edit(&spec)
			b := buildTIFF(spec)
			s, err := ReadGeoTIFF(bytes.NewReader(b), int64(len(b)))
			if tc.error != nil {
				if !errors.Is(err, tc.error) {
					t.Fatalf("err %v, want %v", err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == (Geo{}) {
				return
			}
			g := s.Geo
			if g.EPSG != tc.want.EPSG || math.Abs(g.OriginX-tc.want.OriginX) > 1e-9 || math.Abs(g.OriginY-tc.want.OriginY) > 1e-9 ||
				g.PixelSizeX != tc.want.PixelSizeX || g.PixelSizeY != tc.want.PixelSizeY {
				t.Errorf("Geo %+v, want %+v", g, tc.want)
			}
		})
	}
}

func TestUTMAliases(t *testing.T) {
	for code, want := range map[int]int{31985: 32725, 31977: 32717, 31983: 32723, 31965: 32611, 31976: 32622,
		25832: 32632, 26918: 32618, 32601: 32601, 32760: 32760} {
		if got, ok := utmAliasEPSG(code); !ok || got != want {
			t.Errorf("EPSG %d -> %d %v, want %d", code, got, ok, want)
		}
	}
	for _, code := range []int{32600, 32661, 31986, 3857, 2154} {
		if _, ok := utmAliasEPSG(code); ok {
			t.Errorf("EPSG %d accepted", code)
		}
	}
}
