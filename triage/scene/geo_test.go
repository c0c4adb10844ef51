package scene

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// Published UTM coordinates of surveyed points, to the centimetre.
func TestUTMKnownPoints(t *testing.T) {
	for _, tc := range []struct {
		name             string
		lonDeg, latDeg   float64
		zone             int
		north            bool
		eastM, northM    float64
		toleranceM       float64
		toleranceLatDeg  float64
		toleranceLonDeg  float64
		checkInverseOnly bool
	}{
		// Jones Point lighthouse, Alexandria VA (NGS-style benchmark).
		{name: "Jones Point", lonDeg: -77.040682, latDeg: 38.790342, zone: 18, north: true, eastM: 322765.32, northM: 4295488.80, toleranceM: 0.01},
		// Tokyo, Bunkyō.
		{name: "Tokyo", lonDeg: 139.752899, latDeg: 35.720122, zone: 54, north: true, eastM: 387203.09, northM: 3953623.37, toleranceM: 0.01},
		// Equator on a central meridian is the false origin.
		{name: "origin", lonDeg: 3, latDeg: 0, zone: 31, north: true, eastM: 500000, northM: 0, toleranceM: 1e-6},
		// The pole on a central meridian is k0 × the WGS84 quarter meridian
		// (10 001 965.729 m).
		{name: "pole", lonDeg: 3, latDeg: 90, zone: 31, north: true, eastM: 500000, northM: 0.9996 * 10001965.729, toleranceM: 0.001},
		// Southern hemisphere: the false northing of 10 000 km.
		{name: "south origin", lonDeg: -33, latDeg: 0, zone: 25, north: false, eastM: 500000, northM: 10000000, toleranceM: 1e-6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, n := lonLatToUTM(tc.zone, tc.north, tc.lonDeg, tc.latDeg)
			if math.Abs(e-tc.eastM) > tc.toleranceM || math.Abs(n-tc.northM) > tc.toleranceM {
				t.Errorf("forward: %.4f %.4f, want %.4f %.4f", e, n, tc.eastM, tc.northM)
			}
			if tc.latDeg == 90 {
				return
			}
			lon, lat := utmToLonLat(tc.zone, tc.north, tc.eastM, tc.northM)
			// 1e-7° is about a centimetre.
			if math.Abs(lon-tc.lonDeg) > 1e-7 || math.Abs(lat-tc.latDeg) > 1e-7 {
				t.Errorf("inverse: %.9f %.9f, want %.9f %.9f", lon, lat, tc.lonDeg, tc.latDeg)
			}
		})
	}
}

// The hemispheres mirror: a southern point's northing is 10 000 km minus
// its northern mirror's.
func TestUTMSouthMirrorsNorth(t *testing.T) {
	for _, lat := range []float64{0.5, 8, 33, 61, 79} {
		en, nn := lonLatToUTM(25, true, -34.1, lat)
		es, ns := lonLatToUTM(25, false, -34.1, -lat)
		if math.Abs(en-es) > 1e-6 || math.Abs(nn-(utmFalseNorthM-ns)) > 1e-6 {
			t.Errorf("lat %g: north %f %f, south %f %f", lat, en, nn, es, ns)
		}
	}
}

// Forward then inverse returns the point to well under a millimetre across
// the zone and beyond it (±9° from the central meridian).
func TestUTMRoundTripProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for range 20000 {
		zone := 1 + rng.IntN(60)
		lat := (rng.Float64()*2 - 1) * 84
		lon := utmCentralMeridianDeg(zone) + (rng.Float64()*2-1)*9
		north := lat >= 0
		e, n := lonLatToUTM(zone, north, lon, lat)
		lon2, lat2 := utmToLonLat(zone, north, e, n)
		e2, n2 := lonLatToUTM(zone, north, lon2, lat2)
		if d := math.Hypot(e2-e, n2-n); d > 1e-4 {
			t.Fatalf("zone %d lon %g lat %g: round trip moved %g m", zone, lon, lat, d)
		}
		if math.Abs(normLonDeg(lon2-lon)) > 1e-9 || math.Abs(lat2-lat) > 1e-9 {
			t.Fatalf("zone %d lon %g lat %g: back to %g %g", zone, lon, lat, lon2, lat2)
		}
	}
}

func TestPixelLonLatRoundTrip(t *testing.T) {
	for _, g := range []Geo{
		{EPSG: 32725, OriginX: 288776.25, OriginY: 9120760.75, PixelSizeX: 28.5, PixelSizeY: 28.5},
		{EPSG: 32633, OriginX: 399960, OriginY: 5000040, PixelSizeX: 10, PixelSizeY: 10},
		{EPSG: 4326, OriginX: -10.5, OriginY: 52.25, PixelSizeX: 0.0003, PixelSizeY: 0.0002},
	} {
		for _, p := range [][2]float64{{0, 0}, {0.5, 0.5}, {1234.25, 77.75}, {-3, 4000}} {
			lon, lat, err := g.PixelToLonLat(p[0], p[1])
			if err != nil {
				t.Fatal(err)
			}
			col, row, err := g.LonLatToPixel(lon, lat)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(col-p[0]) > 1e-6 || math.Abs(row-p[1]) > 1e-6 {
				t.Errorf("EPSG %d pixel %v -> %g,%g -> %g,%g", g.EPSG, p, lon, lat, col, row)
			}
		}
	}
}

