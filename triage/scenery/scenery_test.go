package scenery

import (
	"math"
	"slices"
	"testing"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/triage/synth"
)

func TestGenerateDeterministic(t *testing.T) {
	const seed = 11
	t.Logf("seed %d", seed)
	a, ta := Random(seed, 3)
	b, tb := Random(seed, 3)
	for k := range a.Data {
		if !slices.Equal(a.Data[k], b.Data[k]) {
			t.Fatalf("band %d differs between two draws of scene (%d, 3)", k, seed)
		}
	}
	if !slices.Equal(ta.PixelClasses(), tb.PixelClasses()) || !slices.Equal(ta.Tiles, tb.Tiles) || !slices.Equal(ta.Events, tb.Events) {
		t.Fatal("truth differs between two draws of the same scene")
	}
	c, _ := Random(seed, 4)
	if slices.Equal(a.Data[0], c.Data[0]) {
		t.Fatal("scenes 3 and 4 are the same")
	}
}

// TestTruthConsistent checks every layer of random scenes against the others
// and against the pixels.
func TestTruthConsistent(t *testing.T) {
	const seed = 21
	t.Logf("seed %d", seed)
	classes := map[string]int{}
	for i := 0; i < 10; i++ {
		sp := RandomSpec(seed, i)
		s, tr := Generate(sp)
		n := tr.Width * tr.Height
		if s.Width != tr.Width || s.Height != tr.Height || len(s.Data) != 6 || len(s.Data[0]) != n {
			t.Fatalf("scene %d: %d×%d with %d bands, truth %d×%d", i, s.Width, s.Height, len(s.Data), tr.Width, tr.Height)
		}
		if s.Geo.PixelSizeX != sp.GSD || sp.GSD < 10 || sp.GSD > 60 {
			t.Fatalf("scene %d: pixel size %g m for GSD %g", i, s.Geo.PixelSizeX, sp.GSD)
		}
		for p := 0; p < n; p++ {
			switch {
			case tr.RefWater[p] && !tr.Water[p]:
				t.Fatalf("scene %d pixel %d: reference water that is not water", i, p)
			case tr.Fire[p] && tr.Water[p]:
				t.Fatalf("scene %d pixel %d: fire on water", i, p)
			case tr.Vessel[p] != (tr.VesselCover[p] >= 0.5):
				t.Fatalf("scene %d pixel %d: vessel %v with cover %g", i, p, tr.Vessel[p], tr.VesselCover[p])
			case tr.Cloud[p] < 0 || tr.Cloud[p] > 1 || tr.Shadow[p] < 0 || tr.Shadow[p] > 1:
				t.Fatalf("scene %d pixel %d: cloud %g shadow %g", i, p, tr.Cloud[p], tr.Shadow[p])
			}
			for b := range s.Data {
				if v := s.Data[b][p]; !(v >= 0 && v <= 1.6) {
					t.Fatalf("scene %d pixel %d band %d: reflectance %g", i, p, b, v)
				}
			}
		}
		if len(tr.Tiles) != tr.Cols*tr.Rows || tr.Cols != tr.Width/tr.TileSize {
			t.Fatalf("scene %d: %d tiles for %d×%d", i, len(tr.Tiles), tr.Cols, tr.Rows)
		}
		for _, e := range tr.Events {
			if e.Col < 0 || e.Row < 0 || e.Col >= float64(tr.Width) || e.Row >= float64(tr.Height) {
				t.Fatalf("scene %d: event %+v outside the scene", i, e)
			}
			classes[e.Class]++
		}
	}
	for _, c := range []string{record.ClassFire, record.ClassFlood, record.ClassVessel} {
		if classes[c] == 0 {
			t.Errorf("no %s event in 10 scenes", c)
		}
	}
}

