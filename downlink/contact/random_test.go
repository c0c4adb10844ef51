package contact

import (
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// TestRandomStationsSoak checks the contact properties for random stations
// (polar, equatorial, any mask) and that the result does not depend on the
// search step: a 10 s grid and a 120 s grid find the same passes with AOS
// and LOS within 2 ms. SKYSIEVE_SOAK=1 widens it to 40 stations over a
// week.
func TestRandomStationsSoak(t *testing.T) {
	nStations, span := 4, 24*time.Hour
	if os.Getenv("SKYSIEVE_SOAK") == "1" {
		nStations, span = 40, 7*24*time.Hour
	}
	rng := rand.New(rand.NewPCG(6, 2026))
	sats := loadSats(t)
	var st []Station
	for i := 0; i < nStations; i++ {
		st = append(st, Station{
			Name:    "R" + string(rune('A'+i%26)) + string(rune('a'+i/26)),
			LatDeg:  rng.Float64()*180 - 90,
			LonDeg:  rng.Float64()*360 - 180,
			AltM:    rng.Float64() * 3000,
			MaskDeg: rng.Float64() * 30,
			Link:    DefaultLinkModel(),
		})
	}
	// Compute works in whole milliseconds; keep the sub-millisecond part
	// out of the comparison with the caller's bounds.
	from := planStart.Add(time.Duration(rng.Int64N(int64(24 * time.Hour)))).Round(time.Millisecond)
	to := from.Add(span)
	fine, err := Compute(sats, st, from, to, Options{SearchStep: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	coarse, err := Compute(sats, st, from, to, Options{SearchStep: 120 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(fine) == 0 {
		t.Fatal("no contacts at all")
	}
	if len(fine) != len(coarse) {
		t.Fatalf("10 s grid finds %d contacts, 120 s grid %d", len(fine), len(coarse))
	}
	for i := range fine {
		a, b := fine[i], coarse[i]
		if a.Satellite != b.Satellite || a.Station != b.Station ||
			a.AOS.Sub(b.AOS).Abs() > 2*time.Millisecond || a.LOS.Sub(b.LOS).Abs() > 2*time.Millisecond {
			t.Fatalf("contact %d: %s/%s %v–%v on the fine grid, %s/%s %v–%v on the coarse one",
				i, a.Satellite, a.Station, a.AOS, a.LOS, b.Satellite, b.Station, b.AOS, b.LOS)
		}
	}
	checkContactProperties(t, fine, sats, st, from, to)
}
