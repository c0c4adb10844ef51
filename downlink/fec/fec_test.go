package fec

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/reedsolomon"
)

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func TestLayout(t *testing.T) {
	for _, c := range []struct {
		item, sym, maxK int
		k, blocks       int
	}{
		{1, 100, 0, 1, 1},
		{100, 100, 0, 1, 1},
		{101, 100, 0, 2, 1},
		{128 * 100, 100, 0, 128, 1},
		{128*100 + 1, 100, 0, 65, 2},
		{170 * 100, 100, 0, 85, 2},
		{1 << 20, 1954, 0, 108, 5},
		{1000, 10, 7, 7, 15},
	} {
		l, err := NewLayout(c.item, c.sym, c.maxK)
		if err != nil {
			t.Fatal(err)
		}
		if l.K != c.k || l.Blocks != c.blocks {
			t.Fatalf("%+v: k=%d blocks=%d, want %d %d", c, l.K, l.Blocks, c.k, c.blocks)
		}
		if err := l.Check(); err != nil {
			t.Fatalf("%+v: %v", l, err)
		}
		if l.SourceSymbols()*l.SymbolBytes < l.ItemBytes {
			t.Fatalf("%+v does not hold the item", l)
		}
		for i := 0; i < l.MaxSymbols(); i++ {
			if b, r := l.Locate(i); l.Index(b, r) != i || r >= MaxBlockSymbols {
				t.Fatalf("index %d ↔ (%d,%d)", i, b, r)
			}
		}
	}
	for _, bad := range []Layout{
		{ItemBytes: 0, SymbolBytes: 1, K: 1, Blocks: 1},
		{ItemBytes: 10, SymbolBytes: 1, K: 10, Blocks: 2},
		{ItemBytes: 10, SymbolBytes: 1, K: 3, Blocks: 3},
		{ItemBytes: 300, SymbolBytes: 1, K: 256, Blocks: 1},
		{ItemBytes: 10, SymbolBytes: 1, K: 1, Blocks: 10 + 1},
	} {
		if err := bad.Check(); !errors.Is(err, ErrLayout) {
			t.Fatalf("%+v accepted: %v", bad, err)
		}
	}
	if _, err := NewLayout(MaxItemBytes+1, 100, 0); !errors.Is(err, ErrLayout) {
		t.Fatal("oversized item accepted")
	}
}

// TestAnyKOfN: for every k from 1 to 200, a block of k source symbols
// plus random repair rebuilds from a random subset of exactly k symbols,
// several subsets each (the code is MDS).
func TestAnyKOfN(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const size = 64
	for k := 1; k <= 200; k++ {
		data := randomBytes(rng, k*size-rng.IntN(size))
		l, err := NewLayout(len(data), size, 255)
		if err != nil {
			t.Fatal(err)
		}
		if l.Blocks != 1 || l.K != k {
			t.Fatalf("k=%d: layout %+v", k, l)
		}
		enc, err := NewEncoder(l, data)
		if err != nil {
			t.Fatal(err)
		}
		n := k + 1 + rng.IntN(MaxBlockSymbols-k)
		for trial := 0; trial < 3; trial++ {
			rows := make([][]byte, n)
			for _, i := range rng.Perm(n)[:k] {
				s, err := enc.Symbol(i)
				if err != nil {
					t.Fatal(err)
				}
				rows[i] = bytes.Clone(s)
			}
			if err := DecodeBlock(k, rows); err != nil {
				t.Fatalf("k=%d n=%d: %v", k, n, err)
			}
			var got []byte
			for r := 0; r < k; r++ {
				got = append(got, rows[r]...)
			}
			if !bytes.Equal(got[:len(data)], data) {
				t.Fatalf("k=%d n=%d trial %d: wrong data", k, n, trial)
			}
		}
	}
}

