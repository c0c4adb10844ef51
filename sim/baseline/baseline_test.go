package baseline

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/skysieve/skysieve/sim/passes"
)

var t0 = time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)

func pass(sat string, aos time.Time, rateBitsPerSec, loss float64) passes.Pass {
	p := passes.Pass{Satellite: sat, Station: "S", AOS: aos, LOS: aos.Add(10 * time.Minute), TCA: aos.Add(5 * time.Minute)}
	for t := aos; !t.After(p.LOS); t = t.Add(10 * time.Second) {
		p.Samples = append(p.Samples, passes.Sample{At: t, ElevationDeg: 30, RateBitsPerSec: rateBitsPerSec, Loss: loss})
	}
	return p
}

func TestAmpleCapacityDeliversInFirstPass(t *testing.T) {
	plan := passes.Plan{pass("A", t0.Add(time.Hour), 80e6, 0)}
	scenes := []Scene{{ID: "s1", Satellite: "A", Capture: t0.Add(time.Minute), RawBytes: 10e6}, {ID: "s2", Satellite: "A", Capture: t0.Add(2 * time.Minute), RawBytes: 10e6}}
	r := Run(scenes, plan, t0, t0.Add(2*time.Hour), time.Minute)
	if len(r.Delivered) != 2 {
		t.Fatalf("delivered %d of 2", len(r.Delivered))
	}
	if d := r.Delivered[0].Sub(t0.Add(time.Hour)); d < time.Second || d > 2*time.Second {
		t.Fatalf("s1 down %v after AOS, want 1 s", d)
	}
	if d := r.Delivered[1].Sub(t0.Add(time.Hour)); d < 2*time.Second || d > 3*time.Second {
		t.Fatalf("s2 down %v after AOS, want 2 s", d)
	}
	// Only the first second held more (20 MB) than a second carries (10 MB).
	if r.SaturatedCapacityBytes != 10e6 {
		t.Fatalf("saturated capacity %v, want one second's 1e7", r.SaturatedCapacityBytes)
	}
}

// TestProperties runs random scene sets through random plans and checks
// what any FIFO downlink must satisfy: per satellite, delivery order is
// capture order; nothing arrives before its capture or outside a pass;
// delivered bytes never exceed what the passes could carry; when the
// queue stays saturated, goodput is the whole capacity.
func TestProperties(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var plan passes.Plan
		for i := range 6 {
			for _, sat := range []string{"A", "B"} {
				plan = append(plan, pass(sat, t0.Add(time.Duration(i)*time.Hour+time.Duration(rng.IntN(3000))*time.Second), 1e6+rng.Float64()*4e6, rng.Float64()*0.3))
			}
		}
		plan.Sort()
		var scenes []Scene
		for i := range 60 {
			sat := []string{"A", "B"}[rng.IntN(2)]
			scenes = append(scenes, Scene{ID: string(rune('a' + i%26)), Satellite: sat, Capture: t0.Add(time.Duration(rng.IntN(6*3600)) * time.Second), RawBytes: int64(1e6 + rng.IntN(30e6))})
		}
		end := t0.Add(7 * time.Hour)
		r := Run(scenes, plan, t0, end, time.Minute)
		if float64(r.DeliveredBytes) > r.MovedBytes+1 || r.MovedBytes > r.GoodputCapacityBytes+1 {
			t.Fatalf("seed %d: delivered %d > capacity %.0f", seed, r.DeliveredBytes, r.GoodputCapacityBytes)
		}
		if r.SaturatedDeliveredBytes > r.SaturatedCapacityBytes+1 || (r.SaturatedCapacityBytes > 0 && r.SaturatedDeliveredBytes < 0.999*r.SaturatedCapacityBytes) {
			t.Fatalf("seed %d: saturated goodput %.0f of %.0f", seed, r.SaturatedDeliveredBytes, r.SaturatedCapacityBytes)
		}
		for i, at := range r.Delivered {
			s := scenes[i]
			if at.Before(s.Capture) {
				t.Fatalf("seed %d: %d down before capture", seed, i)
			}
			if _, ok := plan.Active(s.Satellite, at.Add(-time.Millisecond)); !ok {
				t.Fatalf("seed %d: %d down at %v outside any pass", seed, i, at)
			}
			for j, at2 := range r.Delivered {
				o := scenes[j]
				if o.Satellite == s.Satellite && o.Capture.Before(s.Capture) && at2.After(at) {
					t.Fatalf("seed %d: FIFO broken: %d captured first, delivered later", seed, j)
				}
			}
			for j, o := range scenes {
				if _, ok := r.Delivered[j]; !ok && o.Satellite == s.Satellite && o.Capture.Before(s.Capture) {
					t.Fatalf("seed %d: %d delivered while earlier %d is not", seed, i, j)
				}
			}
		}
		if len(r.Queue) != 7*60 {
			t.Fatalf("seed %d: %d queue samples, want %d", seed, len(r.Queue), 7*60)
		}
	}
}
