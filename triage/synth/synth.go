package synth

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/triage/scene"
)

// DefaultTileSize is the tile edge, in pixels, Truth labels unless the Spec says otherwise.
const DefaultTileSize = 32

// DefaultSizePx is the scene edge, in pixels, when a Spec leaves Width or Height zero.
const DefaultSizePx = 512

// Spec describes one synthetic scene. Zero values give a 512×512 cloud-free
// land scene in EPSG:4326 near Olinda, Brazil, with 30 m-like pixels.
type Spec struct {
	// Seed fixes every random choice: the same Spec gives the same scene.
	Seed        uint64
	SceneID     string
	Satellite   string
	CaptureTime time.Time
	// Width and Height are the scene size in pixels.
	Width, Height int
	// Geo georeferences the scene; a zero Geo means EPSG:4326 at
	// (-35.2°, -7.9°) with 0.00027° pixels.
	Geo scene.Geo
	// TileSize is the tile edge Truth labels (DefaultTileSize when zero).
	TileSize int
	// CloudCover is the fraction of pixels under opaque cloud (opacity ≥ 0.5), 0..1.
	CloudCover float64
	// ThinCloud is the fraction of pixels under thin cloud (cirrus, opacity 0.1–0.45), 0..1.
	ThinCloud float64
	// OceanFraction is the fraction of the scene that is open sea, 0..1.
	// The sea is one body with a ragged coastline.
	OceanFraction float64
	// LakeFraction is the fraction of the scene in permanent inland lakes.
	LakeFraction float64
	// Glint is the strength of sun glint on water, 0 (none) .. 1 (strong).
	Glint float64
	// BurnScars is the number of old, cold burn scars on land (fire look-alikes).
	BurnScars int
	// Events are the ground-truth events to draw.
	Events []Event
	// RandomFires, RandomFloods and RandomVessels add that many events at
	// random suitable places (fires and floods on land, vessels at sea,
	// some near the coast) with random sizes, small fires included.
	RandomFires, RandomFloods, RandomVessels int

	// The fields below widen the distribution; their zero values draw
	// scenes exactly as before they existed.

	// GSD is the ground sample distance in metres (30 when zero). It
	// scales the pixel size of the default Geo and the size in pixels of
	// everything drawn: land cover, coasts, clouds, shadows and events.
	GSD float64
	// CloudCellPx is the largest cell of the opaque cloud field in pixels
	// at 30 m (80 when zero): 10–30 draws cumulus fields, 150–250 stratus
	// decks.
	CloudCellPx float64
	// CloudEdge is the width of opaque cloud edges in noise units (0.12
	// when zero): 0.02 is sharp, 0.4 soft.
	CloudEdge float64
	// CirrusStreak stretches thin cloud along a random wind direction by
	// this factor (none when ≤ 1).
	CirrusStreak float64
	// Haze 0..1 adds aerosol path reflectance and takes surface contrast
	// away; it is not cloud in the truth.
	Haze float64
	// Whitecaps is the fraction of open-sea pixels with breaking-wave foam.
	Whitecaps float64
	// Turbidity 0..1 loads all water, lakes and open sea too, with sediment.
	Turbidity float64
	// WetSoil is the fraction of land that is wet, dark soil.
	WetSoil float64
	// Gain is the calibration gain applied to every band (1 when zero);
	// NoiseScale multiplies the sensor noise (1 when zero); Striping is
	// the spread of per-column (detector) gain.
	Gain, NoiseScale, Striping float64
}

// Event is one ground-truth event drawn into a scene.
type Event struct {
	// Class is record.ClassFire, record.ClassFlood or record.ClassVessel.
	Class string
	// Col and Row place the event's centre, in pixels, unless AtLonLat.
	Col, Row float64
	// Lon and Lat place the centre in WGS84 degrees when AtLonLat is set.
	Lon, Lat float64
	AtLonLat bool
	// SizePx is the extent in pixels: a fire's burning radius (below 1, a
	// sub-pixel fire burning SizePx² of one pixel), a flood's radius, a
	// vessel's length.
	SizePx float64
	// HeadingDeg is a vessel's heading, clockwise from north.
	HeadingDeg float64
}

