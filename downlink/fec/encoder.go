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

// extend makes at least m repair rows for block b (e.mu held), doubling
// the count each time so a long run of on-demand requests costs O(n) work.
func (e *Encoder) extend(b, m int) error {
	if have := len(e.repair[b]); m < 2*have {
		m = 2 * have
	}
	if m > MaxBlockSymbols-e.l.K {
		m = MaxBlockSymbols - e.l.K
	}
	enc, q, err := codec(e.l.K, m)
	if err != nil {
		return err
	}
	shards := make([][]byte, e.l.K+q)
	for r := 0; r < e.l.K; r++ {
		shards[r] = e.source(b, r)
	}
	buf := make([]byte, q*e.l.SymbolBytes)
	for j := 0; j < q; j++ {
		shards[e.l.K+j] = buf[j*e.l.SymbolBytes : (j+1)*e.l.SymbolBytes : (j+1)*e.l.SymbolBytes]
	}
	if err := enc.Encode(shards); err != nil {
		return fmt.Errorf("fec: encode block %d: %w", b, err)
	}
	e.repair[b] = shards[e.l.K:]
	return nil
}
