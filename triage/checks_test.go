package triage

import (
	"testing"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/triage/scene"
)

// flatScene is a 16×16 scene of one spectrum everywhere.
func flatScene(spec [6]float32) *scene.Scene {
	s := &scene.Scene{Width: 16, Height: 16, Bands: append([]string(nil), scene.DefaultBands...)}
	for b := range spec {
		p := make([]float32, 16*16)
		for i := range p {
			p[i] = spec[b]
		}
		s.Data = append(s.Data, p)
	}
	return s
}

func setPixel(s *scene.Scene, x, y int, spec [6]float32) {
	for b := range spec {
		s.Data[b][y*s.Width+x] = spec[b]
	}
}

func getPixel(s *scene.Scene, x, y int) [6]float32 {
	var spec [6]float32
	for b := range spec {
		spec[b] = s.Data[b][y*s.Width+x]
	}
	return spec
}

func TestFireCheck(t *testing.T) {
	soil := [6]float32{0.15, 0.2, 0.26, 0.32, 0.4, 0.34}
	for _, c := range []struct {
		name string
		px   [6]float32
		want fireLevel
	}{
		{"plain soil", soil, fireNone},
		{"bright roof", [6]float32{0.3, 0.32, 0.33, 0.4, 0.79, 0.75}, fireNone},
		{"Olinda's warm spot", [6]float32{0.326, 0.291, 0.249, 0.221, 0.476, 0.639}, fireCandidate},
		{"dark water", [6]float32{0.09, 0.06, 0.03, 0.01, 0.01, 0.015}, fireNone},
		{"warm, dim in SWIR-2", [6]float32{0.15, 0.2, 0.26, 0.32, 0.2, 0.29}, fireNone},
		{"small fire under thin cloud", [6]float32{0.3, 0.32, 0.34, 0.4, 0.33, 0.44}, fireCandidate},
		{"small fire on soil", [6]float32{0.15, 0.2, 0.26, 0.32, 0.46, 0.84}, fireHot},
		{"saturated fire", [6]float32{0.15, 0.2, 0.26, 0.35, 0.9, 1.6}, fireHot},
	} {
		s := flatScene(soil)
		setPixel(s, 7, 9, c.px)
		got, ok := firePixel(s, 0, 0, 16)
		if !ok {
			t.Fatalf("%s: firePixel says the scene lacks its bands", c.name)
		}
		if got != c.want {
			t.Errorf("%s: firePixel = %v, want %v", c.name, got, c.want)
		}
	}
}

// decidingTriage is a Triage with the default model's classes and
// 16-pixel tiles, enough to call decide on hand-made scores.
func decidingTriage() (*Triage, []string) {
	classes := []string{ClassBackground, ClassCloud, ClassWater, ClassFire, ClassVessel}
	tr := &Triage{cfg: DefaultConfig(), model: &Model{Contract: Contract{TileSize: 16, Classes: classes}}, iProbs: map[string]int{}}
	for i, c := range classes {
		tr.iProbs[c] = i
	}
	return tr, classes
}

// TestFireTrust: a fire candidate (a pixel passing only the relaxed tests)
// is a fire when the model is sure, unconfirmed when it is not; a hot
// pixel is a fire whatever the model says; no warm pixel, no fire.
func TestFireTrust(t *testing.T) {
	tr, classes := decidingTriage()
	soil := [6]float32{0.15, 0.2, 0.26, 0.32, 0.4, 0.34}
	candidate := [6]float32{0.3, 0.32, 0.34, 0.4, 0.33, 0.44}
	hot := [6]float32{0.15, 0.2, 0.26, 0.32, 0.46, 0.84}
	for _, c := range []struct {
		name string
		px   [6]float32
		pf   float32
		want string
	}{
		{"candidate, sure", candidate, FireTrustProb + 0.05, record.ClassFire},
		{"candidate, unsure", candidate, FireTrustProb - 0.05, ReasonFireUnconfirmed},
		{"hot, model says no", hot, 0.01, record.ClassFire},
		{"nothing warm, sure", soil, 0.99, ReasonFireUnconfirmed},
	} {
		s := flatScene(soil)
		setPixel(s, 7, 9, c.px)
		probs := make([]float32, len(classes))
		probs[tr.iProbs[ClassFire]] = c.pf
		probs[tr.iProbs[ClassBackground]] = 1 - c.pf
		res := TileResult{Probs: probs, RefWaterFraction: -1}
		tr.decide(s, nil, &res)
		if res.Decision != c.want {
			t.Errorf("%s: decision %q, want %q", c.name, res.Decision, c.want)
		}
	}
}

