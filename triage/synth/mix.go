package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Mix is a distribution of random scenes.
type Mix int

const (
	// MixEval is the held-out evaluation mix: about 3% actionable tiles,
	// much cloud, and the hard cases (small fires, thin cloud over water,
	// sun glint, vessels near the coast, burn scars).
	MixEval Mix = iota
	// MixTrain is dense with events and hard cases, for training the tile
	// model (triage/train's Go trainer draws exactly these scenes, so the
	// default model rebuilds byte for byte).
	MixTrain
	// MixWide is MixTrain made wider, for the per-pixel model: GSDs of
	// 10–60 m, cumulus fields and stratus decks with sharp or soft edges,
	// streaked cirrus, haze, whitecaps, clear and turbid water, wet soil,
	// calibration gain within ±10%, more or less sensor noise, detector
	// striping.
	MixWide
)

// RandomSpec returns scene number i of the mix drawn from seed. Different
// (seed, i) pairs give independent scenes; the eval and the trainer use
// disjoint seeds.
func RandomSpec(m Mix, seed uint64, i int) Spec {
	rng := rand.New(rand.NewPCG(seed, uint64(i)*0x9e3779b97f4a7c15+1))
	s := Spec{
		Seed:         rng.Uint64(),
		SceneID:      fmt.Sprintf("synth-%d-%d-%d", m, seed, i),
		Satellite:    "SKY-1",
		CaptureTime:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(365*24*3600)) * time.Second),
		LakeFraction: 0.02 * rng.Float64(),
	}
	if rng.Float64() < 0.6 {
		s.OceanFraction = 0.1 + 0.6*rng.Float64()
	}
	if rng.Float64() < 0.4 {
		s.Glint = rng.Float64()
	}
	if rng.Float64() < 0.5 {
		s.ThinCloud = 0.1 + 0.3*rng.Float64()
	}
	s.BurnScars = rng.IntN(3)
	switch m {
	case MixTrain, MixWide:
		s.CloudCover = 0.6 * rng.Float64()
		s.RandomFires = 3 + rng.IntN(8)
		s.RandomFloods = rng.IntN(3)
		if s.OceanFraction > 0 {
			s.RandomVessels = 4 + rng.IntN(10)
		}
		s.BurnScars += rng.IntN(3)
		if m == MixWide {
			widen(rng, &s)
		}
	default:
		s.CloudCover = 0.9 * rng.Float64()
		s.RandomFires = rng.IntN(13)
		if rng.Float64() < 0.5 {
			s.RandomFloods = 1 + rng.IntN(2)
		}
		if s.OceanFraction > 0 {
			s.RandomVessels = rng.IntN(16)
		}
	}
	return s
}

// widen draws the MixTrain-only variations of a spec.
func widen(rng *rand.Rand, s *Spec) {
	u := rng.Float64
	s.GSD = 10 * math.Pow(6, u())
	switch c := u(); {
	case c < 0.3:
		s.CloudCellPx = 10 + 20*u() // cumulus field
	case c < 0.5:
		s.CloudCellPx = 150 + 100*u() // stratus deck
	}
	s.CloudEdge = 0.02 + 0.38*u()*u()
	if u() < 0.5 {
		s.CirrusStreak = 3 + 6*u()
	}
	if u() < 0.4 {
		s.Haze = 0.7 * u()
	}
	if s.OceanFraction > 0 && u() < 0.5 {
		s.Whitecaps = 0.003 * u()
	}
	s.Turbidity = u() * u()
	if u() < 0.4 {
		s.WetSoil = 0.05 + 0.2*u()
	}
	s.Gain = 0.9 + 0.2*u()
	s.NoiseScale = 0.5 + 2*u()
	if u() < 0.3 {
		s.Striping = 0.01 * u()
	}
}
