package fec

import "fmt"

// DecodeBlock rebuilds the k source rows of one block in place. rows has
// one entry per row index received so far (len(rows) ≤ 256); an empty
// entry is missing, any other entry must be SymbolBytes long and already
// integrity-checked. At least k entries must be present. On success
// rows[0..k-1] are all filled: a missing source row is rebuilt into its
// entry's capacity when that is large enough (so callers can decode into
// one contiguous buffer), else into a new buffer. Repair rows are left as
// they are.
func DecodeBlock(k int, rows [][]byte) error {
	if k < 1 || k >= MaxBlockSymbols || len(rows) > MaxBlockSymbols {
		return fmt.Errorf("%w: k=%d with %d rows", ErrLayout, k, len(rows))
	}
	have, size, missingSource := 0, -1, false
	for r, s := range rows {
		if len(s) == 0 {
			if r < k {
				missingSource = true
			}
			continue
		}
		if size >= 0 && len(s) != size {
			return fmt.Errorf("%w: row %d has %d bytes, others %d", ErrLayout, r, len(s), size)
		}
		size = len(s)
		have++
	}
	if have < k {
		return fmt.Errorf("%w: %d of k=%d", ErrTooFewSymbols, have, k)
	}
	if !missingSource {
		return nil
	}
	m := len(rows) - k
	enc, q, err := codec(k, m)
	if err != nil {
		return err
	}
	shards := make([][]byte, k+q)
	copy(shards, rows)
	for r := 0; r < k; r++ {
		if len(shards[r]) == 0 && cap(shards[r]) < size {
			shards[r] = make([]byte, 0, size)
		}
	}
	for r := k; r < len(rows); r++ {
		if len(shards[r]) == 0 {
			shards[r] = nil
		}
	}
	if err := enc.ReconstructData(shards); err != nil {
		return fmt.Errorf("fec: reconstruct k=%d: %w", k, err)
	}
	copy(rows, shards[:len(rows)])
	return nil
}
