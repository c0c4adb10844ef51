package reassembly

import (
	"container/list"
	"errors"
	"fmt"
	"sync"

	"github.com/skysieve/skysieve/downlink/fec"
	"github.com/skysieve/skysieve/downlink/packet"
	"github.com/skysieve/skysieve/downlink/report"
)

// Named errors, testable with errors.Is.
var (
	ErrCorrupt      = errors.New("reassembly: corrupt symbol")
	ErrInconsistent = errors.New("reassembly: symbol disagrees with its item")
	ErrTooLarge     = errors.New("reassembly: item larger than the memory cap")
	ErrDigest       = errors.New("reassembly: decoded item fails its digest")
)

// Config bounds a Reassembler. Zero fields take the defaults.
type Config struct {
	// MaxBytes caps the symbol bytes held for incomplete items
	// (default 256 MiB).
	MaxBytes int64
	// RememberComplete is how many completed item references are kept
	// (default 65536), oldest forgotten first.
	RememberComplete int
}

// Defaults for Config.
const (
	DefaultMaxBytes         = 256 << 20
	DefaultRememberComplete = 1 << 16
)

// Outcome says what Add did with a symbol.
type Outcome int

// Outcomes.
const (
	Accepted        Outcome = iota // stored (or completed the item)
	Duplicate                      // already held, or its block is decoded
	AlreadyComplete                // its item completed earlier
)

// String names the outcome.
func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Duplicate:
		return "duplicate"
	case AlreadyComplete:
		return "already-complete"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// AddResult is the result of one Add.
type AddResult struct {
	Outcome Outcome
	// Item is the rebuilt item when this symbol completed it, else nil.
	// The caller owns it.
	Item []byte
	// Need is how many more symbols the item needs (0 when complete).
	Need int
}

// Stats are cumulative counters and current sizes.
type Stats struct {
	Accepted, Duplicates, Corrupt, Inconsistent, TooLarge uint64
	DigestFailures, Evicted, Completed                    uint64
	HeldItems                                             int
	HeldBytes                                             int64
}

// Reassembler collects symbols into items.
type Reassembler struct {
	mu        sync.Mutex
	cfg       Config
	items     map[packet.ItemRef]*item
	age       *list.List // *item, oldest first
	done      map[packet.ItemRef]struct{}
	doneOrder []packet.ItemRef // ring, doneNext is the oldest slot
	doneNext  int
	bytes     int64
	stats     Stats
}

type item struct {
	ref    packet.ItemRef
	l      fec.Layout
	digest [packet.DigestBytes]byte
	blocks []block
	slab   []byte // every block's source rows, in item order
	bytes  int64  // slab plus held repair rows
	elem   *list.Element
}

type block struct {
	slab []byte   // this block's k source rows, part of the item's slab
	rows [][]byte // received rows (source rows alias slab)
	have int
	done bool
}

// New returns an empty Reassembler.
func New(cfg Config) *Reassembler {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.RememberComplete <= 0 {
		cfg.RememberComplete = DefaultRememberComplete
	}
	return &Reassembler{cfg: cfg, items: map[packet.ItemRef]*item{}, age: list.New(), done: map[packet.ItemRef]struct{}{}}
}

