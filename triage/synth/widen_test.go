package synth

import (
	"math"
	"testing"
)

// TestWidenedMix checks MixWide spans the GSDs and sensor variations it
// promises and that they act on the scene: the geo pixel size follows the
// GSD and the calibration gain scales reflectance.
func TestWidenedMix(t *testing.T) {
	const seed = 17
	t.Logf("seed %d", seed)
	lo, hi := math.Inf(1), 0.0
	var gainLo, gainHi, streaked, cumulus, stratus int
	for i := 0; i < 200; i++ {
		s := RandomSpec(MixWide, seed, i)
		lo, hi = min(lo, s.GSD), max(hi, s.GSD)
		if s.Gain < 0.95 {
			gainLo++
		}
		if s.Gain > 1.05 {
			gainHi++
		}
		if s.CirrusStreak > 1 {
			streaked++
		}
		switch {
		case s.CloudCellPx > 0 && s.CloudCellPx < 40:
			cumulus++
		case s.CloudCellPx >= 150:
			stratus++
		}
	}
	if lo > 12 || hi < 50 || lo < 10 || hi > 60 {
		t.Errorf("GSDs span %.1f–%.1f m, want about 10–60", lo, hi)
	}
	for name, n := range map[string]int{"gain < 0.95": gainLo, "gain > 1.05": gainHi, "streaked cirrus": streaked, "cumulus fields": cumulus, "stratus decks": stratus} {
		if n < 20 {
			t.Errorf("%d of 200 specs with %s", n, name)
		}
	}

	spec := Spec{Seed: 4, OceanFraction: 0.3, GSD: 60, Width: 128, Height: 128}
	s, _ := Generate(spec)
	if want := 0.00027 * 2; math.Abs(s.Geo.PixelSizeX-want) > 1e-12 {
		t.Errorf("pixel size %g° at 60 m, want %g°", s.Geo.PixelSizeX, want)
	}
	spec.NoiseScale = 1e-6
	a, _ := Generate(spec)
	spec.Gain = 1.1
	b, _ := Generate(spec)
	var sa, sb float64
	for i := range a.Data[3] {
		sa += float64(a.Data[3][i])
		sb += float64(b.Data[3][i])
	}
	if r := sb / sa; math.Abs(r-1.1) > 0.01 {
		t.Errorf("gain 1.1 scaled NIR by %.3f", r)
	}
}

// TestMixTrainNotWidened checks MixTrain draws none of MixWide's
// variations: the tile model's Go trainer draws MixTrain, and its default
// model must rebuild byte for byte.
func TestMixTrainNotWidened(t *testing.T) {
	for i := 0; i < 50; i++ {
		s := RandomSpec(MixTrain, 17, i)
		w := RandomSpec(MixWide, 17, i)
		if s.GSD != 0 || s.Gain != 0 || s.NoiseScale != 0 || s.CloudCellPx != 0 || s.Haze != 0 || s.Striping != 0 {
			t.Fatalf("MixTrain spec %d has widened fields: %+v", i, s)
		}
		if s.Seed != w.Seed || s.CloudCover != w.CloudCover || s.RandomVessels != w.RandomVessels {
			t.Fatalf("MixWide spec %d does not extend MixTrain's draw", i)
		}
	}
}
