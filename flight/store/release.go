package store

import (
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Filter selects stored items for ReleaseWhere. Every set criterion must
// match; at least one must be set.
type Filter struct {
	// Classes, if not empty, matches items of these classes.
	Classes []string
	// Region, if set, matches items whose Region bbox intersects it
	// (min lon, min lat, max lon, max lat).
	Region *[4]float64
	// ArrivedBefore, if not zero, matches items that arrived before it.
	ArrivedBefore time.Time
	// States, if not empty, matches items in these states (queued, in flight).
	States []State
}

func (f *Filter) empty() bool {
	return len(f.Classes) == 0 && f.Region == nil && f.ArrivedBefore.IsZero() && len(f.States) == 0
}

func (f *Filter) match(h *header) bool {
	if len(f.Classes) > 0 && !slices.Contains(f.Classes, h.class) {
		return false
	}
	if len(f.States) > 0 && !slices.Contains(f.States, h.state) {
		return false
	}
	if !f.ArrivedBefore.IsZero() && h.arrivalNanos >= nanos(f.ArrivedBefore) {
		return false
	}
	if r := f.Region; r != nil {
		b := h.region
		if b[0] > r[2] || b[2] < r[0] || b[1] > r[3] || b[3] < r[1] {
			return false
		}
	}
	return true
}

// releaseTxItems bounds one ReleaseWhere transaction.
const releaseTxItems = 1000

// ReleaseWhere is the operator's release by metadata: every stored item
// matching f is released with ReasonOperator. It returns how many were
// released. An empty filter is refused (ErrBadArgument) rather than
// releasing everything. Large releases commit in several transactions;
// on error, those already committed stay released.
func (s *Store) ReleaseWhere(f Filter) (int, error) {
	if f.empty() {
		return 0, fmt.Errorf("%w: empty release filter", ErrBadArgument)
	}
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktItems).ForEach(func(k, v []byte) error {
			h, err := unmarshalHeader(v)
			if err != nil {
				return fmt.Errorf("%w: item %s: %w", ErrCorrupt, k, err)
			}
			if f.match(&h) {
				ids = append(ids, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	released := 0
	for len(ids) > 0 {
		part := ids[:min(len(ids), releaseTxItems)]
		ids = ids[len(part):]
		n := 0
		err := s.update(func(w *writer) error {
			n = 0
			for _, id := range part {
				h, ok, err := w.header(id)
				if err != nil {
					return err
				}
				// Re-check: the item may have changed since the scan.
				if !ok || !f.match(&h) {
					continue
				}
				if err := w.remove(id, &h, ReasonOperator); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return released, fmt.Errorf("store: release where: %w", err)
		}
		released += n
	}
	return released, nil
}
