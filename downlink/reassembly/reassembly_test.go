package reassembly

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/skysieve/skysieve/downlink/fec"
	"github.com/skysieve/skysieve/downlink/packet"
)

// testItem is an item with its encoder, for making symbols.
type testItem struct {
	ref  packet.ItemRef
	data []byte
	l    fec.Layout
	enc  *fec.Encoder
}

func newTestItem(t testing.TB, rng *rand.Rand, kind packet.Kind, size, symBytes int) *testItem {
	t.Helper()
	it := &testItem{ref: packet.ItemRef{Kind: kind}, data: make([]byte, size)}
	for i := range it.ref.ID {
		it.ref.ID[i] = byte(rng.Uint32())
	}
	for i := range it.data {
		it.data[i] = byte(rng.Uint32())
	}
	var err error
	if it.l, err = fec.NewLayout(size, symBytes, 0); err != nil {
		t.Fatal(err)
	}
	if it.enc, err = fec.NewEncoder(it.l, it.data); err != nil {
		t.Fatal(err)
	}
	return it
}

// symbol returns symbol i as a parsed packet would carry it.
func (it *testItem) symbol(t testing.TB, i int) packet.Symbol {
	t.Helper()
	d, err := it.enc.Symbol(i)
	if err != nil {
		t.Fatal(err)
	}
	s := packet.Symbol{Ref: it.ref, Index: uint32(i), K: uint16(it.l.K), Blocks: uint16(it.l.Blocks),
		SizeBytes: uint16(it.l.SymbolBytes), ItemBytes: uint32(it.l.ItemBytes),
		Digest: packet.ItemDigest(it.data), Data: bytes.Clone(d)}
	s.CRC = packet.SymbolCRC(s.Data)
	return s
}

// TestModel runs random interleavings of symbols from several items, with
// duplicates (as from overlapping stations and repeated passes), against
// a model: a single-block item completes exactly when its k-th distinct
// symbol arrives, exactly once, with the right bytes; Need is k minus the
// distinct symbols held; later symbols are AlreadyComplete.
func TestModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := 0; trial < 20; trial++ {
		r := New(Config{})
		var items []*testItem
		type ev struct{ item, index int }
		var events []ev
		for i := 0; i < 8; i++ {
			it := newTestItem(t, rng, packet.KindChip, 1+rng.IntN(3000), 64)
			items = append(items, it)
			n := it.l.K + rng.IntN(20)
			for j := 0; j < 2*n; j++ {
				events = append(events, ev{i, rng.IntN(n)})
			}
		}
		rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
		held := make([]map[int]bool, len(items))
		done := make([]bool, len(items))
		for i := range held {
			held[i] = map[int]bool{}
		}
		for _, e := range events {
			it := items[e.item]
			s := it.symbol(t, e.index)
			res, err := r.Add(&s)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case done[e.item]:
				if res.Outcome != AlreadyComplete || res.Item != nil {
					t.Fatalf("after completion: %+v", res)
				}
			case held[e.item][e.index]:
				if res.Outcome != Duplicate {
					t.Fatalf("duplicate symbol: %v", res.Outcome)
				}
			default:
				held[e.item][e.index] = true
				if res.Outcome != Accepted {
					t.Fatalf("new symbol: %v", res.Outcome)
				}
				complete := len(held[e.item]) == it.l.K
				if complete != (res.Item != nil) {
					t.Fatalf("item %d: %d of k=%d held, completed = %v", e.item, len(held[e.item]), it.l.K, res.Item != nil)
				}
				if complete {
					if !bytes.Equal(res.Item, it.data) {
						t.Fatal("completed item has wrong bytes")
					}
					done[e.item] = true
					if !r.IsComplete(it.ref) {
						t.Fatal("IsComplete false after completion")
					}
				} else if res.Need != it.l.K-len(held[e.item]) {
					t.Fatalf("Need = %d, model %d", res.Need, it.l.K-len(held[e.item]))
				}
			}
		}
		st := r.Stats()
		if st.HeldBytes < 0 || (st.HeldItems == 0) != (st.HeldBytes == 0) {
			t.Fatalf("stats %+v", st)
		}
		for i, it := range items {
			if !done[i] {
				found := false
				for _, n := range r.Needs() {
					if n.Ref == it.ref {
						found = n.Symbols == it.l.K-len(held[i])
					}
				}
				if !found {
					t.Fatalf("item %d missing or wrong in Needs", i)
				}
			}
		}
	}
}

// TestCorruptionCaught: a symbol with any bit flipped in its data is
// rejected before decoding (its CRC-32C), so no item completes wrongly.
func TestCorruptionCaught(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	it := newTestItem(t, rng, packet.KindRecord, 5000, 100)
	r := New(Config{})
	for i := 0; i < it.l.K+10; i++ {
		s := it.symbol(t, i)
		if i%2 == 0 {
			bit := rng.IntN(len(s.Data) * 8)
			s.Data[bit/8] ^= 1 << (bit % 8)
			if _, err := r.Add(&s); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("flipped bit %d accepted: %v", bit, err)
			}
			continue
		}
		res, err := r.Add(&s)
		if err != nil {
			t.Fatal(err)
		}
		if res.Item != nil && !bytes.Equal(res.Item, it.data) {
			t.Fatal("wrong item")
		}
	}
	if st := r.Stats(); st.Corrupt == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestInconsistentAndDigest: symbols that disagree with their item's
