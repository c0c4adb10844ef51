package scene

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchScene is 512×512×6, a typical onboard scene chunk.
func benchNative(b testing.TB) (*Scene, []byte) {
	s := testScene(b, 512, 512, 42)
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		b.Fatal(err)
	}
	return s, buf.Bytes()
}

func BenchmarkWriteNative(b *testing.B) {
	s, enc := benchNative(b)
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if err := Write(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadNative(b *testing.B) {
	_, enc := benchNative(b)
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(enc)); err != nil {
			b.Fatal(err)
		}
	}
}

// benchTIFF returns a 512×512×6 uint16 GeoTIFF with the given codec.
func benchTIFF(compression, predictor int) []byte {
	spec := defaultSpec(512, 512, 6, 16, 42)
	spec.compression, spec.predictor, spec.tileW, spec.tileH = compression, predictor, 256, 256
	return buildTIFF(spec)
}

// The GeoTIFF benchmarks count decoded raster bytes (width × height ×
// bands × bytes per sample), so codecs compare on the same footing.
func benchReadGeoTIFF(b *testing.B, file []byte, rasterBytes int64) {
	b.SetBytes(rasterBytes)
	for b.Loop() {
		if _, err := ReadGeoTIFF(bytes.NewReader(file), int64(len(file))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadGeoTIFFNone(b *testing.B) {
	benchReadGeoTIFF(b, benchTIFF(compressionNone, 1), 512*512*6*2)
}

func BenchmarkReadGeoTIFFDeflate(b *testing.B) {
	benchReadGeoTIFF(b, benchTIFF(compressionDeflate, 2), 512*512*6*2)
}

func BenchmarkReadGeoTIFFLZW(b *testing.B) {
	benchReadGeoTIFF(b, benchTIFF(compressionLZW, 2), 512*512*6*2)
}

func BenchmarkReadLandsat(b *testing.B) {
	file, err := os.ReadFile(landsatPath(b))
	if err != nil {
		b.Fatal(err)
	}
	benchReadGeoTIFF(b, file, 349*352*6)
}

func BenchmarkPixelToLonLat(b *testing.B) {
	g := Geo{EPSG: 32725, OriginX: 288776.25, OriginY: 9120760.75, PixelSizeX: 28.5, PixelSizeY: 28.5}
	i := 0.0
	for b.Loop() {
		if _, _, err := g.PixelToLonLat(i, 100); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkTiles(b *testing.B) {
	s := testScene(b, 1024, 1024, 1)
	for b.Loop() {
		Tiles(s, 64)
	}
}

// TestBenchJSON writes scene.json for `make bench`: read/write throughput
// in MB/s (10^6 bytes) and geolocation cost.
func TestBenchJSON(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	mbps := func(f func(*testing.B)) float64 {
		r := testing.Benchmark(f)
		if r.T <= 0 {
			return 0
		}
		return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
	}
	ns := func(f func(*testing.B)) float64 {
		r := testing.Benchmark(f)
		return float64(r.NsPerOp())
	}
	out := map[string]any{
		"read_native_mb_per_s":          mbps(BenchmarkReadNative),
		"write_native_mb_per_s":         mbps(BenchmarkWriteNative),
		"read_geotiff_none_mb_per_s":    mbps(BenchmarkReadGeoTIFFNone),
		"read_geotiff_deflate_mb_per_s": mbps(BenchmarkReadGeoTIFFDeflate),
		"read_geotiff_lzw_mb_per_s":     mbps(BenchmarkReadGeoTIFFLZW),
		"pixel_to_lonlat_ns":            ns(BenchmarkPixelToLonLat),
		"tiles_1024px_scene_64px_ns":    ns(BenchmarkTiles),
		"geotiff_mb_basis":              "decoded raster bytes (width*height*bands*bytes_per_sample)",
		"native_mb_basis":               "encoded file bytes",
		"bench_scene_pixels":            "512x512x6 uint16, 256x256 tiles, predictor 2 for deflate/LZW",
	}
	if _, err := os.Stat(filepath.Join("..", "..", ".cache", "landsat", "L7_ETMs.tif")); err == nil {
		out["read_landsat_l7_etms_mb_per_s"] = mbps(BenchmarkReadLandsat)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scene.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
}
