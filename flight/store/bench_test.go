package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
)

// benchItem is a detection-sized item: a ~300-byte record and a chip.
func benchItem(i int, chipBytes int, rng *rand.Rand) Item {
	rec := make([]byte, 300)
	chip := make([]byte, chipBytes)
	for j := range chip {
		chip[j] = byte(rng.Uint32())
	}
	return Item{
		ID:            fmt.Sprintf("%016x%08x", rng.Uint64(), i),
		Class:         []string{"fire", "flood", "vessel"}[i%3],
		PriorityClass: rng.IntN(4),
		Value:         rng.Float64(),
		Record:        rec,
		Chip:          chip,
		Region:        [4]float64{10, 40, 11, 41},
	}
}

func bigOpts() Options {
	o := testOpts(clock.Real{})
	o.HardLimitBytes = 1 << 40
	return o
}

// measurePuts stores n items from `workers` goroutines each calling Put
// in a loop, and returns durable items per second.
func measurePuts(t testing.TB, dir string, workers, n, chipBytes int) float64 {
	s, _ := openT(t, filepath.Join(dir, fmt.Sprintf("put-%d.db", workers)), bigOpts())
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, uint64(workers)))
	items := make([]Item, n)
	for i := range items {
		items[i] = benchItem(i, chipBytes, rng)
	}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := s.Put(context.Background(), items[i]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// measureNext fills a store with queued items and times Next(n, budget)
// while the head of the queue is acknowledged between calls, so each call
// starts at a different place. It returns the p50 and p99 in ms.
func measureNext(t testing.TB, dir string, queued, chipBytes, calls int) (p50, p99, cpuP99, fill, reopenMs float64) {
	path := filepath.Join(dir, "next.db")
	s, _ := openT(t, path, bigOpts())
	defer func() { s.Close() }()
	rng := rand.New(rand.NewPCG(2, 2))
	start := time.Now()
	batch := make([]Item, 0, 1000)
	for i := range queued {
		batch = append(batch, benchItem(i, chipBytes, rng))
		if len(batch) == cap(batch) || i == queued-1 {
			for _, err := range s.PutBatch(context.Background(), batch) {
				if err != nil {
					t.Fatal(err)
				}
			}
			batch = batch[:0]
		}
	}
	fill = float64(queued) / time.Since(start).Seconds()
	lat := make([]time.Duration, 0, calls)
	cpu := make([]time.Duration, 0, calls)
	// The thread's CPU time tells the store's own work from time spent
	// waiting for a core on a shared machine.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range calls {
		c0 := threadCPU()
		t0 := time.Now()
		es, err := s.Next(32, 256<<10)
		lat = append(lat, time.Since(t0))
		cpu = append(cpu, threadCPU()-c0)
		if err != nil || len(es) == 0 {
			t.Fatalf("Next: %d entries, %v", len(es), err)
		}
		if _, err := s.AckBatch([]string{es[0].Item.ID, es[len(es)-1].Item.ID}); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(lat)
	slices.Sort(cpu)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	cpuP99 = float64(cpu[int(0.99*float64(len(cpu)-1))].Microseconds()) / 1000
	// Boot time: the file check and recovery scan of a full store.
	s.Close()
	start = time.Now()
	s, _ = openT(t, path, bigOpts())
	reopenMs = float64(time.Since(start).Microseconds()) / 1000
	return ms(0.5), ms(0.99), cpuP99, fill, reopenMs
}

// threadCPU is the calling OS thread's user+system CPU time.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAvg is the machine's one-minute load average, for context.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// churnResult is what measureChurn saw.
type churnResult struct {
	Cycles        int     `json:"cycles"`
	LiveItems     int64   `json:"live_items"`
	LiveBytes     int64   `json:"live_bytes"`
	FileBytes     int64   `json:"file_bytes"`
	MaxFileBytes  int64   `json:"max_file_bytes"`
	Ratio         float64 `json:"ratio"`
	Tombstones    int64   `json:"tombstones"`
	Seconds       float64 `json:"seconds"`
	FileAtHalf    int64   `json:"file_bytes_at_half"`
	CyclesPerSec  float64 `json:"cycles_per_s"`
	ChipBytes     int     `json:"chip_bytes"`
	BatchItems    int     `json:"batch_items"`
	SweepPerBatch int     `json:"sweep_per_batch"`
}

// measureChurn keeps `live` items stored while cycling `cycles` items
// through (put a batch, acknowledge the oldest batch, sweep), as a long
// mission would, and compares the file size with the live data.
func measureChurn(t testing.TB, dir string, live, cycles, chipBytes, batchItems int) churnResult {
	clk := clock.NewVirtual(t0)
	opts := testOpts(clk)
	opts.HardLimitBytes = 1 << 40
	path := filepath.Join(dir, "churn.db")
	s, _ := openT(t, path, opts)
	defer s.Close()
	rng := rand.New(rand.NewPCG(3, 3))
	var fifo []string
	res := churnResult{Cycles: cycles, ChipBytes: chipBytes, BatchItems: batchItems, SweepPerBatch: 2 * batchItems}
	start := time.Now()
	batch := make([]Item, 0, batchItems)
	for i := 0; i < live+cycles; {
		batch = batch[:0]
		for len(batch) < batchItems && i < live+cycles {
			batch = append(batch, benchItem(i, chipBytes, rng))
			i++
		}
		for j, err := range s.PutBatch(context.Background(), batch) {
			if err != nil {
				t.Fatal(err)
			}
			fifo = append(fifo, batch[j].ID)
		}
		if over := len(fifo) - live; over > 0 {
			if _, err := s.AckBatch(fifo[:over]); err != nil {
				t.Fatal(err)
			}
			fifo = fifo[over:]
		}
		clk.Advance(time.Minute)
		if _, err := s.Sweep(clk.Now(), res.SweepPerBatch); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		res.MaxFileBytes = max(res.MaxFileBytes, st.FileBytes)
		if res.FileAtHalf == 0 && i >= live+cycles/2 {
			res.FileAtHalf = st.FileBytes
		}
	}
	res.Seconds = time.Since(start).Seconds()
	res.CyclesPerSec = float64(cycles) / res.Seconds
	st := s.Stats()
	res.LiveItems, res.LiveBytes, res.FileBytes, res.Tombstones = st.Queued, st.StoredBytes, st.FileBytes, st.Tombstones
	res.Ratio = float64(res.FileBytes) / float64(res.LiveBytes)
	return res
}

// TestBenchJSON writes store.json for `make bench`.
func TestBenchJSON(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	tmp := t.TempDir()
	const chip = 8 << 10
	out := map[string]any{"chip_bytes": chip}
	out["put_per_s"] = measurePuts(t, tmp, 64, 20_000, chip)
	out["put_per_s_1_writer"] = measurePuts(t, tmp, 1, 500, chip)
	out["put_per_s_8_writers"] = measurePuts(t, tmp, 8, 5_000, chip)
	out["load_avg_1m_at_start"] = loadAvg()
	p50, p99, cpuP99, fill, reopen := measureNext(t, tmp, 100_000, chip, 2000)
	out["next_p50_ms"], out["next_p99_ms"], out["next_queued"], out["putbatch_per_s"] = p50, p99, 100_000, fill
	out["next_p99_thread_cpu_ms"] = cpuP99
	out["open_ms_100k_items"] = reopen
	out["next_n"], out["next_budget_bytes"] = 32, 256<<10
	cycles := 1_000_000
	churn := measureChurn(t, tmp, 10_000, cycles, chip, 1000)
	out["file_to_live_ratio"] = churn.Ratio
	out["load_avg_1m_at_end"] = loadAvg()
	out["churn"] = churn
	b, _ := json.MarshalIndent(out, "", "  ")
	t.Logf("%s", b)
	if err := os.WriteFile(filepath.Join(dir, "store.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkPut8KB(b *testing.B) {
	for _, workers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", workers), func(b *testing.B) {
			s, _ := openT(b, filepath.Join(b.TempDir(), "b.db"), bigOpts())
			defer s.Close()
			rng := rand.New(rand.NewPCG(1, 1))
			items := make([]Item, b.N)
			for i := range items {
				items[i] = benchItem(i, 8<<10, rng)
			}
			b.SetBytes(items[0].SizeBytes())
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < b.N; i += workers {
						if err := s.Put(context.Background(), items[i]); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

func BenchmarkNext(b *testing.B) {
	s, _ := openT(b, filepath.Join(b.TempDir(), "b.db"), bigOpts())
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	var batch []Item
	for i := range 20_000 {
		batch = append(batch, benchItem(i, 8<<10, rng))
	}
	for _, err := range s.PutBatch(context.Background(), batch) {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(30 * batch[0].SizeBytes())
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if es, err := s.Next(32, 256<<10); err != nil || len(es) != 30 {
			b.Fatal(len(es), err)
		}
	}
}

// TestChurnFileBounded is the bench's churn at a small scale, as a
// property: once the working set is reached, put/release churn reuses
// freed pages, so the second half of the run does not grow the file.
func TestChurnFileBounded(t *testing.T) {
	cycles := 40_000
	if testing.Short() {
		cycles = 10_000
	}
	r := measureChurn(t, t.TempDir(), 2000, cycles, 8<<10, 500)
	t.Logf("%+v", r)
	if r.FileBytes > r.FileAtHalf {
		t.Errorf("file grew from %d to %d bytes in the second half of the churn", r.FileAtHalf, r.FileBytes)
	}
	if r.Ratio > 3 {
		t.Errorf("file %d bytes is %.2f× the live data", r.FileBytes, r.Ratio)
	}
}
