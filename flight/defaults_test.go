package flight

import (
	"testing"

	"github.com/skysieve/skysieve/ground"
)

// Flight's default radio and ground's default station meet, so the two
// services connect out of the box on one machine: flight sends to the
// station's address, and the station, with no fixed uplink, answers the
// frames' source, flight's radio.listen.
func TestDefaultsConnect(t *testing.T) {
	f, g := DefaultConfig(), ground.DefaultConfig()
	if len(g.UDP) != 1 || g.UDP[0].Listen != f.RadioPeer {
		t.Fatalf("flight sends to %s, ground's default stations are %+v", f.RadioPeer, g.UDP)
	}
	if g.UDP[0].Uplink != "" && g.UDP[0].Uplink != f.RadioListen {
		t.Fatalf("ground reports go to %s, flight listens on %s", g.UDP[0].Uplink, f.RadioListen)
	}
}
