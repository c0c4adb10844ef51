package ground

import (
	"slices"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/bundle"
	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
)

// A bundle publishes each member once, and a member sent again on its own
// (flight lost track of the bundle) or in another bundle is not published
// twice. Reports name the bundle and every member part as complete, so
// flight can end each detection's custody.
func TestBundlePublishesEachMemberOnce(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	vclock := clock.NewVirtual(time.Date(2026, 8, 1, 10, 5, 0, 0, time.UTC))
	cfg := testConfig(t, dir+"/g", keys, "alpha")
	cfg.Clock = vclock
	g := start(t, cfg)
	defer g.stop(t)
	fl := newFlight(t, keys, 1)

	const n = 5
	var members []bundle.Member
	var dets []*record.Detection
	for i := range n {
		d := detection(100+i, []string{record.ClassFire, record.ClassVessel}[i%2])
		dets = append(dets, d)
		b, err := record.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := link.ParseDetectionID(d.ID)
		m := bundle.Member{ID: id, Record: b}
		if i != 2 {
			m.Chip = []byte{0xff, 0xd8, byte(i), 0xff, 0xd9}
		}
		members = append(members, m)
	}
	data, err := bundle.Encode(nil, members)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]link.ItemID, n)
	for i := range members {
		ids[i] = members[i].ID
	}
	bid := bundle.ID(ids)
	sendUDP(t, g.UDPAddr("alpha"), fl.frames(link.KindBundle, link.FormatID(bid), data, 0, -1))
	waitFor(t, "the bundle's detections published", 20*time.Second, func() bool {
		st := g.Stats()
		return st.Published == n && st.OutboxLen == 0
	})
	if got := streamMsgs(t, clientURL(g), bus.StreamDetections); got != n {
		t.Fatalf("DETECTIONS holds %d messages, want %d", got, n)
	}
	checkPublished(t, clientURL(g), dets[0], vclock.Now())

	rep := g.buildReport(vclock.Now())
	want := []link.ItemRef{{Kind: link.KindBundle, ID: bid}}
	for i, m := range members {
		want = append(want, link.ItemRef{Kind: link.KindRecord, ID: m.ID})
		if i != 2 {
			want = append(want, link.ItemRef{Kind: link.KindChip, ID: m.ID})
		}
	}
	for _, ref := range want {
		if !slices.Contains(rep.Complete, ref) {
			t.Errorf("report does not acknowledge %v", ref)
		}
	}

	// One member again on its own, and two in a different bundle.
	again := fl.recordFrames(dets[1])
	data2, err := bundle.Encode(nil, members[3:5])
	if err != nil {
		t.Fatal(err)
	}
	again = append(again, fl.frames(link.KindBundle, link.FormatID(bundle.ID(ids[3:5])), data2, 0, -1)...)
	sendUDP(t, g.UDPAddr("alpha"), again)
	waitFor(t, "the repeats processed", 20*time.Second, func() bool {
		return g.Stats().ItemsRedelivered >= 5
	})
	if st := g.Stats(); st.Published != n {
		t.Fatalf("published %d after repeats, want %d", st.Published, n)
	}
	if got := streamMsgs(t, clientURL(g), bus.StreamDetections); got != n {
		t.Fatalf("DETECTIONS holds %d messages after repeats, want %d", got, n)
	}
}
