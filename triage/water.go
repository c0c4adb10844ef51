package triage

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/skysieve/skysieve/triage/scene"
)

// WaterLayer is a reference water layer: where water is on an ordinary day
// (sea, lakes, rivers). A tile the model sees as water is a flood only
// where the layer says land, so the open sea is never called a flood.
type WaterLayer interface {
	// WaterFraction returns the fraction, 0..1, of the pixel window
	// [x0,x1)×[y0,y1) of scene s that is water in the layer. It fails when
	// the layer does not cover the window or cannot be aligned with s.
	WaterFraction(s *scene.Scene, x0, y0, x1, y1 int) (float64, error)
}

// ErrWaterLayer is wrapped by errors reading or using a water layer.
var ErrWaterLayer = errors.New("water layer")

// waterSamples is the side of the grid of points sampled per window.
const waterSamples = 8

// sampleWindow calls water(lon, lat) on a waterSamples² grid of pixel
// positions in the window and returns the fraction that are water.
func sampleWindow(s *scene.Scene, x0, y0, x1, y1 int, water func(lon, lat float64) (bool, error)) (float64, error) {
	if x1 <= x0 || y1 <= y0 {
		return 0, fmt.Errorf("%w: empty window [%d,%d)×[%d,%d)", ErrWaterLayer, x0, x1, y0, y1)
	}
	n := 0
	for j := 0; j < waterSamples; j++ {
		for i := 0; i < waterSamples; i++ {
			px := float64(x0) + (float64(i)+0.5)*float64(x1-x0)/waterSamples
			py := float64(y0) + (float64(j)+0.5)*float64(y1-y0)/waterSamples
			lon, lat, err := s.Geo.PixelToLonLat(px, py)
			if err != nil {
				return 0, fmt.Errorf("%w: scene %q: %v", ErrWaterLayer, s.ID, err)
			}
			w, err := water(lon, lat)
			if err != nil {
				return 0, err
			}
			if w {
				n++
			}
		}
	}
	return float64(n) / waterSamples / waterSamples, nil
}

// LoadWaterLayer reads a reference water layer file: GeoJSON polygons
// (.geojson or .json, see LoadPolygonWater) or a one-band raster that
// scene.Open reads (a GeoTIFF or Skysieve scene) in which any non-zero
// sample is water.
func LoadWaterLayer(path string) (WaterLayer, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".geojson", ".json":
		return LoadPolygonWater(path)
	}
	s, err := scene.Open(path, scene.WithBandNames("water"), scene.WithCalibration(scene.Calibration{Gain: []float64{1}, Offset: []float64{0}}))
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrWaterLayer, path, err)
	}
	if len(s.Data) != 1 {
		return nil, fmt.Errorf("%w %s: %d bands, want one", ErrWaterLayer, path, len(s.Data))
	}
	mask := make([]bool, len(s.Data[0]))
	for i, v := range s.Data[0] {
		mask[i] = v > 0
	}
	r, err := NewRasterWater(s.Geo, s.Width, s.Height, mask)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// RasterWater is a georeferenced water mask: Water[row*Width+col] is true
// where pixel (col, row) of the grid described by Geo is water.
type RasterWater struct {
	Geo           scene.Geo
	Width, Height int
	Water         []bool
}

// NewRasterWater checks and wraps a mask.
func NewRasterWater(g scene.Geo, width, height int, water []bool) (*RasterWater, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("%w: raster georeference: %v", ErrWaterLayer, err)
	}
	if width <= 0 || height <= 0 || len(water) != width*height {
		return nil, fmt.Errorf("%w: raster is %d×%d with %d values", ErrWaterLayer, width, height, len(water))
	}
	return &RasterWater{Geo: g, Width: width, Height: height, Water: water}, nil
}

// WaterFraction samples the mask at the window's points, through lon/lat,
// so the mask may have another grid or projection than the scene. Points
// outside the mask are an error: the layer does not cover the scene.
func (r *RasterWater) WaterFraction(s *scene.Scene, x0, y0, x1, y1 int) (float64, error) {
	return sampleWindow(s, x0, y0, x1, y1, func(lon, lat float64) (bool, error) {
		c, rr, err := r.Geo.LonLatToPixel(lon, lat)
		if err != nil {
			return false, fmt.Errorf("%w: %v", ErrWaterLayer, err)
		}
		if c < 0 || rr < 0 || c >= float64(r.Width) || rr >= float64(r.Height) {
			return false, fmt.Errorf("%w: raster does not cover lon %.5f lat %.5f", ErrWaterLayer, lon, lat)
		}
		return r.Water[int(rr)*r.Width+int(c)], nil
	})
}

// PolygonWater is water as WGS84 polygons (with holes): a point is water
// when it lies inside an odd number of rings, so holes (islands) work.
// Outside every polygon is land.
type PolygonWater struct {
	// Rings are closed [lon, lat] rings of all polygons, outer and holes alike.
	Rings [][][2]float64
	bbox  [][4]float64 // per ring: minLon, minLat, maxLon, maxLat
}

