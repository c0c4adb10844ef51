package procs

import (
	"fmt"
	"time"

	"github.com/skysieve/skysieve/flight/store"
	bolt "go.etcd.io/bbolt"
)

// Inventory is every detection id a flight store file holds or remembers.
type Inventory struct {
	// Held are the ids still in custody (queued or in flight).
	Held map[string]bool
	// Released maps the ids that left the store to the reason
	// (acknowledged, expired, evicted, ...), from the tombstones.
	Released map[string]string
}

// All returns the ids flight ever stored (as long as the tombstones of
// released ones are kept: 72 h by default).
func (inv Inventory) All() map[string]bool {
	out := make(map[string]bool, len(inv.Held)+len(inv.Released))
	for id := range inv.Held {
		out[id] = true
	}
	for id := range inv.Released {
		out[id] = true
	}
	return out
}

// Bucket names and tombstone layout of the store file, as documented in
// package flight/store ("Buckets and keys").
var (
	bucketItems = []byte("items")
	bucketGone  = []byte("gone")
)

const tombstoneBytes = 1 + 8 // reason, time

// ReadInventory opens the store file at path read-only (flight must have
// stopped: bbolt locks the file) and lists its ids. The file is the
// flight service's own, written moments ago; a damaged one gives an error
// wrapping ErrInventory.
func ReadInventory(path string) (Inventory, error) {
	db, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return Inventory{}, fmt.Errorf("%w: open %s: %w", ErrInventory, path, err)
	}
	defer db.Close()
	inv := Inventory{Held: map[string]bool{}, Released: map[string]string{}}
	err = db.View(func(tx *bolt.Tx) error {
		items, gone := tx.Bucket(bucketItems), tx.Bucket(bucketGone)
		if items == nil || gone == nil {
			return fmt.Errorf("no %s or %s bucket: not a flight store", bucketItems, bucketGone)
		}
		if err := items.ForEach(func(k, _ []byte) error {
			inv.Held[string(k)] = true
			return nil
		}); err != nil {
			return err
		}
		return gone.ForEach(func(k, v []byte) error {
			reason, err := tombstoneReason(v)
			if err != nil {
				return fmt.Errorf("tombstone %q: %w", k, err)
			}
			inv.Released[string(k)] = reason
			return nil
		})
	})
	if err != nil {
		return Inventory{}, fmt.Errorf("%w: %s: %w", ErrInventory, path, err)
	}
	return inv, nil
}

// tombstoneReason decodes a tombstone value (reason byte, then the time)
// into the reason's name.
func tombstoneReason(v []byte) (string, error) {
	if len(v) != tombstoneBytes {
		return "", fmt.Errorf("%w: tombstone of %d bytes, want %d", ErrInventory, len(v), tombstoneBytes)
	}
	r := store.Reason(v[0])
	for _, known := range store.Reasons() {
		if r == known {
			return r.String(), nil
		}
	}
	return "", fmt.Errorf("%w: unknown deletion reason %d", ErrInventory, v[0])
}
