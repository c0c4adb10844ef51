package ground

import (
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/link"
)

// TestDuplicateCountsWithinOneBatch: the duplicate count of a frame is
// its own, even when later frames of the same batch (one transaction)
// carry symbols with other outcomes.
func TestDuplicateCountsWithinOneBatch(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	s, err := New(testConfig(t, dir+"/g", keys, "alpha", "beta"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fl := newFlight(t, keys, 1)
	// A housekeeping item of two symbols: it queues nothing to publish.
	hk := fl.frames(link.KindHousekeeping, "686b0000000000000000000000000001", make([]byte, 2*testLink().SymbolBytes()-100), 0, 2)
	now := time.Now()
	batch := []rxFrame{
		{station: "alpha", data: hk[0], rxWall: now}, // accepted
		{station: "beta", data: hk[0], rxWall: now},  // the same symbol heard twice: duplicate
		{station: "alpha", data: hk[1], rxWall: now}, // accepted, completes the item
	}
	if err := s.processBatch(batch); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if got := st.Frames[StationVC{"beta", 0}]; got.Good != 1 || got.Duplicate != 1 {
		t.Fatalf("beta %+v, want 1 good frame with 1 duplicate symbol", got)
	}
	if got := st.Frames[StationVC{"alpha", 0}]; got.Good != 2 || got.Duplicate != 0 {
		t.Fatalf("alpha %+v, want 2 good frames, no duplicate", got)
	}
}
