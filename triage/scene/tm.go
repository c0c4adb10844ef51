package scene

import "math"

// WGS84 ellipsoid and UTM constants.
const (
	wgs84A         = 6378137.0
	wgs84InvF      = 298.257223563
	utmK0          = 0.9996
	utmFalseEastM  = 500000.0
	utmFalseNorthM = 10000000.0 // added in the southern hemisphere
)

// tmSeries holds the Krüger series coefficients of the transverse Mercator
// projection on one ellipsoid, to sixth order in the third flattening n
// (Karney 2011, "Transverse Mercator with an accuracy of a few nanometers",
// J. Geodesy 85:475–485, eqs. 35 and 36). Within a UTM zone the truncation
// error is far below a millimetre.
type tmSeries struct {
	e     float64    // first eccentricity
	bigA  float64    // rectifying radius A, metres
	alpha [6]float64 // forward: conformal latitude -> rectifying
	beta  [6]float64 // inverse
}

var wgs84TM = newTMSeries(wgs84A, 1/wgs84InvF)

func newTMSeries(a, f float64) tmSeries {
	n := f / (2 - f)
	n2 := n * n
	n3 := n2 * n
	n4 := n3 * n
	n5 := n4 * n
	n6 := n5 * n
	var s tmSeries
	s.e = math.Sqrt(f * (2 - f))
	s.bigA = a / (1 + n) * (1 + n2/4 + n4/64 + n6/256)
	s.alpha = [6]float64{
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
		13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
		61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
		49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
		34729*n5/80640 - 3418889*n6/1995840,
		212378941 * n6 / 319334400,
	}
	s.beta = [6]float64{
		n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
		n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
		17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
		4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
		4583*n5/161280 - 108847*n6/3991680,
		20648693 * n6 / 638668800,
	}
	return s
}

// forward maps geodetic latitude and longitude relative to the central
// meridian (radians) to transverse Mercator x (east) and y (north), metres,
// with scale k0 on the central meridian and no false origin.
func (s *tmSeries) forward(phi, lam, k0 float64) (x, y float64) {
	sinPhi := math.Sin(phi)
	// tan of the conformal latitude, by the identity in Karney eq. 7–9.
	t := math.Sinh(math.Atanh(sinPhi) - s.e*math.Atanh(s.e*sinPhi))
	xiP := math.Atan2(t, math.Cos(lam))
	etaP := math.Atanh(math.Sin(lam) / math.Sqrt(1+t*t))
	xi, eta := xiP, etaP
	for j := 1; j <= 6; j++ {
		a := s.alpha[j-1]
		xi += a * math.Sin(2*float64(j)*xiP) * math.Cosh(2*float64(j)*etaP)
		eta += a * math.Cos(2*float64(j)*xiP) * math.Sinh(2*float64(j)*etaP)
	}
	return k0 * s.bigA * eta, k0 * s.bigA * xi
}

// inverse maps transverse Mercator x, y (metres, no false origin) back to
// geodetic latitude and longitude relative to the central meridian, radians.
func (s *tmSeries) inverse(x, y, k0 float64) (phi, lam float64) {
	xi := y / (k0 * s.bigA)
	eta := x / (k0 * s.bigA)
	xiP, etaP := xi, eta
	for j := 1; j <= 6; j++ {
		b := s.beta[j-1]
		xiP -= b * math.Sin(2*float64(j)*xi) * math.Cosh(2*float64(j)*eta)
		etaP -= b * math.Cos(2*float64(j)*xi) * math.Sinh(2*float64(j)*eta)
	}
	sinhEta := math.Sinh(etaP)
	cosXi := math.Cos(xiP)
	tauP := math.Sin(xiP) / math.Hypot(sinhEta, cosXi)
	lam = math.Atan2(sinhEta, cosXi)
	return math.Atan(s.tauFromConformal(tauP)), lam
}

// tauFromConformal solves tan(conformal latitude) = tauP for tan(geodetic
// latitude) by Newton's method (Karney eqs. 19–21); it converges to full
// double precision in two or three steps.
func (s *tmSeries) tauFromConformal(tauP float64) float64 {
	e2m := 1 - s.e*s.e
	tau := tauP / e2m
	for i := 0; i < 6; i++ {
		sq := math.Hypot(1, tau)
		sig := math.Sinh(s.e * math.Atanh(s.e*tau/sq))
		tauPi := tau*math.Hypot(1, sig) - sig*sq
		dTau := (tauP - tauPi) / math.Hypot(1, tauPi) * (1 + e2m*tau*tau) / (e2m * sq)
		tau += dTau
		if math.Abs(dTau) < 1e-14*math.Max(1, math.Abs(tau)) {
			break
		}
	}
	return tau
}

// utmCentralMeridianDeg is the central meridian of UTM zone 1..60.
func utmCentralMeridianDeg(zone int) float64 {
	return float64(zone)*6 - 183
}

// utmToLonLat converts UTM easting/northing (metres) in a zone to WGS84
// degrees.
func utmToLonLat(zone int, north bool, eastingM, northingM float64) (lonDeg, latDeg float64) {
	y := northingM
	if !north {
		y -= utmFalseNorthM
	}
	phi, lam := wgs84TM.inverse(eastingM-utmFalseEastM, y, utmK0)
	lonDeg = normLonDeg(utmCentralMeridianDeg(zone) + lam*180/math.Pi)
	return lonDeg, phi * 180 / math.Pi
}

// lonLatToUTM converts WGS84 degrees to UTM easting/northing (metres) in
// the given zone (which need not be the point's natural zone).
func lonLatToUTM(zone int, north bool, lonDeg, latDeg float64) (eastingM, northingM float64) {
	lam := normLonDeg(lonDeg-utmCentralMeridianDeg(zone)) * math.Pi / 180
	x, y := wgs84TM.forward(latDeg*math.Pi/180, lam, utmK0)
	if !north {
		y += utmFalseNorthM
	}
	return x + utmFalseEastM, y
}

// normLonDeg wraps a longitude into [-180, 180).
func normLonDeg(lon float64) float64 {
	lon = math.Mod(lon+180, 360)
	if lon < 0 {
		lon += 360
	}
	return lon - 180
}
