package ground

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
)

// Environment of the crash child process.
const (
	envChild   = "SKYSIEVE_GROUND_CRASH_CHILD"
	envDataDir = "SKYSIEVE_GROUND_CRASH_DATA"
	envKeys    = "SKYSIEVE_GROUND_CRASH_KEYS"
	envUDP     = "SKYSIEVE_GROUND_CRASH_UDP"
	envMetrics = "SKYSIEVE_GROUND_CRASH_METRICS"
	// envFault names a fault point (faultBeforeCommit, faultAfterCommit):
	// at the first batch that completes an item, the child sends a report
	// there and then SIGKILLs itself.
	envFault = "SKYSIEVE_GROUND_CRASH_FAULT"
)

// TestCrashChild is the ground process the crash test starts and kills;
// it does nothing in a normal test run.
func TestCrashChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("runs only as the crash test's child process")
	}
	cfg := testConfig(t, os.Getenv(envDataDir), os.Getenv(envKeys))
	cfg.UDP = []UDPStation{{Station: "alpha", Listen: os.Getenv(envUDP)}}
	cfg.MetricsAddr = os.Getenv(envMetrics)
	cfg.Logger = quietLogger()
	var s *Service
	if point := os.Getenv(envFault); point != "" {
		cfg.ReportInterval = 50 * time.Millisecond
		faultHook = func(at string, completed int) error {
			if at != point || completed == 0 {
				return nil
			}
			// Whatever the report loop could send at this moment goes up
			// now; then the process dies before (or right after) the commit.
			sent := make(chan struct{})
			go func() {
				s.sendReport("alpha", false)
				close(sent)
			}()
			select {
			case <-sent:
			case <-time.After(time.Second):
			}
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	var err error
	s, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type child struct {
	cmd     *exec.Cmd
	out     *bytes.Buffer
	metrics string
}

func startChild(t *testing.T, dataDir, keys, udp, metrics string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChild+"=1", envDataDir+"="+dataDir, envKeys+"="+keys,
		envUDP+"="+udp, envMetrics+"="+metrics)
	cmd.Env = append(cmd.Env, env...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, out: out, metrics: metrics}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + metrics + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("child not ready: %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// counter reads one counter from the child's /metrics: the sum over
// series whose name and labels contain all of match.
func (c *child) counter(t *testing.T, match ...string) float64 {
	resp, err := http.Get("http://" + c.metrics + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		ok := true
		for _, m := range match {
			ok = ok && strings.Contains(line, m)
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

func (c *child) kill(t *testing.T, sig syscall.Signal) {
	_ = c.cmd.Process.Signal(sig)
	_ = c.cmd.Wait()
}

// TestCrashSIGKILLMidPass kills a ground process with SIGKILL in the middle
// of a pass, after it has received part of every chip, and restarts it. The
// rest of the pass carries exactly the missing symbols (no spare), so every
// chip completes only if nothing received before the kill was lost; flight
// also resends every record. Each detection and chip is on the bus exactly
// once. With SKYSIEVE_SOAK=1 it kills and restarts several times.
func TestCrashSIGKILLMidPass(t *testing.T) {
	cycles := 1
	if os.Getenv("SKYSIEVE_SOAK") == "1" {
		cycles = 6
	}
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	dataDir := filepath.Join(dir, "ground")
	udp := fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t))
	metrics := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	fl := newFlight(t, keys, 1)

	const items = 8
	var dets []*record.Detection
	chips := map[string][]byte{}
	var encs []*link.ItemEncoder
	for i := range items {
		d := detection(300+i, []string{record.ClassFire, record.ClassVessel}[i%2])
		chip := bytes.Repeat([]byte{byte(i), 0xC0, 0xDB, byte(i * 3)}, 5000)
		d.ChipBytes, d.ChipFormat = len(chip), "raw"
		dets = append(dets, d)
		chips[d.ID] = chip
		id, _ := link.ParseDetectionID(d.ID)
		enc, err := fl.sender.Item(link.KindChip, id, chip, 1)
		if err != nil {
			t.Fatal(err)
		}
		encs = append(encs, enc)
	}
	k := encs[0].K()
	// Chip symbols go out in cycles+1 slices; a kill follows every slice
	// but the last.
	slice := func(c int) (from, to int) { return c * k / (cycles + 1), (c + 1) * k / (cycles + 1) }

	ch := startChild(t, dataDir, keys, udp, metrics)
	defer func() { ch.kill(t, syscall.SIGTERM) }()
	sent := 0
	for c := 0; c <= cycles; c++ {
		var frames [][]byte
		for i, d := range dets {
			frames = append(frames, fl.recordFrames(d)...) // flight resends unacknowledged records
			from, to := slice(c)
			for s := from; s < to; s++ {
				f, err := encs[i].AppendFrame(nil, s)
				if err != nil {
					t.Fatal(err)
				}
				frames = append(frames, f)
			}
		}
		sendUDP(t, mustUDPAddr(t, udp), frames)
		sent = len(frames)
		waitFor(t, fmt.Sprintf("cycle %d frames received", c), 20*time.Second, func() bool {
			return ch.counter(t, "skysieve_ground_frames_total", `result="good"`) >= float64(sent)
		})
		if c == cycles {
			break
		}
		ch.kill(t, syscall.SIGKILL)
		ch = startChild(t, dataDir, keys, udp, metrics)
	}
	url := readNATSURL(t, dataDir)
	waitFor(t, "every detection and chip on the bus", 30*time.Second, func() bool {
		return countStream(t, url, bus.StreamDetections) == items && chipsStored(t, url, chips) == items
	})
	time.Sleep(300 * time.Millisecond)
	if got := countStream(t, url, bus.StreamDetections); got != items {
		t.Fatalf("DETECTIONS holds %d after the crashes, want exactly %d", got, items)
	}
	if got := countStream(t, url, bus.StreamAlerts); got != items/2 {
		t.Fatalf("ALERTS holds %d, want %d", got, items/2)
	}
}

func freeUDPPort(t testing.TB) int {
	a, err := netListenUDP()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// readNATSURL is the URL a tool on the ground machine uses: nats.url
// with the credentials in NATSAuthFile (as ground watch reads them).
func readNATSURL(t *testing.T, dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, "nats.url"))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := bus.ReadCredentials(filepath.Join(dataDir, NATSAuthFile))
	if err != nil {
		t.Fatal(err)
	}
	return withCredentials(strings.TrimSpace(string(b)), creds)
}

func countStream(t *testing.T, url, stream string) uint64 {
	return streamMsgs(t, url, stream)
}

// chipsStored counts chips in the CHIPS bucket whose bytes match.
func chipsStored(t *testing.T, url string, chips map[string][]byte) int {
	nc, err := bus.Connect(bus.Config{URL: url, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	obj, err := js.ObjectStore(ctx, bus.BucketChips)
	if err != nil {
		return 0
	}
	n := 0
	for id, want := range chips {
		got, err := obj.GetBytes(ctx, id)
		if err == nil && bytes.Equal(got, want) {
			n++
		}
	}
	return n
}

// TestCrashSIGKILLRandomTiming kills the ground at random moments while
// frames are arriving and detections are being published, restarts it,
// and finally lets flight send every item again with spare repair symbols
// (as it would after the NAKs). Each detection is on the bus exactly once,
// with its alert and chip.
func TestCrashSIGKILLRandomTiming(t *testing.T) {
	kills := 3
	if os.Getenv("SKYSIEVE_SOAK") == "1" {
		kills = 15
	}
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	dataDir := filepath.Join(dir, "ground")
	udp := fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t))
	metrics := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	fl := newFlight(t, keys, 1)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))

	const items = 24
	var dets []*record.Detection
	var encs []*link.ItemEncoder
	chips := map[string][]byte{}
	for i := range items {
		d := detection(700+i, []string{record.ClassFire, record.ClassVessel, record.ClassFlood}[i%3])
		chip := bytes.Repeat([]byte{byte(i), 7, 0xC0}, 3000+100*i)
		d.ChipBytes = len(chip)
		dets, chips[d.ID] = append(dets, d), chip
		id, _ := link.ParseDetectionID(d.ID)
		enc, err := fl.sender.Item(link.KindChip, id, chip, 1)
		if err != nil {
			t.Fatal(err)
		}
		encs = append(encs, enc)
	}
	next := make([]int, items) // next symbol index per chip
	allFrames := func(spare float64) [][]byte {
		var frames [][]byte
		for i, d := range dets {
			frames = append(frames, fl.recordFrames(d)...)
			// A third of the source symbols per cycle; at the end, a full
			// set of new symbols plus the spare fraction.
			k := encs[i].K()
			n := k/3 + 1
			if spare > 0 {
				n = k + int(float64(k)*spare)
			}
			for upto := next[i] + n; next[i] < upto; next[i]++ {
				f, err := encs[i].AppendFrame(nil, next[i])
				if err != nil {
					t.Fatal(err)
				}
				frames = append(frames, f)
			}
		}
		rng.Shuffle(len(frames), func(a, b int) { frames[a], frames[b] = frames[b], frames[a] })
		return frames
	}

	ch := startChild(t, dataDir, keys, udp, metrics)
	defer func() { ch.kill(t, syscall.SIGTERM) }()
	for range kills {
		frames := allFrames(0)
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, err := net.Dial("udp", udp)
			if err != nil {
				return
			}
			defer c.Close()
			for j, f := range frames {
				_, _ = c.Write(f)
				if j%32 == 31 {
					time.Sleep(200 * time.Microsecond)
				}
			}
		}()
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		ch.kill(t, syscall.SIGKILL)
		<-done
		ch = startChild(t, dataDir, keys, udp, metrics)
	}
	// Flight resends everything with plenty of new repair symbols.
	sendUDP(t, mustUDPAddr(t, udp), allFrames(0.5))
	url := readNATSURL(t, dataDir)
	waitFor(t, "every detection, alert and chip on the bus", 30*time.Second, func() bool {
		return countStream(t, url, bus.StreamDetections) == items && chipsStored(t, url, chips) == items &&
			countStream(t, url, bus.StreamAlerts) == 2*items/3
	})
	time.Sleep(500 * time.Millisecond)
	if got := countStream(t, url, bus.StreamDetections); got != items {
		t.Fatalf("DETECTIONS holds %d after %d kills, want exactly %d", got, kills, items)
	}
	if got := countStream(t, url, bus.StreamAlerts); got != 2*items/3 {
		t.Fatalf("ALERTS holds %d after %d kills, want exactly %d", got, kills, 2*items/3)
	}
}