// TestFloodsAlongBanks draws floods in a river scene and checks their size
// (300–2,000 pixels, or cut short by the scene) and that they touch
// permanent water.
func TestFloodsAlongBanks(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Logf("seed %d", seed)
		_, tr := Generate(Spec{Seed: seed, Rivers: 1, Floods: 1, GSD: 30})
		var flood, touching int
		w := tr.Width
		for p := range tr.Water {
			if !tr.Water[p] || tr.RefWater[p] {
				continue
			}
			flood++
			for _, q := range []int{p - 1, p + 1, p - w, p + w} {
				if q >= 0 && q < len(tr.RefWater) && tr.RefWater[q] {
					touching++
					break
				}
			}
		}
		if len(tr.Events) != 1 {
			t.Fatalf("seed %d: %d events, want one flood", seed, len(tr.Events))
		}
		if flood < 150 || flood > 2000 {
			t.Fatalf("seed %d: flood of %d pixels", seed, flood)
		}
		if touching == 0 {
			t.Fatalf("seed %d: flood does not touch the river", seed)
		}
		if e := tr.Events[0]; !tr.Water[int(e.Row)*w+int(e.Col)] {
			t.Fatalf("seed %d: flood event centre %+v is not on flood water", seed, e)
		}
	}
}

// TestSpectra checks the physics the detectors rely on: burning pixels are
// hot in SWIR-2 against the land around them, water is dark in NIR, thick
// cloud is bright in blue, shadows darken.
func TestSpectra(t *testing.T) {
	const seed = 31
	t.Logf("seed %d", seed)
	var fireHot, fires int
	var water, land, cloud, shadow, lit mean
	for i := 0; i < 8; i++ {
		s, tr := Random(seed, i)
		w := tr.Width
		for p, c := range tr.PixelClasses() {
			switch c {
			case synth.ClassFire:
				fires++
				x, y := p%w, p/w
				if x >= 4 && x < w-4 && s.Data[5][p] > s.Data[5][y*w+x-4]+0.2 || x >= 4 && x < w-4 && s.Data[5][p] > s.Data[5][y*w+x+4]+0.2 {
					fireHot++
				}
			case synth.ClassWater:
				water.add(s.Data[3][p])
			case synth.ClassOther:
				land.add(s.Data[3][p])
				if !tr.Water[p] && tr.Shadow[p] == 0 {
					lit.add(s.Data[3][p])
				}
			case synth.ClassCloudThick:
				if tr.Cloud[p] > 0.9 {
					cloud.add(s.Data[0][p])
				}
			case synth.ClassShadow:
				if !tr.Water[p] {
					shadow.add(s.Data[3][p])
				}
			}
		}
	}
	if fires == 0 || float64(fireHot) < 0.8*float64(fires) {
		t.Errorf("%d of %d fire pixels hot in SWIR-2", fireHot, fires)
	}
	if !(water.get() < 0.5*land.get()) {
		t.Errorf("water NIR %.3f, land %.3f", water.get(), land.get())
	}
	if !(cloud.get() >= 0.5) {
		t.Errorf("thick cloud blue %.3f", cloud.get())
	}
	if !(shadow.get() < 0.8*lit.get()) {
		t.Errorf("shadowed land NIR %.3f, lit land %.3f", shadow.get(), lit.get())
	}
}

// TestVesselsNearCloud checks vessels asked for beside clouds are on clear
// water with thick cloud within a few pixels.
func TestVesselsNearCloud(t *testing.T) {
	_, tr := Generate(Spec{Seed: 7, Sea: 0.8, FairWeather: 0.2, Vessels: 6, VesselsNearCloud: 6})
	w := tr.Width
	if len(tr.Events) == 0 {
		t.Fatal("no vessel placed")
	}
	for _, e := range tr.Events {
		x, y := int(e.Col), int(e.Row)
		near := false
		for dy := -10; dy <= 10; dy++ {
			for dx := -10; dx <= 10; dx++ {
				xx, yy := x+dx, y+dy
				if xx >= 0 && yy >= 0 && xx < w && yy < tr.Height && tr.Cloud[yy*w+xx] >= 0.5 {
					near = true
				}
			}
		}
		if !near || e.Class != record.ClassVessel {
			t.Fatalf("event %+v: no thick cloud within 10 pixels", e)
		}
	}
}

type mean struct {
	sum float64
	n   int
}

func (m *mean) add(v float32) { m.sum += float64(v); m.n++ }
func (m *mean) get() float64 {
	if m.n == 0 {
		return math.NaN()
	}
	return m.sum / float64(m.n)
}
