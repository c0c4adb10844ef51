package scene

import (
	"math"
	"sort"
	"testing"
)

// L7_ETMs.tif (Debian r-cran-stars): Landsat 7 ETM+ bands 1-5 and 7 over
// Olinda, Brazil, 349×352 pixels of 28.5 m, SIRGAS 2000 / UTM zone 25S
// (EPSG 31985), tiepoint (0,0) -> (288776.25, 9120760.75), deflate strips.
func TestLandsatScene(t *testing.T) {
	s, err := Open(landsatPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Width != 349 || s.Height != 352 || len(s.Bands) != 6 {
		t.Fatalf("size %dx%d×%d, want 349x352×6", s.Width, s.Height, len(s.Bands))
	}
	if s.ID != "L7_ETMs" {
		t.Errorf("ID %q", s.ID)
	}
	for i, b := range DefaultBands {
		if s.Bands[i] != b {
			t.Errorf("band %d is %q, want %q", i, s.Bands[i], b)
		}
	}
	// The file says EPSG 31985; SIRGAS 2000 is read as WGS84 UTM 25S.
	want := Geo{EPSG: 32725, OriginX: 288776.25, OriginY: 9120760.75, PixelSizeX: 28.5, PixelSizeY: 28.5}
	g := s.Geo
	if g.EPSG != want.EPSG || math.Abs(g.OriginX-want.OriginX) > 1e-3 || math.Abs(g.OriginY-want.OriginY) > 1e-3 ||
		math.Abs(g.PixelSizeX-28.5) > 1e-6 || math.Abs(g.PixelSizeY-28.5) > 1e-6 {
		t.Fatalf("Geo %+v, want %+v", g, want)
	}
	// gdalinfo-style corners: map coordinates from tiepoint and scale.
	x, y := g.PixelToMap(349, 352)
	if math.Abs(x-298722.75) > 1e-3 || math.Abs(y-9110728.75) > 1e-3 {
		t.Errorf("lower-right corner %f %f, want 298722.75 9110728.75", x, y)
	}
	// Corner lon/lat, to 0.1" (about 3 m): regression values from this
	// package's transverse Mercator, which TestUTMKnownPoints ties to
	// published survey coordinates at the centimetre.
	for _, c := range []struct {
		col, row, lon, lat float64
	}{
		{0, 0, -(34 + 54/60.0 + 58.2/3600), -(7 + 56/60.0 + 59.4/3600)},
		{349, 352, -(34 + 49/60.0 + 34.9/3600), -(8 + 2/60.0 + 27.3/3600)},
	} {
		lon, lat, err := g.PixelToLonLat(c.col, c.row)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(lon-c.lon) > 0.1/3600 || math.Abs(lat-c.lat) > 0.1/3600 {
			t.Errorf("corner (%g,%g) at %.6f %.6f, want %.6f %.6f", c.col, c.row, lon, lat, c.lon, c.lat)
		}
	}
	// Olinda's historic centre (8.01°S, 34.855°W) lies in exactly one
	// 64-pixel tile away from the overlapping edges, and the whole scene is
	// within 10 km of it.
	olindaLon, olindaLat := -34.855, -8.01
	hits := 0
	for _, tile := range Tiles(s, 64) {
		if ringContains(tile.Footprint, olindaLon, olindaLat) {
			hits++
		}
		for _, p := range tile.Footprint {
			if d := math.Hypot((p[0]-olindaLon)*110e3, (p[1]-olindaLat)*110e3); d > 10e3 {
				t.Fatalf("tile %d,%d corner %v is %.0f m from Olinda", tile.Row, tile.Col, p, d)
			}
		}
	}
	if hits == 0 {
		t.Error("no tile footprint contains Olinda")
	}
	col, row, err := g.LonLatToPixel(olindaLon, olindaLat)
	if err != nil || col < 0 || col >= 349 || row < 0 || row >= 352 {
		t.Errorf("Olinda at pixel %g,%g (%v), want inside the scene", col, row, err)
	}

	// Calibrated reflectance is plausible: the ocean (east) is dark in the
	// NIR, vegetation bright; medians fall in 0..0.5.
	nir := s.Plane(BandNIR)
	red := s.Plane(BandRed)
	ocean := nir[300*349+340]
	if ocean < 0 || ocean > 0.06 {
		t.Errorf("ocean NIR reflectance %v, want 0..0.06", ocean)
	}
	for b, plane := range s.Data {
		med := median(plane)
		if med < 0.01 || med > 0.5 {
			t.Errorf("band %s median reflectance %v", s.Bands[b], med)
		}
	}
	veg := 0
	for i := range nir {
		if nir[i] > 0.15 && nir[i] > 2*red[i] {
			veg++
		}
	}
	if frac := float64(veg) / float64(len(nir)); frac < 0.05 {
		t.Errorf("only %.1f%% vegetated pixels (NIR > 2×red)", 100*frac)
	}
}

func median(v []float32) float32 {
	c := append([]float32(nil), v...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return c[len(c)/2]
}

// ringContains is an even-odd point-in-polygon test on [lon, lat] pairs.
func ringContains(ring [][2]float64, lon, lat float64) bool {
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a[1] > lat) != (b[1] > lat) && lon < (b[0]-a[0])*(lat-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}
