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
