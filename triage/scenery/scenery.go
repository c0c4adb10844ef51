package scenery

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

// Spec describes one scene. Zero values give a 512×512 cloud-free inland
// scene at 30 m in UTM zone 25 south.
type Spec struct {
	// Seed fixes every random choice: the same Spec gives the same scene.
	Seed        uint64
	SceneID     string
	Satellite   string
	CaptureTime time.Time
	// Width and Height in pixels (512 when zero); TileSize is the tile edge
	// the Truth labels (synth.DefaultTileSize when zero).
	Width, Height, TileSize int
	// GSD is the ground sample distance in metres (30 when zero): it sets
	// the UTM pixel size and the size in pixels of everything drawn.
	GSD float64
	// Sea is the fraction of the scene that is open sea; Harbour builds a
	// breakwater, quays and moored hulls on its coast.
	Sea     float64
	Harbour bool
	// Rivers and Lakes count meandering rivers (with floodplains) and lakes.
	Rivers, Lakes int
	// Town is the fraction of land that is built up.
	Town float64
	// Cloud covers (fractions of the scene under opacity ≥ 0.5 for the
	// low clouds, any opacity for cirrus): cumulus fields, broken
	// fair-weather cumulus (mostly over water), stratus decks, cirrus.
	Cumulus, FairWeather, Stratus, Cirrus float64
	// SoftEdges widens cloud edges (0 sharp .. 1 soft).
	SoftEdges float64
	// AOD is the aerosol optical depth at 0.55 µm: 0.05 clear .. 0.8 hazy.
	AOD float64
	// Sun elevation and azimuth (clockwise from north) in degrees.
	SunElevDeg, SunAzDeg float64
	// Glint 0..1 is sun glint on water; Wind 0..1 raises whitecaps.
	Glint, Wind float64
	// Fires, Floods and Vessels are how many events to draw;
	// VesselsNearCloud of the vessels are placed on clear water within a
	// few pixels of thick cloud.
	Fires, Floods, Vessels, VesselsNearCloud int
	// BurnScars counts old burn scars (fire look-alikes without fire).
	BurnScars int
	// Gain is the calibration gain (1 when zero; 0.9..1.1 in the random
	// mix), Striping the detector-to-detector gain spread, Noise the
	// sensor noise in reflectance units.
	Gain, Striping, Noise float64
}

// water kinds, per pixel.
const (
	land uint8 = iota
	sea
	river
	lake
)

// gen is one scene in the making.
type gen struct {
	sp     Spec
	rng    *rand.Rand
	w, h   int
	gsd    float64
	tr     *synth.Truth
	kind   []uint8    // water kind of the reference layer
	height []float32  // terrain height, metres above the nearest water
	surf   []spectrum // surface reflectance
	add    []spectrum // additive bright targets: wakes, whitecaps, glint
	emit   map[int]spectrum
	smoke  []float32
	town   []bool
	low    []float32 // low cloud (cumulus, stratus) opacity
	high   []float32 // cirrus opacity
	coastD []float32 // distance to the nearest land/water boundary, px
}

// px converts metres to pixels at the scene's GSD.
func (g *gen) px(m float64) float64 { return m / g.gsd }

// Generate draws the scene spec describes and its ground truth. It is a
// pure function of spec.
func Generate(spec Spec) (*scene.Scene, *synth.Truth) {
	w, h := spec.Width, spec.Height
	if w <= 0 {
		w = synth.DefaultSizePx
	}
	if h <= 0 {
		h = synth.DefaultSizePx
	}
	if spec.TileSize <= 0 {
		spec.TileSize = synth.DefaultTileSize
	}
	if spec.GSD <= 0 {
		spec.GSD = 30
	}
	if spec.SunElevDeg <= 0 {
		spec.SunElevDeg = 55
	}
	if spec.Gain <= 0 {
		spec.Gain = 1
	}
	if spec.AOD <= 0 {
		spec.AOD = 0.1
	}
	n := w * h
	g := &gen{
		sp: spec, rng: rand.New(rand.NewPCG(spec.Seed, 0x5ce4e7e1)), w: w, h: h, gsd: spec.GSD,
		kind: make([]uint8, n), height: make([]float32, n), surf: make([]spectrum, n), add: make([]spectrum, n),
		emit: map[int]spectrum{}, smoke: make([]float32, n), town: make([]bool, n),
		low: make([]float32, n), high: make([]float32, n),
		tr: &synth.Truth{
			Width: w, Height: h, TileSize: spec.TileSize,
			Cloud: make([]float32, n), Shadow: make([]float32, n), Water: make([]bool, n), RefWater: make([]bool, n),
			Fire: make([]bool, n), Vessel: make([]bool, n), VesselCover: make([]float32, n), Hard: make([]uint8, n),
		},
	}
	g.waterBodies()
	g.landCover()
	g.waterSurface()
	if spec.Harbour && spec.Sea > 0 {
		g.harbour()
	}
	g.clouds()
	g.burnScars()
	for k := 0; k < spec.Floods; k++ {
		g.flood()
	}
	for k := 0; k < spec.Fires; k++ {
		g.fire()
	}
	for k := 0; k < spec.Vessels; k++ {
		g.vessel(k < spec.VesselsNearCloud)
	}
	g.seaSurface()
	data := g.compose()
	s := &scene.Scene{
		ID: spec.SceneID, Satellite: spec.Satellite, CaptureTime: spec.CaptureTime,
		Width: w, Height: h, Bands: append([]string(nil), scene.DefaultBands...), Data: data,
		Geo: scene.Geo{EPSG: 32725, OriginX: 200000 + float64(spec.Seed%1000)*100, OriginY: 9200000 - float64(spec.Seed/1000%1000)*100, PixelSizeX: spec.GSD, PixelSizeY: spec.GSD},
	}
	g.tr.LabelTiles()
	return s, g.tr
}

