package outbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketQueue     = []byte("outbox")
	bucketByRef     = []byte("outbox.byref")
	bucketPublished = []byte("outbox.published")
	// bucketAttempts counts failed publish attempts per queued entry
	// (queue key → uint32), so a restart does not reset them.
	bucketAttempts = []byte("outbox.attempts")
	// bucketDead holds dead letters: queue key → dead-letter record.
	bucketDead = []byte("outbox.dead")
)

// Errors of the outbox.
var (
	// ErrNotQueued means the entry is no longer in the queue.
	ErrNotQueued = errors.New("outbox: entry not queued")
	// ErrCorrupt means stored bytes did not decode.
	ErrCorrupt = errors.New("outbox: corrupt entry")
)

// Entry is one completed item waiting to be published.
type Entry struct {
	// Kind is the item kind ("record", "chip").
	Kind string `json:"kind"`
	// ID is the item id in hex.
	ID string `json:"id"`
	// Priority orders the queue, highest first; in [0, 1].
	Priority float64 `json:"priority"`
	// Payload is the reassembled item (stored raw after the JSON header).
	Payload []byte `json:"-"`
	// Station, Pass and DownlinkTime describe the delivery.
	Station      string    `json:"station"`
	Pass         string    `json:"pass,omitempty"`
	DownlinkTime time.Time `json:"downlink_time"`
	// Key is the queue key, set by the outbox.
	Key []byte `json:"-"`
}

// encodeEntry stores e as a 4-byte big-endian header length, the JSON
// header, and the raw payload (no base64: chips are most of the bytes).
func encodeEntry(e *Entry) ([]byte, error) {
	meta, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("outbox: encode %s: %w", e.Ref(), err)
	}
	val := make([]byte, 0, 4+len(meta)+len(e.Payload))
	val = binary.BigEndian.AppendUint32(val, uint32(len(meta)))
	val = append(val, meta...)
	return append(val, e.Payload...), nil
}

func decodeEntry(v []byte) (*Entry, error) {
	if len(v) < 4 {
		return nil, fmt.Errorf("%d bytes is shorter than the header length", len(v))
	}
	n := binary.BigEndian.Uint32(v)
	if uint64(n) > uint64(len(v)-4) {
		return nil, fmt.Errorf("header of %d bytes in a %d-byte entry", n, len(v))
	}
	e := new(Entry)
	if err := json.Unmarshal(v[4:4+n], e); err != nil {
		return nil, err
	}
	e.Payload = append([]byte(nil), v[4+n:]...)
	return e, nil
}

// Ref is the entry's "kind/id".
func (e *Entry) Ref() string { return e.Kind + "/" + e.ID }

// Outbox is the durable queue in a bbolt database. Methods are safe for
// concurrent use (bbolt serialises writers).
type Outbox struct {
	db *bolt.DB
	// n mirrors the queue length so Len is cheap; it moves only when a
	// transaction commits.
	n atomic.Int64
}

// Open creates the outbox buckets in db if absent.
func Open(db *bolt.DB) (*Outbox, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketQueue, bucketByRef, bucketPublished, bucketAttempts, bucketDead} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: create buckets: %w", err)
	}
	o := &Outbox{db: db}
	_ = db.View(func(tx *bolt.Tx) error {
		o.n.Store(int64(tx.Bucket(bucketQueue).Stats().KeyN))
		return nil
	})
	return o, nil
}

// queueKey sorts higher priority first, then by sequence.
func queueKey(priority float64, seq uint64) []byte {
	if !(priority >= 0) {
		priority = 0
	}
	priority = math.Min(priority, 1)
	k := make([]byte, 12)
	binary.BigEndian.PutUint32(k, uint32(math.Round((1-priority)*math.MaxUint32)))
	binary.BigEndian.PutUint64(k[4:], seq)
	return k
}

// EnqueueTx adds e inside the caller's write transaction, unless the same
// kind/id is already queued or published. It reports whether e was added.
func (o *Outbox) EnqueueTx(tx *bolt.Tx, e *Entry) (bool, error) {
	ref := []byte(e.Ref())
	if tx.Bucket(bucketPublished).Get(ref) != nil || tx.Bucket(bucketByRef).Get(ref) != nil {
		return false, nil
	}
	q := tx.Bucket(bucketQueue)
	seq, err := q.NextSequence()
	if err != nil {
		return false, err
	}
	key := queueKey(e.Priority, seq)
	val, err := encodeEntry(e)
	if err != nil {
		return false, err
	}
	if err := q.Put(key, val); err != nil {
		return false, err
	}
	if err := tx.Bucket(bucketByRef).Put(ref, key); err != nil {
		return false, err
	}
	e.Key = key
	tx.OnCommit(func() { o.n.Add(1) })
	return true, nil
}

// Enqueue adds e in its own transaction; see EnqueueTx.
func (o *Outbox) Enqueue(e *Entry) (added bool, err error) {
	err = o.db.Update(func(tx *bolt.Tx) error {
		added, err = o.EnqueueTx(tx, e)
		return err
	})
	return added, err
}

// Known reports whether kind/id is queued or already published.
func (o *Outbox) Known(kind, id string) (known bool) {
	ref := []byte(kind + "/" + id)
	_ = o.db.View(func(tx *bolt.Tx) error {
		known = tx.Bucket(bucketPublished).Get(ref) != nil || tx.Bucket(bucketByRef).Get(ref) != nil
		return nil
	})
	return known
}

// Published reports whether kind/id was published.
func (o *Outbox) Published(kind, id string) (ok bool) {
	_ = o.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketPublished).Get([]byte(kind+"/"+id)) != nil
		return nil
	})
	return ok
}

// Peek returns up to n entries, highest priority first.
func (o *Outbox) Peek(n int) ([]*Entry, error) {
	var out []*Entry
	err := o.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		for k, v := c.First(); k != nil && len(out) < n; k, v = c.Next() {
			e, err := decodeEntry(v)
			if err != nil {
				return fmt.Errorf("%w: key %x: %v", ErrCorrupt, k, err)
			}
			e.Key = append([]byte(nil), k...)
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Len is the number of queued entries (kept in memory, so it is cheap).
func (o *Outbox) Len() int { return int(o.n.Load()) }

// Done removes queued entries and records them as published at t, in one
// transaction. Entries no longer queued are skipped; the others are still
// retired, and the error (wrapping ErrNotQueued) names the first skipped.
func (o *Outbox) Done(t time.Time, es ...*Entry) error {
	var skipped error
	err := o.db.Update(func(tx *bolt.Tx) error {
		removed := 0
		tx.OnCommit(func() { o.n.Add(int64(-removed)) })
		q := tx.Bucket(bucketQueue)
		ts, _ := t.UTC().MarshalBinary()
		for _, e := range es {
			if q.Get(e.Key) == nil {
				if skipped == nil {
					skipped = fmt.Errorf("%w: %s", ErrNotQueued, e.Ref())
				}
				continue
			}
			if err := q.Delete(e.Key); err != nil {
				return err
			}
			if err := tx.Bucket(bucketAttempts).Delete(e.Key); err != nil {
				return err
			}
			ref := []byte(e.Ref())
			if err := tx.Bucket(bucketByRef).Delete(ref); err != nil {
				return err
			}
			if err := tx.Bucket(bucketPublished).Put(ref, ts); err != nil {
				return err
			}
			removed++
		}
		return nil
	})
	if err != nil {
		return err
	}
	return skipped
}
