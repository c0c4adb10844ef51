package outbox

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openFile(t *testing.T, path string) (*bolt.DB, *Outbox) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := Open(db)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db, ob
}

// An entry refused maxAttempts times (counted across a reopen) moves to
// the dead letters; the entries behind it come out of Peek; the item is
// not queued again.
func TestFailDeadLetters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ground.db")
	db, ob := openFile(t, path)
	now := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	poison := &Entry{Kind: "record", ID: "aa", Priority: 1, Payload: []byte("p")}
	behind := &Entry{Kind: "record", ID: "bb", Priority: 0.5, Payload: []byte("b")}
	for _, e := range []*Entry{poison, behind} {
		if _, err := ob.Enqueue(e); err != nil {
			t.Fatal(err)
		}
	}
	cause := errors.New("refused by the bus")
	const maxAttempts = 3
	for i := 1; i <= maxAttempts; i++ {
		if i == 2 {
			db.Close()
			db, ob = openFile(t, path)
		}
		es, err := ob.Peek(1)
		if err != nil || len(es) != 1 || es[0].Ref() != poison.Ref() {
			t.Fatalf("attempt %d: peek %v, %v", i, es, err)
		}
		attempts, dead, err := ob.Fail(es[0], cause, maxAttempts, now)
		if err != nil || attempts != i || dead != (i == maxAttempts) {
			t.Fatalf("attempt %d: Fail = %d, %v, %v", i, attempts, dead, err)
		}
	}
	defer db.Close()
	es, err := ob.Peek(10)
	if err != nil || len(es) != 1 || es[0].Ref() != behind.Ref() || ob.Len() != 1 {
		t.Fatalf("after the dead letter: peek %v, %v, len %d", es, err, ob.Len())
	}
	dl, err := ob.DeadLetters()
	if err != nil || len(dl) != 1 || dl[0].Ref != poison.Ref() || dl[0].Attempts != maxAttempts || dl[0].Reason != cause.Error() {
		t.Fatalf("dead letters %+v, %v", dl, err)
	}
	if back, err := decodeEntry(dl[0].Entry); err != nil || string(back.Payload) != "p" {
		t.Fatalf("dead letter does not keep the entry: %v", err)
	}
	if added, err := ob.Enqueue(&Entry{Kind: "record", ID: "aa", Priority: 1}); err != nil || added {
		t.Fatalf("dead-lettered item queued again: %v, %v", added, err)
	}
}

// Undecodable entries move to the dead letters in one scan, and the queue
// decodes again behind them.
func TestDeadLetterCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ground.db")
	db, ob := openFile(t, path)
	defer db.Close()
	for i := range 3 {
		if _, err := ob.Enqueue(&Entry{Kind: "chip", ID: fmt.Sprint(i), Priority: 0.5, Payload: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	bad := [][]byte{{0, 0, 0, 9, '{'}, {1}}
	err := db.Update(func(tx *bolt.Tx) error {
		for i, v := range bad {
			// Priority 1: ahead of every good entry.
			if err := tx.Bucket(bucketQueue).Put(queueKey(1, uint64(100+i)), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ob, err = Open(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Peek(10); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("peek over corrupt entries: %v, want ErrCorrupt", err)
	}
	moved, err := ob.DeadLetterCorrupt(time.Unix(0, 0))
	if err != nil || len(moved) != len(bad) {
		t.Fatalf("moved %d, %v", len(moved), err)
	}
	es, err := ob.Peek(10)
	if err != nil || len(es) != 3 || ob.Len() != 3 {
		t.Fatalf("peek after: %d entries, %v, len %d", len(es), err, ob.Len())
	}
	dl, err := ob.DeadLetters()
	if err != nil || len(dl) != 2 || string(dl[0].Entry) != string(bad[0]) {
		t.Fatalf("dead letters %+v, %v", dl, err)
	}
}
