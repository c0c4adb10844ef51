package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// recover checks every cross-reference in the file, repairs what it can,
// fills rep and the in-memory counts. Transactions make inconsistencies
// impossible in normal operation; this guards against bit rot and bugs.
// Repairs commit in one transaction; a clean file is not written.
func (s *Store) recover(rep *RecoveryReport) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: open %s: %w: %v", s.path, ErrCorrupt, r)
		}
	}()
	tx, err := s.db.Begin(true)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", s.path, err)
	}
	defer func() { _ = tx.Rollback() }()
	c := newCounts()
	w := newWriter(tx, c, s.opts, s.clock.Now())
	changed, err := w.check(rep)
	if err != nil {
		return fmt.Errorf("store: open %s: recovery: %w", s.path, err)
	}
	if changed {
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: open %s: commit repairs: %w", s.path, err)
		}
	}
	s.counts = c
	for _, cs := range c.byClass {
		rep.Queued += cs.Queued
		rep.InFlight += cs.InFlight
		rep.QueuedBytes += cs.QueuedBytes
		rep.InFlightBytes += cs.InFlightBytes
	}
	rep.Tombstones = c.tombstones
	return nil
}

func (w *writer) check(rep *RecoveryReport) (changed bool, err error) {
	problem := func(format string, args ...any) {
		rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...))
		changed = true
	}
	// Persisted deletion counters.
	for r := ReasonAcknowledged; r < reasonEnd; r++ {
		if v := w.counter.Get([]byte(r.String())); len(v) == 8 {
			w.c.deleted[r] = binary.BigEndian.Uint64(v)
		}
	}
	// Payload length per sequence number, in one pass over the chunks.
	payload := map[uint64]int64{}
	cur := w.chunks.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) != 12 {
			problem("chunk key of %d bytes: deleted", len(k))
			if err := w.chunks.Delete(k); err != nil {
				return changed, err
			}
			continue
		}
		payload[binary.BigEndian.Uint64(k)] += int64(len(v))
	}
	// Items: decodable header, complete payload, index entries present.
	// Damaged items lose their header, custody and payload (the payload
	// and index entries go below, as belonging to no item).
	var bads []string
	headers := map[string]header{}
	seqs := map[uint64]bool{}
	err = w.items.ForEach(func(k, v []byte) error {
		h, err := unmarshalHeader(v)
		if err != nil {
			problem("item %q: %v: deleted", k, err)
			bads = append(bads, string(k))
			return nil
		}
		if got := payload[h.seq]; got != h.sizeBytes() || seqs[h.seq] {
			problem("item %q: payload %d bytes, want %d: deleted", k, got, h.sizeBytes())
			bads = append(bads, string(k))
			return nil
		}
		seqs[h.seq] = true
		headers[string(k)] = h
		return nil
	})
	if err != nil {
		return changed, err
	}
	for _, id := range bads {
		if err := w.items.Delete([]byte(id)); err != nil {
			return changed, err
		}
		if err := deletePrefix(w.custody, custodyKey(id, "")); err != nil {
			return changed, err
		}
		if err := w.bury(id, ReasonCorrupt); err != nil {
			return changed, err
		}
		rep.Removed++
	}
	// Chunks of no item.
	for seq := range payload {
		if !seqs[seq] {
			problem("chunks of sequence %d belong to no item: deleted", seq)
			if err := deletePrefix(w.chunks, chunkKey(seq, 0)[:8]); err != nil {
				return changed, err
			}
		}
	}
	// Index entries must name a stored item with the same key.
	orderID := func(v []byte) string {
		if _, id, err := splitOrderValue(v); err == nil {
			return id
		}
		return string(v)
	}
	if err := w.checkIndex(w.order, "order", headers, orderID,
		func(id string, h *header) ([]byte, []byte) { return h.orderKey(), orderValue(h, id) }, problem); err != nil {
		return changed, err
	}
	if err := w.checkIndex(w.expiry, "expiry", headers, func(v []byte) string { return string(v) },
		func(id string, h *header) ([]byte, []byte) {
			if h.expiryNanos == neverNanos {
				return nil, nil
			}
			return expiryKey(h.expiryNanos, h.seq), []byte(id)
		}, problem); err != nil {
		return changed, err
	}
	for id, h := range headers {
		id := []byte(id)
		if got := w.order.Get(h.orderKey()); !bytes.Equal(got, orderValue(&h, string(id))) {
			problem("item %q missing from the order index: re-indexed", id)
			if err := w.order.Put(h.orderKey(), orderValue(&h, string(id))); err != nil {
				return changed, err
			}
		}
		if h.expiryNanos != neverNanos {
			if k := expiryKey(h.expiryNanos, h.seq); !bytes.Equal(w.expiry.Get(k), id) {
				problem("item %q missing from the expiry index: re-indexed", id)
				if err := w.expiry.Put(k, id); err != nil {
					return changed, err
				}
			}
		}
		w.c.add(&h, +1)
	}
	// Custody records of no item, or undecodable.
	var stale [][]byte
	cur = w.custody.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			problem("custody key %q without separator: deleted", k)
			stale = append(stale, bytes.Clone(k))
			continue
		}
		if _, ok := headers[string(k[:i])]; !ok {
			problem("custody of %q: no such item: deleted", k[:i])
			stale = append(stale, bytes.Clone(k))
			continue
		}
		if _, err := unmarshalSymbols(v); err != nil {
			problem("custody of %q: %v: deleted", k[:i], err)
			stale = append(stale, bytes.Clone(k))
		}
	}
	for _, k := range stale {
		if err := w.custody.Delete(k); err != nil {
			return changed, err
		}
	}
	// Tombstones and their time index.
	var badGone [][]byte
	w.c.tombstones = 0 // counted afresh below, including any buried above
	err = w.gone.ForEach(func(k, v []byte) error {
		t, err := unmarshalTombstone(v)
		if err != nil {
			problem("tombstone %q: %v: deleted", k, err)
			badGone = append(badGone, bytes.Clone(k))
			return nil
		}
		w.c.tombstones++
		if !has(w.goneAt, goneTimeKey(t.atNanos, string(k))) {
			problem("tombstone %q missing from the time index: re-indexed", k)
			return w.goneAt.Put(goneTimeKey(t.atNanos, string(k)), nil)
		}
		return nil
	})
	if err != nil {
		return changed, err
	}
	for _, k := range badGone {
		if err := w.gone.Delete(k); err != nil {
			return changed, err
		}
	}
	var badAt [][]byte
	cur = w.goneAt.Cursor()
	for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
		ok := false
		if len(k) > 8 {
			if t, err := unmarshalTombstone(w.gone.Get(k[8:])); err == nil && sortableInt(t.atNanos) == binary.BigEndian.Uint64(k) {
				ok = true
			}
		}
		if !ok {
			problem("tombstone time entry %x names no tombstone: deleted", k)
			badAt = append(badAt, bytes.Clone(k))
		}
	}
	for _, k := range badAt {
		if err := w.goneAt.Delete(k); err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// has reports whether key is in b (values of the time index are empty,
// which bbolt's Get cannot tell from absent).
func has(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return bytes.Equal(k, key)
}

// checkIndex deletes entries of an index bucket that do not name (idOf
// the value) a stored item whose entry (by entryOf) is exactly this one.
func (w *writer) checkIndex(b *bolt.Bucket, name string, headers map[string]header, idOf func([]byte) string,
	entryOf func(string, *header) (key, value []byte), problem func(string, ...any)) error {
	var stale [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		id := idOf(v)
		h, ok := headers[id]
		if !ok {
			problem("%s index entry %x for %q names no such item: deleted", name, k, id)
			stale = append(stale, bytes.Clone(k))
			continue
		}
		if wk, wv := entryOf(id, &h); !bytes.Equal(wk, k) || !bytes.Equal(wv, v) {
			problem("%s index entry %x for %q does not match the item: deleted", name, k, id)
			stale = append(stale, bytes.Clone(k))
		}
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
