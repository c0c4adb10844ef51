package orbit

import (
	"strings"
	"testing"
	"time"
)

const benchNearTLE = `SENTINEL-2A
1 40697U 15028A   26324.50000000  .00000102  00000+0  45000-4 0  9999
2 40697  98.5683  33.6012 0001071  93.8760 266.2574 14.30818254 58319
`

// Molniya 1-83 from the verification set: deep space, 12-hour resonance.
const benchDeepTLE = `1 21897U 92011A   06176.02341244 -.00001273  00000-0 -13525-3 0  3044
2 21897  62.1749 198.0096 7421690 253.0462  20.1561  2.01269994104880
`

func mustProp(tb testing.TB, text string) *Propagator {
	tb.Helper()
	tles, err := ParseTLEs(strings.NewReader(text))
	if err != nil {
		tb.Fatal(err)
	}
	p, err := NewPropagator(tles[0])
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkPropagate measures one near-Earth SGP4 call; bytes are one
// 48-byte state so MB/s reads as states/s × 48.
func BenchmarkPropagate(b *testing.B) {
	p := mustProp(b, benchNearTLE)
	b.SetBytes(48)
	b.ReportAllocs()
	var sink float64
	for i := 0; b.Loop(); i++ {
		s, err := p.PropagateMinutes(float64(i%10080) * 0.7)
		if err != nil {
			b.Fatal(err)
		}
		sink += s.PositionKm[0]
	}
	_ = sink
}

// BenchmarkPropagateDeep measures SDP4 with resonance one day from epoch.
func BenchmarkPropagateDeep(b *testing.B) {
	p := mustProp(b, benchDeepTLE)
	b.SetBytes(48)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := p.PropagateMinutes(float64(i%1440) + 0.5); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkECEF adds the TEME to Earth-fixed rotation to a propagation.
func BenchmarkECEF(b *testing.B) {
	p := mustProp(b, benchNearTLE)
	t0 := p.Epoch()
	b.SetBytes(48)
	for i := 0; b.Loop(); i++ {
		if _, err := p.ECEF(t0.Add(secondsDur(i % 600000))); err != nil {
			b.Fatal(err)
		}
	}
}

func secondsDur(s int) time.Duration { return time.Duration(s) * time.Second }
