package flight

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/skysieve/skysieve/downlink/bundle"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/flight/store"
)

func TestPackBundlesKnown(t *testing.T) {
	const sym = 100
	c := []bundleCand{
		{40, 0}, {40, 0}, // critical: a bundle of their own (86 bytes, 14 of padding...
		{60, 1}, {50, 2}, {30, 1}, // classes 1 and 2 share, but 2 and 4 (96 bytes) fill a symbol better...
		{500, 1}, // too big for the cap
		{10, 0},  // critical, alone: 16 bytes
		{40, 3},  // rides free in the 54 bytes of padding of the second bundle
	}
	groups, alone := packBundles(c, 200, sym)
	want := [][]int{{0, 1, 6}, {2, 4}, {3, 7}}
	if !slices.EqualFunc(groups, want, slices.Equal) || !slices.Equal(alone, []int{5}) {
		t.Fatalf("groups %v alone %v, want %v alone [5]", groups, alone, want)
	}
}

// TestPackBundlesProperties checks, on random queues, that every
// candidate is used once, bundles keep to the cap (free riders only fill
// the last symbol), critical detections never ride in a bundle that is not
// critical nor share a run with others, and runs keep queue order.
func TestPackBundlesProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 500 {
		n := rng.IntN(80)
		c := make([]bundleCand, n)
		class := 0
		for i := range c {
			if rng.IntN(6) == 0 {
				class = min(class+1, 3)
			}
			c[i] = bundleCand{bytes: 2 + rng.IntN(3000), class: class}
		}
		sym := 200 + rng.IntN(2000)
		capBytes := sym * (1 + rng.IntN(20))
		groups, alone := packBundles(c, capBytes, sym)
		seen := make([]int, n)
		for _, i := range alone {
			seen[i]++
			if bundle.HeaderBytes+c[i].bytes <= capBytes {
				t.Fatalf("trial %d: candidate %d (%d bytes) left alone under cap %d", trial, i, c[i].bytes, capBytes)
			}
		}
		for _, g := range groups {
			if len(g) == 0 {
				t.Fatalf("trial %d: empty bundle", trial)
			}
			size := bundle.HeaderBytes
			for k, i := range g {
				seen[i]++
				size += c[i].bytes
				if c[i].class == 0 && c[g[0]].class != 0 {
					t.Fatalf("trial %d: critical candidate %d rides in a class %d bundle", trial, i, c[g[0]].class)
				}
				if k > 0 && i < g[k-1] {
					t.Fatalf("trial %d: bundle %v out of queue order", trial, g)
				}
			}
			if limit := (capBytes + sym - 1) / sym * sym; size > limit {
				t.Fatalf("trial %d: bundle of %d bytes over %d (cap %d, symbol %d)", trial, size, limit, capBytes, sym)
			}
		}
		for i, k := range seen {
			if k != 1 {
				t.Fatalf("trial %d: candidate %d used %d times", trial, i, k)
			}
		}
	}
}

func TestBundleCustodyName(t *testing.T) {
	id := link.ItemID{0: 0xab, 15: 0xcd}
	name := bundleCustodyPass("p42", id, 3, 17)
	if len(name) > store.MaxPassBytes {
		t.Fatalf("%q is longer than the store allows", name)
	}
	num, gotID, pos, n, ok := parseBundleCustody(name)
	if !ok || num != 42 || gotID != id || pos != 3 || n != 17 {
		t.Fatalf("parse %q = %d %v %d %d %v", name, num, gotID, pos, n, ok)
	}
	for _, bad := range []string{"p1/record", "p1/bundle/xyz/0/1", "q1/bundle/" + id.String() + "/0/1",
		"p1/bundle/" + id.String() + "/1/1", "p1/bundle/" + id.String() + "/-1/2", "p1/chip/" + id.String() + "/0/1"} {
		if _, _, _, _, ok := parseBundleCustody(bad); ok {
			t.Errorf("%q parsed as a bundle custody name", bad)
		}
	}
}

// TestPackBundlesPadding: on detections of realistic sizes (a record of
// about 580 bytes and a chip of 600 to 1040) in 1966-byte symbols, the
// padding of the bundles' last symbols stays under 1% of what they send
// (about 1.5% without giving back members to fill it).
func TestPackBundlesPadding(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const sym = 1966
	var pad, total int
	for range 50 {
		c := make([]bundleCand, 300)
		for i := range c {
			class := 1 + rng.IntN(2)
			if rng.IntN(8) == 0 {
				class = 0
			}
			c[i] = bundleCand{bytes: 4 + 560 + rng.IntN(40) + 600 + rng.IntN(440), class: class}
		}
		slices.SortStableFunc(c, func(a, b bundleCand) int { return a.class - b.class })
		groups, _ := packBundles(c, 20*sym, sym)
		for _, g := range groups {
			size := bundle.HeaderBytes
			for _, i := range g {
				size += c[i].bytes
			}
			k := (size + sym - 1) / sym
			pad += k*sym - size
			total += k * sym
		}
	}
	if f := float64(pad) / float64(total); f > 0.01 {
		t.Fatalf("padding %.2f%% of the bundles' symbols, want under 1%%", 100*f)
	}
}