func TestVesselCheck(t *testing.T) {
	sea := [6]float32{0.09, 0.065, 0.035, 0.012, 0.004, 0.002}
	forest := [6]float32{0.08, 0.085, 0.05, 0.36, 0.16, 0.07}
	hull := [6]float32{0.3, 0.3, 0.3, 0.25, 0.2, 0.15}
	// cloudOver is spec seen through cloud of opacity a.
	cloudOver := func(spec [6]float32, a float32) [6]float32 {
		cloud := [6]float32{0.64, 0.64, 0.63, 0.61, 0.42, 0.26}
		for b := range spec {
			spec[b] = spec[b]*(1-a) + cloud[b]*a
		}
		return spec
	}
	for _, c := range []struct {
		name       string
		background [6]float32
		px         [6]float32
		// confirm and detect: does the check find a target when the
		// model says vessel, and when the model says water.
		confirm, detect bool
	}{
		{"open sea", sea, sea, false, false},
		{"hull at sea", sea, hull, true, true},
		{"hull under thin cloud", cloudOver(sea, 0.3), cloudOver(hull, 0.3), true, true},
		{"faint wake", sea, [6]float32{0.12, 0.095, 0.065, 0.03, 0.01, 0.006}, false, false},
		{"roof in a forest", forest, hull, false, false},
		{"hull near the coast", sea, hull, true, true},
		{"roof on the shore", forest, hull, false, false},
		{"sand bar at sea", sea, [6]float32{0.28, 0.33, 0.38, 0.43, 0.48, 0.38}, false, false},
		{"roof-bright islet", sea, [6]float32{0.35, 0.36, 0.38, 0.40, 0.40, 0.30}, false, false},
		{"bright hull in hazy soil", [6]float32{0.49, 0.37, 0.32, 0.29, 0.38, 0.34}, [6]float32{0.5, 0.5, 0.5, 0.48, 0.37, 0.27}, false, false},
		{"vegetated spit", sea, [6]float32{0.06, 0.08, 0.05, 0.30, 0.15, 0.07}, true, false},
		{"whitecap", sea, [6]float32{0.30, 0.28, 0.25, 0.12, 0.05, 0.03}, false, false},
		{"surf on a reef (Olinda)", [6]float32{0.09, 0.08, 0.10, 0.03, 0.01, 0.005}, [6]float32{0.277, 0.287, 0.264, 0.171, 0.072, 0.029}, false, false},
		{"cloud puff", sea, sea, false, false},
		{"cloud edge", sea, sea, false, false},
		{"hull by a cloud puff", sea, hull, true, true},
		{"hull under a haze gradient", sea, hull, true, true},
		{"hull against a vegetated shore", sea, hull, true, true},
	} {
		s := flatScene(c.background)
		switch c.name {
		case "hull near the coast":
			// Land from column 11: a quarter of the hull's ring.
			for y := 0; y < 16; y++ {
				for x := 11; x < 16; x++ {
					setPixel(s, x, y, forest)
				}
			}
		case "roof on the shore":
			// Sea up to column 5: a quarter of the roof's ring.
			for y := 0; y < 16; y++ {
				for x := 0; x <= 5; x++ {
					setPixel(s, x, y, sea)
				}
			}
		case "cloud puff", "hull by a cloud puff":
			// A cloud five pixels across, opacity falling off from 0.6.
			for y := 0; y < 16; y++ {
				for x := 0; x < 16; x++ {
					r2 := float32((x-8)*(x-8) + (y-8)*(y-8))
					setPixel(s, x, y, cloudOver(getPixel(s, x, y), 0.6/(1+r2/4)))
				}
			}
		case "hull under a haze gradient":
			// Haze thickening by 0.05 opacity a column: the ring's water
			// spreads far more than the sea's noise, but about a plane.
			for y := 0; y < 16; y++ {
				for x := 0; x < 16; x++ {
					setPixel(s, x, y, cloudOver(sea, 0.05*float32(x)))
				}
			}
		case "hull against a vegetated shore":
			// Forest from column 9: three of the hull's neighbours are
			// brighter in NIR than the hull.
			for y := 0; y < 16; y++ {
				for x := 9; x < 16; x++ {
					setPixel(s, x, y, forest)
				}
			}
		case "cloud edge":
			// Opaque cloud from column 9, a soft edge over two pixels.
			for y := 0; y < 16; y++ {
				for x := 7; x < 16; x++ {
					setPixel(s, x, y, cloudOver(sea, min(1, float32(x-6)/3)))
				}
			}
		}
		if c.px != c.background {
			switch c.name {
			case "hull under a haze gradient":
				setPixel(s, 8, 8, cloudOver(c.px, 0.05*8))
			case "hull by a cloud puff":
				setPixel(s, 9, 8, cloudOver(c.px, 0.6/1.25))
			default:
				setPixel(s, 8, 8, c.px)
			}
		}
		for _, detect := range []bool{false, true} {
			want := c.confirm
			if detect {
				want = c.detect
			}
			got, ok := vesselTarget(s, 0, 0, 16, detect, nil, 0)
			if !ok {
				t.Fatalf("%s: vesselTarget says the scene lacks its bands", c.name)
			}
			if (got.Contrast > 0) != want {
				t.Errorf("%s: vesselTarget(detect=%v) = %+v, want a target: %v", c.name, detect, got, want)
			}
			if got.Contrast > 0 && (got.X != 8 || got.Y != 8) && c.name != "hull by a cloud puff" {
				t.Errorf("%s: target at (%d, %d), want (8, 8)", c.name, got.X, got.Y)
			}
		}
	}
}