// Land-cover kinds and their surface reflectance in the six default bands
// (blue, green, red, NIR, SWIR-1, SWIR-2), from typical library spectra.
var (
	surfForest  = [6]float32{0.020, 0.050, 0.030, 0.350, 0.160, 0.070}
	surfCrop    = [6]float32{0.040, 0.080, 0.060, 0.400, 0.220, 0.110}
	surfSavanna = [6]float32{0.060, 0.090, 0.120, 0.250, 0.320, 0.220}
	surfSoil    = [6]float32{0.110, 0.170, 0.240, 0.310, 0.400, 0.340}
	surfSand    = [6]float32{0.280, 0.330, 0.380, 0.430, 0.480, 0.380}
	surfRoof    = [6]float32{0.300, 0.320, 0.330, 0.350, 0.400, 0.370}
	// Town materials, mixed per pixel: asphalt, concrete, clay tile, bare
	// ground, garden. Bright mineral surfaces reach SWIR-2 ≈ 0.9 × SWIR-1,
	// the closest ordinary land comes to a fire's SWIR-2 excess.
	townMaterials = [][6]float32{
		{0.070, 0.075, 0.080, 0.100, 0.120, 0.110},
		{0.150, 0.160, 0.170, 0.220, 0.300, 0.280},
		{0.100, 0.120, 0.200, 0.300, 0.420, 0.385},
		{0.140, 0.170, 0.200, 0.270, 0.440, 0.410},
		{0.030, 0.060, 0.040, 0.300, 0.180, 0.080},
	}
	surfLaterite = [6]float32{0.100, 0.140, 0.240, 0.320, 0.460, 0.420}
	surfWetSoil  = [6]float32{0.050, 0.070, 0.090, 0.150, 0.170, 0.120}
	surfBurnScar = [6]float32{0.030, 0.040, 0.050, 0.080, 0.160, 0.150}
	surfOcean    = [6]float32{0.030, 0.030, 0.014, 0.005, 0.002, 0.001}
	surfCoastal  = [6]float32{0.040, 0.055, 0.040, 0.012, 0.004, 0.002}
	surfTurbid   = [6]float32{0.070, 0.100, 0.075, 0.025, 0.015, 0.010}
	surfLake     = [6]float32{0.025, 0.040, 0.025, 0.010, 0.003, 0.002}
	surfFlood    = [6]float32{0.055, 0.080, 0.085, 0.050, 0.020, 0.012}
	surfHull     = [6]float32{0.300, 0.300, 0.300, 0.290, 0.220, 0.160}
	// pathRefl is the atmosphere's own reflectance (Rayleigh and aerosol
	// path radiance), strongest in the blue.
	pathRefl = [6]float32{0.060, 0.035, 0.020, 0.008, 0.002, 0.001}
	// hazeRefl is the extra path reflectance of thick aerosol haze.
	hazeRefl = [6]float32{0.100, 0.080, 0.060, 0.040, 0.015, 0.008}
	// cloudRefl is a thick water cloud: bright and white in the visible and
	// NIR, darker in the SWIR where water absorbs.
	cloudRefl = [6]float32{0.640, 0.640, 0.630, 0.610, 0.420, 0.260}
	// glintShape is sun glint's spectral shape: specular, nearly flat.
	glintShape = [6]float32{1.0, 1.0, 1.0, 0.95, 0.80, 0.70}
	// foamShape is a wake's whitecaps: bright in the visible, dim in the SWIR.
	foamShape = [6]float32{1.0, 1.0, 1.0, 0.6, 0.25, 0.15}
	// saturation is the brightest reflectance the sensor records.
	saturation = float32(1.6)
	// noiseSigma is per-band sensor noise in reflectance units.
	noiseSigma = [6]float32{0.004, 0.004, 0.004, 0.005, 0.004, 0.004}
)

// Hard-case flags kept per pixel in Truth.Hard.
const (
	HardGlint uint8 = 1 << iota
	HardThinCloudWater
	HardSmallFire
	HardVesselNearCoast
	HardBurnScar
)

// HardNames names the hard-case flags, in bit order.
var HardNames = []string{"sun_glint", "thin_cloud_over_water", "small_fire", "vessel_near_coast", "burn_scar"}

