package triage

import (
	"testing"

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

func TestFireCheck(t *testing.T) {
	soil := [6]float32{0.15, 0.2, 0.26, 0.32, 0.4, 0.34}
	for _, c := range []struct {
		name string
		px   [6]float32
		hot  bool
	}{
		{"plain soil", soil, false},
		{"bright roof", [6]float32{0.3, 0.32, 0.33, 0.4, 0.79, 0.75}, false},
		{"Olinda's warm spot", [6]float32{0.326, 0.291, 0.249, 0.221, 0.476, 0.639}, false},
		{"dark water", [6]float32{0.09, 0.06, 0.03, 0.01, 0.01, 0.015}, false},
		{"small fire on soil", [6]float32{0.15, 0.2, 0.26, 0.32, 0.46, 0.84}, true},
		{"saturated fire", [6]float32{0.15, 0.2, 0.26, 0.35, 0.9, 1.6}, true},
	} {
		s := flatScene(soil)
		setPixel(s, 7, 9, c.px)
		if got := hotPixel(s, 0, 0, 16); got != c.hot {
			t.Errorf("%s: hotPixel = %v", c.name, got)
		}
	}
}

func TestVesselCheck(t *testing.T) {
	sea := [6]float32{0.09, 0.065, 0.035, 0.012, 0.004, 0.002}
	forest := [6]float32{0.08, 0.085, 0.05, 0.36, 0.16, 0.07}
	hull := [6]float32{0.3, 0.3, 0.3, 0.25, 0.2, 0.15}
	for _, c := range []struct {
		name       string
		background [6]float32
		px         [6]float32
		target     bool
	}{
		{"open sea", sea, sea, false},
		{"hull at sea", sea, hull, true},
		{"faint wake", sea, [6]float32{0.12, 0.095, 0.065, 0.03, 0.01, 0.006}, false},
		{"roof in a forest", forest, hull, false},
		{"hull near the coast", sea, hull, true},
		{"roof on the shore", forest, hull, false},
		{"sand bar at sea", sea, [6]float32{0.28, 0.33, 0.38, 0.43, 0.48, 0.38}, false},
		{"bright hull in hazy soil", [6]float32{0.49, 0.37, 0.32, 0.29, 0.38, 0.34}, [6]float32{0.5, 0.5, 0.5, 0.48, 0.37, 0.27}, false},
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
		}
		setPixel(s, 8, 8, c.px)
		if got := brightTarget(s, 0, 0, 16); got != c.target {
			t.Errorf("%s: brightTarget = %v", c.name, got)
		}
	}
}