// Limits on polygon files, which come from outside.
const (
	MaxWaterFileBytes = 32 << 20
	MaxWaterVertices  = 2_000_000
)

// LoadPolygonWater reads a GeoJSON file (a FeatureCollection, Feature or
// bare geometry; Polygon and MultiPolygon geometries count, others are
// ignored) with coordinates in WGS84 lon/lat.
func LoadPolygonWater(path string) (*PolygonWater, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrWaterLayer, path, err)
	}
	if st.Size() > MaxWaterFileBytes {
		return nil, fmt.Errorf("%w %s: %d bytes, limit %d", ErrWaterLayer, path, st.Size(), MaxWaterFileBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrWaterLayer, path, err)
	}
	p, err := ParsePolygonWater(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// geoJSON is the part of GeoJSON a water layer uses.
type geoJSON struct {
	Type        string          `json:"type"`
	Features    []geoJSON       `json:"features"`
	Geometry    *geoJSON        `json:"geometry"`
	Geometries  []geoJSON       `json:"geometries"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// ParsePolygonWater parses GeoJSON bytes as LoadPolygonWater does.
func ParsePolygonWater(b []byte) (*PolygonWater, error) {
	if len(b) > MaxWaterFileBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrWaterLayer, len(b), MaxWaterFileBytes)
	}
	var g geoJSON
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("%w: not GeoJSON: %v", ErrWaterLayer, err)
	}
	p := &PolygonWater{}
	vertices := 0
	var walk func(g *geoJSON, depth int) error
	walk = func(g *geoJSON, depth int) error {
		if depth > 8 {
			return fmt.Errorf("%w: GeoJSON nested too deep", ErrWaterLayer)
		}
		switch g.Type {
		case "FeatureCollection":
			for i := range g.Features {
				if err := walk(&g.Features[i], depth+1); err != nil {
					return err
				}
			}
		case "Feature":
			if g.Geometry != nil {
				return walk(g.Geometry, depth+1)
			}
		case "GeometryCollection":
			for i := range g.Geometries {
				if err := walk(&g.Geometries[i], depth+1); err != nil {
					return err
				}
			}
		case "Polygon", "MultiPolygon":
			var polys [][][][]float64
			if g.Type == "Polygon" {
				var poly [][][]float64
				if err := json.Unmarshal(g.Coordinates, &poly); err != nil {
					return fmt.Errorf("%w: Polygon coordinates: %v", ErrWaterLayer, err)
				}
				polys = [][][][]float64{poly}
			} else if err := json.Unmarshal(g.Coordinates, &polys); err != nil {
				return fmt.Errorf("%w: MultiPolygon coordinates: %v", ErrWaterLayer, err)
			}
			for _, poly := range polys {
				for _, ring := range poly {
					if len(ring) < 4 {
						return fmt.Errorf("%w: polygon ring has %d positions, want at least 4", ErrWaterLayer, len(ring))
					}
					vertices += len(ring)
					if vertices > MaxWaterVertices {
						return fmt.Errorf("%w: more than %d vertices", ErrWaterLayer, MaxWaterVertices)
					}
					r := make([][2]float64, len(ring))
					bb := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
					for i, pos := range ring {
						if len(pos) < 2 || !(pos[0] >= -180 && pos[0] <= 180 && pos[1] >= -90 && pos[1] <= 90) {
							return fmt.Errorf("%w: position %v is not WGS84 [lon, lat]", ErrWaterLayer, pos)
						}
						r[i] = [2]float64{pos[0], pos[1]}
						bb = [4]float64{min(bb[0], pos[0]), min(bb[1], pos[1]), max(bb[2], pos[0]), max(bb[3], pos[1])}
					}
					p.Rings = append(p.Rings, r)
					p.bbox = append(p.bbox, bb)
				}
			}
		}
		return nil
	}
	if err := walk(&g, 0); err != nil {
		return nil, err
	}
	if len(p.Rings) == 0 {
		return nil, fmt.Errorf("%w: GeoJSON holds no Polygon or MultiPolygon", ErrWaterLayer)
	}
	return p, nil
}

// Contains reports whether (lon, lat) is water.
func (p *PolygonWater) Contains(lon, lat float64) bool {
	in := false
	for k, r := range p.Rings {
		bb := p.bbox[k]
		if lon < bb[0] || lon > bb[2] || lat < bb[1] || lat > bb[3] {
			continue
		}
		for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
			a, b := r[i], r[j]
			if (a[1] > lat) != (b[1] > lat) && lon < (b[0]-a[0])*(lat-a[1])/(b[1]-a[1])+a[0] {
				in = !in
			}
		}
	}
	return in
}

// WaterFraction samples the polygons at the window's points.
func (p *PolygonWater) WaterFraction(s *scene.Scene, x0, y0, x1, y1 int) (float64, error) {
	return sampleWindow(s, x0, y0, x1, y1, func(lon, lat float64) (bool, error) {
		return p.Contains(lon, lat), nil
	})
}
