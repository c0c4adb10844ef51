package ground

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/downlink/report"
)

// TestReportsReachFlight: frames come from a flight socket; the ground
// sends authenticated reports back to that address during the contact,
// acknowledging the complete record and asking for the chip's missing
// symbols, and a final report after the contact ends.
func TestReportsReachFlight(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys, "alpha")
	cfg.ReportInterval = 100 * time.Millisecond
	cfg.ContactIdle = 400 * time.Millisecond
	g := start(t, cfg)
	fl := newFlight(t, keys, 1)

	d := detection(20, record.ClassFire)
	chip := make([]byte, 20_000)
	for i := range chip {
		chip[i] = byte(i * 7)
	}
	frames := fl.recordFrames(d)
	chipFrames := fl.frames(link.KindChip, d.ID, chip, 0, 5)
	frames = append(frames, chipFrames...)

	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, f := range frames {
		if _, err := conn.WriteTo(f, g.UDPAddr("alpha")); err != nil {
			t.Fatal(err)
		}
	}
	id, _ := link.ParseDetectionID(d.ID)
	recRef := link.ItemRef{Kind: link.KindRecord, ID: id}
	chipRef := link.ItemRef{Kind: link.KindChip, ID: id}
	enc, _ := fl.sender.Item(link.KindChip, id, chip, 0)
	wantNeed := enc.K() - 5

	var got []report.Report
	buf := make([]byte, 2048)
	deadline := time.Now().Add(5 * time.Second)
	sawFull := false
	for time.Now().Before(deadline) && !sawFull {
		_ = conn.SetReadDeadline(deadline)
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no report: %v", err)
		}
		rep, err := fl.sender.DecodeReport(buf[:n])
		if err != nil {
			t.Fatalf("report does not verify at flight: %v", err)
		}
		got = append(got, rep)
		need := slices.IndexFunc(rep.Need, func(n report.NeedRef) bool { return n.Ref == chipRef })
		sawFull = slices.Contains(rep.Complete, recRef) && need >= 0 && rep.Need[need].Symbols == wantNeed
	}
	if !sawFull {
		t.Fatalf("no report ACKs the record and NAKs the chip for %d symbols; got %+v", wantNeed, got)
	}
	// After the contact goes idle, one final report, then silence.
	time.Sleep(cfg.ContactIdle + 3*cfg.ReportInterval)
	_ = conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	for {
		if _, _, err := conn.ReadFrom(buf); err != nil {
			break
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(4 * cfg.ReportInterval))
	if _, _, err := conn.ReadFrom(buf); err == nil {
		t.Fatal("reports continue after the contact ended")
	}
	if g.Stats().ReportsSent == 0 {
		t.Fatal("ReportsSent is 0")
	}
}

// TestEvictionPrunesLog: under a small reassembly cap the oldest
// incomplete items are evicted, and their symbols leave the durable log
// too, so the log holds exactly what the reassembler holds.
func TestEvictionPrunesLog(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys, "alpha")
	cfg.MaxReassemblyBytes = 40_000
	g := start(t, cfg)
	fl := newFlight(t, keys, 1)
	var frames [][]byte
	for i := range 6 {
		id := detection(500+i, record.ClassVessel).ID
		frames = append(frames, fl.frames(link.KindChip, id, make([]byte, 30_000), 0, 10)...)
	}
	sendUDP(t, g.UDPAddr("alpha"), frames)
	waitFor(t, "frames processed", 10*time.Second, func() bool {
		return g.Stats().Frames[StationVC{"alpha", 0}].Good == uint64(len(frames))
	})
	held := len(g.rx.Reassembler().Needs())
	st := g.Stats()
	if g.rx.Reassembler().Stats().Evicted == 0 {
		t.Fatal("nothing evicted; the test's cap is too large")
	}
	if st.SymbolsLogged != held*10 {
		t.Fatalf("log holds %d symbols, reassembler holds %d items of 10", st.SymbolsLogged, held)
	}
}
