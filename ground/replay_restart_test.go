package ground

import (
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
)

// TestReplayRejectedAfterRestart: the anti-replay state is durable with
// the symbols, so frames recorded before a ground restart are rejected as
// replays after it, while new frames are accepted.
func TestReplayRejectedAfterRestart(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys, "alpha")
	fl := newFlight(t, keys, 1)
	recorded := fl.recordFrames(detection(1, record.ClassVessel))

	g := start(t, cfg)
	sendUDP(t, g.UDPAddr("alpha"), recorded)
	waitFor(t, "first detection published", 10*time.Second, func() bool { return g.Stats().Published == 1 })
	g.stop(t)

	g = start(t, cfg)
	sendUDP(t, g.UDPAddr("alpha"), recorded)
	fresh := fl.recordFrames(detection(2, record.ClassVessel))
	sendUDP(t, g.UDPAddr("alpha"), fresh)
	waitFor(t, "replays counted and the fresh detection published", 10*time.Second, func() bool {
		st := g.Stats()
		return st.Frames[StationVC{"alpha", -1}].Replay == uint64(len(recorded)) && st.Published == 1
	})
	if got := streamMsgs(t, clientURL(g), bus.StreamDetections); got != 2 {
		t.Fatalf("DETECTIONS holds %d, want 2", got)
	}
}

// TestForgedHighSequenceBlocksNothing: a frame far ahead in sequence
// (2^40) that fails the MAC moves no anti-replay window, in memory or in
// the persisted state, so genuine frames go on being accepted before and
// after a restart.
func TestForgedHighSequenceBlocksNothing(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys, "alpha")
	fl := newFlight(t, keys, 1)
	forger := newFlight(t, writeKeys(t, t.TempDir()), 1<<40)
	forged := forger.recordFrames(detection(9, record.ClassFire))

	g := start(t, cfg)
	sendUDP(t, g.UDPAddr("alpha"), forged)
	sendUDP(t, g.UDPAddr("alpha"), fl.recordFrames(detection(1, record.ClassFire)))
	waitFor(t, "the genuine detection published after the forgery", 10*time.Second, func() bool {
		return g.Stats().Published == 1 && g.Stats().Frames[StationVC{"alpha", -1}].Auth == uint64(len(forged))
	})
	g.stop(t)

	g = start(t, cfg)
	sendUDP(t, g.UDPAddr("alpha"), forged)
	sendUDP(t, g.UDPAddr("alpha"), fl.recordFrames(detection(2, record.ClassVessel)))
	waitFor(t, "a genuine detection published after the restart", 10*time.Second, func() bool {
		st := g.Stats()
		return st.Published == 1 && st.Frames[StationVC{"alpha", -1}].Auth == uint64(len(forged))
	})
	if rep := g.Stats().Frames[StationVC{"alpha", -1}].Replay; rep != 0 {
		t.Fatalf("%d genuine frames rejected as replays", rep)
	}
}
