package ground

import (
	"context"
	"errors"
	"fmt"
	"github.com/nats-io/nats.go/jetstream"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
)

// custodySim is the flight side of the ACK crash test: it holds items in
// custody, sends their frames from one UDP socket (where the ground's
// reports come back) and releases an item when a verified report
// acknowledges it, as flight does.
type custodySim struct {
	fl   *flightSim
	conn *net.UDPConn
	dets []*record.Detection

	mu       sync.Mutex
	released map[string]bool
	reports  int
}

func newCustodySim(t *testing.T, fl *flightSim, dets []*record.Detection) *custodySim {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c := &custodySim{fl: fl, conn: conn, dets: dets, released: map[string]bool{}}
	go c.readReports()
	return c
}

func (c *custodySim) readReports() {
	buf := make([]byte, 4096)
	for {
		n, _, err := c.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		rep, err := c.fl.sender.DecodeReport(buf[:n])
		if err != nil {
			continue
		}
		c.mu.Lock()
		c.reports++
		for _, ref := range rep.Complete {
			if ref.Kind == link.KindRecord {
				c.released[link.FormatID(ref.ID)] = true
			}
		}
		c.mu.Unlock()
	}
}

// held lists up to n detections still in custody.
func (c *custodySim) held(n int) []*record.Detection {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*record.Detection
	for _, d := range c.dets {
		if !c.released[d.ID] && len(out) < n {
			out = append(out, d)
		}
	}
	return out
}

// send transmits fresh frames (new security sequence numbers, as flight
// resends) for every detection given.
func (c *custodySim) send(t *testing.T, to string, dets []*record.Detection) {
	t.Helper()
	addr := mustUDPAddr(t, to).(*net.UDPAddr)
	for _, d := range dets {
		for _, f := range c.fl.recordFrames(d) {
			if _, err := c.conn.WriteToUDP(f, addr); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCrashSIGKILLBetweenAckAndCommit: flight releases an item as soon as
// a report acknowledges it, and the ground is SIGKILLed at the edges of
// the commit that makes the item durable: before it, right after a report
// is sent from inside the open transaction (everything the report loop
// could say at that moment goes up), and right after it, once that report
// is sent. Once the kills are done, flight resends what it still holds
// until every item is released. Each item must then be on the bus exactly
// once: an ACK sent before the commit would lose the item (flight
// released it; the ground never stored it). SKYSIEVE_SOAK=1 runs 200
// kills; `go test` runs 12.
func TestCrashSIGKILLBetweenAckAndCommit(t *testing.T) {
	kills := 12
	if os.Getenv("SKYSIEVE_SOAK") == "1" {
		kills = 200
	}
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	dataDir := filepath.Join(dir, "ground")
	udp := fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t))
	metrics := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	items := kills + 4
	var dets []*record.Detection
	for i := range items {
		dets = append(dets, detection(5000+i, []string{record.ClassVessel, record.ClassFlood}[i%2]))
	}
	flight := newCustodySim(t, newFlight(t, keys, 1), dets)
	defer flight.conn.Close()

	started := time.Now()
	points := []string{faultBeforeCommit, faultAfterCommit}
	killed := map[string]int{}
	for k := range kills {
		point := points[k%2]
		ch := startChild(t, dataDir, keys, udp, metrics, envFault+"="+point)
		exited := make(chan struct{})
		go func() {
			_ = ch.cmd.Wait()
			close(exited)
		}()
		died := false
		for try := 0; try < 10 && !died; try++ {
			batch := flight.held(2)
			if len(batch) == 0 {
				batch = dets[:1] // all released: completing one again still commits
			}
			flight.send(t, udp, batch)
			select {
			case <-exited:
				died = true
			case <-time.After(2 * time.Second):
			}
		}
		if !died {
			_ = ch.cmd.Process.Kill()
			<-exited
			t.Fatalf("kill %d (%s): the child never reached the fault point: %s", k, point, ch.out)
		}
		killed[point]++
	}
	killTime := time.Since(started)

	ch := startChild(t, dataDir, keys, udp, metrics)
	defer func() { ch.kill(t, syscall.SIGTERM) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		held := flight.held(len(dets))
		if len(held) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d items still held by flight after 60 s: never acknowledged", len(held))
		}
		flight.send(t, udp, held)
		time.Sleep(300 * time.Millisecond)
	}
	url := readNATSURL(t, dataDir)
	// The publisher drains the outbox; what is not on the bus by then was
	// lost (the count is the test's figure, so no early failure here).
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if countStream(t, url, bus.StreamDetections) >= uint64(items) {
			break
		}
	}
	time.Sleep(300 * time.Millisecond)
	got := countStream(t, url, bus.StreamDetections)
	onBus := detectionsOnBus(t, url, dets)
	lost := items - onBus
	dup := int(got) - onBus
	t.Logf("%d SIGKILLs (%d before commit, %d after) in %s; %d items released by flight on ACK: %d on the bus, %d lost, %d duplicated",
		kills, killed[faultBeforeCommit], killed[faultAfterCommit], killTime.Round(time.Millisecond), items, onBus, lost, dup)
	if lost != 0 || dup != 0 {
		t.Fatalf("%d lost, %d duplicated after %d kills", lost, dup, kills)
	}
}

// detectionsOnBus counts the detections with a message on their subject
// of the DETECTIONS stream.
func detectionsOnBus(t *testing.T, url string, dets []*record.Detection) int {
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, bus.StreamDetections)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dets {
		if _, err := st.GetLastMsgForSubject(ctx, subjectDetectionPrefix+d.Class+"."+d.ID); err == nil {
			n++
		}
	}
	return n
}
