package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ClassStats counts the stored items of one class.
type ClassStats struct {
	Queued, InFlight           int64
	QueuedBytes, InFlightBytes int64
}

// counts mirrors what the file holds, so quotas and Stats need no scan.
type counts struct {
	byClass    map[string]ClassStats
	usedBytes  int64
	tombstones int64
	deleted    [reasonEnd]uint64
}

func newCounts() *counts { return &counts{byClass: map[string]ClassStats{}} }

func (c *counts) clone() *counts {
	n := *c
	n.byClass = make(map[string]ClassStats, len(c.byClass))
	for k, v := range c.byClass {
		n.byClass[k] = v
	}
	return &n
}

// add counts an item of h's class, size and state in (sign +1) or out (-1).
func (c *counts) add(h *header, sign int64) {
	cs := c.byClass[h.class]
	size := h.sizeBytes() * sign
	switch h.state {
	case StateQueued:
		cs.Queued += sign
		cs.QueuedBytes += size
	case StateInFlight:
		cs.InFlight += sign
		cs.InFlightBytes += size
	}
	c.usedBytes += size
	if cs == (ClassStats{}) {
		delete(c.byClass, h.class)
	} else {
		c.byClass[h.class] = cs
	}
}

// writer holds one write transaction's buckets and the counts it updates.
type writer struct {
	tx                                    *bolt.Tx
	items, chunks, order, expiry, custody *bolt.Bucket
	gone, goneAt, counter, meta           *bolt.Bucket
	c                                     *counts
	opts                                  Options
	now                                   time.Time
	// evicted lists the items evicted in this transaction, logged once
	// it commits.
	evicted []eviction
}

// eviction is one item pushed out at the hard limit and why.
type eviction struct {
	id, class     string
	priorityClass int
	sizeBytes     int64
	forID         string
	forClass      int
}

func newWriter(tx *bolt.Tx, c *counts, opts Options, now time.Time) *writer {
	w := &writer{tx: tx, c: c, opts: opts, now: now,
		items: tx.Bucket(bktItems), chunks: tx.Bucket(bktChunks), order: tx.Bucket(bktOrder),
		expiry: tx.Bucket(bktExpiry), custody: tx.Bucket(bktCustody), gone: tx.Bucket(bktGone),
		goneAt: tx.Bucket(bktGoneAt), counter: tx.Bucket(bktCounter), meta: tx.Bucket(bktMeta)}
	// Chunk keys and most order keys grow, and deletes take the oldest, so
	// full pages waste nothing.
	w.chunks.FillPercent = 1.0
	w.items.FillPercent = 0.9
	return w
}

// header loads the stored header of id; ok is false if absent.
func (w *writer) header(id string) (header, bool, error) {
	v := w.items.Get([]byte(id))
	if v == nil {
		return header{}, false, nil
	}
	h, err := unmarshalHeader(v)
	if err != nil {
		return h, false, fmt.Errorf("%w: item %s: %w", ErrCorrupt, id, err)
	}
	return h, true, nil
}

// insert stores a validated item under a fresh sequence number.
func (w *writer) insert(it *Item, h *header) error {
	seq, err := w.items.NextSequence()
	if err != nil {
		return err
	}
	h.seq = seq
	id := []byte(it.ID)
	if err := w.putPayload(seq, it.Record, it.Chip); err != nil {
		return err
	}
	if err := w.items.Put(id, h.marshal()); err != nil {
		return err
	}
	if err := w.order.Put(h.orderKey(), orderValue(h, it.ID)); err != nil {
		return err
	}
	if h.expiryNanos != neverNanos {
		if err := w.expiry.Put(expiryKey(h.expiryNanos, seq), id); err != nil {
			return err
		}
	}
	w.c.add(h, +1)
	return nil
}

// putPayload writes record then chip as one stream cut into ChunkBytes
// pieces. Pieces wholly inside record or chip alias the caller's slices,
// which stay untouched until the transaction commits.
func (w *writer) putPayload(seq uint64, record, chip []byte) error {
	cb := w.opts.ChunkBytes
	total := len(record) + len(chip)
	for i, off := uint32(0), 0; off < total; i, off = i+1, off+cb {
		end := min(off+cb, total)
		var piece []byte
		switch {
		case end <= len(record):
			piece = record[off:end]
		case off >= len(record):
			piece = chip[off-len(record) : end-len(record)]
		default:
			piece = make([]byte, 0, end-off)
			piece = append(piece, record[off:]...)
			piece = append(piece, chip[:end-len(record)]...)
		}
		if err := w.chunks.Put(chunkKey(seq, i), piece); err != nil {
			return err
		}
	}
	return nil
}

// remove deletes a stored item with everything that points at it, leaves
// a tombstone saying why, and counts the deletion.
func (w *writer) remove(id string, h *header, reason Reason) error {
	if err := deletePrefix(w.chunks, chunkKey(h.seq, 0)[:8]); err != nil {
		return err
	}
	if err := deletePrefix(w.custody, custodyKey(id, "")); err != nil {
		return err
	}
	if err := w.order.Delete(h.orderKey()); err != nil {
		return err
	}
	if h.expiryNanos != neverNanos {
		if err := w.expiry.Delete(expiryKey(h.expiryNanos, h.seq)); err != nil {
			return err
		}
	}
	if err := w.items.Delete([]byte(id)); err != nil {
		return err
	}
	w.c.add(h, -1)
	return w.bury(id, reason)
}

// bury records a tombstone for id and counts the deletion.
func (w *writer) bury(id string, reason Reason) error {
	at := nanos(w.now)
	if old := w.gone.Get([]byte(id)); old != nil {
		if t, err := unmarshalTombstone(old); err == nil {
			if err := w.goneAt.Delete(goneTimeKey(t.atNanos, id)); err != nil {
				return err
			}
		}
	} else {
		w.c.tombstones++
	}
	if err := w.gone.Put([]byte(id), tombstone{reason: reason, atNanos: at}.marshal()); err != nil {
		return err
	}
	if err := w.goneAt.Put(goneTimeKey(at, id), nil); err != nil {
		return err
	}
	w.c.deleted[reason]++
	return w.counter.Put([]byte(reason.String()), binary.BigEndian.AppendUint64(nil, w.c.deleted[reason]))
}

// forget deletes the tombstone of id (and its time index entry).
func (w *writer) forget(id string, atKey []byte) error {
	if err := w.gone.Delete([]byte(id)); err != nil {
		return err
	}
	w.c.tombstones--
	return w.goneAt.Delete(atKey)
}

// deletePrefix deletes every key of b starting with prefix. Keys are
// collected first: deleting under a moving cursor can skip entries.
func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// readPayload reads the record and chip of h from its chunks.
func readPayload(c *bolt.Cursor, id string, h *header) (record, chip []byte, err error) {
	want := h.sizeBytes()
	buf := make([]byte, 0, want)
	prefix := chunkKey(h.seq, 0)[:8]
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if int64(len(buf)+len(v)) > want {
			return nil, nil, fmt.Errorf("%w: item %s: payload longer than %d bytes", ErrCorrupt, id, want)
		}
		buf = append(buf, v...)
	}
	if int64(len(buf)) != want {
		return nil, nil, fmt.Errorf("%w: item %s: payload %d bytes, want %d", ErrCorrupt, id, len(buf), want)
	}
	return buf[:h.recordLen:h.recordLen], buf[h.recordLen:], nil
}
