package ground

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
	"github.com/skysieve/skysieve/ground/outbox"
	bolt "go.etcd.io/bbolt"
)

// A poison outbox entry (bytes that do not decode, ahead of everything)
// goes to the dead letters with a count and a log line; the entries
// behind it are published on the real embedded server, and a restart
// runs on instead of stopping at it.
func TestPoisonOutboxEntry(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "g")
	keys := writeKeys(t, dir)
	// Make the data dir as a first run would, then fill the outbox.
	first, err := New(testConfig(t, dataDir, keys, "alpha"))
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	db, err := bolt.Open(filepath.Join(dataDir, "ground.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3
	for i := range n {
		d := detection(700+i, record.ClassVessel)
		payload, err := record.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ob.Enqueue(&outbox.Entry{Kind: kindRecord, ID: d.ID, Priority: 0.5, Payload: payload, Station: "alpha"}); err != nil {
			t.Fatal(err)
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		// An all-zero queue key sorts ahead of every entry.
		return tx.Bucket([]byte("outbox")).Put(make([]byte, 12), []byte{0, 0, 0, 40, '{', '"'})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	g := start(t, testConfig(t, dataDir, keys, "alpha"))
	waitFor(t, "the entries behind the poison published", 20*time.Second, func() bool { return g.Stats().Published == n })
	if st := g.Stats(); st.DeadLetters != 1 {
		t.Fatalf("dead letters %d, want 1", st.DeadLetters)
	}
	if got := streamMsgs(t, clientURL(g), bus.StreamDetections); got != n {
		t.Fatalf("stream holds %d, want %d", got, n)
	}
	waitFor(t, "outbox drained", 10*time.Second, func() bool { return g.Stats().OutboxLen == 0 })
	g.stop(t)

	g2 := start(t, testConfig(t, dataDir, keys, "alpha"))
	d := detection(710, record.ClassVessel)
	payload, err := record.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g2.ob.Enqueue(&outbox.Entry{Kind: kindRecord, ID: d.ID, Priority: 0.5, Payload: payload, Station: "alpha"}); err != nil {
		t.Fatal(err)
	}
	g2.pub.notify("", time.Time{})
	waitFor(t, "a new entry published after the restart", 20*time.Second, func() bool { return g2.Stats().Published == 1 })
	if st := g2.Stats(); st.DeadLetters != 0 {
		t.Fatalf("after restart: %d new dead letters", st.DeadLetters)
	}
	dl, err := g2.ob.DeadLetters()
	if err != nil || len(dl) != 1 || string(dl[0].Entry) != "\x00\x00\x00\x28{\"" {
		t.Fatalf("dead letters kept %+v, %v", dl, err)
	}
}

// Only the entry's own faults count toward the dead letters: a message
// the real server refuses as too large does; a bus that is gone does not
// (an outage must never dead-letter the queue).
func TestEntryFaultClassification(t *testing.T) {
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Config{StoreDir: t.TempDir(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.PublishOnce(ctx, "detections.fire.big", "big", nil, make([]byte, 5<<20))
	if err == nil || !entryFault(err) {
		t.Fatalf("oversized publish: %v, entry fault %v", err, entryFault(err))
	}
	b.Close()
	_, err = b.PublishOnce(ctx, "detections.fire.x", "x", nil, []byte("{}"))
	if err == nil || entryFault(err) {
		t.Fatalf("publish on a closed bus: %v, entry fault %v", err, entryFault(err))
	}
	if entryFault(bus.ErrNotReady) {
		t.Fatal("ErrNotReady counted against the entry")
	}
}

// An entry the bus refuses for a reason of its own (here a chip with no
// name, refused by the object store) is retried outbox.max_attempts times
// and then dead-lettered, while the entries behind it are published.
func TestRefusedEntryDeadLettered(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "g")
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dataDir, keys, "alpha")
	cfg.OutboxMaxAttempts = 3
	g := start(t, cfg)
	if _, err := g.ob.Enqueue(&outbox.Entry{Kind: kindChip, ID: "", Priority: 1, Payload: []byte("chip")}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		d := detection(720+i, record.ClassVessel)
		payload, err := record.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.ob.Enqueue(&outbox.Entry{Kind: kindRecord, ID: d.ID, Priority: 0.5, Payload: payload, Station: "alpha"}); err != nil {
			t.Fatal(err)
		}
	}
	g.pub.notify("", time.Time{})
	waitFor(t, "the entries behind the refused one published", 20*time.Second, func() bool { return g.Stats().Published == 2 })
	waitFor(t, "the refused entry dead-lettered", 30*time.Second, func() bool { return g.Stats().DeadLetters == 1 })
	dl, err := g.ob.DeadLetters()
	if err != nil || len(dl) != 1 || dl[0].Ref != "chip/" || dl[0].Attempts != 3 {
		t.Fatalf("dead letters %+v, %v", dl, err)
	}
	if st := g.Stats(); st.OutboxLen != 0 || st.PublishErrors != 3 {
		t.Fatalf("outbox %d, publish errors %d (want 3 attempts)", st.OutboxLen, st.PublishErrors)
	}
}
