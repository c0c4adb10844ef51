package triage_test

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

func TestPolygonWater(t *testing.T) {
	// A square lake with a square island: 3×3 degrees minus 1×1.
	src := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[
		[[0,0],[3,0],[3,3],[0,3],[0,0]],
		[[1,1],[2,1],[2,2],[1,2],[1,1]]]}}`
	p, err := triage.ParsePolygonWater([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lon, lat float64
		water    bool
	}{{0.5, 0.5, true}, {1.5, 1.5, false}, {2.5, 1.5, true}, {3.5, 1, false}, {-1, -1, false}} {
		if got := p.Contains(c.lon, c.lat); got != c.water {
			t.Errorf("Contains(%v, %v) = %v", c.lon, c.lat, got)
		}
	}
	// A scene covering lon 0..4, lat 0..4 in 0.01° pixels: the lake is 8 of 16 square degrees.
	s := &scene.Scene{ID: "grid", Width: 400, Height: 400, Geo: scene.Geo{EPSG: scene.EPSGWGS84, OriginX: 0, OriginY: 4, PixelSizeX: 0.01, PixelSizeY: 0.01}}
	f, err := p.WaterFraction(s, 0, 0, 400, 400)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f-0.5) > 0.05 {
		t.Errorf("water fraction %.3f, want about 0.5", f)
	}
}

func TestPolygonWaterErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`not json`, "not GeoJSON"},
		{`{"type":"Point","coordinates":[1,2]}`, "no Polygon"},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`, "3 positions"},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,100],[0,0]]]}`, "not WGS84"},
		{`{"type":"Polygon","coordinates":"x"}`, "Polygon coordinates"},
	} {
		_, err := triage.ParsePolygonWater([]byte(c.src))
		if !errors.Is(err, triage.ErrWaterLayer) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrWaterLayer mentioning %q", c.src, err, c.want)
		}
	}
}

// TestRasterWaterMatchesTruth: a RasterWater built from a generated
// scene's reference layer agrees with the Truth it came from.
func TestRasterWaterMatchesTruth(t *testing.T) {
	s, truth := synth.Generate(synth.Spec{Seed: 8, OceanFraction: 0.5, Width: 256, Height: 256})
	r, err := triage.NewRasterWater(s.Geo, s.Width, s.Height, truth.RefWater)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 256; y += 32 {
		for x := 0; x < 256; x += 32 {
			a, err := r.WaterFraction(s, x, y, x+32, y+32)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := truth.WaterFraction(s, x, y, x+32, y+32)
			if math.Abs(a-b) > 0.2 {
				t.Errorf("tile (%d,%d): raster %.2f, truth %.2f", x, y, a, b)
			}
		}
	}
	far := *s
	far.Geo.OriginX += 10
	if _, err := r.WaterFraction(&far, 0, 0, 32, 32); !errors.Is(err, triage.ErrWaterLayer) {
		t.Errorf("scene outside the raster: got %v", err)
	}
}

func FuzzParsePolygonWater(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}]}`))
	f.Add([]byte(`{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}]}`))
	f.Add([]byte(`{"type":"Feature","geometry":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := triage.ParsePolygonWater(b)
		if err != nil {
			if !errors.Is(err, triage.ErrWaterLayer) {
				t.Fatalf("error %v does not wrap ErrWaterLayer", err)
			}
			return
		}
		if len(p.Rings) == 0 {
			t.Fatal("accepted a layer without rings")
		}
		p.Contains(0.5, 0.5)
	})
}

// TestLoadWaterLayerRaster writes a generated scene's reference layer as a
// one-band scene file and reads it back as a layer.
func TestLoadWaterLayerRaster(t *testing.T) {
	s, truth := synth.Generate(synth.Spec{Seed: 8, OceanFraction: 0.5, Width: 128, Height: 128})
	mask := make([]float32, len(truth.RefWater))
	for i, w := range truth.RefWater {
		if w {
			mask[i] = 1
		}
	}
	path := filepath.Join(t.TempDir(), "water.scene")
	ms := &scene.Scene{ID: "water", Satellite: "map", CaptureTime: time.Unix(0, 0), Width: 128, Height: 128,
		Bands: []string{"water"}, Data: [][]float32{mask}, Geo: s.Geo}
	if err := scene.WriteFile(path, ms); err != nil {
		t.Fatal(err)
	}
	layer, err := triage.LoadWaterLayer(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := layer.WaterFraction(s, 0, 0, 128, 128)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := truth.WaterFraction(s, 0, 0, 128, 128)
	if math.Abs(a-b) > 0.05 {
		t.Errorf("raster layer %.3f, truth %.3f", a, b)
	}
	if _, err := triage.LoadWaterLayer(filepath.Join(t.TempDir(), "none.tif")); !errors.Is(err, triage.ErrWaterLayer) {
		t.Errorf("missing raster: got %v", err)
	}
}