// TestMultiBlockItem: an item split into blocks rebuilds from k symbols of
// each block, taken from interleaved source and repair indices.
func TestMultiBlockItem(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	data := randomBytes(rng, 100_000)
	l, err := NewLayout(len(data), 300, 0)
	if err != nil {
		t.Fatal(err)
	}
	if l.Blocks < 2 {
		t.Fatalf("layout %+v is one block", l)
	}
	enc, _ := NewEncoder(l, data)
	got := make([]byte, 0, l.SourceSymbols()*l.SymbolBytes)
	blocks := make([][][]byte, l.Blocks)
	for b := range blocks {
		blocks[b] = make([][]byte, MaxBlockSymbols)
	}
	for _, i := range rng.Perm(l.MaxSymbols()) {
		b, r := l.Locate(i)
		have := 0
		for _, s := range blocks[b] {
			if s != nil {
				have++
			}
		}
		if have == l.K {
			continue
		}
		s, err := enc.Symbol(i)
		if err != nil {
			t.Fatal(err)
		}
		blocks[b][r] = bytes.Clone(s)
	}
	for b := range blocks {
		if err := DecodeBlock(l.K, blocks[b]); err != nil {
			t.Fatal(err)
		}
		for r := 0; r < l.K; r++ {
			got = append(got, blocks[b][r]...)
		}
	}
	if !bytes.Equal(got[:len(data)], data) {
		t.Fatal("multi-block item differs")
	}
}

// TestIncrementalRepairMatchesBatch: repair rows made on demand, one at a
// time, by Reserve, or by a plain reedsolomon encoder with all rows at
// once are the same bytes.
func TestIncrementalRepairMatchesBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, k := range []int{1, 2, 17, 100, 170, 255} {
		const size = 128
		data := randomBytes(rng, k*size)
		l, _ := NewLayout(len(data), size, 255)
		m := MaxBlockSymbols - k
		ref, err := reedsolomon.New(k, m)
		if err != nil {
			t.Fatal(err)
		}
		shards := make([][]byte, k+m)
		for i := range shards {
			if i < k {
				shards[i] = data[i*size : (i+1)*size]
			} else {
				shards[i] = make([]byte, size)
			}
		}
		if err := ref.Encode(shards); err != nil {
			t.Fatal(err)
		}
		onDemand, _ := NewEncoder(l, data)
		reserved, _ := NewEncoder(l, data)
		if err := reserved.Reserve(k + m/3); err != nil {
			t.Fatal(err)
		}
		for i := k; i < k+m; i++ {
			a, err1 := onDemand.Symbol(i)
			b, err2 := reserved.Symbol(i)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !bytes.Equal(a, shards[i]) || !bytes.Equal(b, shards[i]) {
				t.Fatalf("k=%d: repair row %d differs from a one-shot encode", k, i-k)
			}
		}
		if _, err := onDemand.Symbol(k + m); !errors.Is(err, ErrIndex) {
			t.Fatalf("k=%d: index past the block: %v", k, err)
		}
	}
}

func TestDecodeTooFew(t *testing.T) {
	rows := [][]byte{nil, {1, 2}, nil, {3, 4}}
	if err := DecodeBlock(3, rows); !errors.Is(err, ErrTooFewSymbols) {
		t.Fatalf("err = %v", err)
	}
	if err := DecodeBlock(2, [][]byte{{1}, {1, 2}}); !errors.Is(err, ErrLayout) {
		t.Fatalf("ragged rows: %v", err)
	}
}

// TestGFMatchesReedSolomon: the small-field arithmetic DecodeBlock uses
// agrees with reedsolomon's for every product.
func TestGFMatchesReedSolomon(t *testing.T) {
	in := make([]byte, 256)
	for i := range in {
		in[i] = byte(i)
	}
	for a := 0; a < 256; a++ {
		out := make([]byte, 256)
		if err := encodeWith([][]byte{{byte(a)}}, [][]byte{in, out}); err != nil {
			t.Fatal(err)
		}
		for b := 0; b < 256; b++ {
			if got := gfMul(byte(a), byte(b)); got != out[b] {
				t.Fatalf("%d·%d = %d, reedsolomon says %d", a, b, got, out[b])
			}
		}
		if a != 0 && gfMul(byte(a), gfInv(byte(a))) != 1 {
			t.Fatalf("inverse of %d", a)
		}
	}
}

func BenchmarkDecodeBlock10PctLoss(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	const k, size = 135, 1954
	data := randomBytes(rng, k*size)
	l, _ := NewLayout(len(data), size, 0)
	enc, _ := NewEncoder(l, data)
	n := k + k/5
	var rows [][]byte
	perm := rng.Perm(n)[:k+k/20]
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rows = make([][]byte, n)
		for _, i := range perm {
			rows[i], _ = enc.Symbol(i)
		}
		if err := DecodeBlock(k, rows); err != nil {
			b.Fatal(err)
		}
	}
}