// layout or digest are refused; a decoded item that fails its digest is
// dropped and counted, never returned.
func TestInconsistentAndDigest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	it := newTestItem(t, rng, packet.KindChip, 1000, 100)
	r := New(Config{})
	s := it.symbol(t, 0)
	if _, err := r.Add(&s); err != nil {
		t.Fatal(err)
	}
	s = it.symbol(t, 1)
	s.Digest[0] ^= 1
	if _, err := r.Add(&s); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("digest change: %v", err)
	}
	// An item whose every symbol claims a wrong digest decodes and fails.
	bad := newTestItem(t, rng, packet.KindChip, 1000, 100)
	var err error
	for i := 0; i < bad.l.K && err == nil; i++ {
		s := bad.symbol(t, i)
		s.Digest[3] ^= 0x40
		var res AddResult
		res, err = r.Add(&s)
		if res.Item != nil {
			t.Fatal("item with a wrong digest returned")
		}
	}
	if !errors.Is(err, ErrDigest) || r.Stats().DigestFailures != 1 {
		t.Fatalf("err = %v, stats %+v", err, r.Stats())
	}
}

// TestMemoryCap: held bytes never exceed the cap; the oldest incomplete
// items are evicted and counted; an item larger than the cap is refused.
func TestMemoryCap(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const capBytes = 50_000
	r := New(Config{MaxBytes: capBytes})
	var first *testItem
	for i := 0; i < 40; i++ {
		it := newTestItem(t, rng, packet.KindChip, 4000+rng.IntN(4000), 100)
		if first == nil {
			first = it
		}
		for j := 0; j < it.l.K/2; j++ {
			s := it.symbol(t, it.l.K+j) // repair symbols, held separately
			if _, err := r.Add(&s); err != nil {
				t.Fatal(err)
			}
			if st := r.Stats(); st.HeldBytes > capBytes {
				t.Fatalf("held %d bytes, cap %d", st.HeldBytes, capBytes)
			}
		}
	}
	st := r.Stats()
	if st.Evicted == 0 {
		t.Fatalf("nothing evicted: %+v", st)
	}
	for _, n := range r.Needs() {
		if n.Ref == first.ref {
			t.Fatal("the oldest item survived eviction")
		}
	}
	huge := newTestItem(t, rng, packet.KindChip, capBytes+1, 100)
	s := huge.symbol(t, 0)
	if _, err := r.Add(&s); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("huge item: %v", err)
	}
}

// TestExportImport: a reassembler restarted from its exported state
// finishes items with the symbols that arrive after the restart, and still
// knows which items completed before it.
func TestExportImport(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	r := New(Config{})
	doneItem := newTestItem(t, rng, packet.KindRecord, 300, 100)
	for i := 0; i < doneItem.l.K; i++ {
		s := doneItem.symbol(t, i)
		if _, err := r.Add(&s); err != nil {
			t.Fatal(err)
		}
	}
	var items []*testItem
	for i := 0; i < 5; i++ {
		it := newTestItem(t, rng, packet.KindChip, 20_000+rng.IntN(30_000), 97)
		items = append(items, it)
		for j := 0; j < it.l.SourceSymbols()-it.l.Blocks; j++ { // one short per block
			s := it.symbol(t, j+it.l.Blocks*(j%2)) // a mix of source and repair rows
			if _, err := r.Add(&s); err != nil {
				t.Fatal(err)
			}
		}
	}
	var state bytes.Buffer
	if err := r.Export(&state); err != nil {
		t.Fatal(err)
	}
	r2 := New(Config{})
	if err := r2.Import(bytes.NewReader(state.Bytes())); err != nil {
		t.Fatal(err)
	}
	if !r2.IsComplete(doneItem.ref) {
		t.Fatal("completed item forgotten")
	}
	if a, b := r.Needs(), r2.Needs(); len(a) != len(b) {
		t.Fatalf("needs %v vs %v", a, b)
	}
	for _, it := range items {
		var got []byte
		for i := it.l.SourceSymbols(); got == nil && i < it.l.MaxSymbols(); i++ {
			s := it.symbol(t, i)
			res, err := r2.Add(&s)
			if err != nil {
				t.Fatal(err)
			}
			got = res.Item
		}
		if !bytes.Equal(got, it.data) {
			t.Fatalf("%v not rebuilt after import", it.ref)
		}
	}
	// Replay of persisted packets works the same way.
	r3 := New(Config{})
	s := items[0].symbol(t, 0)
	pkt, err := packet.AppendSymbol(nil, 0, &s)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := r3.AddPacket(pkt); err != nil || res.Outcome != Accepted {
		t.Fatalf("AddPacket: %+v %v", res, err)
	}
}

func FuzzImport(f *testing.F) {
	rng := rand.New(rand.NewPCG(6, 6))
	r := New(Config{})
	it := newTestItem(f, rng, packet.KindChip, 500, 50)
	for i := 0; i < 3; i++ {
		s := it.symbol(f, i)
		r.Add(&s)
	}
	var state bytes.Buffer
	r.Export(&state)
	f.Add(state.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		r := New(Config{MaxBytes: 1 << 20})
		err := r.Import(bytes.NewReader(in))
		if err != nil && !errors.Is(err, ErrState) {
			t.Fatalf("%v is not ErrState", err)
		}
		if st := r.Stats(); st.HeldBytes > 1<<20 {
			t.Fatalf("held %d bytes", st.HeldBytes)
		}
	})
}

func BenchmarkAddItem(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	it := newTestItem(b, rng, packet.KindChip, 256<<10, 1954)
	var syms []packet.Symbol
	for i := 0; i < it.l.SourceSymbols()+it.l.Blocks*20; i++ {
		if rng.IntN(10) > 0 { // 10% loss
			syms = append(syms, it.symbol(b, i))
		}
	}
	b.SetBytes(int64(len(it.data)))
	for b.Loop() {
		r := New(Config{})
		for i := range syms {
			res, err := r.Add(&syms[i])
			if err != nil {
				b.Fatal(err)
			}
			if res.Item != nil {
				break
			}
		}
	}
}
