package store

import (
	"fmt"
	"slices"
)

// MarkSent records durably that symbols of item id were sent in pass, and
// moves a queued item to in flight. Symbols already recorded for the pass
// are merged, so repeating a call is harmless. A released id gives
// ErrReleased, an unknown one ErrNotFound.
func (s *Store) MarkSent(id, pass string, symbols []int) error {
	if pass == "" || len(pass) > MaxPassBytes {
		return fmt.Errorf("%w: pass name must be 1..%d bytes", ErrBadArgument, MaxPassBytes)
	}
	for _, sym := range symbols {
		if sym < 0 || sym > MaxSymbolIndex {
			return fmt.Errorf("%w: symbol %d outside 0..%d", ErrBadArgument, sym, MaxSymbolIndex)
		}
	}
	return s.update(func(w *writer) error {
		h, ok, err := w.header(id)
		if err != nil {
			return err
		}
		if !ok {
			return missing(w.tx, id)
		}
		key := custodyKey(id, pass)
		merged := slices.Clone(symbols)
		if old := w.custody.Get(key); old != nil {
			prev, err := unmarshalSymbols(old)
			if err != nil {
				return fmt.Errorf("%w: custody of %s: %w", ErrCorrupt, id, err)
			}
			merged = append(merged, prev...)
		}
		slices.Sort(merged)
		merged = slices.Compact(merged)
		if err := w.custody.Put(key, marshalSymbols(merged)); err != nil {
			return err
		}
		if h.state == StateQueued {
			w.c.add(&h, -1)
			h.state = StateInFlight
			w.c.add(&h, +1)
			if err := w.order.Put(h.orderKey(), orderValue(&h, id)); err != nil {
				return err
			}
			return w.items.Put([]byte(id), h.marshal())
		}
		return nil
	})
}

// Ack records that ground confirmed item id complete: the item is
// released (payload freed, counted under ReasonAcknowledged) and its id
// remembered as acknowledged. Acknowledging an id already acknowledged or
// released returns nil; an unknown id gives ErrNotFound.
func (s *Store) Ack(id string) error {
	return s.release(id, ReasonAcknowledged)
}

// Release gives up custody of item id for reason (ReasonOperator,
// ReasonSuperseded, ReasonExpired or ReasonAcknowledged): the item is
// deleted, the deletion counted, and the id remembered with the reason.
// Releasing an id already released returns nil; an unknown id gives
// ErrNotFound.
func (s *Store) Release(id string, reason Reason) error {
	switch reason {
	case ReasonOperator, ReasonSuperseded, ReasonExpired, ReasonAcknowledged:
	default:
		return fmt.Errorf("%w: release reason %s", ErrBadArgument, reason)
	}
	return s.release(id, reason)
}

func (s *Store) release(id string, reason Reason) error {
	return s.update(func(w *writer) error {
		h, ok, err := w.header(id)
		if err != nil {
			return err
		}
		if !ok {
			if w.gone.Get([]byte(id)) != nil {
				return nil
			}
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return w.remove(id, &h, reason)
	})
}

// AckBatch acknowledges many items in one transaction, as from one ground
// report, and returns how many it released. Ids already released or
// unknown are skipped (the report may name items the store no longer
// holds).
func (s *Store) AckBatch(ids []string) (int, error) {
	n := 0
	err := s.update(func(w *writer) error {
		n = 0
		for _, id := range ids {
			h, ok, err := w.header(id)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := w.remove(id, &h, ReasonAcknowledged); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
