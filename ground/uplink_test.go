package ground

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/kiss"
)

// countReports counts, until the socket closes, the datagrams on conn
// that verify as reports at flight.
func countReports(fl *flightSim, conn *net.UDPConn, n *atomic.Int64) {
	buf := make([]byte, 4096)
	for {
		k, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if _, err := fl.sender.DecodeReport(buf[:k]); err == nil {
			n.Add(1)
		}
	}
}

func loopbackUDP(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestUplinkFollowsVerifiedFramesOnly: reports go back to the source of
// the latest frame that passed MAC verification. A datagram failing its
// CRC, a frame failing its MAC and a replayed genuine frame, sent from
// another address every 20 ms during the contact, never take the uplink;
// with a configured uplink address, reports go only there.
func TestUplinkFollowsVerifiedFramesOnly(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys, "alpha")
	cfg.ReportInterval = 40 * time.Millisecond
	cfg.ContactIdle = time.Minute
	fixed := loopbackUDP(t)
	cfg.UDP = append(cfg.UDP, UDPStation{Station: "fixed", Listen: "127.0.0.1:0", Uplink: fixed.LocalAddr().String()})
	g := start(t, cfg)
	fl := newFlight(t, keys, 1)
	// The attacker's frames are far ahead in sequence, so they reach the
	// MAC check (and would block genuine frames if they moved the window).
	attacker := newFlight(t, writeKeys(t, t.TempDir()), 1<<40)

	spacecraft, thief := loopbackUDP(t), loopbackUDP(t)
	var toSpacecraft, toThief, toFixed atomic.Int64
	go countReports(fl, spacecraft, &toSpacecraft)
	go countReports(fl, thief, &toThief)
	go countReports(fl, fixed, &toFixed)

	genuine := fl.recordFrames(detection(1, record.ClassFire))
	for _, st := range []string{"alpha", "fixed"} {
		for _, f := range genuine {
			if _, err := spacecraft.WriteTo(f, g.UDPAddr(st)); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, "a report at the spacecraft", 10*time.Second, func() bool { return toSpacecraft.Load() > 0 })
	forged := attacker.recordFrames(detection(2, record.ClassFire))
	bad := [][]byte{{0x55}, forged[0], genuine[0]} // CRC, MAC, replay
	before := toSpacecraft.Load()
	var sentBad int
	for range 50 {
		// The pass goes on: reports are due only while good frames arrive.
		for _, st := range []string{"alpha", "fixed"} {
			idle, err := fl.sender.AppendIdle(nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := spacecraft.WriteTo(idle, g.UDPAddr(st)); err != nil {
				t.Fatal(err)
			}
		}
		for _, st := range []string{"alpha", "fixed"} {
			for _, f := range bad {
				if _, err := thief.WriteTo(f, g.UDPAddr(st)); err != nil {
					t.Fatal(err)
				}
				sentBad++
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, "reports at the spacecraft during the garbage", 10*time.Second, func() bool { return toSpacecraft.Load() > before })
	if toFixed.Load() == 0 {
		t.Fatal("no report at the configured uplink address")
	}
	waitFor(t, "50 each of crc, auth and replay rejections counted", 10*time.Second, func() bool {
		rej := g.Stats().Frames[StationVC{"alpha", -1}]
		return rej.CRC == 50 && rej.Auth == 50 && rej.Replay == 50
	})
	if n := toThief.Load(); n != 0 {
		t.Fatalf("%d reports went to the sender of %d unauthenticated datagrams", n, sentBad)
	}
}

// kissReports counts the KISS frames on c that verify as reports.
func kissReports(fl *flightSim, c net.Conn, n *atomic.Int64) {
	dec := kiss.NewDecoder(c, 0)
	for {
		f, err := dec.Next()
		if err != nil {
			if errors.Is(err, kiss.ErrBadEscape) || errors.Is(err, kiss.ErrTooLong) {
				continue
			}
			return
		}
		if _, err := fl.sender.DecodeReport(f.Data); err == nil {
			n.Add(1)
		}
	}
}

func kissFrames(frames [][]byte) []byte {
	var b []byte
	for _, f := range frames {
		b = kiss.Append(b, 0, kiss.CmdData, f)
	}
	return b
}

// TestKISSUplinkIsLastVerifiedConnection: on a KISS station the uplink is
// the connection that last delivered a verified frame. A newer connection
// sending forged frames gets no report; once it delivers a verified frame
// (the modem reconnected), reports follow it.
func TestKISSUplinkIsLastVerifiedConnection(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys)
	cfg.UDP = nil
	cfg.KISS = []KISSStation{{Station: "modem", Listen: "127.0.0.1:0"}}
	cfg.ReportInterval = 40 * time.Millisecond
	cfg.ContactIdle = time.Minute
	g := start(t, cfg)
	fl := newFlight(t, keys, 1)
	attacker := newFlight(t, writeKeys(t, t.TempDir()), 1<<40)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", g.KISSAddr("modem").String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	modem := dial()
	var toModem, toNewer atomic.Int64
	go kissReports(fl, modem, &toModem)
	if _, err := modem.Write(kissFrames(fl.recordFrames(detection(1, record.ClassFire)))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a report on the modem's connection", 10*time.Second, func() bool { return toModem.Load() > 0 })

	newer := dial()
	go kissReports(fl, newer, &toNewer)
	if _, err := newer.Write(kissFrames(attacker.recordFrames(detection(2, record.ClassFire)))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the forged frame counted", 10*time.Second, func() bool {
		return g.Stats().Frames[StationVC{"modem", -1}].Auth > 0
	})
	before := toModem.Load()
	for range 10 {
		// The pass goes on on the modem's connection.
		idle, err := fl.sender.AppendIdle(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := modem.Write(kissFrames([][]byte{idle})); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitFor(t, "reports on the modem's connection after the newer one", 10*time.Second, func() bool { return toModem.Load() > before })
	if n := toNewer.Load(); n != 0 {
		t.Fatalf("%d reports went to a newer connection that delivered only forged frames", n)
	}

	if _, err := newer.Write(kissFrames(fl.recordFrames(detection(3, record.ClassFire)))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reports on the connection that delivered a verified frame", 10*time.Second, func() bool { return toNewer.Load() > 0 })
}
