package flight

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/plan"
)

// The planner sees each stretch between two samples at the lower rate and
// the higher loss, the same conservative reading the contact package uses
// for its capacity.
func TestPlanContactFromSamples(t *testing.T) {
	aos := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	c := contact.Contact{AOS: aos, LOS: aos.Add(60 * time.Second), Samples: []contact.Sample{
		{OffsetSec: 0, RateBitsPerSec: 1e6, Loss: 0.3},
		{OffsetSec: 30, RateBitsPerSec: 4e6, Loss: 0.05},
		{OffsetSec: 60, RateBitsPerSec: 2e6, Loss: 0.95},
	}}
	got := planContact(&c)
	want := plan.Contact{Start: aos, End: aos.Add(60 * time.Second), Segments: []plan.Segment{
		{Start: aos, End: aos.Add(30 * time.Second), RateBitsPerSec: 1e6, Loss: 0.3},
		{Start: aos.Add(30 * time.Second), End: aos.Add(60 * time.Second), RateBitsPerSec: 2e6, Loss: plan.MaxLoss},
	}}
	if !got.Start.Equal(want.Start) || !got.End.Equal(want.End) || len(got.Segments) != len(want.Segments) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want.Segments {
		if got.Segments[i] != want.Segments[i] {
			t.Fatalf("segment %d: %+v, want %+v", i, got.Segments[i], want.Segments[i])
		}
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.CapacityBytes = int64(got.CapacityBits() / 8); c.CapacityBytes != (30*1e6+30*2e6)/8 {
		t.Fatalf("capacity %d bytes", c.CapacityBytes)
	}
}

// A contact plan file named in the configuration is loaded at New, and a
// missing one is a configuration error naming the key.
func TestContactPlanFile(t *testing.T) {
	requireTriage(t)
	aos := time.Now().Add(time.Hour).Truncate(time.Second)
	path := filepath.Join(t.TempDir(), "plan.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cs := []contact.Contact{lineContact(aos, 5*time.Minute, 2e6, 0.1)}
	cs[0].Satellite, cs[0].CapacityBytes = "SKY-1", int64(2e6*300/8)
	if err := contact.WritePlan(f, cs); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cfg := DefaultConfig()
	cfg.InsecureDevKeys = true // the test ground speaks the public development keys
	cfg.DataDir, cfg.MetricsAddr = t.TempDir(), ""
	cfg.RadioListen = "127.0.0.1:0"
	cfg.ContactPlanFile = path
	cfg.Logger = testLogger(t)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := s.contactList()
	if len(got) != 1 || !got[0].Start.Equal(aos) || !got[0].End.Equal(aos.Add(5*time.Minute)) {
		t.Fatalf("contacts %+v", got)
	}
	cfg.ContactPlanFile = filepath.Join(t.TempDir(), "missing.json")
	cfg.DataDir = t.TempDir()
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "contact_plan") || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing plan file: %v", err)
	}
}

// A contact under way, trimmed to start now, is still named by the plan's
// satellite and station (for the pass start line).
func TestContactNames(t *testing.T) {
	aos := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	a, b := lineContact(aos, 5*time.Minute, 2e6, 0.1), lineContact(aos.Add(time.Hour), 5*time.Minute, 2e6, 0.1)
	a.Satellite, a.Station = "SAT-1", "svalbard"
	b.Satellite, b.Station = "SAT-1", "troll"
	s := &Service{log: testLogger(t), wake: make(chan struct{}, 1)}
	s.SetContacts([]contact.Contact{b, a})
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{aos.Add(-time.Minute), "svalbard"},
		{aos.Add(2 * time.Minute), "svalbard"},
		{aos.Add(30 * time.Minute), "troll"},
	} {
		pc, ok := s.nextContact(c.now)
		if !ok {
			t.Fatalf("no contact at %v", c.now)
		}
		if got := s.nameOf(pc); got.station != c.want || got.satellite != "SAT-1" {
			t.Fatalf("contact at %v named %+v, want %s", c.now, got, c.want)
		}
	}
}