// AddPacket parses one symbol packet (as packet.AppendSymbol wrote it) and
// adds it.
func (r *Reassembler) AddPacket(pkt []byte) (AddResult, error) {
	s, rest, err := packet.ParseSymbol(pkt)
	if err != nil {
		return AddResult{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if len(rest) != 0 {
		return AddResult{}, fmt.Errorf("%w: %d bytes after the packet", ErrCorrupt, len(rest))
	}
	return r.Add(&s)
}

// Add checks and stores one symbol; s.Data is copied. See the package doc.
func (r *Reassembler) Add(s *packet.Symbol) (AddResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.done[s.Ref]; ok {
		r.stats.Duplicates++
		return AddResult{Outcome: AlreadyComplete}, nil
	}
	if err := s.Verify(); err != nil {
		r.stats.Corrupt++
		return AddResult{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	l := fec.Layout{ItemBytes: int(s.ItemBytes), SymbolBytes: int(s.SizeBytes), K: int(s.K), Blocks: int(s.Blocks)}
	if err := l.Check(); err != nil {
		r.stats.Corrupt++
		return AddResult{}, fmt.Errorf("%w: %v: %v", ErrCorrupt, s.Ref, err)
	}
	if int(s.Index) >= l.MaxSymbols() {
		r.stats.Corrupt++
		return AddResult{}, fmt.Errorf("%w: %v: index %d beyond %d", ErrCorrupt, s.Ref, s.Index, l.MaxSymbols())
	}
	it := r.items[s.Ref]
	if it == nil {
		if int64(l.SourceSymbols())*int64(l.SymbolBytes) > r.cfg.MaxBytes {
			r.stats.TooLarge++
			return AddResult{}, fmt.Errorf("%w: %v needs %d bytes, cap %d", ErrTooLarge, s.Ref,
				l.SourceSymbols()*l.SymbolBytes, r.cfg.MaxBytes)
		}
		slab := int64(l.SourceSymbols()) * int64(l.SymbolBytes)
		if err := r.makeRoom(slab, nil); err != nil {
			return AddResult{}, err
		}
		it = &item{ref: s.Ref, l: l, digest: s.Digest, blocks: make([]block, l.Blocks),
			slab: make([]byte, slab), bytes: slab}
		for i := range it.blocks {
			it.blocks[i].slab = it.slab[i*l.BlockBytes() : (i+1)*l.BlockBytes()]
		}
		r.bytes += slab
		it.elem = r.age.PushBack(it)
		r.items[s.Ref] = it
	} else if it.l != l || it.digest != s.Digest {
		r.stats.Inconsistent++
		return AddResult{}, fmt.Errorf("%w: %v symbol %d says %+v digest %x, item has %+v digest %x",
			ErrInconsistent, s.Ref, s.Index, l, s.Digest, it.l, it.digest)
	}
	bi, row := l.Locate(int(s.Index))
	b := &it.blocks[bi]
	if b.done || row < len(b.rows) && len(b.rows[row]) > 0 {
		r.stats.Duplicates++
		return AddResult{Outcome: Duplicate, Need: it.need()}, nil
	}
	size := l.SymbolBytes
	grow := int64(0) // source rows live in the item's slab
	if row >= l.K {
		grow = int64(size)
		if err := r.makeRoom(grow, it); err != nil {
			return AddResult{}, err
		}
	}
	if row >= len(b.rows) {
		b.rows = append(b.rows, make([][]byte, row+1-len(b.rows))...)
	}
	var dst []byte
	if row < l.K {
		dst = b.slab[row*size : (row+1)*size : (row+1)*size]
	} else {
		dst = make([]byte, size)
	}
	copy(dst, s.Data)
	b.rows[row] = dst
	b.have++
	it.bytes += grow
	r.bytes += grow
	r.stats.Accepted++
	if b.have < l.K {
		return AddResult{Outcome: Accepted, Need: it.need()}, nil
	}
	if err := r.decodeBlock(it, b); err != nil {
		r.drop(it)
		return AddResult{}, err
	}
	for i := range it.blocks {
		if !it.blocks[i].done {
			return AddResult{Outcome: Accepted, Need: it.need()}, nil
		}
	}
	data := it.slab[:it.l.ItemBytes:it.l.ItemBytes]
	r.drop(it)
	if packet.ItemDigest(data) != it.digest {
		r.stats.DigestFailures++
		return AddResult{}, fmt.Errorf("%w: %v", ErrDigest, it.ref)
	}
	r.markDone(it.ref)
	r.stats.Completed++
	return AddResult{Outcome: Accepted, Item: data}, nil
}

// decodeBlock rebuilds b's source rows into its slab and frees repair rows.
func (r *Reassembler) decodeBlock(it *item, b *block) error {
	size := it.l.SymbolBytes
	for row := 0; row < it.l.K; row++ {
		if row >= len(b.rows) {
			b.rows = append(b.rows, nil)
		}
		if len(b.rows[row]) == 0 {
			b.rows[row] = b.slab[row*size : row*size : (row+1)*size]
		}
	}
	if err := fec.DecodeBlock(it.l.K, b.rows); err != nil {
		r.stats.Corrupt++
		return fmt.Errorf("%w: %v: %v", ErrCorrupt, it.ref, err)
	}
	freed := int64(0)
	for row := it.l.K; row < len(b.rows); row++ {
		if len(b.rows[row]) > 0 {
			freed += int64(size)
		}
	}
	b.rows = nil
	b.done = true
	it.bytes -= freed
	r.bytes -= freed
	return nil
}

// need is how many more symbols it needs, counting blocks as flight sends
// them: consecutive new indices give each block one symbol per `blocks`
// indices, so the count is blocks × the largest per-block shortfall.
func (it *item) need() int {
	worst := 0
	for i := range it.blocks {
		if b := &it.blocks[i]; !b.done {
			worst = max(worst, it.l.K-b.have)
		}
	}
	return worst * it.l.Blocks
}

// makeRoom evicts the oldest incomplete items other than keep (nil for a
// new item) until n more bytes fit under the cap.
func (r *Reassembler) makeRoom(n int64, keep *item) error {
	for r.bytes+n > r.cfg.MaxBytes {
		e := r.age.Front()
		for e != nil && e.Value.(*item) == keep {
			e = e.Next()
		}
		if e == nil {
			r.stats.TooLarge++
			return fmt.Errorf("%w: %d more bytes do not fit in %d", ErrTooLarge, n, r.cfg.MaxBytes)
		}
		r.drop(e.Value.(*item))
		r.stats.Evicted++
	}
	return nil
}

func (r *Reassembler) drop(it *item) {
	if r.items[it.ref] != it {
		return
	}
	delete(r.items, it.ref)
	r.age.Remove(it.elem)
	r.bytes -= it.bytes
}

func (r *Reassembler) markDone(ref packet.ItemRef) {
	if len(r.doneOrder) < r.cfg.RememberComplete {
		r.doneOrder = append(r.doneOrder, ref)
	} else {
		delete(r.done, r.doneOrder[r.doneNext])
		r.doneOrder[r.doneNext] = ref
		r.doneNext = (r.doneNext + 1) % len(r.doneOrder)
	}
	r.done[ref] = struct{}{}
}

// Stats returns the counters and current sizes.
func (r *Reassembler) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.HeldItems = len(r.items)
	s.HeldBytes = r.bytes
	return s
}

// IsComplete reports whether ref completed and is still remembered.
func (r *Reassembler) IsComplete(ref packet.ItemRef) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.done[ref]
	return ok
}

// Completed returns the remembered completed items, oldest first.
func (r *Reassembler) Completed() []packet.ItemRef {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]packet.ItemRef, 0, len(r.doneOrder))
	out = append(out, r.doneOrder[r.doneNext:]...)
	return append(out, r.doneOrder[:r.doneNext]...)
}

// Needs lists the incomplete items, oldest first, with the symbols each
// still needs.
func (r *Reassembler) Needs() []report.NeedRef {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]report.NeedRef, 0, len(r.items))
	for e := r.age.Front(); e != nil; e = e.Next() {
		it := e.Value.(*item)
		out = append(out, report.NeedRef{Ref: it.ref, Symbols: it.need()})
	}
	return out
}
