package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/skysieve/skysieve/downlink/clock"
)

// TestRecoveryRepairs damages a store behind its back (with bbolt
// directly) in every way recovery knows, and checks Open reports each
// problem, repairs it, and leaves a file the next Open finds clean.
func TestRecoveryRepairs(t *testing.T) {
	clk := clock.NewVirtual(t0)
	path := filepath.Join(t.TempDir(), "s.db")
	s, _ := openT(t, path, testOpts(clk))
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		it := mkItem(id, 1, 1, 5000)
		it.Expiry = t0.Add(time.Hour)
		if err := s.Put(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkSent("d", "p1", []int{4}); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack("e"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		items, order, chunks := tx.Bucket(bktItems), tx.Bucket(bktOrder), tx.Bucket(bktChunks)
		ha, _ := unmarshalHeader(items.Get([]byte("a")))
		hb, _ := unmarshalHeader(items.Get([]byte("b")))
		return errors.Join(
			order.Delete(ha.orderKey()),                                              // a: missing from order
			order.Put([]byte("zzz"), []byte("ghost")),                                // dangling order entry
			tx.Bucket(bktExpiry).Put(expiryKey(5, 999), []byte("ghost")),             // dangling expiry entry
			chunks.Delete(chunkKey(hb.seq, 1)),                                       // b: payload short
			items.Put([]byte("c"), []byte("garbage")),                                // c: undecodable header
			chunks.Put(chunkKey(9999, 0), []byte("orphan")),                          // chunks of no item
			tx.Bucket(bktCustody).Put(custodyKey("ghost", "p"), marshalSymbols(nil)), // custody of no item
			tx.Bucket(bktCustody).Put(custodyKey("d", "p2"), []byte{0xff}),           // undecodable custody
			tx.Bucket(bktGone).Put([]byte("t"), []byte{1}),                           // bad tombstone
			tx.Bucket(bktGoneAt).Put(goneTimeKey(1, "nobody"), nil),                  // time entry of no tombstone
		)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, rep := openT(t, path, testOpts(clk))
	got := strings.Join(rep.Problems, "\n")
	for _, want := range []string{
		`item "a" missing from the order index: re-indexed`,
		`order index entry 7a7a7a for "ghost" names no such item: deleted`,
		`expiry index entry`,
		`item "b": payload 3010 bytes, want 5010: deleted`,
		`item "c": bad item header`,
		`chunks of sequence 9999 belong to no item: deleted`,
		`custody of "ghost": no such item: deleted`,
		`custody of "d": bad symbol set`,
		`tombstone "t"`,
		`tombstone time entry`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q; problems:\n%s", want, got)
		}
	}
	// b's order and expiry entries also dangle once b is removed.
	if rep.Removed != 2 || rep.Queued != 1 || rep.InFlight != 1 || rep.Tombstones != 3 {
		t.Errorf("report %+v, want 2 removed, a queued, d in flight, tombstones e b c", rep)
	}
	es, err := s.Next(10, 0)
	if err != nil || fmt.Sprint(ids(es)) != "[a d]" {
		t.Fatalf("Next after repair: %v %v", ids(es), err)
	}
	if d := s.Stats().Deleted[ReasonCorrupt]; d != 2 {
		t.Errorf("corrupt deletions %d, want 2", d)
	}
	for _, id := range []string{"b", "c"} {
		if c, _ := s.Custody(id); c.Reason != ReasonCorrupt {
			t.Errorf("%s custody %+v, want released as corrupt", id, c)
		}
	}
	clk.Advance(2 * time.Hour)
	if res, err := s.Sweep(clk.Now(), 10); err != nil || res.Expired != 2 {
		t.Errorf("sweep after repair: %+v %v (the re-indexed expiry entries must work)", res, err)
	}
	s.Close()
	s, rep = openT(t, path, testOpts(clk))
	defer s.Close()
	if len(rep.Problems) != 0 {
		t.Fatalf("second open still finds problems: %v", rep.Problems)
	}
	if !slices.Equal([]int64{rep.Queued, rep.InFlight}, []int64{0, 0}) {
		t.Fatalf("second open %+v", rep)
	}
}
