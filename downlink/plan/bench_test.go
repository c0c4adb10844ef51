package plan

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// minLossCost is each item's frame count at the contact's best loss: no
// schedule can deliver it for less, so optima computed with these costs
// bound every real schedule from above.
func minLossCost(c Contact, items []Item) []int {
	best := MaxLoss
	for _, s := range c.Segments {
		if s.RateBitsPerSec > 0 {
			best = math.Min(best, s.Loss)
		}
	}
	sz := newSizer(DefaultConfidence)
	cost := make([]int, len(items))
	for i, it := range items {
		n, ok := sz.symbols(it.Need, it.Unreported, best)
		if !ok || it.Need == 0 {
			n = -1
		}
		cost[i] = n
	}
	return cost
}

// optimumDP is the exact 0/1 knapsack optimum over frames (all items share
// one frame size).
func optimumDP(c Contact, items []Item) float64 {
	capFrames := int(c.CapacityBits() / float64(items[0].FrameBytes*8))
	cost := minLossCost(c, items)
	best := make([]float64, capFrames+1)
	for i, it := range items {
		w := cost[i]
		if w < 0 {
			continue
		}
		for x := capFrames; x >= w; x-- {
			best[x] = max(best[x], best[x-w]+it.Value)
		}
	}
	return best[capFrames]
}

// boundLP is the fractional knapsack bound.
func boundLP(c Contact, items []Item) float64 {
	capFrames := c.CapacityBits() / float64(items[0].FrameBytes*8)
	cost := minLossCost(c, items)
	idx := make([]int, 0, len(items))
	for i := range items {
		if cost[i] > 0 {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		da, db := items[a].Value/float64(cost[a]), items[b].Value/float64(cost[b])
		switch {
		case da > db:
			return -1
		case da < db:
			return 1
		}
		return 0
	})
	v := 0.0
	for _, i := range idx {
		w := float64(cost[i])
		if w <= capFrames {
			v += items[i].Value
			capFrames -= w
			continue
		}
		v += items[i].Value * capFrames / w
		break
	}
	return v
}

// benchInstance is a queue about twice what the contact carries.
func benchInstance(rng *rand.Rand, n int) (Contact, []Item) {
	items := randomQueue(rng, n, 1024)
	demandBits := 0.0
	for _, it := range items {
		demandBits += float64(it.Need*it.FrameBytes*8) * 1.25
	}
	c := randomContact(rng, 100)
	scale := demandBits / 2 / c.CapacityBits()
	for i := range c.Segments {
		c.Segments[i].RateBitsPerSec *= scale
	}
	return c, items
}

func TestBenchJSON(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	ratio := func(n, runs int, opt func(Contact, []Item) float64, constantLoss bool) (mean, worst float64) {
		worst = math.Inf(1)
		for range runs {
			c, items := benchInstance(rng, n)
			if constantLoss {
				c.Segments = []Segment{{Start: c.Start, End: c.End, RateBitsPerSec: c.CapacityBits() / c.End.Sub(c.Start).Seconds(), Loss: c.Segments[0].Loss}}
			}
			p, err := Make(c, items, Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := p.Value / opt(c, items)
			mean += r / float64(runs)
			worst = min(worst, r)
		}
		return mean, worst
	}
	// Small instances have one segment (constant loss), so each item's cost
	// is exact and the DP optimum is the true optimum.
	oneSegment := func(c Contact, items []Item) float64 {
		return optimumDP(c, items)
	}
	smallMean, smallWorst := ratio(40, 200, oneSegment, true)
	largeMean, largeWorst := ratio(20000, 10, boundLP, false)

	c, items := benchInstance(rng, 100000)
	wall, cpu := timeMake(t, c, items)
	// The capacity of the 100k instance covers about half the queue; also
	// time a queue the contact cannot dent (a long outage's backlog).
	big := c
	big.Segments = slices.Clone(c.Segments)
	for i := range big.Segments {
		big.Segments[i].RateBitsPerSec *= 4
	}
	wallAll, cpuAll := timeMake(t, big, items)
	out := map[string]any{
		"value_to_optimum":              min(smallMean, largeMean),
		"value_to_optimum_small_mean":   smallMean,
		"value_to_optimum_small_worst":  smallWorst,
		"value_to_lp_bound_large_mean":  largeMean,
		"value_to_lp_bound_large_worst": largeWorst,
		"plan_100k_ms":                  wall,
		"plan_100k_cpu_ms":              cpu,
		"plan_100k_all_fit_ms":          wallAll,
		"plan_100k_all_fit_cpu_ms":      cpuAll,
		"load_average":                  loadAverage(),
		"timing_note":                   "ms: the fastest of 30 runs by the wall clock (this machine is shared; the fastest run is the least disturbed); cpu_ms: median CPU time of the planning thread with the collector paused during each run",
		"note":                          "value_to_optimum is the lower of two means: small (200 instances, 40 items, one constant-loss segment) vs the exact 0/1 knapsack optimum by DP, and large (10 instances, 20000 items, 1-5 segments with losses to 40%) vs the fractional-knapsack LP bound with each item costed at the contact's best loss (above any real schedule). Optima ignore priority classes, which the planner honours strictly.",
		"measured_at":                   time.Now().UTC().Format(time.RFC3339),
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "plan.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
}

// timeMake plans the instance 30 times and returns the fastest wall time
// and the median thread CPU time, in ms. The collector runs between plans,
// not during them, so the thread's CPU time is the whole cost.
func timeMake(t *testing.T, c Contact, items []Item) (wallMS, cpuMS float64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	wallMS = math.Inf(1)
	var cpus []float64
	for range 30 {
		runtime.GC()
		c0, w0 := threadCPU(t), time.Now()
		if _, err := Make(c, items, Options{}); err != nil {
			t.Fatal(err)
		}
		w, c1 := time.Since(w0), threadCPU(t)
		wallMS = min(wallMS, float64(w)/1e6)
		cpus = append(cpus, float64(c1-c0)/1e6)
	}
	slices.Sort(cpus)
	return wallMS, cpus[len(cpus)/2]
}

// threadCPU is the calling thread's CPU time (user + system).
func threadCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func BenchmarkMake100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	c, items := benchInstance(rng, 100000)
	var bytes int64
	for _, it := range items {
		bytes += int64(it.Need * it.FrameBytes)
	}
	b.SetBytes(bytes)
	for b.Loop() {
		if _, err := Make(c, items, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleMake() {
	start := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	c := Contact{Start: start, End: start.Add(10 * time.Second), Segments: []Segment{
		{Start: start, End: start.Add(10 * time.Second), RateBitsPerSec: 81920, Loss: 0.2},
	}}
	queue := []Item{
		{ID: "vessel", Class: 2, Value: 1, K: 4, FrameBytes: 1024, Need: 4},
		{ID: "fire", Class: 0, Value: 1, K: 8, FrameBytes: 1024, Need: 8},
	}
	p, _ := Make(c, queue, Options{})
	for _, s := range p.Sends {
		fmt.Println(queue[s.Index].ID, s.Symbols)
	}
	// Output:
	// fire 15
	// vessel 9
}