// Generate draws the scene a Spec describes and its ground truth. It is a
// pure function of spec. Events outside the scene, or placed by lon/lat on a
// Geo that cannot place them, are skipped.
func Generate(spec Spec) (*scene.Scene, *Truth) {
	w, h := spec.Width, spec.Height
	if w <= 0 {
		w = DefaultSizePx
	}
	if h <= 0 {
		h = DefaultSizePx
	}
	ts := spec.TileSize
	if ts <= 0 {
		ts = DefaultTileSize
	}
	gsd := spec.GSD
	if gsd <= 0 {
		gsd = 30
	}
	// f is pixels per 30 m: sizes below are given at 30 m and scaled by it.
	f := 30 / gsd
	g := spec.Geo
	if g == (scene.Geo{}) {
		px := 0.00027 / f
		g = scene.Geo{EPSG: scene.EPSGWGS84, OriginX: -35.2, OriginY: -7.9, PixelSizeX: px, PixelSizeY: px}
	}
	rng := rand.New(rand.NewPCG(spec.Seed, 0x5c5e5e5e))
	n := w * h
	tr := &Truth{
		Width: w, Height: h, TileSize: ts,
		Cloud:       make([]float32, n),
		Shadow:      make([]float32, n),
		Water:       make([]bool, n),
		RefWater:    make([]bool, n),
		Fire:        make([]bool, n),
		Vessel:      make([]bool, n),
		VesselCover: make([]float32, n),
		Hard:        make([]uint8, n),
	}
	surf := make([][6]float32, n)
	tmp := make([]float32, n)
	coast := make([]float32, n) // signed distance-like sea field, >0 is sea

	// Sea: a tilted plane plus noise, thresholded to the wanted fraction.
	if spec.OceanFraction > 0 {
		theta := rng.Float64() * 2 * math.Pi
		noiseField(rng, w, h, 96*f, 5, tmp)
		cx, cy, inv := float64(w)/2, float64(h)/2, 1/float64(max(w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				d := ((float64(x)-cx)*math.Cos(theta) + (float64(y)-cy)*math.Sin(theta)) * inv
				coast[y*w+x] = float32(d) + 0.3*tmp[y*w+x]
			}
		}
		thr := quantileAbove(coast, spec.OceanFraction)
		for i := range coast {
			coast[i] -= thr
			tr.RefWater[i] = coast[i] > 0
		}
	} else {
		for i := range coast {
			coast[i] = -1
		}
	}
	if spec.LakeFraction > 0 {
		noiseField(rng, w, h, 20*f, 3, tmp)
		thr := quantileAbove(tmp, spec.LakeFraction)
		for i, v := range tmp {
			if v > thr {
				tr.RefWater[i] = true
			}
		}
	}

	// Land cover: moisture and development fields pick the kind, fine
	// texture varies brightness within it.
	moist := make([]float32, n)
	noiseField(rng, w, h, 64*f, 3, moist)
	noiseField(rng, w, h, 48*f, 3, tmp)
	biome := float32(rng.Float64()*0.8 - 0.4)
	roofP := 0.04 + 0.06*rng.Float64()
	soil := mix(surfSoil, surfLaterite, float32(rng.Float64()))
	for i := range surf {
		m := moist[i] + biome
		var s [6]float32
		switch {
		case tmp[i] > 0.42:
			s = townPixel(rng)
			if rng.Float64() < roofP {
				// Roofs from dark tar to bright metal and white membranes.
				s = scale(surfRoof, float32(0.5+1.5*rng.Float64()))
			}
		case m > 0.25:
			s = surfForest
		case m > 0:
			s = mix(surfCrop, surfForest, (m)*4)
		case m > -0.25:
			s = mix(surfSavanna, surfCrop, (m+0.25)*4)
		case m > -0.5:
			s = mix(soil, surfSavanna, (m+0.5)*4)
		default:
			s = mix(surfSand, surfSoil, clamp01((m+0.8)*3.3))
		}
		surf[i] = s
	}
	noiseField(rng, w, h, max(1, 5*f), 2, tmp)
	for i := range surf {
		f := 1 + 0.15*tmp[i]
		for b := range surf[i] {
			surf[i][b] *= f
		}
	}
	for k := 0; k < spec.BurnScars; k++ {
		cx, cy := rng.Float64()*float64(w), rng.Float64()*float64(h)
		r := (4 + rng.Float64()*14) * f
		paintDisc(w, h, cx, cy, r, rng, func(i int, cover float32) {
			if !tr.RefWater[i] {
				surf[i] = mix(surf[i], surfBurnScar, cover)
				tr.Hard[i] |= HardBurnScar
			}
		})
	}

	// Cleared ground and construction sites: small bright mineral patches.
	for k, n := 0, rng.IntN(10); k < n; k++ {
		cx, cy := rng.Float64()*float64(w), rng.Float64()*float64(h)
		bare := mix(surfSoil, surfLaterite, float32(rng.Float64()))
		paintDisc(w, h, cx, cy, (1.5+rng.Float64()*7)*f, rng, func(i int, cover float32) {
			surf[i] = mix(surf[i], bare, cover)
		})
	}

	if spec.WetSoil > 0 {
		wet := make([]float32, n)
		noiseField(rng, w, h, 30*f, 3, wet)
		thr := quantileAbove(wet, spec.WetSoil)
		for i, v := range wet {
			if v > thr {
				surf[i] = mix(surf[i], surfWetSoil, 0.6+4*(v-thr))
			}
		}
	}

	// Beaches: a ragged strip of sand on the land side of the coast.
	if spec.OceanFraction > 0 && rng.Float64() < 0.7 {
		beachW := float32(0.002 + 0.008*rng.Float64())
		sand := mix(surfSand, surfSoil, float32(rng.Float64()*0.5))
		for i, c := range coast {
			if c <= 0 && c > -beachW*(1+0.5*tmp[i]) {
				surf[i] = sand
			}
		}
	}

	// Permanent water; coastal water carries a scene-wide sediment load.
	turbid := mix(surfCoastal, surfTurbid, float32(rng.Float64()))
	lake, ocean := surfLake, surfOcean
	if spec.Turbidity > 0 {
		lake = mix(surfLake, surfTurbid, float32(spec.Turbidity))
		ocean = mix(surfOcean, turbid, 0.6*float32(spec.Turbidity))
	}
	coastBand := float32(0.03 + 0.08*rng.Float64())
	surfW := float32(0.003 + 0.006*rng.Float64())
	surfFoam := float32(0.4 * rng.Float64())
	for i, water := range tr.RefWater {
		if !water {
			continue
		}
		tr.Water[i] = true
		switch {
		case coast[i] <= 0:
			surf[i] = lake
		case coast[i] < coastBand:
			surf[i] = mix(turbid, ocean, coast[i]/coastBand)
			if coast[i] < surfW {
				// Breaking waves: white foam, dim beyond the visible.
				f := surfFoam * (1 - coast[i]/surfW) * clamp01(0.5+tmp[i]) // foam lines, not speckle
				for b := range surf[i] {
					surf[i][b] += f * foamShape[b]
				}
			}
		default:
			surf[i] = ocean
			if spec.Whitecaps > 0 && rng.Float64() < spec.Whitecaps {
				// A breaking crest: sub-pixel foam, bright only in the visible.
				fo := float32(0.1 + 0.4*rng.Float64())
				for b := range surf[i] {
					surf[i][b] += fo * foamShape[b]
				}
				tr.Hard[i] |= HardGlint
			}
		}
	}

	emit := make(map[int][3]float32) // fire emission per pixel: NIR, SWIR-1, SWIR-2
	add := make(map[int][6]float32)  // additive bright targets (vessel wakes)
	events := append(append([]Event(nil), spec.Events...), randomEvents(rng, spec, tr, coast, f)...)
	for _, ev := range events {
		cx, cy := ev.Col, ev.Row
		if ev.AtLonLat {
			var err error
			if cx, cy, err = g.LonLatToPixel(ev.Lon, ev.Lat); err != nil {
				continue
			}
		}
		if cx < 0 || cy < 0 || cx >= float64(w) || cy >= float64(h) {
			continue
		}
		ev.Col, ev.Row = cx, cy
		tr.Events = append(tr.Events, ev)
		switch ev.Class {
		case record.ClassFlood:
			drawFlood(tr, surf, rng, w, h, cx, cy, max(ev.SizePx, 2))
		case record.ClassFire:
			drawFire(tr, surf, emit, rng, w, h, cx, cy, ev.SizePx)
		case record.ClassVessel:
			drawVessel(tr, surf, add, rng, w, h, cx, cy, max(ev.SizePx, 1.5), ev.HeadingDeg, coast)
		}
	}

	// Clouds: opaque cloud from a thresholded field with soft edges, thin
	// cirrus from another, shadows cast by the opaque part.
	if spec.CloudCover > 0 {
		cell, edge := 80.0, float32(0.12)
		if spec.CloudCellPx > 0 {
			cell = spec.CloudCellPx
		}
		if spec.CloudEdge > 0 {
			edge = float32(spec.CloudEdge)
		}
		noiseField(rng, w, h, cell*f, 5, tmp)
		thr := quantileAbove(tmp, spec.CloudCover)
		for i, v := range tmp {
			tr.Cloud[i] = smooth(clamp01((v-thr)/edge + 0.5))
		}
	}
	if spec.ThinCloud > 0 {
		if spec.CirrusStreak > 1 {
			streakField(rng, w, h, 60*f, spec.CirrusStreak, tmp)
		} else {
			noiseField(rng, w, h, 60*f, 4, tmp)
		}
		thr := quantileAbove(tmp, spec.ThinCloud)
		top := 0.1 + 0.35*float32(rng.Float64())
		for i, v := range tmp {
			if v > thr {
				a := top * clamp01((v-thr)/0.1)
				tr.Cloud[i] = 1 - (1-tr.Cloud[i])*(1-a)
			}
		}
	}
	shadow := make([]float32, n)
	for i := range shadow {
		shadow[i] = 1
	}
	if spec.CloudCover > 0 {
		dx, dy := 6+rng.IntN(12), 4+rng.IntN(10)
		dx, dy = int(float64(dx)*f), int(float64(dy)*f)
		for y := dy; y < h; y++ {
			for x := dx; x < w; x++ {
				a := tr.Cloud[(y-dy)*w+x-dx]
				tr.Shadow[y*w+x] = a
				shadow[y*w+x] = 1 - 0.55*a
			}
		}
	}
	if spec.Glint > 0 {
		noiseField(rng, w, h, 24*f, 4, tmp)
		for i, water := range tr.Water {
			if !water {
				continue
			}
			v := clamp01(tmp[i]*0.8 + 0.5)
			gl := float32(spec.Glint) * 0.3 * v * v
			if gl > 0.03 {
				tr.Hard[i] |= HardGlint
			}
			for b := range surf[i] {
				surf[i][b] += gl * glintShape[b]
			}
		}
	}

	// Compose top-of-atmosphere reflectance.
	data := make([][]float32, 6)
	for b := range data {
		data[b] = make([]float32, n)
	}
	gain, noise := float32(1), float32(1)
	if spec.Gain > 0 {
		gain = float32(spec.Gain)
	}
	if spec.NoiseScale > 0 {
		noise = float32(spec.NoiseScale)
	}
	path, contrast := pathRefl, float32(1)
	if spec.Haze > 0 {
		contrast = 1 - 0.3*float32(spec.Haze)
		for b := range path {
			path[b] += float32(spec.Haze) * hazeRefl[b]
		}
	}
	var stripes [6][]float32
	if spec.Striping > 0 {
		for b := range stripes {
			stripes[b] = make([]float32, w)
			for x := range stripes[b] {
				stripes[b][x] = 1 + float32(spec.Striping*rng.NormFloat64())
			}
		}
	}
	for i := 0; i < n; i++ {
		a := tr.Cloud[i]
		if tr.Water[i] && a > 0.05 && a < 0.5 {
			tr.Hard[i] |= HardThinCloudWater
		}
		clear := (1 - a) * shadow[i] * contrast
		var e [3]float32
		if v, ok := emit[i]; ok {
			e = v
		}
		ad := add[i]
		for b := 0; b < 6; b++ {
			v := path[b] + (surf[i][b]+ad[b])*clear + a*cloudRefl[b]
			if b >= 3 {
				v += e[b-3] * (1 - a)
			}
			v *= gain
			if stripes[b] != nil {
				v *= stripes[b][i%w]
			}
			v += float32(rng.NormFloat64()) * noiseSigma[b] * noise
			v = min(max(v, 0), saturation)
			data[b][i] = v
		}
	}
	s := &scene.Scene{
		ID:          spec.SceneID,
		Satellite:   spec.Satellite,
		CaptureTime: spec.CaptureTime,
		Width:       w,
		Height:      h,
		Bands:       append([]string(nil), scene.DefaultBands...),
		Data:        data,
		Geo:         g,
	}
	tr.LabelTiles()
	return s, tr
}

