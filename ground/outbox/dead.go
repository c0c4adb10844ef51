package outbox

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DeadLetter is an entry taken out of the queue because it could not be
// published: its stored bytes did not decode, or it failed MaxAttempts
// times for a reason of its own (the bus refused it). It is kept, never
// dropped, for an operator to inspect; the queue behind it goes on.
type DeadLetter struct {
	// Ref is the entry's kind/id ("" when the entry did not decode).
	Ref string `json:"ref"`
	// Key is the entry's queue key.
	Key []byte `json:"key"`
	// Attempts is how many publishes failed (0 for an undecodable entry).
	Attempts int `json:"attempts"`
	// Reason is the last error.
	Reason string `json:"reason"`
	// At is when the entry was dead-lettered.
	At time.Time `json:"at"`
	// Entry is the entry's stored bytes, as they were in the queue.
	Entry []byte `json:"entry"`
}

// Fail records a failed publish of e for a reason of its own. Once e has
// failed maxAttempts times (counted across restarts) it moves to the dead
// letters in the same transaction, and Fail reports dead. Fail on an entry
// no longer queued returns an error wrapping ErrNotQueued.
func (o *Outbox) Fail(e *Entry, cause error, maxAttempts int, now time.Time) (attempts int, dead bool, err error) {
	err = o.db.Update(func(tx *bolt.Tx) error {
		q := tx.Bucket(bucketQueue)
		val := q.Get(e.Key)
		if val == nil {
			return fmt.Errorf("%w: %s", ErrNotQueued, e.Ref())
		}
		ab := tx.Bucket(bucketAttempts)
		if v := ab.Get(e.Key); len(v) == 4 {
			attempts = int(binary.BigEndian.Uint32(v))
		}
		attempts++
		if attempts < maxAttempts {
			return ab.Put(e.Key, binary.BigEndian.AppendUint32(nil, uint32(attempts)))
		}
		dead = true
		return o.deadLetterTx(tx, DeadLetter{Ref: e.Ref(), Key: e.Key, Attempts: attempts,
			Reason: cause.Error(), At: now.UTC(), Entry: bytes.Clone(val)})
	})
	return attempts, dead, err
}

// DeadLetterNow moves e to the dead letters at once, for a fault no retry
// can cure (a record that does not validate).
func (o *Outbox) DeadLetterNow(e *Entry, cause error, now time.Time) error {
	return o.db.Update(func(tx *bolt.Tx) error {
		val := tx.Bucket(bucketQueue).Get(e.Key)
		if val == nil {
			return fmt.Errorf("%w: %s", ErrNotQueued, e.Ref())
		}
		return o.deadLetterTx(tx, DeadLetter{Ref: e.Ref(), Key: e.Key, Reason: cause.Error(), At: now.UTC(), Entry: bytes.Clone(val)})
	})
}

// DeadLetterCorrupt moves every queued entry whose stored bytes do not
// decode to the dead letters and returns them. Decoding is deterministic,
// so such an entry is moved at once: retrying it would only stop the
// queue, on every restart.
func (o *Outbox) DeadLetterCorrupt(now time.Time) ([]DeadLetter, error) {
	var moved []DeadLetter
	err := o.db.Update(func(tx *bolt.Tx) error {
		moved = moved[:0]
		var bad []DeadLetter
		err := tx.Bucket(bucketQueue).ForEach(func(k, v []byte) error {
			if _, err := decodeEntry(v); err != nil {
				bad = append(bad, DeadLetter{Key: bytes.Clone(k), Reason: fmt.Sprintf("%v: %v", ErrCorrupt, err),
					At: now.UTC(), Entry: bytes.Clone(v)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, d := range bad {
			if err := o.deadLetterTx(tx, d); err != nil {
				return err
			}
		}
		moved = bad
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: dead-letter corrupt entries: %w", err)
	}
	return moved, nil
}

// deadLetterTx moves the entry under d.Key from the queue to the dead
// letters. Its ref stays known (byref points at the dead letter), so the
// same item downlinked again is not queued again behind the operator's
// back.
func (o *Outbox) deadLetterTx(tx *bolt.Tx, d DeadLetter) error {
	rec, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketDead).Put(d.Key, rec); err != nil {
		return err
	}
	if err := tx.Bucket(bucketQueue).Delete(d.Key); err != nil {
		return err
	}
	if err := tx.Bucket(bucketAttempts).Delete(d.Key); err != nil {
		return err
	}
	tx.OnCommit(func() { o.n.Add(-1) })
	return nil
}

// DeadLetters returns the dead letters, in queue-key order.
func (o *Outbox) DeadLetters() ([]DeadLetter, error) {
	var out []DeadLetter
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDead).ForEach(func(k, v []byte) error {
			var d DeadLetter
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("%w: dead letter %x: %v", ErrCorrupt, k, err)
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}
