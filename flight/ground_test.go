package flight

import (
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/bundle"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/reassembly"
	"github.com/skysieve/skysieve/downlink/report"
	"github.com/skysieve/skysieve/downlink/sdls"
)

// testGround is the ground end of the integration tests: the real link
// Receiver (reassembler) behind a UDP socket on loopback, a lossy channel
// in front of it (each frame is dropped with probability loss), and the
// real ReportEncoder sending ACK/NAK reports to whoever sent the latest
// frame.
type testGround struct {
	t    *testing.T
	conn *net.UDPConn
	rx   *link.Receiver
	up   *link.ReportEncoder

	mu        sync.Mutex
	rng       *rand.Rand
	loss      float64
	peer      *net.UDPAddr
	lastFrame time.Time
	completed map[link.ItemRef]int
	data      map[link.ItemRef][]byte
	// members are the records and chips that arrived in bundles, reported
	// complete as the ground service reports them.
	members   []link.ItemRef
	frames    int
	dropped   int
	rejected  int
	reportSeq uint32
}

func newTestGround(t *testing.T, cfg link.Config, loss float64, seed uint64) *testGround {
	t.Helper()
	keys, err := sdls.DevelopmentKeys()
	if err != nil {
		t.Fatal(err)
	}
	rx, err := link.NewReceiver(cfg, keys, reassembly.Config{})
	if err != nil {
		t.Fatal(err)
	}
	up, err := link.NewReportEncoder(cfg, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	g := &testGround{t: t, conn: conn, rx: rx, up: up, rng: rand.New(rand.NewPCG(seed, 1)), loss: loss,
		completed: map[link.ItemRef]int{}, data: map[link.ItemRef][]byte{}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); g.receive() }()
	go func() { defer wg.Done(); g.reportLoop(done) }()
	t.Cleanup(func() {
		close(done)
		conn.Close()
		wg.Wait()
	})
	return g
}

func (g *testGround) addr() string { return g.conn.LocalAddr().String() }

func (g *testGround) receive() {
	buf := make([]byte, 65536)
	for {
		n, from, err := g.conn.ReadFromUDP(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				g.t.Errorf("ground read: %v", err)
			}
			return
		}
		g.mu.Lock()
		g.peer, g.lastFrame = from, time.Now()
		g.frames++
		if g.rng.Float64() < g.loss {
			g.dropped++
			g.mu.Unlock()
			continue
		}
		res, err := g.rx.Receive(buf[:n], "test")
		if err != nil {
			g.rejected++
		}
		for _, it := range res.Completed {
			g.completed[it.Ref]++
			g.data[it.Ref] = it.Data
			if it.Ref.Kind != link.KindBundle {
				continue
			}
			ms, err := bundle.Decode(it.Data)
			if err != nil {
				g.t.Errorf("bundle %v: %v", it.Ref, err)
				continue
			}
			for i := range ms {
				for _, part := range ms[i].Parts() {
					g.completed[part.Ref]++
					g.data[part.Ref] = part.Data
					g.members = append(g.members, part.Ref)
				}
			}
		}
		g.mu.Unlock()
	}
}

// reportLoop sends a report every 100 ms while frames are arriving and
// for a few seconds after, so the last frames of a burst are covered.
func (g *testGround) reportLoop(done chan struct{}) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		g.mu.Lock()
		peer, active := g.peer, time.Since(g.lastFrame) < 3*time.Second
		g.reportSeq++
		seq := g.reportSeq
		g.mu.Unlock()
		if peer == nil || !active {
			continue
		}
		ra := g.rx.Reassembler()
		g.mu.Lock()
		complete := append(ra.Completed(), g.members...)
		g.mu.Unlock()
		rep := report.Report{Seq: seq, Time: time.Now(), Complete: complete, Need: ra.Needs()}
		frames, err := g.up.EncodeReport(rep)
		if err != nil {
			g.t.Errorf("encode report: %v", err)
			return
		}
		for _, f := range frames {
			if _, err := g.conn.WriteToUDP(f, peer); err != nil && !errors.Is(err, net.ErrClosed) {
				g.t.Logf("ground report send: %v", err)
			}
		}
	}
}

// snapshot returns completion counts and the decoded items.
func (g *testGround) snapshot() (map[link.ItemRef]int, map[link.ItemRef][]byte, int, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := make(map[link.ItemRef]int, len(g.completed))
	d := make(map[link.ItemRef][]byte, len(g.data))
	for k, v := range g.completed {
		c[k] = v
	}
	for k, v := range g.data {
		d[k] = v
	}
	return c, d, g.frames, g.dropped
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
