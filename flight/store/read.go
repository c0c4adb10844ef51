package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Sent lists the symbols of an item sent in one pass, ascending.
type Sent struct {
	Pass    string
	Symbols []int
}

// Entry is a stored item with its custody state.
type Entry struct {
	Item  Item
	State State
	// Sent lists, per pass in pass-name order, the symbols already sent.
	Sent []Sent
}

// Custody is what the store knows of an id's custody.
type Custody struct {
	State State
	// Sent is set for queued and in-flight items.
	Sent []Sent
	// Reason and At are set for acknowledged and released items.
	Reason Reason
	At     time.Time
}

// Get returns the stored item id with its custody state. A released id
// gives an error wrapping ErrReleased; an unknown one ErrNotFound.
func (s *Store) Get(id string) (Entry, error) {
	var e Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktItems).Get([]byte(id))
		if v == nil {
			return missing(tx, id)
		}
		h, err := unmarshalHeader(v)
		if err != nil {
			return fmt.Errorf("%w: item %s: %w", ErrCorrupt, id, err)
		}
		e, err = newReader(tx).entry(id, &h)
		return err
	})
	return e, err
}

// missing explains why id is not stored.
func missing(tx *bolt.Tx, id string) error {
	v := tx.Bucket(bktGone).Get([]byte(id))
	if v == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	t, err := unmarshalTombstone(v)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: %s: %s at %s", ErrReleased, id, t.reason, fromNanos(t.atNanos).Format("2006-01-02T15:04:05.000Z07:00"))
}

// reader reuses one cursor per bucket through a read transaction: each
// bbolt Get would make a fresh cursor and regrow its stack.
type reader struct {
	tx              *bolt.Tx
	chunks, custody *bolt.Cursor
}

func newReader(tx *bolt.Tx) *reader {
	return &reader{tx: tx, chunks: tx.Bucket(bktChunks).Cursor()}
}

func (r *reader) entry(id string, h *header) (Entry, error) {
	rec, chip, err := readPayload(r.chunks, id, h)
	if err != nil {
		return Entry{}, err
	}
	var sent []Sent
	// Only MarkSent writes custody records, and it makes the item in flight.
	if h.state == StateInFlight {
		if r.custody == nil {
			r.custody = r.tx.Bucket(bktCustody).Cursor()
		}
		if sent, err = loadSent(r.custody, id); err != nil {
			return Entry{}, err
		}
	}
	return Entry{Item: h.item(id, rec, chip), State: h.state, Sent: sent}, nil
}

func (h *header) item(id string, rec, chip []byte) Item {
	return Item{
		ID:            id,
		Class:         h.class,
		PriorityClass: int(h.priorityClass),
		Value:         h.value,
		Expiry:        fromNanos(h.expiryNanos),
		Record:        rec,
		Chip:          chip,
		Region:        h.region,
		Arrival:       fromNanos(h.arrivalNanos),
	}
}

func loadSent(c *bolt.Cursor, id string) ([]Sent, error) {
	var out []Sent
	prefix := custodyKey(id, "")
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		syms, err := unmarshalSymbols(v)
		if err != nil {
			return nil, fmt.Errorf("%w: custody of %s: %w", ErrCorrupt, id, err)
		}
		out = append(out, Sent{Pass: string(k[len(prefix):]), Symbols: syms})
	}
	return out, nil
}

// Next returns up to n stored items in send order (priority class, then
// value descending, then earliest expiry, then arrival) whose combined
// record + chip bytes fit budgetBytes (budgetBytes <= 0: no budget). Items
// that do not fit the remaining budget are stepped over, at most
// Options.NextMaxSkips of them, so a smaller item further down can still
// fill the pass. Items whose expiry has passed are never returned (Sweep
// deletes them). Queued and in-flight items are both returned, with their
// state and the symbols already sent. Next walks the order index from its
// start, so its cost grows with n and the skips, not with the store's size.
func (s *Store) Next(n int, budgetBytes int64) ([]Entry, error) {
	if n <= 0 {
		return nil, nil
	}
	nowNanos := nanos(s.clock.Now())
	out := make([]Entry, 0, min(n, 64))
	var expired uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		r := newReader(tx)
		skips := 0
		left := budgetBytes
		c := tx.Bucket(bktOrder).Cursor()
		for k, v := c.First(); k != nil && len(out) < n; k, v = c.Next() {
			h, id, err := splitOrderValue(v)
			if err != nil {
				return fmt.Errorf("%w: order index: %w", ErrCorrupt, err)
			}
			if h.expiryNanos <= nowNanos {
				expired++
				continue
			}
			if budgetBytes > 0 && h.sizeBytes() > left {
				if skips++; skips > s.opts.NextMaxSkips {
					break
				}
				continue
			}
			e, err := r.entry(id, &h)
			if err != nil {
				return err
			}
			out = append(out, e)
			left -= h.sizeBytes()
		}
		return nil
	})
	if expired > 0 {
		s.mu.Lock()
		s.skippedExpire += expired
		s.mu.Unlock()
	}
	return out, err
}

// Custody returns the custody state of id: queued or in flight with the
// symbols sent per pass, or acknowledged/released with the reason and
// time (while the tombstone is kept). An unknown id gives ErrNotFound.
func (s *Store) Custody(id string) (Custody, error) {
	var cu Custody
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bktItems).Get([]byte(id)); v != nil {
			h, err := unmarshalHeader(v)
			if err != nil {
				return fmt.Errorf("%w: item %s: %w", ErrCorrupt, id, err)
			}
			cu.State = h.state
			cu.Sent, err = loadSent(tx.Bucket(bktCustody).Cursor(), id)
			return err
		}
		v := tx.Bucket(bktGone).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		t, err := unmarshalTombstone(v)
		if err != nil {
			return err
		}
		cu.State = StateReleased
		if t.reason == ReasonAcknowledged {
			cu.State = StateAcknowledged
		}
		cu.Reason = t.reason
		cu.At = fromNanos(t.atNanos)
		return nil
	})
	return cu, err
}