func TestChecksWithoutBands(t *testing.T) {
	s := flatScene([6]float32{0.09, 0.065, 0.035, 0.012, 0.004, 0.002})
	s.Bands[2], s.Bands[5] = "coastal", "thermal"
	if _, ok := vesselTarget(s, 0, 0, 16, false, nil, 0); ok {
		t.Error("vesselTarget on a scene without red: ok")
	}
	if _, ok := firePixel(s, 0, 0, 16); ok {
		t.Error("firePixel on a scene without SWIR-2: ok")
	}
	if f := waterLikeFraction(s, 0, 0, 16); f != 0 {
		t.Errorf("waterLikeFraction on a scene without red = %v", f)
	}
}

func TestWaterLikeFraction(t *testing.T) {
	sea := [6]float32{0.09, 0.065, 0.035, 0.012, 0.004, 0.002}
	forest := [6]float32{0.08, 0.085, 0.05, 0.36, 0.16, 0.07}
	s := flatScene(forest)
	for y := 0; y < 16; y++ {
		for x := 0; x < 4; x++ {
			setPixel(s, x, y, sea)
		}
	}
	if f := waterLikeFraction(s, 0, 0, 16); f != 0.25 {
		t.Errorf("a quarter sea: waterLikeFraction = %v", f)
	}
}

// TestVesselCheckAtSceneEdge: a hull on the scene's first column is found
// (the ring and neighbours off the edge are left out); a bright pixel in a
// corner, with too little of its ring on the scene, is not.
func TestVesselCheckAtSceneEdge(t *testing.T) {
	sea := [6]float32{0.09, 0.065, 0.035, 0.012, 0.004, 0.002}
	hull := [6]float32{0.3, 0.3, 0.3, 0.25, 0.2, 0.15}
	s := flatScene(sea)
	setPixel(s, 0, 8, hull)
	for _, detect := range []bool{false, true} {
		if got, _ := vesselTarget(s, 0, 0, 16, detect, nil, 0); got.Contrast == 0 || got.X != 0 || got.Y != 8 {
			t.Errorf("hull at the edge, detect=%v: %+v", detect, got)
		}
	}
	s = flatScene(sea)
	setPixel(s, 0, 0, hull)
	if got, _ := vesselTarget(s, 0, 0, 16, false, nil, 0); got.Contrast != 0 {
		t.Errorf("hull in the corner: %+v", got)
	}
}

