package fec

import (
	"fmt"
	"sync"
)

// Encoder produces the symbols of one item. Source symbols alias the item
// bytes where they can; repair symbols are computed per block the first
// time one is asked for and kept. It is safe for concurrent use.
type Encoder struct {
	l    Layout
	data []byte

	tail []byte // the last, partial source symbol zero-padded; nil if none
	zero []byte // an all-zero symbol for padding rows

	mu     sync.Mutex
	repair [][][]byte // per block, repair rows made so far
}

// NewEncoder returns an encoder for data laid out by l. data must not
// change while the encoder is in use.
func NewEncoder(l Layout, data []byte) (*Encoder, error) {
	if err := l.Check(); err != nil {
		return nil, err
	}
	if len(data) != l.ItemBytes {
		return nil, fmt.Errorf("%w: item has %d bytes, layout says %d", ErrLayout, len(data), l.ItemBytes)
	}
	e := &Encoder{l: l, data: data, repair: make([][][]byte, l.Blocks), zero: make([]byte, l.SymbolBytes)}
	if rem := len(data) % l.SymbolBytes; rem != 0 {
		e.tail = make([]byte, l.SymbolBytes)
		copy(e.tail, data[len(data)-rem:])
	}
	return e, nil
}

// Layout returns the encoder's layout.
func (e *Encoder) Layout() Layout { return e.l }

// Symbol returns symbol i (SymbolBytes long). The slice must not be
// modified; it stays valid as long as the encoder.
func (e *Encoder) Symbol(i int) ([]byte, error) {
	if i < 0 || i >= e.l.MaxSymbols() {
		return nil, fmt.Errorf("%w: %d not in 0..%d", ErrIndex, i, e.l.MaxSymbols()-1)
	}
	b, r := e.l.Locate(i)
	if r < e.l.K {
		return e.source(b, r), nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rows := e.repair[b]
	if r-e.l.K >= len(rows) {
		if err := e.extend(b, r-e.l.K+1); err != nil {
			return nil, err
		}
		rows = e.repair[b]
	}
	return rows[r-e.l.K], nil
}

// source returns row r of block b, a view of the item where possible.
func (e *Encoder) source(b, r int) []byte {
	s := e.l.SymbolBytes
	off := b*e.l.BlockBytes() + r*s
	if off+s <= len(e.data) {
		return e.data[off : off+s : off+s]
	}
	if off >= len(e.data) {
		return e.zero
	}
	return e.tail
}

// Reserve computes now, in one batch per block, every repair symbol with
// index below n, so a sender that knows how many symbols it will send
// pays for exactly those. It is optional: Symbol computes on demand.
func (e *Encoder) Reserve(n int) error {
	if n > e.l.MaxSymbols() {
		return fmt.Errorf("%w: reserve %d of %d", ErrIndex, n, e.l.MaxSymbols())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for b := 0; b < e.l.Blocks && b < n; b++ {
		rows := (n - b + e.l.Blocks - 1) / e.l.Blocks
		if m := rows - e.l.K; m > len(e.repair[b]) {
			if err := e.make(b, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// extend makes at least m repair rows for block b (e.mu held), at least
// doubling the count and at least minBatch, so a long run of on-demand
// requests costs O(rows) work.
func (e *Encoder) extend(b, m int) error {
	return e.make(b, max(m, 2*len(e.repair[b]), minBatch))
}

// minBatch is the fewest repair rows an on-demand extension makes.
const minBatch = 8

// make computes repair rows len(e.repair[b])..target-1 of block b (e.mu
// held; target is capped at the block's room).
func (e *Encoder) make(b, target int) error {
	k := e.l.K
	have := len(e.repair[b])
	target = min(target, MaxBlockSymbols-k)
	if target <= have {
		return nil
	}
	enc, err := rowEncoder(k, have, target)
	if err != nil {
		return fmt.Errorf("fec: encoder for rows %d..%d of k=%d: %w", have, target-1, k, err)
	}
	shards := make([][]byte, k+target-have)
	for r := 0; r < k; r++ {
		shards[r] = e.source(b, r)
	}
	size := e.l.SymbolBytes
	buf := make([]byte, (target-have)*size)
	for j := k; j < len(shards); j++ {
		o := (j - k) * size
		shards[j] = buf[o : o+size : o+size]
	}
	if err := enc.Encode(shards); err != nil {
		return fmt.Errorf("fec: encode block %d: %w", b, err)
	}
	e.repair[b] = append(e.repair[b], shards[k:]...)
	return nil
}
