package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Limits of the flight key/value.
const (
	MaxMetaKeyBytes   = 256
	MaxMetaValueBytes = 64 << 10
)

// SetMeta stores value under key in the flight software's own key/value
// (link security sequence high-water mark, pass counters...), durably when
// it returns.
func (s *Store) SetMeta(key string, value []byte) error {
	if key == "" || len(key) > MaxMetaKeyBytes {
		return fmt.Errorf("%w: meta key must be 1..%d bytes", ErrBadArgument, MaxMetaKeyBytes)
	}
	if len(value) > MaxMetaValueBytes {
		return fmt.Errorf("%w: meta value of %d bytes exceeds %d", ErrBadArgument, len(value), MaxMetaValueBytes)
	}
	v := bytes.Clone(value)
	if v == nil {
		v = []byte{}
	}
	return s.update(func(w *writer) error { return w.meta.Put([]byte(key), v) })
}

// Meta returns a copy of the value stored under key, or ErrNotFound.
func (s *Store) Meta(key string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktMeta).Get([]byte(key))
		if v == nil {
			return fmt.Errorf("%w: meta %q", ErrNotFound, key)
		}
		out = bytes.Clone(v)
		if out == nil {
			out = []byte{}
		}
		return nil
	})
	return out, err
}