// halfWaterScene is a 16×16 scene of open sea, georeferenced off Olinda,
// and a reference water layer calling its left half (columns 0–7) water
// and its right half land.
func halfWaterScene(t *testing.T) (*scene.Scene, WaterLayer) {
	t.Helper()
	s := flatScene([6]float32{0.09, 0.065, 0.035, 0.012, 0.004, 0.002})
	s.Geo = scene.Geo{EPSG: scene.EPSGWGS84, OriginX: -35.2, OriginY: -7.9, PixelSizeX: 0.00027, PixelSizeY: 0.00027}
	mask := make([]bool, 16*16)
	for y := 0; y < 16; y++ {
		for x := 0; x < 8; x++ {
			mask[y*16+x] = true
		}
	}
	layer, err := NewRasterWater(s.Geo, 16, 16, mask)
	if err != nil {
		t.Fatal(err)
	}
	return s, layer
}

// TestOnWater: a target counts on reference water when its pixel, or with
// a margin a pixel next to it, is water in the layer; without a layer it
// always does.
func TestOnWater(t *testing.T) {
	s, layer := halfWaterScene(t)
	for _, c := range []struct {
		x, margin int
		want      bool
	}{{7, 0, true}, {8, 0, false}, {8, 1, true}, {9, 1, false}, {15, 1, false}} {
		if got := onWater(s, layer, vesselHit{Contrast: 0.1, X: c.x, Y: 8}, c.margin); got != c.want {
			t.Errorf("target at x=%d, margin %d: onWater = %v, want %v", c.x, c.margin, got, c.want)
		}
	}
	if !onWater(s, nil, vesselHit{X: 15, Y: 8}, 0) {
		t.Error("no layer: onWater = false")
	}
}

// TestVesselTargetOnWater: with a water layer, the strongest target on
// reference water is returned, not a brighter one on land that would
// hide it (a flooded field's bright roof next to a hull in the harbour).
func TestVesselTargetOnWater(t *testing.T) {
	hull := [6]float32{0.3, 0.3, 0.3, 0.25, 0.2, 0.15}
	// The right half is land flooded on the day: both halves look like sea.
	s, layer := halfWaterScene(t)
	setPixel(s, 4, 8, hull)
	bright := hull
	for b := range bright {
		bright[b] *= 1.5
	}
	setPixel(s, 12, 8, bright)
	for _, detect := range []bool{false, true} {
		if got, _ := vesselTarget(s, 0, 0, 16, detect, nil, 0); got.X != 12 || got.Y != 8 {
			t.Errorf("detect=%v, no layer: target %+v, want the brighter one at (12, 8)", detect, got)
		}
		if got, _ := vesselTarget(s, 0, 0, 16, detect, layer, 0); got.Contrast == 0 || got.X != 4 || got.Y != 8 {
			t.Errorf("detect=%v, with the layer: target %+v, want the hull at (4, 8)", detect, got)
		}
	}
}

// TestVesselTrust: a tile the model is sure holds a vessel is kept without
// a target passing the vessel check only where it touches reference water
// (a hull under thin cloud is dimmer than the cloud around it); below
// VesselTrustProb, on land, or with no layer to tell, the check rules.
func TestVesselTrust(t *testing.T) {
	tr, classes := decidingTriage()
	s, layer := halfWaterScene(t) // open sea on the left, no target anywhere
	dry, err := NewRasterWater(s.Geo, 16, 16, make([]bool, 16*16))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		pv    float32
		water WaterLayer
		want  string
	}{
		{"sure, touching water", VesselTrustProb + 0.05, layer, record.ClassVessel},
		{"unsure, touching water", VesselTrustProb - 0.01, layer, ReasonVesselUnconfirmed},
		{"sure, on dry land", VesselTrustProb + 0.05, dry, ReasonVesselUnconfirmed},
		{"sure, no layer", VesselTrustProb + 0.05, nil, ReasonVesselUnconfirmed},
	} {
		probs := make([]float32, len(classes))
		probs[tr.iProbs[ClassVessel]] = c.pv
		probs[tr.iProbs[ClassBackground]] = 1 - c.pv
		res := TileResult{Probs: probs, RefWaterFraction: -1}
		tr.decide(s, c.water, &res)
		if res.Decision != c.want {
			t.Errorf("%s: decision %q, want %q", c.name, res.Decision, c.want)
		}
	}
}
