package ground

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
	"github.com/skysieve/skysieve/ground/feed"
)

// TestPublishedOnceAcrossStationsAndPasses: the same detections heard by
// two stations in one pass, and sent again on a pass an hour later (new
// frames, repair symbols), are each published exactly once; a second
// ground with an empty data dir sharing the bus is refused by JetStream's
// create-only check.
func TestPublishedOnceAcrossStationsAndPasses(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	vclock := clock.NewVirtual(time.Date(2026, 8, 1, 10, 5, 0, 0, time.UTC))
	cfg := testConfig(t, dir+"/g1", keys, "alpha", "bravo")
	cfg.Clock = vclock
	g := start(t, cfg)

	fl := newFlight(t, keys, 1)
	const n = 6
	var dets []*record.Detection
	var pass1 [][]byte
	for i := range n {
		class := []string{record.ClassFire, record.ClassVessel, record.ClassFlood}[i%3]
		d := detection(i, class)
		dets = append(dets, d)
		pass1 = append(pass1, fl.recordFrames(d)...)
	}
	// Both stations hear every frame of pass 1.
	sendUDP(t, g.UDPAddr("alpha"), pass1)
	sendUDP(t, g.UDPAddr("bravo"), pass1)
	waitFor(t, "6 detections published", 20*time.Second, func() bool {
		st := g.Stats()
		return st.Published == n && st.OutboxLen == 0
	})
	waitFor(t, "both stations' frames processed", 10*time.Second, func() bool {
		st := g.Stats()
		return st.Frames[StationVC{"alpha", 0}].Good == uint64(len(pass1)) && st.Frames[StationVC{"bravo", 0}].Good == uint64(len(pass1))
	})

	// Pass 2, an hour later, after a ground restart (the reassembler has
	// forgotten what it completed): flight resends everything with repair
	// symbols.
	g.stop(t)
	g = start(t, cfg)
	vclock.Advance(time.Hour)
	var pass2 [][]byte
	for _, d := range dets {
		b, _ := record.Marshal(d)
		pass2 = append(pass2, fl.frames(link.KindRecord, d.ID, b, 3, 6)...)
	}
	sendUDP(t, g.UDPAddr("alpha"), pass2)
	waitFor(t, "pass 2 processed", 10*time.Second, func() bool {
		st := g.Stats()
		return st.Frames[StationVC{"alpha", 0}].Good == uint64(len(pass2)) && st.OutboxLen == 0
	})
	st := g.Stats()
	if st.Published != 0 || st.OutboxLen != 0 || st.ItemsRedelivered != n {
		t.Fatalf("pass 2: published %d, outbox %d, redelivered %d; want 0, 0, %d", st.Published, st.OutboxLen, st.ItemsRedelivered, n)
	}
	if got := streamMsgs(t, clientURL(g), bus.StreamDetections); got != n {
		t.Fatalf("DETECTIONS holds %d messages, want %d", got, n)
	}
	// Severe classes (fire, flood) made one CAP alert each.
	if got := streamMsgs(t, clientURL(g), bus.StreamAlerts); got != 4 {
		t.Fatalf("ALERTS holds %d messages, want 4", got)
	}
	checkPublished(t, clientURL(g), dets[0], vclock.Now().Add(-time.Hour))

	// A second ground with no local memory, on the same bus, receives pass 1
	// again much later: JetStream refuses every detection (create-only).
	vclock.Advance(24 * time.Hour)
	cfg2 := testConfig(t, dir+"/g2", keys, "charlie")
	cfg2.Clock = vclock
	cfg2.NATSURL = clientURL(g)
	g2 := start(t, cfg2)
	sendUDP(t, g2.UDPAddr("charlie"), pass1)
	waitFor(t, "second ground saw every detection", 20*time.Second, func() bool {
		return g2.Stats().AlreadyPublished == n
	})
	if st := g2.Stats(); st.Published != 0 {
		t.Fatalf("second ground published %d", st.Published)
	}
	if got := streamMsgs(t, clientURL(g), bus.StreamDetections); got != n {
		t.Fatalf("DETECTIONS holds %d messages after the second ground, want %d", got, n)
	}
}

// checkPublished reads a detection back and checks the GeoJSON and headers.
func checkPublished(t *testing.T, url string, d *record.Detection, publishTime time.Time) {
	t.Helper()
	nc, err := bus.Connect(bus.Config{URL: url, Logger: quietLogger()})
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
	m, err := s.GetLastMsgForSubject(ctx, DetectionSubject(d.Class, d.ID))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get(bus.HeaderClass) != d.Class || m.Header.Get(bus.HeaderPriority) == "" || m.Header.Get("Nats-Msg-Id") == "" {
		t.Fatalf("headers %v", m.Header)
	}
	var f feed.Feature
	if err := json.Unmarshal(m.Data, &f); err != nil {
		t.Fatal(err)
	}
	p := f.Properties
	if f.ID != d.ID || p.Class != d.Class || p.Station == "" || p.Pass == "" || !p.CaptureTime.Equal(d.CaptureTime) {
		t.Fatalf("feature %+v", f)
	}
	if !p.PublishTime.Equal(publishTime) {
		t.Fatalf("publish time %v, want the virtual clock's %v", p.PublishTime, publishTime)
	}
	if feed.IsSevere(d.Class) {
		am, err := js.Stream(ctx, bus.StreamAlerts)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := am.GetLastMsgForSubject(ctx, AlertSubject(d.Class))
		if err != nil {
			t.Fatal(err)
		}
		var a feed.Alert
		if err := xml.Unmarshal(msg.Data, &a); err != nil {
			t.Fatalf("alert XML: %v", err)
		}
		if a.XMLName.Space != feed.CAPNamespace {
			t.Fatalf("alert namespace %q", a.XMLName.Space)
		}
	}
}

func TestConfigValidateNamesKey(t *testing.T) {
	base := func() Config {
		c := DefaultConfig()
		c.KeyFile = "k"
		return c
	}
	cases := []struct {
		key    string
		mutate func(*Config)
	}{
		{"data_dir", func(c *Config) { c.DataDir = "" }},
		{"udp[0].listen", func(c *Config) { c.UDP[0].Listen = "nowhere" }},
		{"udp[1].station", func(c *Config) { c.UDP = append(c.UDP, UDPStation{Station: "local", Listen: ":1"}) }},
		{"kiss[0].station", func(c *Config) { c.KISS = []KISSStation{{Station: "a b", Listen: ":1"}} }},
		{"nats.replicas", func(c *Config) { c.NATSReplicas = 9 }},
		{"report_interval", func(c *Config) { c.ReportInterval = -time.Second }},
		{"cap_sender", func(c *Config) { c.CAPSender = "a b" }},
		{"nats.tls.cert", func(c *Config) { c.NATSCertFile = "c.pem" }},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			c := base()
			tc.mutate(&c)
			err := c.Validate()
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
			if want := tc.key; !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not name %s", err, want)
			}
		})
	}
	c := base()
	if err := c.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
}
