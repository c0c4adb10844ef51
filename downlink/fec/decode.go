package fec

import (
	"crypto/subtle"
	"fmt"

	"github.com/klauspost/reedsolomon"
)

// DecodeBlock rebuilds the k source rows of one block in place. rows has
// one entry per row index received so far (len(rows) ≤ 256); an empty
// entry is missing, any other entry must be SymbolBytes long and already
// integrity-checked. At least k entries must be present. On success
// rows[0..k-1] are all filled: a missing source row is rebuilt into its
// entry's capacity when that is large enough (so callers can decode into
// one contiguous buffer), else into a new buffer. Repair rows are left as
// they are.
//
// With e source rows missing it solves only an e×e system: the syndromes
// of e repair rows (their value minus what the present source rows
// contribute) times the inverse of the missing columns' coefficients. The
// cost is about e·k·size multiply-adds plus an e³ inversion, never a k×k
// one. rows[j] may be shared with other rows while it is an input; a
// missing row's capacity must not overlap any other row.
func DecodeBlock(k int, rows [][]byte) error {
	if k < 1 || k >= MaxBlockSymbols || len(rows) > MaxBlockSymbols {
		return fmt.Errorf("%w: k=%d with %d rows", ErrLayout, k, len(rows))
	}
	size := -1
	var missing, present, repair []int
	for r := 0; r < max(k, len(rows)); r++ {
		if r >= len(rows) || len(rows[r]) == 0 {
			if r < k {
				missing = append(missing, r)
			}
			continue
		}
		if size >= 0 && len(rows[r]) != size {
			return fmt.Errorf("%w: row %d has %d bytes, others %d", ErrLayout, r, len(rows[r]), size)
		}
		size = len(rows[r])
		if r < k {
			present = append(present, r)
		} else {
			repair = append(repair, r)
		}
	}
	e := len(missing)
	if e == 0 {
		return nil
	}
	if len(repair) < e {
		return fmt.Errorf("%w: %d of k=%d", ErrTooFewSymbols, len(present)+len(repair), k)
	}
	repair = repair[:e]
	all, err := parityRows(k)
	if err != nil {
		return err
	}
	// Syndromes: s_a = repair_a ⊕ (repair row a re-encoded from the source
	// rows with the missing ones zero) = Σ_missing M[a][j]·d_j. The
	// re-encoding uses the shared encoder for the contiguous row range.
	from, to := repair[0]-k, repair[e-1]-k+1
	enc, err := rowEncoder(k, from, to)
	if err != nil {
		return err
	}
	zero := make([]byte, size)
	shards := make([][]byte, k+to-from)
	for r := 0; r < k; r++ {
		if r < len(rows) && len(rows[r]) > 0 {
			shards[r] = rows[r]
		} else {
			shards[r] = zero
		}
	}
	obuf := make([]byte, (to-from)*size)
	for j := range to - from {
		shards[k+j] = obuf[j*size : (j+1)*size : (j+1)*size]
	}
	if err := enc.Encode(shards); err != nil {
		return fmt.Errorf("fec: syndromes k=%d: %w", k, err)
	}
	out := make([][]byte, 0, 2*e)
	coef := make([][]byte, e)
	for a, pr := range repair {
		s := shards[pr-from] // output row pr-k-from, after the k inputs
		subtle.XORBytes(s, s, rows[pr])
		out = append(out, s)
		m := all[pr-k]
		coef[a] = make([]byte, e)
		for b, j := range missing {
			coef[a][b] = m[j]
		}
	}
	inv, ok := gfInvert(coef)
	if !ok {
		return fmt.Errorf("fec: k=%d: singular decoding system (not an MDS code?)", k)
	}
	for _, j := range missing {
		var d []byte
		if j < len(rows) && cap(rows[j]) >= size {
			d = rows[j][:size]
		} else {
			d = make([]byte, size)
		}
		out = append(out, d)
	}
	if err := encodeWith(inv, out); err != nil {
		return err
	}
	for b, j := range missing {
		rows[j] = out[e+b]
	}
	return nil
}

// encodeWith computes shards[in:] = matrix × shards[:in], where in is the
// matrix's width.
func encodeWith(matrix [][]byte, shards [][]byte) error {
	in := len(shards) - len(matrix)
	enc, err := reedsolomon.New(in, len(matrix), reedsolomon.WithCustomMatrix(matrix), reedsolomon.WithInversionCache(false))
	if err != nil {
		return fmt.Errorf("fec: %d×%d system: %w", len(matrix), in, err)
	}
	if err := enc.Encode(shards); err != nil {
		return fmt.Errorf("fec: %d×%d system: %w", len(matrix), in, err)
	}
	return nil
}