// townPixel is a random mixture of town materials, so towns have the
// pixel-to-pixel texture of real ones.
func townPixel(rng *rand.Rand) [6]float32 {
	var out [6]float32
	var total float32
	for _, m := range townMaterials {
		wt := rng.Float32()
		wt *= wt * wt
		total += wt
		for b := range out {
			out[b] += wt * m[b]
		}
	}
	for b := range out {
		out[b] /= total
	}
	return out
}

// randomEvents places spec's random events on the water layer drawn so far.
func randomEvents(rng *rand.Rand, spec Spec, tr *Truth, coast []float32, f float64) []Event {
	w, h := tr.Width, tr.Height
	place := func(want func(i int) bool) (float64, float64, bool) {
		for try := 0; try < 400; try++ {
			x, y := rng.IntN(w), rng.IntN(h)
			if want(y*w + x) {
				return float64(x) + rng.Float64(), float64(y) + rng.Float64(), true
			}
		}
		return 0, 0, false
	}
	land := func(i int) bool { return !tr.RefWater[i] }
	var out []Event
	for k := 0; k < spec.RandomFires; k++ {
		r := (1 + 3*rng.Float64()) * f
		if rng.Float64() < 0.45 {
			r = 0.25 + 0.7*rng.Float64()
		}
		if x, y, ok := place(land); ok {
			out = append(out, Event{Class: record.ClassFire, Col: x, Row: y, SizePx: r})
		}
	}
	for k := 0; k < spec.RandomFloods; k++ {
		if x, y, ok := place(land); ok {
			out = append(out, Event{Class: record.ClassFlood, Col: x, Row: y, SizePx: (14 + 30*rng.Float64()) * f})
		}
	}
	for k := 0; k < spec.RandomVessels; k++ {
		sea := func(i int) bool { return coast[i] > 0.01 }
		if rng.Float64() < 0.3 {
			sea = func(i int) bool { return coast[i] > 0.002 && coast[i] < 0.03 }
		}
		if x, y, ok := place(sea); ok {
			out = append(out, Event{Class: record.ClassVessel, Col: x, Row: y, SizePx: max(1.5, (1.5+7.5*rng.Float64())*f), HeadingDeg: 360 * rng.Float64()})
		}
	}
	return out
}

