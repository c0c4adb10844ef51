package fec

import (
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/reedsolomon"
)

// MaxBlockSymbols is the most symbols one block can have (GF(2^8)).
const MaxBlockSymbols = 256

// DefaultMaxK is the default largest k per block. It leaves at least 128
// repair rows per block, so a block survives 50% loss of everything sent
// for it before its distinct symbols run out.
const DefaultMaxK = 128

// MaxItemBytes bounds the item size a Layout accepts (64 MiB).
const MaxItemBytes = 64 << 20

// Named errors, testable with errors.Is.
var (
	ErrLayout        = errors.New("fec: invalid layout")
	ErrIndex         = errors.New("fec: symbol index out of range")
	ErrTooFewSymbols = errors.New("fec: too few symbols to decode")
)

// Layout places an item's bytes in code blocks.
type Layout struct {
	ItemBytes   int // item length
	SymbolBytes int // bytes per symbol
	K           int // source symbols per block
	Blocks      int // code blocks
}

// NewLayout picks the layout for an item of itemBytes cut into symbols of
// symbolBytes, with at most maxK source symbols per block (0 means
// DefaultMaxK). Blocks are balanced: every block has the same k.
func NewLayout(itemBytes, symbolBytes, maxK int) (Layout, error) {
	if maxK == 0 {
		maxK = DefaultMaxK
	}
	if itemBytes < 1 || itemBytes > MaxItemBytes {
		return Layout{}, fmt.Errorf("%w: item of %d bytes outside 1..%d", ErrLayout, itemBytes, MaxItemBytes)
	}
	if symbolBytes < 1 || symbolBytes > 65535 {
		return Layout{}, fmt.Errorf("%w: symbol size %d outside 1..65535", ErrLayout, symbolBytes)
	}
	if maxK < 1 || maxK >= MaxBlockSymbols {
		return Layout{}, fmt.Errorf("%w: max k %d outside 1..%d", ErrLayout, maxK, MaxBlockSymbols-1)
	}
	src := (itemBytes + symbolBytes - 1) / symbolBytes
	blocks := (src + maxK - 1) / maxK
	if blocks > 65535 {
		return Layout{}, fmt.Errorf("%w: %d blocks", ErrLayout, blocks)
	}
	return Layout{ItemBytes: itemBytes, SymbolBytes: symbolBytes, K: (src + blocks - 1) / blocks, Blocks: blocks}, nil
}

// Check reports whether l is a layout NewLayout could have produced for
// some maxK: the same rule the receiver applies to headers from the radio.
func (l Layout) Check() error {
	if l.ItemBytes < 1 || l.ItemBytes > MaxItemBytes || l.SymbolBytes < 1 || l.SymbolBytes > 65535 ||
		l.K < 1 || l.K >= MaxBlockSymbols || l.Blocks < 1 {
		return fmt.Errorf("%w: %+v", ErrLayout, l)
	}
	src := (l.ItemBytes + l.SymbolBytes - 1) / l.SymbolBytes
	if src < l.Blocks || l.K != (src+l.Blocks-1)/l.Blocks {
		return fmt.Errorf("%w: k=%d blocks=%d do not fit %d source symbols", ErrLayout, l.K, l.Blocks, src)
	}
	return nil
}

// SourceSymbols is k times the block count: the symbols needed to decode
// with no loss, indices 0..SourceSymbols()-1.
func (l Layout) SourceSymbols() int { return l.K * l.Blocks }

// MaxSymbols is the number of distinct symbol indices (source and repair).
func (l Layout) MaxSymbols() int { return l.Blocks * MaxBlockSymbols }

// Locate returns the block and row of symbol index i.
func (l Layout) Locate(i int) (block, row int) { return i % l.Blocks, i / l.Blocks }

// Index is the inverse of Locate.
func (l Layout) Index(block, row int) int { return row*l.Blocks + block }

// BlockBytes is the item bytes one block covers (k symbols).
func (l Layout) BlockBytes() int { return l.K * l.SymbolBytes }

var matrices struct {
	sync.Mutex
	m map[int][][]byte
}

// parityRows returns the 256-k parity rows of the systematic matrix that
// reedsolomon.New builds for k data rows (row p, column j is the weight of
// source row j in repair row p). Encoding the k unit vectors yields them.
// They are kept per k (at most 64 KiB each).
func parityRows(k int) ([][]byte, error) {
	matrices.Lock()
	defer matrices.Unlock()
	if rows, ok := matrices.m[k]; ok {
		return rows, nil
	}
	enc, err := reedsolomon.New(k, MaxBlockSymbols-k, reedsolomon.WithInversionCache(false))
	if err != nil {
		return nil, fmt.Errorf("fec: parity matrix for k=%d: %w", k, err)
	}
	shards := make([][]byte, MaxBlockSymbols)
	for j := range shards {
		shards[j] = make([]byte, k)
		if j < k {
			shards[j][j] = 1
		}
	}
	if err := enc.Encode(shards); err != nil {
		return nil, fmt.Errorf("fec: parity matrix for k=%d: %w", k, err)
	}
	if matrices.m == nil {
		matrices.m = map[int][][]byte{}
	}
	matrices.m[k] = shards[k:]
	return shards[k:], nil
}

// rowEncoders caches encoders that make repair rows [from, to) of a block
// with k source rows, keyed by (k, from, to): items of similar size reuse
// them (and their scratch buffers). At most maxRowEncoders are kept.
var rowEncoders struct {
	sync.Mutex
	m map[[3]int]reedsolomon.Encoder
}

const maxRowEncoders = 64

// rowEncoder returns an encoder whose Encode computes repair rows
// from..to-1 of a block with k source rows.
func rowEncoder(k, from, to int) (reedsolomon.Encoder, error) {
	key := [3]int{k, from, to}
	rowEncoders.Lock()
	enc, ok := rowEncoders.m[key]
	rowEncoders.Unlock()
	if ok {
		return enc, nil
	}
	all, err := parityRows(k)
	if err != nil {
		return nil, err
	}
	enc, err = reedsolomon.New(k, to-from, reedsolomon.WithCustomMatrix(all[from:to]), reedsolomon.WithInversionCache(false))
	if err != nil {
		return nil, err
	}
	rowEncoders.Lock()
	defer rowEncoders.Unlock()
	if rowEncoders.m == nil {
		rowEncoders.m = map[[3]int]reedsolomon.Encoder{}
	}
	if len(rowEncoders.m) >= maxRowEncoders {
		for old := range rowEncoders.m { // drop an arbitrary entry
			delete(rowEncoders.m, old)
			break
		}
	}
	rowEncoders.m[key] = enc
	return enc, nil
}
