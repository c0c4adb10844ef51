package scene

import (
	"fmt"
	"math"
)

// Calibration turns a GeoTIFF's digital numbers into top-of-atmosphere
// reflectance, per band in file order: reflectance = Gain[i]·DN + Offset[i].
type Calibration struct {
	Gain   []float64
	Offset []float64
}

// validate checks the calibration against the band count.
func (c Calibration) validate(bands int) error {
	if len(c.Gain) != bands || len(c.Offset) != bands {
		return fmt.Errorf("%w: %d gains and %d offsets for %d bands", ErrCalibration, len(c.Gain), len(c.Offset), bands)
	}
	for i := range c.Gain {
		if math.IsNaN(c.Gain[i]) || math.IsInf(c.Gain[i], 0) || math.IsNaN(c.Offset[i]) || math.IsInf(c.Offset[i], 0) {
			return fmt.Errorf("%w: band %d gain %v offset %v", ErrCalibration, i+1, c.Gain[i], c.Offset[i])
		}
	}
	return nil
}

// ScaledReflectance is the calibration of uint16 files that already hold
// reflectance × 10,000 (Skysieve's convention, and Sentinel-2 L1C's before
// processing baseline 04.00), the default for uint16 GeoTIFFs.
func ScaledReflectance(bands int) Calibration {
	c := Calibration{Gain: make([]float64, bands), Offset: make([]float64, bands)}
	for i := range c.Gain {
		c.Gain[i] = 1.0 / ReflectanceScale
	}
	return c
}

// ETM+ calibration constants for bands 1, 2, 3, 4, 5 and 7, from Chander,
// Markham and Helder (2009), "Summary of current radiometric calibration
// coefficients for Landsat MSS, TM, ETM+, and EO-1 ALI sensors", Remote
// Sensing of Environment 113:893–903, tables 3 and 11: LMIN/LMAX in
// W/(m² sr µm) for DN 1..255 in low and high gain (products after 1 July
// 2000), and the mean exo-atmospheric solar irradiance ESUN.
var (
	etmLMin      = [6]float64{-6.2, -6.4, -5.0, -5.1, -1.0, -0.35}
	etmLMaxLow   = [6]float64{293.7, 300.9, 234.4, 241.1, 47.57, 16.54}
	etmLMaxHigh  = [6]float64{191.6, 196.5, 152.9, 157.4, 31.06, 10.80}
	etmESunWm2um = [6]float64{1997, 1812, 1533, 1039, 230.8, 84.90}
)

// ETMPlusCalibration returns the DN → TOA reflectance calibration of a
// Landsat 7 ETM+ L1 product's bands 1, 2, 3, 4, 5 and 7 (in that order),
// given the sun elevation, the Earth–Sun distance and each band's gain
// state (true = low gain):
//
//	L = (LMAX − LMIN)/254 · (DN − 1) + LMIN
//	ρ = π · L · d² / (ESUN · sin(sunElevation))
func ETMPlusCalibration(sunElevationDeg, earthSunAU float64, lowGain [6]bool) Calibration {
	c := Calibration{Gain: make([]float64, 6), Offset: make([]float64, 6)}
	sinEl := math.Sin(sunElevationDeg * math.Pi / 180)
	for i := range 6 {
		lmax := etmLMaxHigh[i]
		if lowGain[i] {
			lmax = etmLMaxLow[i]
		}
		g := (lmax - etmLMin[i]) / 254
		k := math.Pi * earthSunAU * earthSunAU / (etmESunWm2um[i] * sinEl)
		c.Gain[i] = k * g
		c.Offset[i] = k * (etmLMin[i] - g)
	}
	return c
}

// DefaultETMPlus is the calibration Open applies to six-band uint8
// GeoTIFFs such as L7_ETMs.tif, which carry no acquisition metadata. It
// assumes a tropical morning overpass: sun elevation 55°, Earth–Sun
// distance 1 AU, bands 1–3 in high gain and bands 4, 5 and 7 in low gain
// (Landsat 7's usual setting over bright vegetated land). With it the
// Olinda scene reads as open ocean ≈0.03 and vegetation ≈0.2 in the NIR,
// which is plausible; expect errors of tens of percent, since the real sun
// angle and gains are unknown. Pass WithCalibration(ETMPlusCalibration(...))
// when the product metadata is at hand.
func DefaultETMPlus() Calibration {
	return ETMPlusCalibration(55, 1, [6]bool{false, false, false, true, true, true})
}
