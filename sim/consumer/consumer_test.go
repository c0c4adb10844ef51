package consumer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
	"github.com/skysieve/skysieve/ground/feed"
	"github.com/skysieve/skysieve/sim/world"
)

var t0 = time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)

func square(lat, lon, half float64) [][2]float64 {
	return [][2]float64{{lon - half, lat - half}, {lon + half, lat - half}, {lon + half, lat + half}, {lon - half, lat + half}, {lon - half, lat - half}}
}

func testEvents() []world.Event {
	return []world.Event{
		{ID: "fire-000", Class: record.ClassFire, LatDeg: 10, LonDeg: 20, RadiusM: 500, Start: t0.Add(-time.Hour), End: t0.Add(time.Hour)},
		{ID: "vessel-000", Class: record.ClassVessel, LatDeg: 10.05, LonDeg: 20, RadiusM: 100, Start: t0.Add(-time.Hour), End: t0.Add(time.Hour)},
		{ID: "fire-001", Class: record.ClassFire, LatDeg: 10, LonDeg: 20.01, RadiusM: 500, Start: t0.Add(-time.Hour), End: t0.Add(-time.Minute)},
	}
}

func TestMatch(t *testing.T) {
	ev := testEvents()
	for _, tc := range []struct {
		name     string
		class    string
		fp       [][2]float64
		at       time.Time
		want     int
		wantNone bool
	}{
		{"fire on fire", record.ClassFire, square(10.002, 20.002, 0.004), t0, 0, false},
		{"vessel on vessel", record.ClassVessel, square(10.05, 20, 0.004), t0, 1, false},
		{"wrong class", record.ClassFlood, square(10, 20, 0.004), t0, -1, true},
		{"far away", record.ClassFire, square(11, 21, 0.004), t0, -1, true},
		{"before the event", record.ClassFire, square(10, 20, 0.004), t0.Add(-2 * time.Hour), -1, true},
		{"ended event not matched", record.ClassFire, square(10, 20.01, 0.001), t0, -1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Match(ev, tc.class, tc.fp, tc.at); got != tc.want {
				t.Fatalf("Match = %d, want %d", got, tc.want)
			}
		})
	}
}

func detection(id, class string, lat, lon float64) *record.Detection {
	return &record.Detection{
		ID: id, Class: class, Confidence: 0.9, Priority: 0.8, Footprint: square(lat, lon, 0.004),
		CaptureTime: t0, Satellite: "SAT-A", SceneID: "SAT-A-1",
	}
}

func TestDecode(t *testing.T) {
	b, err := feed.GeoJSON(detection("00112233445566778899aabb", record.ClassFire, 10, 20), feed.Delivery{Station: "Svalbard", PublishTime: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "00112233445566778899aabb" || d.Class != record.ClassFire || d.Station != "Svalbard" || !d.CaptureTime.Equal(t0) || len(d.Footprint) != 5 {
		t.Fatalf("decoded %+v", d)
	}
	for _, bad := range []string{
		``, `{`, `[]`, `{"type":"Point"}`,
		`{"type":"Feature","id":"a","properties":{"class":"fire","capture_time":"2026-03-20T10:00:00Z"},"geometry":{"type":"Polygon","coordinates":[]}}`,
		`{"type":"Feature","id":"a","properties":{"class":"fire","capture_time":"2026-03-20T10:00:00Z"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[500,1],[0,0]]]}}`,
		`{"type":"Feature","id":"a","properties":{"capture_time":"2026-03-20T10:00:00Z"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}`,
		strings.Repeat(" ", MaxFeatureBytes+1),
	} {
		if _, err := Decode([]byte(bad)); !errors.Is(err, ErrBadFeature) {
			t.Errorf("Decode(%.40q) err = %v, want ErrBadFeature", bad, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := feed.GeoJSON(detection("00112233445566778899aabb", record.ClassFire, 10, 20), feed.Delivery{})
	f.Add(b)
	f.Add([]byte(`{"type":"Feature"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err == nil && (len(d.Footprint) < 4 || d.Class == "" || d.ID == "") {
			t.Fatalf("accepted an invalid feature: %+v", d)
		}
	})
}

// TestConsumerOnRealBus publishes through ground's bus on an embedded NATS
// server and checks the consumer's tally: matches, a false positive, and a
// detection stored twice by a publisher that bypasses publish-once.
func TestConsumerOnRealBus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reader := bus.Reader{User: "responder", Password: "responder-password"}
	b, err := bus.Open(ctx, bus.Config{StoreDir: t.TempDir(), Readers: []bus.Reader{reader}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	clk := clock.NewVirtual(t0.Add(30 * time.Minute))
	c := New(clk, testEvents())
	// The responder reads as a read-only user, as the simulator's does.
	if err := c.Run(ctx, b.URL(), nats.UserInfo(reader.User, reader.Password.Reveal())); err != nil {
		t.Fatal(err)
	}
	dets := []*record.Detection{
		detection("00000000000000000000000000000001", record.ClassFire, 10.002, 20.002),
		detection("00000000000000000000000000000002", record.ClassVessel, 10.05, 20),
		detection("00000000000000000000000000000003", record.ClassFire, 40, 40), // false positive
	}
	for _, d := range dets {
		payload, err := feed.GeoJSON(d, feed.Delivery{PublishTime: clk.Now()})
		if err != nil {
			t.Fatal(err)
		}
		subj := "detections." + d.Class + "." + d.ID
		for range 2 { // the second attempt must be refused by publish-once
			if _, err := b.PublishOnce(ctx, subj, d.ID, nil, payload); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A faulty publisher storing the first detection again on another subject.
	payload, _ := feed.GeoJSON(dets[0], feed.Delivery{})
	if _, err := b.JetStream().Publish(ctx, "detections.fire.again", payload); err != nil {
		t.Fatal(err)
	}
	if !c.WaitSeq(ctx, 4, 10*time.Second) {
		t.Fatalf("consumer reached seq %d, want 4", c.LastSeq())
	}
	s := c.Snapshot()
	if s.Messages != 4 || s.Duplicates != 1 || len(s.Arrivals) != 3 || s.Malformed != 0 {
		t.Fatalf("tally: messages %d duplicates %d arrivals %d malformed %d", s.Messages, s.Duplicates, len(s.Arrivals), s.Malformed)
	}
	if s.Arrivals[0].Event != 0 || s.Arrivals[1].Event != 1 || s.Arrivals[2].Event != -1 {
		t.Fatalf("matches %d %d %d", s.Arrivals[0].Event, s.Arrivals[1].Event, s.Arrivals[2].Event)
	}
	if !s.Arrivals[0].ReceivedAt.Equal(clk.Now()) || len(s.FirstSeen) != 2 {
		t.Fatalf("stamps: %v, first seen %v", s.Arrivals[0].ReceivedAt, s.FirstSeen)
	}
}
