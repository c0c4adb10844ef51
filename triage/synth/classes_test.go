package synth

import (
	"testing"
)

// TestPixelClassPrecedence checks the contract's precedence one pixel at a time.
func TestPixelClassPrecedence(t *testing.T) {
	cases := []struct {
		name   string
		cloud  float32
		shadow float32
		water  bool
		fire   bool
		hull   float32
		want   uint8
	}{
		{"plain land", 0, 0, false, false, 0, ClassOther},
		{"sea", 0, 0, true, false, 0, ClassWater},
		{"faint haze over sea", 0.09, 0, true, false, 0, ClassWater},
		{"thin cloud over sea", 0.1, 0, true, false, 0, ClassCloudThin},
		{"thick cloud", 0.5, 0, true, false, 0, ClassCloudThick},
		{"fire under thin cloud", 0.4, 0, false, true, 0, ClassFire},
		{"fire under thick cloud", 0.6, 0, false, true, 0, ClassCloudThick},
		{"hull under thin cloud", 0.3, 0, true, false, 0.5, ClassHull},
		{"hull sliver", 0, 0, true, false, 0.49, ClassWater},
		{"fire and hull", 0, 0, true, true, 1, ClassFire},
		{"shadow on sea", 0, 0.5, true, false, 0, ClassShadow},
		{"faint shadow on sea", 0, 0.49, true, false, 0, ClassWater},
		{"shadow under thin cloud", 0.2, 0.9, false, false, 0, ClassCloudThin},
		{"hull in shadow", 0, 0.9, true, false, 1, ClassHull},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := &Truth{Width: 1, Height: 1, Cloud: []float32{c.cloud}, Shadow: []float32{c.shadow},
				Water: []bool{c.water}, Fire: []bool{c.fire}, VesselCover: []float32{c.hull}}
			if got := tr.PixelClasses()[0]; got != c.want {
				t.Fatalf("class %s, want %s", ClassNames[got], ClassNames[c.want])
			}
		})
	}
	if len(ClassNames) != int(NumClasses) {
		t.Fatalf("%d class names for %d classes", len(ClassNames), NumClasses)
	}
}

// TestShadowsDarken checks the Shadow layer marks where the scene is darker:
// cloud-free land pixels labelled shadow are dimmer in NIR than the other
// cloud-free land pixels.
func TestShadowsDarken(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		spec := RandomSpec(MixWide, seed, 0)
		spec.CloudCover = 0.3
		s, tr := Generate(spec)
		cls := tr.PixelClasses()
		var sumS, sumO float64
		var nS, nO int
		for i, c := range cls {
			switch c {
			case ClassShadow:
				if !tr.Water[i] {
					sumS += float64(s.Data[3][i])
					nS++
				}
			case ClassOther:
				sumO += float64(s.Data[3][i])
				nO++
			}
		}
		if nS < 100 || nO < 100 {
			t.Fatalf("seed %d: %d shadow and %d other land pixels", seed, nS, nO)
		}
		if ms, mo := sumS/float64(nS), sumO/float64(nO); ms > 0.8*mo {
			t.Fatalf("seed %d: shadow NIR %.3f not darker than open land %.3f", seed, ms, mo)
		}
	}
}
