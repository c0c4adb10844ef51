package orbit

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Vallado, Fundamentals of Astrodynamics, example 3-5: GMST on
// 1992-08-20 12:14 UT1 is 152.578787886°.
func TestGMST(t *testing.T) {
	g := GMST(time.Date(1992, 8, 20, 12, 14, 0, 0, time.UTC)) / deg2rad
	if math.Abs(g-152.578787886) > 1e-6 {
		t.Errorf("GMST = %.9f°, want 152.578787886°", g)
	}
}

func TestGeodeticKnownPoints(t *testing.T) {
	cases := []struct {
		g    Geodetic
		ecef Vec3
	}{
		{Geodetic{0, 0, 0}, Vec3{6378.137, 0, 0}},
		{Geodetic{0, 90, 1}, Vec3{0, 6379.137, 0}},
		{Geodetic{90, 0, 0}, Vec3{0, 0, 6356.752314245}},
		{Geodetic{-90, 0, 10}, Vec3{0, 0, -6366.752314245}},
	}
	for _, c := range cases {
		got := GeodeticToECEF(c.g)
		if d := got.Sub(c.ecef).Norm(); d > 1e-6 {
			t.Errorf("GeodeticToECEF(%+v) = %v, want %v", c.g, got, c.ecef)
		}
		back := ECEFToGeodetic(c.ecef)
		if math.Abs(back.LatDeg-c.g.LatDeg) > 1e-9 || math.Abs(back.AltKm-c.g.AltKm) > 1e-6 {
			t.Errorf("ECEFToGeodetic(%v) = %+v, want %+v", c.ecef, back, c.g)
		}
	}
}

// Property: geodetic → ECEF → geodetic is the identity to 1e-9° and 1 mm
// from the ground to beyond geostationary height.
func TestGeodeticRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		g := Geodetic{
			LatDeg: rng.Float64()*180 - 90,
			LonDeg: rng.Float64()*360 - 180,
			AltKm:  rng.Float64()*50000 - 1,
		}
		back := ECEFToGeodetic(GeodeticToECEF(g))
		dLon := math.Abs(math.Remainder(back.LonDeg-g.LonDeg, 360))
		if math.Abs(back.LatDeg-g.LatDeg) > 1e-9 || dLon*math.Cos(g.LatDeg*deg2rad) > 1e-9 || math.Abs(back.AltKm-g.AltKm) > 1e-6 {
			t.Fatalf("round trip %+v → %+v", g, back)
		}
	}
}

func TestLookAt(t *testing.T) {
	site := NewSite(Geodetic{LatDeg: 78.2298, LonDeg: 15.4078, AltKm: 0.48})
	// Straight up along the ellipsoid normal.
	up := GeodeticToECEF(Geodetic{LatDeg: 78.2298, LonDeg: 15.4078, AltKm: 700.48})
	l := site.LookAt(StateVector{PositionKm: up})
	if math.Abs(l.ElevationDeg-90) > 1e-6 || math.Abs(l.RangeKm-700) > 1e-6 {
		t.Errorf("overhead: %+v", l)
	}
	// Due north on the local horizontal: elevation 0, azimuth 0.
	north := site.ECEF()
	north[0] += 100 * site.north[0]
	north[1] += 100 * site.north[1]
	north[2] += 100 * site.north[2]
	l = site.LookAt(StateVector{PositionKm: north})
	if math.Abs(l.ElevationDeg) > 1e-9 || math.Min(l.AzimuthDeg, 360-l.AzimuthDeg) > 1e-9 {
		t.Errorf("north horizon: %+v", l)
	}
	if e := site.ElevationDeg(up); math.Abs(e-90) > 1e-6 {
		t.Errorf("ElevationDeg overhead = %g", e)
	}
}

// Property: TEMEToECEF turns the derivative of a TEME trajectory into the
// derivative of the Earth-fixed one (checks the rotation term), and range
// rate is the derivative of range. The trajectory is an exact circle, since
// SGP4's own velocity is not exactly the derivative of its position.
func TestECEFVelocityIsDerivative(t *testing.T) {
	const rKm, wRadPerS = 7000.0, 1.1e-3
	t0 := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	state := func(at time.Time) StateVector {
		s := at.Sub(t0).Seconds()
		sn, cs := math.Sincos(wRadPerS * s)
		return StateVector{
			PositionKm:     Vec3{rKm * cs, rKm * sn * 0.6, rKm * sn * 0.8},
			VelocityKmPerS: Vec3{-rKm * wRadPerS * sn, rKm * wRadPerS * cs * 0.6, rKm * wRadPerS * cs * 0.8},
		}
	}
	site := NewSite(Geodetic{LatDeg: 67.857, LonDeg: 20.964, AltKm: 0.4})
	// 0.5 s balances truncation (r·ω³·h²/6) against GMST rounding.
	const h = 0.5 // s
	for i := 0; i < 50; i++ {
		at := t0.Add(time.Duration(i) * 97 * time.Second)
		s := TEMEToECEF(state(at), at)
		ta, tb := at.Add(-h*1e9), at.Add(h*1e9)
		a, b := TEMEToECEF(state(ta), ta), TEMEToECEF(state(tb), tb)
		for k := 0; k < 3; k++ {
			fd := (b.PositionKm[k] - a.PositionKm[k]) / (2 * h)
			if math.Abs(fd-s.VelocityKmPerS[k]) > 1e-6 {
				t.Fatalf("t=%v axis %d: velocity %g, finite difference %g", at, k, s.VelocityKmPerS[k], fd)
			}
		}
		rr := (site.LookAt(b).RangeKm - site.LookAt(a).RangeKm) / (2 * h)
		if got := site.LookAt(s).RangeRateKmPerS; math.Abs(got-rr) > 1e-5 {
			t.Fatalf("range rate %g, finite difference %g", got, rr)
		}
	}
}

func TestSubPoint(t *testing.T) {
	p := mustProp(t, benchNearTLE)
	maxLat := 0.0
	for m := 0; m < 200; m++ {
		g, err := p.SubPoint(p.Epoch().Add(time.Duration(m) * 30 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		maxLat = math.Max(maxLat, math.Abs(g.LatDeg))
		if g.AltKm < 775 || g.AltKm > 825 {
			t.Fatalf("Sentinel-2A height %g km, want 786 (equator) to 810 (pole)", g.AltKm)
		}
	}
	// A 98.57° orbit reaches 81.4° geodetic latitude, a little more than
	// its geocentric 81.43° bound.
	if maxLat < 80.5 || maxLat > 81.7 {
		t.Errorf("ground track peaks at %.2f°, want about 81.4°", maxLat)
	}
}

func TestPropagateTimeRange(t *testing.T) {
	p := mustProp(t, benchDeepTLE)
	for _, ts := range []float64{math.NaN(), math.Inf(1), 2 * MaxTsinceMin} {
		if _, err := p.PropagateMinutes(ts); err == nil {
			t.Errorf("tsince %g accepted", ts)
		}
	}
}
