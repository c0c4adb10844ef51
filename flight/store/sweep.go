package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"
)

// SweepResult counts what one Sweep removed.
type SweepResult struct {
	// Expired items deleted (ReasonExpired).
	Expired int
	// Tombstones forgotten (older than Options.TombstoneTTL or beyond
	// Options.MaxTombstones).
	Tombstones int
}

// Sweep deletes up to max items whose expiry is at or before now, earliest
// first, and forgets up to max old tombstones, in one transaction. It
// walks the expiry index, so its cost is bounded by max, not the store's
// size. Call it periodically (or use RunSweeper); Next already skips
// expired items in between.
func (s *Store) Sweep(now time.Time, max int) (SweepResult, error) {
	var res SweepResult
	if max <= 0 {
		return res, nil
	}
	err := s.update(func(w *writer) error {
		res = SweepResult{}
		limit := sortableInt(nanos(now))
		var ids []string
		c := w.expiry.Cursor()
		for k, v := c.First(); k != nil && len(ids) < max; k, v = c.Next() {
			if binary.BigEndian.Uint64(k) > limit {
				break
			}
			ids = append(ids, string(v))
		}
		for _, id := range ids {
			h, ok, err := w.header(id)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%w: expiry index names missing item %q", ErrCorrupt, id)
			}
			if err := w.remove(id, &h, ReasonExpired); err != nil {
				return err
			}
			res.Expired++
		}
		n, err := w.pruneTombstones(nanos(now), max)
		res.Tombstones = n
		return err
	})
	return res, err
}

// pruneTombstones forgets, oldest first, up to max tombstones that are
// older than the TTL or beyond MaxTombstones.
func (w *writer) pruneTombstones(nowNanos int64, max int) (int, error) {
	cutoff := sortableInt(nowNanos - int64(w.opts.TombstoneTTL))
	type old struct {
		id  string
		key []byte
	}
	var olds []old
	excess := w.c.tombstones - int64(w.opts.MaxTombstones)
	c := w.goneAt.Cursor()
	for k, _ := c.First(); k != nil && len(olds) < max; k, _ = c.Next() {
		if len(k) < 8 {
			return 0, fmt.Errorf("%w: tombstone time key of %d bytes", ErrCorrupt, len(k))
		}
		if binary.BigEndian.Uint64(k) > cutoff && int64(len(olds)) >= excess {
			break
		}
		olds = append(olds, old{id: string(k[8:]), key: append([]byte(nil), k...)})
	}
	for _, o := range olds {
		if err := w.forget(o.id, o.key); err != nil {
			return 0, err
		}
	}
	return len(olds), nil
}

// RunSweeper calls Sweep(clock.Now(), max) every interval until ctx is
// done, returning ctx's error then, or the first Sweep error.
func (s *Store) RunSweeper(ctx context.Context, interval time.Duration, max int) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.clock.After(interval):
		}
		if _, err := s.Sweep(s.clock.Now(), max); err != nil {
			return fmt.Errorf("store: sweep: %w", err)
		}
	}
}
