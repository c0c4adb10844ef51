package link

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/reassembly"
)

const benchItemBytes = 1 << 20

// repairFor is the repair symbols flight would add for lossFrac loss:
// enough that k survive with margin.
func repairFor(k int, lossFrac float64) int { return int(float64(k)*lossFrac/(1-lossFrac)*1.5) + 2 }

func BenchmarkEncode(b *testing.B) {
	b.Run("zero-parity", func(b *testing.B) { benchEncode(b, false) })
	b.Run("parity-for-10pct-loss", func(b *testing.B) { benchEncode(b, true) })
}

// benchEncode turns a 1 MiB item into authenticated frames, with or
// without the repair symbols a 10% loss link needs.
func benchEncode(b *testing.B, parity bool) {
	s, _ := pair(b, DefaultConfig())
	data := randomItem(rand.New(rand.NewPCG(1, 2)), benchItemBytes)
	buf := make([]byte, 0, s.FrameBytes())
	b.SetBytes(benchItemBytes)
	for b.Loop() {
		enc, err := s.Item(KindChip, ItemID{1}, data, 1)
		if err != nil {
			b.Fatal(err)
		}
		n := enc.K()
		if parity {
			n += repairFor(n, 0.1)
		}
		if err := enc.Reserve(n); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if buf, err = enc.AppendFrame(buf[:0], i); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// lossyFrames encodes one item with 30% repair symbols and drops 10% of
// its frames at random; decoding stops as soon as the item completes, so
// the unused repair frames cost nothing.
func lossyFrames(b testing.TB, s *Sender, data []byte, rng *rand.Rand) [][]byte {
	enc, err := s.Item(KindChip, ItemID{2}, data, 1)
	if err != nil {
		b.Fatal(err)
	}
	var frames [][]byte
	n := enc.K() + enc.K()*3/10
	for i := 0; i < n; i++ {
		f, err := enc.AppendFrame(nil, i)
		if err != nil {
			b.Fatal(err)
		}
		if rng.Float64() >= 0.1 {
			frames = append(frames, f)
		}
	}
	return frames
}

func BenchmarkDecode10PctLoss(b *testing.B) {
	s, _ := pair(b, DefaultConfig())
	keys := testKeys(b)
	data := randomItem(rand.New(rand.NewPCG(3, 4)), benchItemBytes)
	frames := lossyFrames(b, s, data, rand.New(rand.NewPCG(5, 6)))
	b.SetBytes(benchItemBytes)
	for b.Loop() {
		r, err := NewReceiver(DefaultConfig(), keys, reassembly.Config{})
		if err != nil {
			b.Fatal(err)
		}
		done := false
		for _, f := range frames {
			res, err := r.Receive(f, "a")
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Completed) > 0 {
				done = true
				break
			}
		}
		if !done {
			b.Fatal("item not rebuilt")
		}
	}
}

// cpuTime is the CPU time this process has used (user and system, all
// threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs op until it has used at least a second of CPU and returns
// item MB per CPU-second and per wall-second. With GOMAXPROCS(1) the CPU
// figure is one core's throughput even when other processes share the
// machine, which the wall figure is not.
func measure(t *testing.T, itemBytes int, op func()) (cpuMBps, wallMBps float64) {
	op() // warm caches and encoders
	runtime.GC()
	n := 0
	c0, w0 := cpuTime(), time.Now()
	for cpuTime()-c0 < time.Second || n < 3 {
		op()
		n++
	}
	cpu, wall := cpuTime()-c0, time.Since(w0)
	mb := float64(n) * float64(itemBytes) / 1e6
	return mb / cpu.Seconds(), mb / wall.Seconds()
}

// TestBenchJSON writes protocol.json (make bench): one-core encode and
// decode throughput in item MB/s and the payload efficiency of the default
// frame length.
func TestBenchJSON(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cfg := DefaultConfig()
	keys := testKeys(t)
	s, err := NewSender(cfg, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	data := randomItem(rand.New(rand.NewPCG(1, 2)), benchItemBytes)
	buf := make([]byte, 0, cfg.FrameBytes)
	encode := func(repair int) func() {
		return func() {
			enc, err := s.Item(KindChip, ItemID{1}, data, 1)
			if err != nil {
				t.Fatal(err)
			}
			n := enc.K() + repair
			if err := enc.Reserve(n); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				if buf, err = enc.AppendFrame(buf[:0], i); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	k, err := cfg.SourceSymbols(benchItemBytes)
	if err != nil {
		t.Fatal(err)
	}
	encZeroCPU, encZeroWall := measure(t, benchItemBytes, encode(0))
	encCPU, encWall := measure(t, benchItemBytes, encode(repairFor(k, 0.1)))
	frames := lossyFrames(t, s, data, rand.New(rand.NewPCG(5, 6)))
	decCPU, decWall := measure(t, benchItemBytes, func() {
		r, err := NewReceiver(cfg, keys, reassembly.Config{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range frames {
			res, err := r.Receive(f, "a")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Completed) > 0 {
				return
			}
		}
		t.Fatal("item not rebuilt")
	})
	effs := map[string]float64{}
	for _, n := range []int{2_000, 16 << 10, 100_000, benchItemBytes} {
		e, err := cfg.PayloadEfficiency(n)
		if err != nil {
			t.Fatal(err)
		}
		effs[strconv.Itoa(n)] = e
	}
	out := map[string]any{
		"encode_mb_per_s":                  encCPU,
		"encode_wall_mb_per_s":             encWall,
		"encode_zero_parity_mb_per_s":      encZeroCPU,
		"encode_zero_parity_wall_mb_per_s": encZeroWall,
		"encode_repair_symbols":            repairFor(k, 0.1),
		"decode_mb_per_s":                  decCPU,
		"decode_wall_mb_per_s":             decWall,
		"decode_symbol_loss":               0.1,
		"payload_efficiency":               effs[strconv.Itoa(benchItemBytes)],
		"payload_efficiency_frame":         float64(cfg.SymbolBytes()) / float64(cfg.FrameBytes),
		"payload_efficiency_by_item_bytes": effs,
		"frame_bytes":                      cfg.FrameBytes,
		"symbol_bytes":                     cfg.SymbolBytes(),
		"item_bytes":                       benchItemBytes,
		"source_symbols":                   k,
		"gomaxprocs":                       1,
		"security":                         "AES-256-GCM (enc)",
		"note":                             "mb_per_s are item bytes per CPU-second on one core (GOMAXPROCS=1); wall figures depend on machine load",
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "protocol.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
}
