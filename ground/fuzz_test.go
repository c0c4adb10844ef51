package ground

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
)

// FuzzProcessFrames feeds arbitrary datagrams (and mutations of genuine
// frames) through the ground's whole process path: verification, the
// symbol log, reassembly and the outbox. Nothing may panic, and nothing
// unauthenticated may reach the outbox.
func FuzzProcessFrames(f *testing.F) {
	dir := f.TempDir()
	keys := writeKeys(f, dir)
	// Seeds are well-formed frames under someone else's key: everything
	// but the MAC is right.
	fl := newFlight(f, writeKeys(f, f.TempDir()), 1)
	for _, fr := range fl.recordFrames(detection(1, record.ClassFire)) {
		f.Add(fr)
		f.Add(fr[:len(fr)/2])
	}
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xC0}, 1024))
	s := pipelineService(f, filepath.Join(dir, "g"), keys)
	// Durability is not under test here; speed is.
	s.db.NoSync = true
	f.Cleanup(s.closeAll)
	f.Fuzz(func(t *testing.T, data []byte) {
		before := s.ob.Len()
		if err := s.processBatch([]rxFrame{{station: "fuzz", data: data, rxWall: time.Now()}}); err != nil {
			t.Fatal(err)
		}
		if s.ob.Len() != before {
			t.Fatalf("a fuzzed frame put an item in the outbox")
		}
	})
}
