package ground

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/downlink/sdls"
	"github.com/skysieve/skysieve/ground/bus"
)

// testLink is the link configuration of the tests: 1 KB frames.
func testLink() link.Config {
	c := link.DefaultConfig()
	c.FrameBytes = 1024
	return c
}

// writeKeys writes a fresh key file (downlink SPI 1 enc, uplink SPI 2 auth).
func writeKeys(t testing.TB, dir string) string {
	t.Helper()
	var k1, k2 [32]byte
	_, _ = rand.Read(k1[:])
	_, _ = rand.Read(k2[:])
	path := filepath.Join(dir, "link.keys")
	text := fmt.Sprintf("# test keys\n1 enc %s\n2 auth %s\n", hex.EncodeToString(k1[:]), hex.EncodeToString(k2[:]))
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func quietLogger() *slog.Logger {
	if os.Getenv("SKYSIEVE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(discard{}, nil))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// testConfig is a ground with UDP stations on free loopback ports.
func testConfig(t testing.TB, dataDir, keyFile string, stations ...string) Config {
	cfg := DefaultConfig()
	cfg.DataDir = dataDir
	cfg.KeyFile = keyFile
	cfg.Link = testLink()
	cfg.MetricsAddr = ""
	cfg.NATSListen = "127.0.0.1:0"
	cfg.UDP = nil
	for _, s := range stations {
		cfg.UDP = append(cfg.UDP, UDPStation{Station: s, Listen: "127.0.0.1:0"})
	}
	cfg.Logger = quietLogger()
	return cfg
}

// running is a ground service running in the test.
type running struct {
	*Service
	cancel context.CancelFunc
	done   chan error
}

func start(t testing.TB, cfg Config) *running {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Service: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-r.done:
		t.Fatalf("Run ended before ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("ground not ready after 30s")
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// clientURL is g's bus URL with the credentials g connects with, for the
// tests' own clients.
func clientURL(g *running) string {
	return withCredentials(g.NATSURL(), g.NATSCredentials())
}

func withCredentials(raw string, c bus.Credentials) string {
	if c.User == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	u.User = url.UserPassword(c.User, c.Password.Reveal())
	return u.String()
}

func (r *running) stop(t testing.TB) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("Run did not return 20s after cancel")
	}
}

// flightSim makes frames as flight would.
type flightSim struct {
	t      testing.TB
	sender *link.Sender
}

func newFlight(t testing.TB, keyFile string, startSeq uint64) *flightSim {
	keys, err := sdls.LoadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := link.NewSender(testLink(), keys, startSeq)
	if err != nil {
		t.Fatal(err)
	}
	return &flightSim{t: t, sender: s}
}

// detection makes a valid record with a deterministic 32-hex id.
func detection(n int, class string) *record.Detection {
	return &record.Detection{
		ID:          fmt.Sprintf("%032x", 0xd00d0000+n),
		Class:       class,
		Confidence:  0.9,
		Priority:    0.5 + float64(n%5)/10,
		Footprint:   [][2]float64{{10, 45}, {10.1, 45}, {10.1, 45.1}, {10, 45.1}, {10, 45}},
		CaptureTime: time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC),
		Satellite:   "SKY-1",
		SceneID:     "scene-1",
		TileRow:     n,
		TileCol:     1,
	}
}

// frames returns the frames carrying symbols [from, to) of an item.
func (f *flightSim) frames(kind link.Kind, id string, data []byte, from, to int) [][]byte {
	f.t.Helper()
	iid, err := link.ParseDetectionID(id)
	if err != nil {
		f.t.Fatal(err)
	}
	enc, err := f.sender.Item(kind, iid, data, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	if to < 0 {
		to = enc.K()
	}
	var out [][]byte
	for i := from; i < to; i++ {
		fr, err := enc.AppendFrame(nil, i)
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, fr)
	}
	return out
}

// recordFrames gives all source frames of a detection's record.
func (f *flightSim) recordFrames(d *record.Detection) [][]byte {
	b, err := record.Marshal(d)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.frames(link.KindRecord, d.ID, b, 0, -1)
}

func sendUDP(t testing.TB, to net.Addr, frames [][]byte) {
	t.Helper()
	c, err := net.Dial("udp", to.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, f := range frames {
		if _, err := c.Write(f); err != nil {
			t.Fatal(err)
		}
		if i%64 == 63 {
			// Loopback UDP drops when the reader falls behind; pace bursts.
			time.Sleep(time.Millisecond)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// streamMsgs counts the messages of a stream on the service's bus.
func streamMsgs(t testing.TB, url, stream string) uint64 {
	t.Helper()
	nc, err := bus.Connect(bus.Config{URL: url, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}
