package passes

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)

// flatPass is a ten-minute pass at a constant rate and loss.
func flatPass(sat, station string, aos time.Time, rateBitsPerSec, loss float64) Pass {
	p := Pass{Satellite: sat, Station: station, AOS: aos, LOS: aos.Add(10 * time.Minute), TCA: aos.Add(5 * time.Minute), MaxElevationDeg: 60}
	for t := aos; !t.After(p.LOS); t = t.Add(10 * time.Second) {
		el := 60 - 55*abs(t.Sub(p.TCA).Seconds())/300
		p.Samples = append(p.Samples, Sample{At: t, ElevationDeg: el, RateBitsPerSec: rateBitsPerSec, Loss: loss})
	}
	return p
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestPassAt(t *testing.T) {
	p := flatPass("A", "S", t0, 8e6, 0.1)
	if _, ok := p.At(t0.Add(-time.Second)); ok {
		t.Fatal("At before AOS")
	}
	if _, ok := p.At(p.LOS); ok {
		t.Fatal("At at LOS")
	}
	s, ok := p.At(t0.Add(5*time.Minute + 5*time.Second))
	if !ok || s.ElevationDeg < 58 || s.ElevationDeg > 60 {
		t.Fatalf("At near TCA = %+v %v", s, ok)
	}
	if got := p.GoodputBytes(); got < 539.9e6 || got > 540.1e6 {
		t.Fatalf("GoodputBytes = %v, want 5.4e8", got)
	}
}

func TestPlan(t *testing.T) {
	pl := Plan{
		flatPass("A", "S2", t0.Add(2*time.Hour), 8e6, 0),
		flatPass("A", "S1", t0.Add(time.Hour), 8e6, 0),
		flatPass("B", "S1", t0.Add(time.Hour+time.Minute), 8e6, 0),
	}
	pl.Sort()
	if pl[0].Station != "S1" || pl[0].Satellite != "A" {
		t.Fatalf("Sort: %+v", pl[0])
	}
	if _, ok := pl.Active("A", t0); ok {
		t.Fatal("active before any pass")
	}
	if p, ok := pl.Active("B", t0.Add(time.Hour+2*time.Minute)); !ok || p.Satellite != "B" {
		t.Fatal("Active B")
	}
	for _, tc := range []struct {
		name    string
		capture time.Time
		size    int64
		want    time.Duration
		ok      bool
	}{
		{"before a pass", t0, 1e6, time.Hour + time.Second, true},
		{"inside a pass", t0.Add(time.Hour + time.Minute), 2e6, 2 * time.Second, true},
		{"spills to next pass", t0.Add(time.Hour + 9*time.Minute), 70e6, 51*time.Minute + 10*time.Second, true},
		{"after the last pass", t0.Add(3 * time.Hour), 1, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := pl.Bound("A", tc.capture, tc.size)
			if ok != tc.ok || (ok && (got-tc.want).Abs() > 150*time.Millisecond) {
				t.Fatalf("Bound = %v %v, want %v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestActiveOverlap: overlapping passes are served one after the other,
// the first to start running to its end, as the flight radio does.
func TestActiveOverlap(t *testing.T) {
	pl := Plan{
		flatPass("A", "S1", t0, 8e6, 0),
		flatPass("A", "S2", t0.Add(5*time.Minute), 8e6, 0),
		flatPass("A", "S3", t0.Add(6*time.Minute), 8e6, 0),
	}
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{
		{-time.Second, ""}, {7 * time.Minute, "S1"}, {10 * time.Minute, "S2"}, {15 * time.Minute, "S3"}, {16 * time.Minute, ""},
	} {
		p, ok := pl.Active("A", t0.Add(tc.at))
		got := ""
		if ok {
			got = p.Station
		}
		if got != tc.want {
			t.Errorf("Active at +%v = %q, want %q", tc.at, got, tc.want)
		}
	}
}

func TestUsable(t *testing.T) {
	pl := Plan{
		flatPass("A", "S1", t0, 8e6, 0),
		flatPass("A", "S2", t0.Add(5*time.Minute), 8e6, 0),
		flatPass("B", "S3", t0.Add(6*time.Minute), 8e6, 0),
		flatPass("A", "S4", t0.Add(15*time.Minute+30*time.Second), 8e6, 0),
	}
	inner := flatPass("A", "S5", t0.Add(time.Minute), 8e6, 0)
	inner.LOS = t0.Add(3 * time.Minute)
	pl = append(pl, inner)
	pl.Sort()
	want := map[string][2]time.Duration{
		"S1": {0, 10 * time.Minute}, "S2": {10 * time.Minute, 15 * time.Minute}, "S3": {6 * time.Minute, 16 * time.Minute},
		"S4": {15*time.Minute + 30*time.Second, 25*time.Minute + 30*time.Second},
	}
	for i, p := range pl {
		from, to, ok := pl.Usable(i)
		if p.Station == "S5" {
			if ok {
				t.Errorf("S5 inside S1 is usable from %v to %v", from, to)
			}
			continue
		}
		w := want[p.Station]
		if !ok || !from.Equal(t0.Add(w[0])) || !to.Equal(t0.Add(w[1])) {
			t.Errorf("%s usable %v..%v %v, want +%v..+%v", p.Station, from.Sub(t0), to.Sub(t0), ok, w[0], w[1])
		}
	}
	if got := pl[0].GoodputBytesBetween(t0, t0.Add(time.Minute)); got != 60e6 {
		t.Errorf("GoodputBytesBetween a minute = %v, want 6e7", got)
	}
}
