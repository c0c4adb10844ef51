package contact

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/orbit"
)

// plan7d computes the benchmark plan: one satellite, ten stations, seven
// days.
func plan7d(tb testing.TB, sats []orbit.TLE, st []Station) []Contact {
	cs, err := Compute(sats[:1], st[:10], planStart, planStart.Add(7*24*time.Hour), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return cs
}

// BenchmarkPlan7Days10Stations: bytes are the plan's predicted capacity,
// so MB/s is not meaningful here; ns/op is the figure.
func BenchmarkPlan7Days10Stations(b *testing.B) {
	sats, st := loadSats(b), loadStations(b)
	b.ReportAllocs()
	for b.Loop() {
		plan7d(b, sats, st)
	}
}

// BenchmarkWritePlan measures plan encoding, bytes = encoded size.
func BenchmarkWritePlan(b *testing.B) {
	cs := plan7d(b, loadSats(b), loadStations(b))
	var n countingWriter
	if err := WritePlan(&n, cs); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(n))
	for b.Loop() {
		var w countingWriter
		if err := WritePlan(&w, cs); err != nil {
			b.Fatal(err)
		}
	}
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// threadCPU is the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestBenchJSON writes orbit.json: SGP4 propagations per second on one
// core and the time to plan 7 days for 1 satellite over 10 stations. The
// machine is shared, so each figure is given as CPU time of the one
// thread doing the work (locked to it) and as wall time; the headline keys
// use CPU time, the best of three runs.
func TestBenchJSON(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	sats, st := loadSats(t), loadStations(t)
	p, err := orbit.NewPropagator(sats[0])
	if err != nil {
		t.Fatal(err)
	}

	const props = 3_000_000
	bestCPU, bestWall := time.Duration(1<<62), time.Duration(1<<62)
	var sink float64
	for run := 0; run < 3; run++ {
		w0, c0 := time.Now(), threadCPU()
		for i := 0; i < props; i++ {
			s, err := p.PropagateMinutes(float64(i%20160) * 0.5)
			if err != nil {
				t.Fatal(err)
			}
			sink += s.PositionKm[0]
		}
		bestCPU = min(bestCPU, threadCPU()-c0)
		bestWall = min(bestWall, time.Since(w0))
	}
	_ = sink

	planCPU, planWall := time.Duration(1<<62), time.Duration(1<<62)
	var n int
	for run := 0; run < 3; run++ {
		w0, c0 := time.Now(), threadCPU()
		n = len(plan7d(t, sats, st))
		planCPU = min(planCPU, threadCPU()-c0)
		planWall = min(planWall, time.Since(w0))
	}

	var la [3]float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		_, _ = fmtSscan(string(b), &la)
	}
	res := map[string]any{
		"sgp4_props_per_s":          float64(props) / bestCPU.Seconds(),
		"sgp4_props_per_s_wall":     float64(props) / bestWall.Seconds(),
		"sgp4_ns_per_prop":          float64(bestCPU.Nanoseconds()) / props,
		"plan_7d_10st_s":            planCPU.Seconds(),
		"plan_7d_10st_wall_s":       planWall.Seconds(),
		"plan_7d_10st_contacts":     n,
		"satellite":                 sats[0].DisplayName(),
		"stations":                  10,
		"target_sgp4_props_per_s":   1_000_000,
		"target_plan_7d_10st_s":     1.0,
		"measured_as":               "best of 3; CPU time of one locked OS thread (wall-clock figures beside)",
		"load_average_1m_at_finish": la[0],
		"go":                        runtime.Version(),
		"goarch":                    runtime.GOARCH,
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "orbit.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
}
