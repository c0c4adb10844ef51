package scenery

import "math"

// spectrum is a reflectance in the six default bands (blue, green, red, NIR,
// SWIR-1, SWIR-2; band centres 0.48, 0.56, 0.66, 0.86, 1.61, 2.2 µm).
type spectrum [6]float32

// Surface spectra: band averages of published library spectra (USGS and
// ECOSTRESS libraries and Landsat surface-reflectance studies), rounded.
var (
	specGrass     = spectrum{0.045, 0.085, 0.055, 0.420, 0.240, 0.115}
	specBroadleaf = spectrum{0.030, 0.065, 0.035, 0.380, 0.190, 0.085}
	specConifer   = spectrum{0.020, 0.040, 0.022, 0.240, 0.110, 0.050}
	specDryGrass  = spectrum{0.080, 0.115, 0.160, 0.270, 0.370, 0.290}
	specCrop      = spectrum{0.040, 0.075, 0.050, 0.460, 0.260, 0.130}
	specLoam      = spectrum{0.085, 0.125, 0.175, 0.235, 0.330, 0.280}
	specWetSoil   = spectrum{0.045, 0.065, 0.090, 0.130, 0.160, 0.125}
	specRedSoil   = spectrum{0.070, 0.100, 0.200, 0.290, 0.400, 0.360}
	specSand      = spectrum{0.240, 0.310, 0.390, 0.460, 0.560, 0.500}
	specConcrete  = spectrum{0.200, 0.225, 0.245, 0.275, 0.320, 0.290}
	specAsphalt   = spectrum{0.055, 0.065, 0.075, 0.090, 0.110, 0.100}
	specMetalRoof = spectrum{0.420, 0.440, 0.450, 0.470, 0.430, 0.380}
	specWhiteRoof = spectrum{0.650, 0.680, 0.690, 0.700, 0.550, 0.450}
	specTileRoof  = spectrum{0.080, 0.100, 0.240, 0.340, 0.440, 0.370}
	specChar      = spectrum{0.035, 0.045, 0.055, 0.095, 0.185, 0.170}
	specOldScar   = spectrum{0.050, 0.065, 0.080, 0.170, 0.250, 0.200}
	specWetland   = spectrum{0.035, 0.060, 0.045, 0.220, 0.110, 0.050}

	specDeepWater   = spectrum{0.038, 0.030, 0.012, 0.004, 0.001, 0.001}
	specClearLake   = spectrum{0.030, 0.045, 0.022, 0.008, 0.002, 0.001}
	specTurbidRiver = spectrum{0.065, 0.105, 0.100, 0.045, 0.010, 0.006}
	specFloodWater  = spectrum{0.060, 0.090, 0.105, 0.075, 0.030, 0.016}
	specFoam        = spectrum{0.450, 0.450, 0.430, 0.280, 0.060, 0.025}

	// Hull paints and decks: white, grey, red oxide, navy, black, rust.
	hullPaints = []spectrum{
		{0.550, 0.560, 0.560, 0.540, 0.420, 0.330},
		{0.180, 0.190, 0.195, 0.210, 0.200, 0.170},
		{0.070, 0.070, 0.190, 0.280, 0.300, 0.250},
		{0.060, 0.060, 0.055, 0.080, 0.090, 0.075},
		{0.035, 0.035, 0.035, 0.045, 0.050, 0.045},
		{0.080, 0.095, 0.150, 0.230, 0.280, 0.240},
	}

	// Water cloud (liquid droplets absorb in the SWIR) and ice cloud
	// (cirrus: darker, absorbs more at 1.6 µm than at 2.2 µm).
	specWaterCloud = spectrum{0.780, 0.770, 0.750, 0.730, 0.500, 0.300}
	specIceCloud   = spectrum{0.700, 0.700, 0.690, 0.680, 0.260, 0.230}
	// specSmoke is the reflectance of an optically thick smoke plume: blue
	// and brown, nearly clear in the SWIR.
	specSmoke = spectrum{0.200, 0.180, 0.160, 0.120, 0.050, 0.030}
)

// bandMicrons are the band centres; esun the exoatmospheric solar
// irradiance in each band, W m⁻² µm⁻¹.
var (
	bandMicrons = [6]float64{0.48, 0.56, 0.66, 0.86, 1.61, 2.2}
	esun        = [6]float64{2004, 1821, 1550, 951, 247, 85}
)

// atmosphere is the scene's path reflectance and two-way transmittance per
// band, from Rayleigh scattering (λ⁻⁴) and aerosol of optical depth aod at
// 0.55 µm (Ångström exponent 1.3).
type atmosphere struct {
	path, trans spectrum
}

func newAtmosphere(aod, sunElevDeg float64) atmosphere {
	mu := math.Sin(sunElevDeg * math.Pi / 180)
	var a atmosphere
	for b, l := range bandMicrons {
		tauR := 0.0088 * math.Pow(l, -4.05)
		tauA := aod * math.Pow(l/0.55, -1.3)
		m := 1 + 1/mu // sun to ground to sensor at nadir
		a.trans[b] = float32(math.Exp(-m * (0.5*tauR + 0.3*tauA)))
		a.path[b] = float32(0.5*tauR/mu*0.75 + 0.12*tauA/mu)
	}
	return a
}

// fireExcess is the apparent reflectance a fire adds in each band: Planck
// radiance at tempK over a fraction frac of the pixel, over the sunlight
// the band receives at the sun's elevation.
func fireExcess(tempK, frac, sunElevDeg float64) spectrum {
	const c1, c2 = 1.191042e8, 14387.77 // W µm⁴ m⁻² sr⁻¹, µm K
	mu := math.Sin(sunElevDeg * math.Pi / 180)
	var s spectrum
	for b, l := range bandMicrons {
		rad := c1 / math.Pow(l, 5) / (math.Exp(c2/(l*tempK)) - 1)
		s[b] = float32(math.Pi * rad * frac / (esun[b] * mu))
	}
	return s
}

func blend(a, b spectrum, t float32) spectrum {
	t = clamp01(t)
	var o spectrum
	for i := range o {
		o[i] = a[i]*(1-t) + b[i]*t
	}
	return o
}

func (s spectrum) times(f float32) spectrum {
	for i := range s {
		s[i] *= f
	}
	return s
}