// drawFlood turns land within an irregular disc into shallow turbid water.
func drawFlood(tr *Truth, surf [][6]float32, rng *rand.Rand, w, h int, cx, cy, r float64) {
	wobble := [4]float64{}
	for k := range wobble {
		wobble[k] = rng.Float64() * 2 * math.Pi
	}
	veg := 0.3 * rng.Float32()
	x0, x1 := max(0, int(cx-1.5*r)), min(w, int(cx+1.5*r)+1)
	y0, y1 := max(0, int(cy-1.5*r)), min(h, int(cy+1.5*r)+1)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			i := y*w + x
			if tr.RefWater[i] {
				continue
			}
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			ang := math.Atan2(dy, dx)
			edge := r * (1 + 0.25*math.Sin(3*ang+wobble[0]) + 0.15*math.Sin(5*ang+wobble[1]))
			if math.Hypot(dx, dy) > edge {
				continue
			}
			tr.Water[i] = true
			surf[i] = mix(surfFlood, surf[i], veg*rng.Float32())
		}
	}
}

// drawFire burns a disc of radius r around (cx, cy) with a burn scar and
// smoke; below one pixel it is a sub-pixel fire in one pixel. Flaming
// combustion at 800–1200 K outshines reflected sunlight at 2.2 µm about a
// hundredfold per unit area (Planck), so even a fire covering a thousandth
// of a pixel adds ~0.1 to SWIR-2 reflectance; SWIR-1 gets a twelfth to a
// fifth of that and NIR almost nothing. The sensor saturates. Fires are
// drawn from the smallest a 30 m sensor detects by day (excess 0.5).
func drawFire(tr *Truth, surf [][6]float32, emit map[int][3]float32, rng *rand.Rand, w, h int, cx, cy, r float64) {
	burn := func(i int, swir2 float32) {
		v := emit[i]
		v[0] += swir2 * (0.001 + 0.009*rng.Float32())
		v[1] += swir2 * (0.08 + 0.12*rng.Float32())
		v[2] += swir2
		emit[i] = v
		tr.Fire[i] = true
	}
	if r < 1 {
		// SizePx 0.25..1 maps to an excess of 0.5..2: a fire of a few
		// square metres (about the least a 30 m sensor detects by day) up
		// to one of a few dozen.
		excess := float32(0.5 + 1.5*clamp01(float32((r-0.25)/0.75)))
		i := int(cy)*w + int(cx)
		burn(i, excess*(0.8+0.4*rng.Float32()))
		tr.Hard[i] |= HardSmallFire
		return
	}
	paintDisc(w, h, cx, cy, 2.2*r, rng, func(i int, cover float32) {
		surf[i] = mix(surf[i], surfBurnScar, 0.8*cover)
	})
	paintDisc(w, h, cx, cy, r, rng, func(i int, cover float32) {
		if cover > 0.3 {
			burn(i, 0.5+2.5*rng.Float32())
		}
	})
	// Smoke drifts downwind and scatters blue light.
	ang := rng.Float64() * 2 * math.Pi
	for k := 1.0; k < 6*r; k++ {
		px, py := cx+k*math.Cos(ang), cy+k*math.Sin(ang)
		paintDisc(w, h, px, py, 1+k*0.3, rng, func(i int, cover float32) {
			a := 0.05 * cover
			surf[i][0] += a
			surf[i][1] += a * 0.6
			surf[i][2] += a * 0.3
		})
	}
}

