package ground

import (
	"slices"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/record"
)

// TestDeliverInProcess: frames handed to Deliver are durable and counted
// when it returns, with no socket involved, and the station's reports go
// to the function SetUplink gave.
func TestDeliverInProcess(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys, "alpha")
	clk := clock.NewVirtual(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	cfg.Clock = clk
	g := start(t, cfg)
	fl := newFlight(t, keys, 1)

	if err := g.Deliver("nowhere", []byte("x")); err == nil {
		t.Error("Deliver to an unknown station: no error")
	}
	if err := g.SetUplink("nowhere", func([]byte) error { return nil }); err == nil {
		t.Error("SetUplink for an unknown station: no error")
	}
	up := make(chan []byte, 16)
	if err := g.SetUplink("alpha", func(tc []byte) error { up <- append([]byte(nil), tc...); return nil }); err != nil {
		t.Fatal(err)
	}

	d := detection(7, record.ClassFire)
	frames := fl.recordFrames(d)
	bad := append([]byte(nil), frames[0]...)
	bad[len(bad)/2] ^= 1
	if err := g.Deliver("alpha", append([][]byte{bad}, frames...)...); err != nil {
		t.Fatal(err)
	}
	st := g.Stats()
	var good, crc uint64
	for _, c := range st.Frames {
		good += c.Good
		crc += c.CRC
	}
	if good != uint64(len(frames)) || crc != 1 || st.ItemsCompleted[kindRecord] != 1 {
		t.Fatalf("right after Deliver: %d good (want %d), %d bad CRC (want 1), %d records complete (want 1)", good, len(frames), crc, st.ItemsCompleted[kindRecord])
	}

	id, _ := link.ParseDetectionID(d.ID)
	ref := link.ItemRef{Kind: link.KindRecord, ID: id}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		clk.Advance(cfg.ReportInterval)
		select {
		case tc := <-up:
			rep, err := fl.sender.DecodeReport(tc)
			if err != nil {
				t.Fatalf("report through SetUplink does not decode: %v", err)
			}
			if !slices.Contains(rep.Complete, ref) {
				t.Fatalf("report %+v does not acknowledge %v", rep, ref)
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("no report reached the uplink function")
}
