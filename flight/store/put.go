package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// putReq is one caller's Put or PutBatch waiting for the committer.
type putReq struct {
	items []Item
	errs  []error
	done  chan struct{}
}

// Put stores it durably: when Put returns nil, the item is fsynced and
// survives a crash. Put is idempotent on it.ID: putting an id that is
// stored, or that was released within Options.TombstoneTTL, returns nil and
// changes nothing (counted in Stats.Duplicates). Concurrent Puts are
// committed together in one transaction.
//
// Above the high watermark Put returns ErrBackPressure for items that are
// not urgent (Options.UrgentClasses); an urgent item that would pass the
// hard limit evicts lower-ranked items, or gets ErrFull if that cannot make
// room. An item whose expiry has passed gets ErrExpired. ctx is checked
// before the item is queued; once queued, Put waits for the commit.
func (s *Store) Put(ctx context.Context, it Item) error {
	return s.PutBatch(ctx, []Item{it})[0]
}

// PutBatch puts several items in one transaction (with others' concurrent
// Puts) and returns one error per item, in order, each as Put would.
func (s *Store) PutBatch(ctx context.Context, items []Item) []error {
	errs := make([]error, len(items))
	if len(items) == 0 {
		return errs
	}
	if err := ctx.Err(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	req := &putReq{items: items, errs: errs, done: make(chan struct{})}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		for i := range errs {
			errs[i] = ErrClosed
		}
		return errs
	}
	select {
	case s.putCh <- req:
		s.closeMu.RUnlock()
	case <-ctx.Done():
		s.closeMu.RUnlock()
		for i := range errs {
			errs[i] = ctx.Err()
		}
		return errs
	}
	<-req.done
	return errs
}

// commitLoop takes queued Put requests, coalescing whatever has queued up
// while the previous commit was fsyncing into the next transaction.
func (s *Store) commitLoop() {
	defer close(s.doneCh)
	for req := range s.putCh {
		batch := []*putReq{req}
		n := len(req.items)
	drain:
		for n < s.opts.MaxBatchItems {
			select {
			case r, ok := <-s.putCh:
				if !ok {
					break drain
				}
				batch = append(batch, r)
				n += len(r.items)
			default:
				break drain
			}
		}
		s.commitPuts(batch)
	}
}

// commitPuts applies a batch in one transaction. Per-item refusals
// (back-pressure, invalid, expired) do not abort the transaction; a failure
// of the transaction itself is every item's error.
func (s *Store) commitPuts(batch []*putReq) {
	var dup, bp, full uint64
	err := s.update(func(w *writer) error {
		dup, bp, full = 0, 0, 0
		for _, r := range batch {
			for i := range r.items {
				err := w.put(&r.items[i])
				switch {
				case errors.Is(err, errDuplicate):
					dup++
					err = nil
				case errors.Is(err, ErrBackPressure):
					bp++
				case errors.Is(err, ErrFull):
					full++
				case err != nil && !isRefusal(err):
					return err
				}
				r.errs[i] = err
			}
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("store: commit %d puts: %w", len(batch), err)
		for _, r := range batch {
			for i := range r.errs {
				r.errs[i] = err
			}
		}
	} else {
		s.mu.Lock()
		s.duplicates += dup
		s.backPressured += bp
		s.rejectedFull += full
		s.mu.Unlock()
	}
	for _, r := range batch {
		close(r.done)
	}
}

// errDuplicate marks an idempotent re-put inside the committer.
var errDuplicate = errors.New("duplicate")

func isRefusal(err error) bool {
	return errors.Is(err, ErrInvalidItem) || errors.Is(err, ErrTooLarge) ||
		errors.Is(err, ErrExpired) || errors.Is(err, ErrBackPressure) || errors.Is(err, ErrFull)
}

// put is one item's admission: idempotence, expiry, quotas, then insert.
func (w *writer) put(it *Item) error {
	if err := validate(it, w.opts.MaxItemBytes); err != nil {
		return err
	}
	id := []byte(it.ID)
	if w.items.Get(id) != nil || w.gone.Get(id) != nil {
		return errDuplicate
	}
	arrival := it.Arrival
	if arrival.IsZero() {
		arrival = w.now
	}
	expiryNanos := int64(neverNanos)
	switch ttl, ok := w.opts.ExpiryByClass[it.Class]; {
	case !it.Expiry.IsZero():
		expiryNanos = nanos(it.Expiry)
	case ok && ttl > 0:
		expiryNanos = nanos(arrival.Add(ttl))
	case !ok && w.opts.DefaultExpiry > 0:
		expiryNanos = nanos(arrival.Add(w.opts.DefaultExpiry))
	}
	if expiryNanos <= nanos(w.now) {
		return fmt.Errorf("%w: %s expired at %s", ErrExpired, it.ID, fromNanos(expiryNanos).Format("2006-01-02T15:04:05Z07:00"))
	}
	h := header{
		state:         StateQueued,
		priorityClass: uint8(it.PriorityClass),
		value:         it.Value,
		expiryNanos:   expiryNanos,
		arrivalNanos:  nanos(arrival),
		recordLen:     uint32(len(it.Record)),
		chipLen:       uint32(len(it.Chip)),
		region:        it.Region,
		class:         it.Class,
	}
	size := h.sizeBytes()
	after := w.c.usedBytes + size
	if after > w.opts.HighWaterBytes && it.PriorityClass >= w.opts.UrgentClasses {
		return fmt.Errorf("%w: %s: %d bytes stored, high water %d", ErrBackPressure, it.ID, w.c.usedBytes, w.opts.HighWaterBytes)
	}
	if after > w.opts.HardLimitBytes {
		// seq is not known yet; the largest value sorts the new item
		// after every equal, so equals are never evicted for it.
		h.seq = ^uint64(0)
		if err := w.evictFor(it.ID, &h, after-w.opts.HardLimitBytes); err != nil {
			return err
		}
	}
	return w.insert(it, &h)
}

// evictFor removes the lowest-ranked stored items, all ranked below h (the
// item forID), until needBytes are freed; if that is impossible it removes
// nothing and returns ErrFull. Each eviction is logged after the commit.
func (w *writer) evictFor(forID string, h *header, needBytes int64) error {
	newKey := h.orderKey()
	type victim struct {
		id string
		h  header
	}
	var victims []victim
	freed := int64(0)
	c := w.order.Cursor()
	for k, v := c.Last(); k != nil && freed < needBytes; k, v = c.Prev() {
		if bytes.Compare(k, newKey) <= 0 {
			break
		}
		vh, id, err := splitOrderValue(v)
		if err != nil {
			return fmt.Errorf("%w: order index: %w", ErrCorrupt, err)
		}
		victims = append(victims, victim{id: id, h: vh})
		freed += vh.sizeBytes()
	}
	if freed < needBytes {
		return fmt.Errorf("%w: need %d bytes, only %d held by lower-ranked items", ErrFull, needBytes, freed)
	}
	for i := range victims {
		v := &victims[i]
		if err := w.remove(v.id, &v.h, ReasonEvicted); err != nil {
			return err
		}
		w.evicted = append(w.evicted, eviction{id: v.id, class: v.h.class, priorityClass: int(v.h.priorityClass),
			sizeBytes: v.h.sizeBytes(), forID: forID, forClass: int(h.priorityClass)})
	}
	return nil
}