// compose renders top-of-atmosphere reflectance as the sensor records it.
func (g *gen) compose() [][]float32 {
	n := g.w * g.h
	tr := g.tr
	atm := newAtmosphere(g.sp.AOD, g.sp.SunElevDeg)
	// Shadows: each cloud layer cast from its height away from the sun.
	az := g.sp.SunAzDeg * math.Pi / 180
	tanE := math.Tan(g.sp.SunElevDeg * math.Pi / 180)
	offset := func(heightM float64) (int, int) {
		d := g.px(heightM) / tanE
		return int(math.Round(-math.Sin(az) * d)), int(math.Round(math.Cos(az) * d))
	}
	lx, ly := offset(800 + 1400*g.rng.Float64())
	hx, hy := offset(8000 + 3000*g.rng.Float64())
	at := func(f []float32, x, y int) float32 {
		if x < 0 || y < 0 || x >= g.w || y >= g.h {
			return 0
		}
		return f[y*g.w+x]
	}
	tex := make([]float32, n)
	waves(g.rng, g.w, g.h, 16, 3, g.px(3000), 0.6, 0, 1, tex)
	diffuse := float32(0.2 + 0.3*min(g.sp.AOD, 1)) // share of skylight that shadows keep
	for i := range n {
		x, y := i%g.w, i/g.w
		a := 1 - (1-g.low[i])*(1-g.high[i])
		tr.Cloud[i] = a
		tr.Shadow[i] = 1 - (1-at(g.low, x-lx, y-ly))*(1-at(g.high, x-hx, y-hy))
		if tr.Water[i] && a > 0.05 && a < 0.5 {
			tr.Hard[i] |= synth.HardThinCloudWater
		}
	}
	gain := [6]float32{}
	for b := range gain {
		gain[b] = float32(g.sp.Gain * (1 + 0.04*(g.rng.Float64()-0.5)))
	}
	stripes := make([][]float32, 6)
	for b := range stripes {
		stripes[b] = make([]float32, g.w)
		for x := range stripes[b] {
			stripes[b][x] = 1 + float32(g.sp.Striping*g.rng.NormFloat64())
		}
	}
	data := make([][]float32, 6)
	for b := range data {
		data[b] = make([]float32, n)
	}
	const full = 1.6 // reflectance at the top of the 12-bit range
	for i := range n {
		x := i % g.w
		illum := 1 - (1-diffuse)*tr.Shadow[i]
		aL, aH, sm := g.low[i], g.high[i], g.smoke[i]
		e, hot := g.emit[i]
		t := 1 + 0.15*tex[i]
		for b := range 6 {
			ground := g.surf[i][b]*illum + g.add[i][b]
			ground = ground*(1-sm) + sm*specSmoke[b]
			v := ground*(1-aL) + aL*specWaterCloud[b]*t
			v = v*(1-aH) + aH*specIceCloud[b]
			if hot {
				v += e[b] * (1 - aL) * (1 - aH) * (1 - 0.5*sm)
			}
			v = atm.path[b] + atm.trans[b]*v
			v = v*gain[b]*stripes[b][x] + float32(g.sp.Noise*g.rng.NormFloat64())
			v = float32(math.Round(float64(min(max(v, 0), full)/full*4095))) * full / 4095
			data[b][i] = v
		}
	}
	return data
}