func TestGeoErrors(t *testing.T) {
	good := Geo{EPSG: 32725, OriginX: 288776.25, OriginY: 9120760.75, PixelSizeX: 28.5, PixelSizeY: 28.5}
	for _, tc := range []struct {
		name string
		g    Geo
		want error
	}{
		{"zero Geo", Geo{}, ErrCRS},
		{"web mercator", Geo{EPSG: 3857, PixelSizeX: 1, PixelSizeY: 1}, ErrCRS},
		{"zone 61", Geo{EPSG: 32661, PixelSizeX: 1, PixelSizeY: 1}, ErrCRS},
		{"negative pixel", Geo{EPSG: 32725, PixelSizeX: -1, PixelSizeY: 1}, ErrCRS},
		{"NaN origin", Geo{EPSG: 4326, OriginX: math.NaN(), PixelSizeX: 1, PixelSizeY: 1}, ErrCRS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := tc.g.PixelToLonLat(0, 0); !errors.Is(err, tc.want) {
				t.Errorf("PixelToLonLat: %v, want %v", err, tc.want)
			}
			if _, _, err := tc.g.LonLatToPixel(0, 0); !errors.Is(err, tc.want) {
				t.Errorf("LonLatToPixel: %v, want %v", err, tc.want)
			}
			if fp := Footprint(tc.g, 0, 0, 10, 10); fp != nil {
				t.Errorf("Footprint of a bad Geo: %v", fp)
			}
		})
	}
	if _, _, err := good.LonLatToPixel(120, -8); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("point 150° from the zone: %v, want ErrOutOfRange", err)
	}
	if _, _, err := good.LonLatToPixel(-34, 91); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("latitude 91: %v, want ErrOutOfRange", err)
	}
}

func TestUTMGeo(t *testing.T) {
	for _, tc := range []struct {
		lon, lat float64
		epsg     int
	}{
		{-34.87, -7.99, 32725}, {2.35, 48.85, 32631}, {179.9, 10, 32660}, {-180, -45, 32701}, {0, 0, 32631},
	} {
		g, err := UTMGeo(tc.lon, tc.lat, 10, 1000, 800)
		if err != nil {
			t.Fatal(err)
		}
		if g.EPSG != tc.epsg {
			t.Errorf("lon %g lat %g: EPSG %d, want %d", tc.lon, tc.lat, g.EPSG, tc.epsg)
		}
		lon, lat, err := g.PixelToLonLat(500, 400)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(normLonDeg(lon-tc.lon)) > 1e-9 || math.Abs(lat-tc.lat) > 1e-9 {
			t.Errorf("centre at %g %g, want %g %g", lon, lat, tc.lon, tc.lat)
		}
	}
	for _, bad := range [][2]float64{{0, 85}, {math.NaN(), 0}, {0, math.Inf(1)}} {
		if _, err := UTMGeo(bad[0], bad[1], 10, 10, 10); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("UTMGeo(%v): %v", bad, err)
		}
	}
	if _, err := UTMGeo(0, 0, 0, 10, 10); !errors.Is(err, ErrCRS) {
		t.Errorf("zero pixel size: %v", err)
	}
}

func TestFootprintRing(t *testing.T) {
	g, err := UTMGeo(-34.87, -7.99, 30, 1000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	ring := Footprint(g, 100, 200, 64, 64)
	if len(ring) != 5 || ring[0] != ring[4] {
		t.Fatalf("ring %v: want 5 points, closed", ring)
	}
	// Shoelace area > 0 means counter-clockwise (RFC 7946 exterior ring).
	area := 0.0
	for i := 0; i+1 < len(ring); i++ {
		area += ring[i][0]*ring[i+1][1] - ring[i+1][0]*ring[i][1]
	}
	if area <= 0 {
		t.Errorf("ring is clockwise: %v", ring)
	}
	// Upper-left corner first, matching PixelToLonLat.
	lon, lat, _ := g.PixelToLonLat(100, 200)
	if ring[0] != [2]float64{lon, lat} {
		t.Errorf("first point %v, want %v", ring[0], [2]float64{lon, lat})
	}
	// A 64-pixel window of 30 m is about 1920 m a side.
	side := (ring[0][1] - ring[1][1]) * 111320
	if math.Abs(side-1920) > 15 {
		t.Errorf("north-south side %g m, want about 1920", side)
	}
	long := Footprint(g, 0, 0, 1000, 1000)
	if len(long) != 4*16+1 {
		t.Errorf("1000-pixel window ring has %d points, want %d (densified every 64 px)", len(long), 4*16+1)
	}
	if Footprint(g, 0, 0, 0, 5) != nil {
		t.Error("empty window gave a ring")
	}
}