// drawVessel draws a hull of length l pixels and its wake on the sea.
func drawVessel(tr *Truth, surf [][6]float32, add map[int][6]float32, rng *rand.Rand, w, h int, cx, cy, l, headingDeg float64, coast []float32) {
	width := max(0.8, l/5)
	hd := headingDeg * math.Pi / 180
	ux, uy := math.Sin(hd), -math.Cos(hd) // along the hull, towards the bow
	bright := 0.6 + 0.6*rng.Float32()
	ext := int(4*l) + 2
	x0, x1 := max(0, int(cx)-ext), min(w, int(cx)+ext+1)
	y0, y1 := max(0, int(cy)-ext), min(h, int(cy)+ext+1)
	nearCoast := false
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			var hull, wake float32
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					dx := float64(x) + (float64(sx)+0.5)/4 - cx
					dy := float64(y) + (float64(sy)+0.5)/4 - cy
					along := dx*ux + dy*uy
					across := math.Abs(-dx*uy + dy*ux)
					if math.Abs(along) <= l/2 && across <= width/2 {
						hull++
					} else if along < -l/2 && along > -3*l && across <= width/2+0.15*(-along-l/2) {
						wake += float32(1 + along/(3*l))
					}
				}
			}
			i := y*w + x
			hull /= 16
			wake /= 16
			if hull > 0 {
				surf[i] = mix(surf[i], scale(surfHull, bright), hull)
				tr.VesselCover[i] = max(tr.VesselCover[i], hull)
				if hull >= 0.5 {
					tr.Vessel[i] = true
					if coast[i] < 0.05 {
						nearCoast = true
					}
				}
			}
			if wake > 0 {
				a := add[i]
				for b := range a {
					a[b] += wake * 0.03 * foamShape[b] // wakes are faint at 30 m
				}
				add[i] = a
			}
		}
	}
	if nearCoast {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if tr.Vessel[y*w+x] {
					tr.Hard[y*w+x] |= HardVesselNearCoast
				}
			}
		}
	}
}

// paintDisc calls f for each pixel in an irregular disc with its coverage
// (1 inside, falling off over the last pixel).
func paintDisc(w, h int, cx, cy, r float64, rng *rand.Rand, f func(i int, cover float32)) {
	ph := rng.Float64() * 2 * math.Pi
	x0, x1 := max(0, int(cx-1.3*r)-1), min(w, int(cx+1.3*r)+2)
	y0, y1 := max(0, int(cy-1.3*r)-1), min(h, int(cy+1.3*r)+2)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			edge := r * (1 + 0.2*math.Sin(4*math.Atan2(dy, dx)+ph))
			c := float32(clamp01(float32(edge - math.Hypot(dx, dy) + 0.5)))
			if c > 0 {
				f(y*w+x, c)
			}
		}
	}
}

func mix(a, b [6]float32, t float32) [6]float32 {
	t = clamp01(t)
	var o [6]float32
	for i := range o {
		o[i] = a[i]*(1-t) + b[i]*t
	}
	return o
}

func scale(a [6]float32, f float32) [6]float32 {
	for i := range a {
		a[i] *= f
	}
	return a
}

func clamp01(v float32) float32 { return min(max(v, 0), 1) }
