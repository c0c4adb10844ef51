package orbit

import (
	"math"
	"time"
)

// Vec3 is a Cartesian vector; units are in the name of whatever holds it.
type Vec3 [3]float64

// Norm is the Euclidean length.
func (v Vec3) Norm() float64 { return math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2]) }

// Sub returns v - w.
func (v Vec3) Sub(w Vec3) Vec3 { return Vec3{v[0] - w[0], v[1] - w[1], v[2] - w[2]} }

// Dot returns v·w.
func (v Vec3) Dot(w Vec3) float64 { return v[0]*w[0] + v[1]*w[1] + v[2]*w[2] }

// WGS-84 ellipsoid, for ground stations and sub-satellite points.
const (
	wgs84AKm = 6378.137
	wgs84F   = 1 / 298.257223563
	wgs84E2  = wgs84F * (2 - wgs84F)
	// earthRotRadPerSec is the rotation rate GMST advances at.
	earthRotRadPerSec = 7.292115146706979e-5
)

// GMST returns Greenwich mean sidereal time at t (UTC taken as UT1) in
// radians, by the IAU-82 expression the SGP4 reference uses.
func GMST(t time.Time) float64 {
	// Days from J2000 directly from the time difference: a Julian date in
	// a float64 only resolves about 50 µs, enough to add jitter to
	// derivatives.
	return gmstDaysJ2000(t.Sub(j2000).Seconds() / 86400)
}

// j2000 is JD 2451545.0.
var j2000 = time.Date(2000, 1, 1, 12, 0, 0, 0, time.UTC)

// TEMEToECEF rotates a TEME state at t into the Earth-fixed frame (polar
// motion neglected, as the reference does without EOP data). Velocity
// includes the Earth-rotation term.
func TEMEToECEF(s StateVector, t time.Time) StateVector {
	return temeToECEFAngle(s, GMST(t))
}

func temeToECEFAngle(s StateVector, gmstRad float64) StateVector {
	sg, cg := math.Sincos(gmstRad)
	r, v := s.PositionKm, s.VelocityKmPerS
	re := Vec3{cg*r[0] + sg*r[1], -sg*r[0] + cg*r[1], r[2]}
	ve := Vec3{
		cg*v[0] + sg*v[1] + earthRotRadPerSec*re[1],
		-sg*v[0] + cg*v[1] - earthRotRadPerSec*re[0],
		v[2],
	}
	return StateVector{PositionKm: re, VelocityKmPerS: ve}
}

// Geodetic is a WGS-84 position.
type Geodetic struct {
	LatDeg float64
	LonDeg float64 // in (-180, 180]
	AltKm  float64
}

// ECEFToGeodetic converts an Earth-fixed position (km) to WGS-84 latitude,
// longitude and height. It is exact to well under a millimetre for any
// point above the Earth's centre region.
func ECEFToGeodetic(r Vec3) Geodetic {
	x, y, z := r[0], r[1], r[2]
	p := math.Hypot(x, y)
	lon := math.Atan2(y, x)
	if p < 1e-9 {
		// On the polar axis.
		b := wgs84AKm * (1 - wgs84F)
		lat := math.Copysign(90, z)
		return Geodetic{LatDeg: lat, LonDeg: 0, AltKm: math.Abs(z) - b}
	}
	lat := math.Atan2(z, p*(1-wgs84E2))
	var alt float64
	for i := 0; i < 6; i++ {
		s := math.Sin(lat)
		n := wgs84AKm / math.Sqrt(1-wgs84E2*s*s)
		alt = p/math.Cos(lat) - n
		lat = math.Atan2(z, p*(1-wgs84E2*n/(n+alt)))
	}
	s, c := math.Sincos(lat)
	n := wgs84AKm / math.Sqrt(1-wgs84E2*s*s)
	// Height along the normal, well conditioned at all latitudes.
	alt = p*c + z*s - wgs84AKm*wgs84AKm/n
	return Geodetic{LatDeg: lat / deg2rad, LonDeg: lon / deg2rad, AltKm: alt}
}

// GeodeticToECEF converts a WGS-84 position to Earth-fixed km.
func GeodeticToECEF(g Geodetic) Vec3 {
	slat, clat := math.Sincos(g.LatDeg * deg2rad)
	slon, clon := math.Sincos(g.LonDeg * deg2rad)
	n := wgs84AKm / math.Sqrt(1-wgs84E2*slat*slat)
	return Vec3{
		(n + g.AltKm) * clat * clon,
		(n + g.AltKm) * clat * slon,
		(n*(1-wgs84E2) + g.AltKm) * slat,
	}
}

// Look is the topocentric direction from a site to a satellite.
type Look struct {
	AzimuthDeg   float64 // from north through east, [0, 360)
	ElevationDeg float64
	RangeKm      float64
	// RangeRateKmPerS is positive when the satellite recedes.
	RangeRateKmPerS float64
}

// Site is a ground position prepared for repeated look-angle computation.
type Site struct {
	Geodetic Geodetic
	ecef     Vec3
	// rows of the ECEF→ENU rotation
	east, north, up Vec3
}

// NewSite prepares g for LookAt.
func NewSite(g Geodetic) Site {
	slat, clat := math.Sincos(g.LatDeg * deg2rad)
	slon, clon := math.Sincos(g.LonDeg * deg2rad)
	return Site{
		Geodetic: g,
		ecef:     GeodeticToECEF(g),
		east:     Vec3{-slon, clon, 0},
		north:    Vec3{-slat * clon, -slat * slon, clat},
		up:       Vec3{clat * clon, clat * slon, slat},
	}
}

// ECEF returns the site's Earth-fixed position in km.
func (s Site) ECEF() Vec3 { return s.ecef }

// LookAt returns azimuth, elevation, range and range rate to an Earth-fixed
// satellite state.
func (s Site) LookAt(sat StateVector) Look {
	d := sat.PositionKm.Sub(s.ecef)
	rng := d.Norm()
	e, n, u := d.Dot(s.east), d.Dot(s.north), d.Dot(s.up)
	az := math.Atan2(e, n) / deg2rad
	if az < 0 {
		az += 360
	}
	return Look{
		AzimuthDeg:      az,
		ElevationDeg:    math.Asin(math.Max(-1, math.Min(1, u/rng))) / deg2rad,
		RangeKm:         rng,
		RangeRateKmPerS: d.Dot(sat.VelocityKmPerS) / rng,
	}
}

// ElevationDeg returns only the elevation to an Earth-fixed position, the
// cheap test contact search runs at every step.
func (s Site) ElevationDeg(satECEFKm Vec3) float64 {
	d := satECEFKm.Sub(s.ecef)
	return math.Asin(math.Max(-1, math.Min(1, d.Dot(s.up)/d.Norm()))) / deg2rad
}

// ECEF propagates to t and returns the Earth-fixed state.
func (p *Propagator) ECEF(t time.Time) (StateVector, error) {
	s, err := p.Propagate(t)
	if err != nil {
		return StateVector{}, err
	}
	return TEMEToECEF(s, t), nil
}

// SubPoint returns the geodetic sub-satellite point (and height) at t: the
// ground track.
func (p *Propagator) SubPoint(t time.Time) (Geodetic, error) {
	s, err := p.ECEF(t)
	if err != nil {
		return Geodetic{}, err
	}
	return ECEFToGeodetic(s.PositionKm), nil
}
