package ground

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
)

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startNATS runs an external JetStream server (in this process) on port.
func startNATS(t testing.TB, port int, storeDir string) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: storeDir,
		SyncAlways: true, NoSigs: true, NoLog: true, ServerName: "external"})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("external nats-server not ready")
	}
	return s
}

// TestBusOutageLosesNothing: with an external server that stops for a
// while, detections completed meanwhile wait in the outbox and are all
// published, highest priority first, when it returns.
func TestBusOutageLosesNothing(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	port := freePort(t)
	store := t.TempDir()
	ns := startNATS(t, port, store)
	defer func() { ns.Shutdown() }()
	cfg := testConfig(t, dir+"/g", keys, "alpha")
	cfg.NATSURL = "nats://127.0.0.1:" + strconv.Itoa(port)
	g := start(t, cfg)
	fl := newFlight(t, keys, 1)

	var before [][]byte
	for i := range 3 {
		before = append(before, fl.recordFrames(detection(100+i, record.ClassVessel))...)
	}
	sendUDP(t, g.UDPAddr("alpha"), before)
	waitFor(t, "3 published before the outage", 10*time.Second, func() bool { return g.Stats().Published == 3 })

	ns.Shutdown()
	ns.WaitForShutdown()
	const during = 10
	var frames [][]byte
	for i := range during {
		frames = append(frames, fl.recordFrames(detection(200+i, record.ClassVessel))...)
	}
	sendUDP(t, g.UDPAddr("alpha"), frames)
	waitFor(t, "items queued during the outage", 10*time.Second, func() bool {
		st := g.Stats()
		return st.OutboxLen == during && st.PublishErrors > 0
	})
	time.Sleep(500 * time.Millisecond)
	if st := g.Stats(); st.Published != 3 || st.OutboxLen != during {
		t.Fatalf("during the outage: published %d, outbox %d", st.Published, st.OutboxLen)
	}

	ns = startNATS(t, port, store)
	waitFor(t, "outbox drained after the bus returned", 30*time.Second, func() bool {
		st := g.Stats()
		return st.OutboxLen == 0 && st.Published == 3+during
	})
	if got := streamMsgs(t, clientURL(g), bus.StreamDetections); got != 3+during {
		t.Fatalf("DETECTIONS holds %d, want %d", got, 3+during)
	}
	// The queued ones arrived in priority order.
	nc, err := bus.Connect(bus.Config{URL: clientURL(g), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, bus.StreamDetections)
	if err != nil {
		t.Fatal(err)
	}
	last := 2.0
	for seq := uint64(4); seq <= 3+during; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		p, err := strconv.ParseFloat(m.Header.Get(bus.HeaderPriority), 64)
		if err != nil {
			t.Fatal(err)
		}
		if p > last {
			t.Fatalf("message %d has priority %v after %v: not in priority order", seq, p, last)
		}
		last = p
	}
}

func netListenUDP() (int, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

func mustUDPAddr(t testing.TB, s string) net.Addr {
	a, err := net.ResolveUDPAddr("udp", s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
