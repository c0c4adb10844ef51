package scene

import (
	"bytes"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "regenerate testdata/scenes (needs the Landsat scene and libtiff's tiffcp)")

const testdataDir = "../../testdata/scenes"

// libtiffCases are small files written by libtiff's tiffcp from an
// uncompressed source that buildTIFF writes from defaultSpec(97, 61, 3,
// bps, 11): an independent encoder for LZW, predictors, tiles and planar
// layout. tiffcp drops the GeoKeys, so the test decodes the raster only.
var libtiffCases = []struct {
	file      string
	bps       int
	planarSrc bool // tiffcp cannot re-plane 16-bit data
	args      []string
}{
	{"libtiff_lzw8_pred_strips.tif", 8, false, []string{"-c", "lzw:2", "-r", "7"}},
	{"libtiff_lzw8_tiles_planar.tif", 8, false, []string{"-c", "lzw", "-t", "-w", "32", "-l", "32", "-p", "separate"}},
	{"libtiff_lzw16_pred_tiles_be.tif", 16, false, []string{"-B", "-c", "lzw:2", "-t", "-w", "32", "-l", "16"}},
	{"libtiff_zip16_pred_planar.tif", 16, true, []string{"-c", "zip:2", "-r", "5"}},
}

func libtiffSpec(bps int) tiffSpec {
	s := defaultSpec(97, 61, 3, bps, 11)
	s.extra = map[uint16]tiffValue{tagPhotometric: {typ: tiffTypeShort, ints: []uint64{2}}}
	return s
}

func TestLibtiffFiles(t *testing.T) {
	for _, tc := range libtiffCases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(testdataDir, tc.file)
			spec := libtiffSpec(tc.bps)
			spec.planar = tc.planarSrc
			if *update {
				tiffcp, err := exec.LookPath("tiffcp")
				if err != nil {
					t.Fatal("-update needs tiffcp (Debian libtiff-tools)")
				}
				src := filepath.Join(t.TempDir(), "src.tif")
				if err := os.WriteFile(src, buildTIFF(spec), 0o644); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command(tiffcp, append(tc.args, src, path)...).CombinedOutput(); err != nil {
					t.Fatalf("tiffcp: %v\n%s", err, out)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := openTIFF(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			lay, err := f.layout(DefaultMaxSamples)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.chunkTables(lay); err != nil {
				t.Fatal(err)
			}
			out := make([][]float32, lay.spp)
			for i := range out {
				out[i] = make([]float32, lay.width*lay.height)
			}
			if err := f.decode(lay, identity(lay.spp), out); err != nil {
				t.Fatal(err)
			}
			checkDN(t, &Scene{Width: lay.width, Height: lay.height, Data: out}, spec)
		})
	}
}

// olinda_64.tif is a 64×64 crop of L7_ETMs.tif around Olinda (uint8,
// deflate, horizontal predictor, SIRGAS 2000 / UTM 25S GeoKeys), and
// olinda_64.skyscene the same crop in the native format, calibrated with
// DefaultETMPlus, satellite "LANDSAT_7". Both are small enough to commit
// and serve other packages' tests.
func TestOlindaTestdata(t *testing.T) {
	tifPath := filepath.Join(testdataDir, "olinda_64.tif")
	nativePath := filepath.Join(testdataDir, "olinda_64.skyscene")
	if *update {
		writeOlindaTestdata(t, tifPath, nativePath)
	}
	fromTIFF, err := Open(tifPath, WithSatellite("LANDSAT_7"), WithCaptureTime(olindaTime))
	if err != nil {
		t.Fatal(err)
	}
	native, err := Open(nativePath)
	if err != nil {
		t.Fatal(err)
	}
	if native.ID != "olinda_64" || native.Satellite != "LANDSAT_7" || !native.CaptureTime.Equal(olindaTime) {
		t.Errorf("native metadata %q %q %v", native.ID, native.Satellite, native.CaptureTime)
	}
	if fromTIFF.Geo != native.Geo || native.Width != 64 || native.Height != 64 {
		t.Errorf("Geo %+v vs %+v, size %dx%d", fromTIFF.Geo, native.Geo, native.Width, native.Height)
	}
	for b := range native.Data {
		for i := range native.Data[b] {
			if d := math.Abs(float64(native.Data[b][i] - max(fromTIFF.Data[b][i], 0))); d > 0.5/ReflectanceScale+1e-6 {
				t.Fatalf("band %d pixel %d: native %v, GeoTIFF %v", b, i, native.Data[b][i], fromTIFF.Data[b][i])
			}
		}
	}
	lon, lat, err := native.Geo.PixelToLonLat(32, 32)
	if err != nil || math.Abs(lon-olindaLonDeg) > 0.01 || math.Abs(lat-olindaLatDeg) > 0.01 {
		t.Errorf("crop centre at %g %g (%v), want Olinda", lon, lat, err)
	}
}

const olindaLonDeg, olindaLatDeg = -34.855, -8.01

var olindaTime = time.Date(2002, 7, 15, 12, 30, 0, 0, time.UTC)

func writeOlindaTestdata(t *testing.T, tifPath, nativePath string) {
	t.Helper()
	dn, err := Open(landsatPath(t), WithCalibration(identity(6)))
	if err != nil {
		t.Fatal(err)
	}
	col, row, err := dn.Geo.LonLatToPixel(olindaLonDeg, olindaLatDeg)
	if err != nil {
		t.Fatal(err)
	}
	x0, y0 := int(col)-32, int(row)-32
	spec := defaultSpec(64, 64, 6, 8, 0)
	spec.compression, spec.predictor, spec.rowsPerStrip = compressionDeflate, predictorHorizontal, 16
	ox, oy := dn.Geo.PixelToMap(float64(x0), float64(y0))
	spec.tiepoint = []float64{0, 0, 0, ox, oy, 0}
	for b := range spec.dn {
		for y := range 64 {
			for x := range 64 {
				spec.dn[b][y*64+x] = uint16(dn.Data[b][(y0+y)*dn.Width+x0+x])
			}
		}
	}
	if err := os.WriteFile(tifPath, buildTIFF(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(tifPath, WithSatellite("LANDSAT_7"), WithCaptureTime(olindaTime))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(nativePath, s); err != nil {
		t.Fatal(err)
	}
}
