package ground

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
)

// closedByPeer waits up to d for c to be closed by the ground (EOF or
// reset on read); it reports false if c is still open then.
func closedByPeer(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 256)
	for {
		_, err := c.Read(buf)
		switch {
		case err == nil:
			continue // a report
		case errors.Is(err, os.ErrDeadlineExceeded):
			return false
		default:
			return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err)
		}
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

// TestKISSConnectionCapAndIdleTimeout: a KISS station holds at most
// max_conns connections (one more is closed at once), and a connection
// trickling one byte a second, which never completes a frame, is closed
// after idle_timeout; a modem that is merely silent between frames is
// kept and its next frame counts.
func TestKISSConnectionCapAndIdleTimeout(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys)
	cfg.UDP = nil
	cfg.KISS = []KISSStation{{Station: "modem", Listen: "127.0.0.1:0", MaxConns: 2, IdleTimeout: 1500 * time.Millisecond}}
	cfg.MetricsAddr = "127.0.0.1:0"
	g := start(t, cfg)
	scrape := &child{metrics: g.MetricsAddr().String()}
	dropped := func(reason string) float64 {
		return scrape.counter(t, "skysieve_ground_kiss_connections_dropped_total", `station="modem"`, `reason="`+reason+`"`)
	}
	fl := newFlight(t, keys, 1)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", g.KISSAddr("modem").String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	modem := dial()
	if _, err := modem.Write(kissFrames(fl.recordFrames(detection(1, record.ClassFire)))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the modem's frame", 10*time.Second, func() bool { return g.Stats().Frames[StationVC{"modem", 0}].Good == 1 })
	silent := dial()
	extra := dial()
	if !closedByPeer(extra, 10*time.Second) {
		t.Fatal("a third connection to a station with max_conns 2 stayed open")
	}
	waitFor(t, "the refusal counted", 5*time.Second, func() bool { return dropped(kissDropCap) == 1 })

	silent.Close()
	waitFor(t, "the silent connection's slot freed", 10*time.Second, func() bool {
		r := g.kiss[0]
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.conns) == 1
	})
	trickle := dial()
	closed := make(chan bool, 1)
	go func() { closed <- closedByPeer(trickle, 30*time.Second) }()
	sent := 0
	for done := false; !done; {
		select {
		case ok := <-closed:
			if !ok {
				t.Fatalf("a connection sending 1 byte/s was still open after 30 s (%d bytes)", sent)
			}
			done = true
		case <-time.After(time.Second):
			b := []byte{0xC0, 0x00, 0x55}[sent%3]
			if _, err := trickle.Write([]byte{b}); err == nil {
				sent++
			}
		}
	}
	if got := dropped(kissDropIdle); got != 1 {
		t.Fatalf("idle closes counted %v, want 1", got)
	}
	// The modem, silent all this while, is still connected.
	if _, err := modem.Write(kissFrames(fl.recordFrames(detection(2, record.ClassFire)))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the modem's next frame", 10*time.Second, func() bool { return g.Stats().Frames[StationVC{"modem", 0}].Good == 2 })
}

// In client mode ground connects to the modem's KISS server (a plain TCP
// server here, as gr-satellites --kiss_server or Direwolf would be), and
// connects again after the modem drops the connection.
func TestKISSClientModeReconnects(t *testing.T) {
	modem, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer modem.Close()
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys)
	cfg.UDP = nil
	cfg.KISS = []KISSStation{{Station: "modem", Listen: modem.Addr().String(), Mode: KISSClient}}
	g := start(t, cfg)
	if g.KISSAddr("modem") != nil {
		t.Fatal("a client-mode station listens")
	}
	fl := newFlight(t, keys, 1)
	accept := func() net.Conn {
		t.Helper()
		if err := modem.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
			t.Fatal(err)
		}
		c, err := modem.Accept()
		if err != nil {
			t.Fatalf("ground did not connect to the modem: %v", err)
		}
		return c
	}
	good := func() uint64 { return g.Stats().Frames[StationVC{"modem", 0}].Good }
	for i, id := range []int{1, 2} {
		c := accept()
		frames := fl.recordFrames(detection(id, record.ClassFire))
		if _, err := c.Write(kissFrames(frames)); err != nil {
			t.Fatal(err)
		}
		want := uint64(len(frames) * (i + 1))
		waitFor(t, fmt.Sprintf("connection %d's frames", i+1), 20*time.Second, func() bool { return good() >= want })
		c.Close() // the modem restarts; ground must come back
	}
	g.stop(t)
}
