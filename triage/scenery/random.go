package scenery

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

// RandomSpec returns scene i of the random mix drawn from seed: coasts,
// harbours, rivers, lakes and inland scenes at 10–60 m, clear to overcast
// (cumulus fields, broken cumulus at sea, stratus decks, cirrus, haze),
// with fires, floods and vessels (some beside clouds). Different (seed, i)
// give independent scenes; training and evaluation use disjoint seeds.
func RandomSpec(seed uint64, i int) Spec {
	rng := rand.New(rand.NewPCG(seed^0x73636e657279, uint64(i)))
	u := rng.Float64
	s := Spec{
		Seed:        rng.Uint64(),
		SceneID:     fmt.Sprintf("scenery-%d-%d", seed, i),
		Satellite:   "SKY-2",
		CaptureTime: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(300*24*3600)) * time.Second),
		GSD:         10 * math.Pow(6, u()),
		Town:        0.12 * u() * u(),
		SunElevDeg:  25 + 50*u(),
		SunAzDeg:    360 * u(),
		AOD:         0.04 + 0.6*u()*u(),
		SoftEdges:   u(),
		Gain:        0.9 + 0.2*u(),
		Striping:    0.01 * u() * u(),
		Noise:       0.002 + 0.008*u(),
		BurnScars:   rng.IntN(3),
		Fires:       rng.IntN(6),
	}
	if u() < 0.55 {
		s.Sea = 0.15 + 0.55*u()
		s.Harbour = u() < 0.35
		s.Glint = u() * u()
		s.Wind = u()
	}
	if u() < 0.6 {
		s.Rivers = 1 + rng.IntN(2)
	}
	if u() < 0.35 {
		s.Lakes = 1 + rng.IntN(3)
	}
	if s.Rivers > 0 || s.Sea > 0 || s.Lakes > 0 {
		s.Floods = rng.IntN(4)
		s.Vessels = rng.IntN(12)
		s.VesselsNearCloud = rng.IntN(s.Vessels/2 + 1)
	}
	switch c := u(); {
	case c < 0.25: // clear
	case c < 0.5:
		s.Cumulus = 0.05 + 0.45*u()
	case c < 0.7:
		s.FairWeather = 0.03 + 0.2*u()
	case c < 0.85:
		s.Stratus = 0.2 + 0.75*u()
	default:
		s.Cumulus = 0.1 + 0.3*u()
		s.Stratus = 0.1 + 0.3*u()
	}
	if u() < 0.35 {
		s.Cirrus = 0.1 + 0.5*u()
	}
	return s
}

// Random draws scene i of the random mix from seed.
func Random(seed uint64, i int) (*scene.Scene, *synth.Truth) {
	return Generate(RandomSpec(seed, i))
}
