package store

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
)

// The simulation drives a Store and an in-memory model with the same
// random operations and compares every answer, as bbolt's own
// simulation_test does. The model is the specification: plain maps and
// sorts, no indexes.

type modelItem struct {
	it          Item
	state       State
	sent        map[string][]int
	seq         int
	expiryNanos int64
}

type modelGone struct {
	reason Reason
	at     int64
}

type model struct {
	opts  Options
	items map[string]*modelItem
	gone  map[string]modelGone
	seq   int
	del   map[Reason]uint64
	meta  map[string][]byte
	// refused counts Put outcomes by named error, to show coverage.
	refused map[error]int
}

func (m *model) used() int64 {
	var n int64
	for _, mi := range m.items {
		n += mi.it.SizeBytes()
	}
	return n
}

func (m *model) less(a, b *modelItem) int {
	return cmp.Or(
		cmp.Compare(a.it.PriorityClass, b.it.PriorityClass),
		-cmp.Compare(a.it.Value, b.it.Value),
		cmp.Compare(a.expiryNanos, b.expiryNanos),
		cmp.Compare(a.it.Arrival.UnixNano(), b.it.Arrival.UnixNano()),
		cmp.Compare(a.seq, b.seq))
}

func (m *model) sorted() []*modelItem {
	out := make([]*modelItem, 0, len(m.items))
	for _, mi := range m.items {
		out = append(out, mi)
	}
	slices.SortFunc(out, m.less)
	return out
}

func (m *model) bury(id string, r Reason, now time.Time) {
	m.gone[id] = modelGone{reason: r, at: now.UnixNano()}
	m.del[r]++
}

func (m *model) remove(id string, r Reason, now time.Time) {
	delete(m.items, id)
	m.bury(id, r, now)
}

func (m *model) put(it Item, now time.Time) error {
	err := m.put1(it, now)
	m.refused[errKind(err)]++
	return err
}

func (m *model) put1(it Item, now time.Time) error {
	if err := validate(&it, m.opts.MaxItemBytes); err != nil {
		return err
	}
	if _, ok := m.items[it.ID]; ok {
		return nil
	}
	if _, ok := m.gone[it.ID]; ok {
		return nil
	}
	if it.Arrival.IsZero() {
		it.Arrival = now
	}
	exp := int64(neverNanos)
	if ttl, ok := m.opts.ExpiryByClass[it.Class]; !it.Expiry.IsZero() {
		exp = it.Expiry.UnixNano()
	} else if ok && ttl > 0 {
		exp = it.Arrival.Add(ttl).UnixNano()
	}
	if exp <= now.UnixNano() {
		return ErrExpired
	}
	mi := &modelItem{it: it, state: StateQueued, sent: map[string][]int{}, seq: m.seq + 1, expiryNanos: exp}
	after := m.used() + it.SizeBytes()
	if after > m.opts.HighWaterBytes && it.PriorityClass >= m.opts.UrgentClasses {
		return ErrBackPressure
	}
	if need := after - m.opts.HardLimitBytes; need > 0 {
		mi.seq = int(^uint(0) >> 1)
		all := m.sorted()
		var victims []string
		freed := int64(0)
		for i := len(all) - 1; i >= 0 && freed < need; i-- {
			if m.less(all[i], mi) <= 0 {
				break
			}
			victims = append(victims, all[i].it.ID)
			freed += all[i].it.SizeBytes()
		}
		if freed < need {
			return ErrFull
		}
		for _, id := range victims {
			m.remove(id, ReasonEvicted, now)
		}
	}
	m.seq++
	mi.seq = m.seq
	m.items[it.ID] = mi
	return nil
}

func (m *model) next(n int, budget int64, now time.Time) []string {
	var out []string
	left, skips := budget, 0
	for _, mi := range m.sorted() {
		if len(out) >= n {
			break
		}
		if mi.expiryNanos <= now.UnixNano() {
			continue
		}
		if budget > 0 && mi.it.SizeBytes() > left {
			if skips++; skips > m.opts.NextMaxSkips {
				break
			}
			continue
		}
		out = append(out, mi.it.ID)
		left -= mi.it.SizeBytes()
	}
	return out
}

func (m *model) sweep(now time.Time, max int) SweepResult {
	var res SweepResult
	all := m.sorted()
	slices.SortFunc(all, func(a, b *modelItem) int {
		return cmp.Or(cmp.Compare(a.expiryNanos, b.expiryNanos), cmp.Compare(a.seq, b.seq))
	})
	for _, mi := range all {
		if res.Expired >= max || mi.expiryNanos > now.UnixNano() {
			break
		}
		m.remove(mi.it.ID, ReasonExpired, now)
		res.Expired++
	}
	type g struct {
		id string
		at int64
	}
	var gs []g
	for id, t := range m.gone {
		gs = append(gs, g{id, t.at})
	}
	slices.SortFunc(gs, func(a, b g) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id)) })
	excess := len(gs) - m.opts.MaxTombstones
	cutoff := now.UnixNano() - int64(m.opts.TombstoneTTL)
	for _, x := range gs {
		if res.Tombstones >= max || (x.at > cutoff && res.Tombstones >= excess) {
			break
		}
		delete(m.gone, x.id)
		res.Tombstones++
	}
	return res
}

// errKind reduces an error to the named error it wraps, for comparison.
func errKind(err error) error {
	for _, e := range []error{ErrBackPressure, ErrFull, ErrInvalidItem, ErrTooLarge, ErrExpired, ErrNotFound, ErrReleased, ErrBadArgument} {
		if errors.Is(err, e) {
			return e
		}
	}
	return err
}

func TestSimulationSoak(t *testing.T) {
	ops := 3000
	seeds := []uint64{1, 2}
	switch {
	case os.Getenv("SKYSIEVE_SOAK") == "1":
		ops, seeds = 40_000, []uint64{1, 2, 3, 4, 5, 6, 7, 8}
	case testing.Short():
		ops, seeds = 2000, []uint64{1}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { simulate(t, seed, ops) })
	}
}

func simulate(t *testing.T, seed uint64, ops int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	clk := clock.NewVirtual(t0)
	opts := testOpts(clk)
	opts.HardLimitBytes = 60_000
	opts.HighWaterBytes = 45_000
	opts.UrgentClasses = 1
	opts.ExpiryByClass = map[string]time.Duration{"fire": 2 * time.Hour, "flood": 0}
	opts.DefaultExpiry = 0
	opts.TombstoneTTL = 3 * time.Hour
	opts.MaxTombstones = 40
	opts.MaxItemBytes = 6000
	opts.NextMaxSkips = 3
	opts.ChunkBytes = 700
	path := filepath.Join(t.TempDir(), "sim.db")
	s, _ := openT(t, path, opts)
	defer func() { s.Close() }()
	m := &model{opts: opts.withDefaults(), items: map[string]*modelItem{}, gone: map[string]modelGone{},
		del: map[Reason]uint64{}, meta: map[string][]byte{}, refused: map[error]int{}}
	var used []string
	pickID := func() string {
		if len(used) > 0 && rng.IntN(3) == 0 {
			return used[rng.IntN(len(used))]
		}
		id := fmt.Sprintf("%08x", rng.Uint32())
		used = append(used, id)
		return id
	}
	newItem := func() Item {
		it := Item{
			ID:            pickID(),
			Class:         []string{"fire", "flood", "vessel"}[rng.IntN(3)],
			PriorityClass: max(0, rng.IntN(5)-2),
			Value:         float64(rng.IntN(9)) / 4,
			Record:        make([]byte, rng.IntN(300)),
			Chip:          make([]byte, rng.IntN(5000)),
			Region:        [4]float64{float64(rng.IntN(20)), 0, float64(rng.IntN(20)) + 1, 1},
		}
		for i := range it.Chip {
			it.Chip[i] = byte(rng.Uint32())
		}
		if rng.IntN(3) == 0 {
			it.Expiry = clk.Now().Add(time.Duration(rng.IntN(240)-20) * time.Minute)
		}
		if rng.IntN(4) == 0 {
			it.Arrival = clk.Now().Add(-time.Duration(rng.IntN(120)) * time.Minute)
		}
		if rng.IntN(50) == 0 {
			it.PriorityClass = 300
		}
		return it
	}
	pickStored := func() string {
		if len(m.items) == 0 || rng.IntN(8) == 0 {
			return pickID()
		}
		ids := make([]string, 0, len(m.items))
		for id := range m.items {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids[rng.IntN(len(ids))]
	}
	ctx := context.Background()
	for op := 0; op < ops; op++ {
		now := clk.Now()
		switch r := rng.IntN(100); {
		case r < 30:
			it := newItem()
			want := m.put(it, now)
			if got := s.Put(ctx, it); errKind(got) != errKind(want) {
				t.Fatalf("op %d Put %s: %v, model %v", op, it.ID, got, want)
			}
		case r < 35:
			batch := []Item{newItem(), newItem(), newItem()}
			got := s.PutBatch(ctx, batch)
			for i, it := range batch {
				if want := m.put(it, now); errKind(got[i]) != errKind(want) {
					t.Fatalf("op %d PutBatch[%d] %s: %v, model %v", op, i, it.ID, got[i], want)
				}
			}
		case r < 50:
			n, budget := 1+rng.IntN(10), int64(rng.IntN(20_000))
			es, err := s.Next(n, budget)
			if err != nil {
				t.Fatalf("op %d Next: %v", op, err)
			}
			if got, want := ids(es), m.next(n, budget, now); !slices.Equal(got, want) {
				t.Fatalf("op %d Next(%d, %d) = %v, model %v", op, n, budget, got, want)
			}
			for _, e := range es {
				compareEntry(t, op, e, m.items[e.Item.ID])
			}
		case r < 60:
			id, pass := pickStored(), fmt.Sprintf("pass-%d", rng.IntN(3))
			syms := make([]int, rng.IntN(5))
			for i := range syms {
				syms[i] = rng.IntN(40)
			}
			err := s.MarkSent(id, pass, syms)
			var want error
			if mi, ok := m.items[id]; ok {
				mi.sent[pass] = slices.Compact(slices.Sorted(slices.Values(append(mi.sent[pass], syms...))))
				mi.state = StateInFlight
			} else if _, ok := m.gone[id]; ok {
				want = ErrReleased
			} else {
				want = ErrNotFound
			}
			if errKind(err) != want {
				t.Fatalf("op %d MarkSent %s: %v, model %v", op, id, err, want)
			}
		case r < 66:
			id := pickStored()
			err := s.Ack(id)
			var want error
			if _, ok := m.items[id]; ok {
				m.remove(id, ReasonAcknowledged, now)
			} else if _, ok := m.gone[id]; !ok {
				want = ErrNotFound
			}
			if errKind(err) != want {
				t.Fatalf("op %d Ack %s: %v, model %v", op, id, err, want)
			}
		case r < 73:
			var batch []string
			for range 1 + rng.IntN(4) {
				batch = append(batch, pickStored())
			}
			n, err := s.AckBatch(batch)
			want := 0
			for _, id := range batch {
				if _, ok := m.items[id]; ok {
					m.remove(id, ReasonAcknowledged, now)
					want++
				}
			}
			if err != nil || n != want {
				t.Fatalf("op %d AckBatch: %d %v, model %d", op, n, err, want)
			}
		case r < 77:
			id := pickStored()
			err := s.Release(id, ReasonSuperseded)
			var want error
			if _, ok := m.items[id]; ok {
				m.remove(id, ReasonSuperseded, now)
			} else if _, ok := m.gone[id]; !ok {
				want = ErrNotFound
			}
			if errKind(err) != want {
				t.Fatalf("op %d Release %s: %v, model %v", op, id, err, want)
			}
		case r < 79:
			f := Filter{Classes: []string{"vessel"}, Region: &[4]float64{0, 0, float64(rng.IntN(10)), 1}}
			if rng.IntN(2) == 0 {
				f = Filter{ArrivedBefore: now.Add(-time.Duration(rng.IntN(90)) * time.Minute), States: []State{StateInFlight}}
			}
			n, err := s.ReleaseWhere(f)
			want := 0
			for _, mi := range m.sorted() {
				h := header{class: mi.it.Class, state: mi.state, arrivalNanos: mi.it.Arrival.UnixNano(), region: mi.it.Region}
				if f.match(&h) {
					m.remove(mi.it.ID, ReasonOperator, now)
					want++
				}
			}
			if err != nil || n != want {
				t.Fatalf("op %d ReleaseWhere %+v: %d %v, model %d", op, f, n, err, want)
			}
		case r < 87:
			clk.Advance(time.Duration(rng.IntN(20)) * time.Minute)
			max := 1 + rng.IntN(6)
			got, err := s.Sweep(clk.Now(), max)
			if want := m.sweep(clk.Now(), max); err != nil || got != want {
				t.Fatalf("op %d Sweep(max %d): %+v %v, model %+v", op, max, got, err, want)
			}
		case r < 92:
			id := pickStored()
			c, err := s.Custody(id)
			compareCustody(t, op, id, c, err, m)
		case r < 94:
			k := fmt.Sprint("k", rng.IntN(4))
			v := []byte(fmt.Sprint(rng.Uint32()))
			if err := s.SetMeta(k, v); err != nil {
				t.Fatal(err)
			}
			m.meta[k] = v
		case r < 97:
			compareAll(t, op, s, m, clk.Now())
		default:
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			opts.ChunkBytes = []int{300, 700, 2000}[rng.IntN(3)]
			var rep RecoveryReport
			s, rep = openT(t, path, opts)
			var q, f int64
			for _, mi := range m.items {
				if mi.state == StateQueued {
					q++
				} else {
					f++
				}
			}
			if rep.Queued != q || rep.InFlight != f || len(rep.Problems) != 0 || rep.Tombstones != int64(len(m.gone)) {
				t.Fatalf("op %d reopen report %+v, model %d queued %d in flight %d tombstones", op, rep, q, f, len(m.gone))
			}
			compareAll(t, op, s, m, clk.Now())
		}
	}
	compareAll(t, ops, s, m, clk.Now())
	st := s.Stats()
	t.Logf("seed %d: %d stored, deleted %v, put results %v, tombstones %d",
		seed, len(m.items), m.del, m.refused, st.Tombstones)
	for _, e := range []error{nil, ErrBackPressure, ErrFull, ErrInvalidItem, ErrExpired} {
		if m.refused[e] == 0 {
			t.Errorf("seed %d: simulation never saw Put return %v", seed, e)
		}
	}
	for _, r := range []Reason{ReasonAcknowledged, ReasonExpired, ReasonEvicted, ReasonOperator, ReasonSuperseded} {
		if m.del[r] == 0 {
			t.Errorf("seed %d: simulation never exercised %s", seed, r)
		}
	}
}

func compareEntry(t *testing.T, op int, e Entry, mi *modelItem) {
	t.Helper()
	if mi == nil {
		t.Fatalf("op %d: store has %s, model does not", op, e.Item.ID)
	}
	w := mi.it
	g := e.Item
	if g.Class != w.Class || g.PriorityClass != w.PriorityClass || g.Value != w.Value || g.Region != w.Region ||
		!g.Arrival.Equal(w.Arrival) || g.Expiry.UnixNano() != mi.expiryNanos && !(g.Expiry.IsZero() && mi.expiryNanos == neverNanos) ||
		!bytes.Equal(g.Record, w.Record) || !bytes.Equal(g.Chip, w.Chip) || e.State != mi.state {
		t.Fatalf("op %d: %s differs:\n got %+v state %s\nwant %+v state %s", op, w.ID, g, e.State, w, mi.state)
	}
	var want []Sent
	for _, p := range slices.Sorted(mapKeys(mi.sent)) {
		want = append(want, Sent{Pass: p, Symbols: mi.sent[p]})
	}
	if fmt.Sprint(e.Sent) != fmt.Sprint(want) {
		t.Fatalf("op %d: %s sent %v, model %v", op, w.ID, e.Sent, want)
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func compareCustody(t *testing.T, op int, id string, c Custody, err error, m *model) {
	t.Helper()
	if mi, ok := m.items[id]; ok {
		if err != nil || c.State != mi.state {
			t.Fatalf("op %d Custody %s: %+v %v, model %s", op, id, c, err, mi.state)
		}
		return
	}
	if g, ok := m.gone[id]; ok {
		want := StateReleased
		if g.reason == ReasonAcknowledged {
			want = StateAcknowledged
		}
		if err != nil || c.State != want || c.Reason != g.reason || c.At.UnixNano() != g.at {
			t.Fatalf("op %d Custody %s: %+v %v, model %+v", op, id, c, err, g)
		}
		return
	}
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("op %d Custody %s: %+v %v, model unknown", op, id, c, err)
	}
}

func compareAll(t *testing.T, op int, s *Store, m *model, now time.Time) {
	t.Helper()
	for id, mi := range m.items {
		e, err := s.Get(id)
		if err != nil {
			t.Fatalf("op %d Get %s: %v", op, id, err)
		}
		compareEntry(t, op, e, mi)
	}
	for id := range m.gone {
		c, err := s.Custody(id)
		compareCustody(t, op, id, c, err, m)
	}
	es, err := s.Next(1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(es), m.next(1<<20, 0, now); !slices.Equal(got, want) {
		t.Fatalf("op %d full Next = %v, model %v", op, got, want)
	}
	st := s.Stats()
	var q, f, qb, fb int64
	for _, mi := range m.items {
		if mi.state == StateQueued {
			q, qb = q+1, qb+mi.it.SizeBytes()
		} else {
			f, fb = f+1, fb+mi.it.SizeBytes()
		}
	}
	if st.Queued != q || st.InFlight != f || st.QueuedBytes != qb || st.InFlightBytes != fb || st.Tombstones != int64(len(m.gone)) {
		t.Fatalf("op %d Stats %+v, model q=%d f=%d qb=%d fb=%d tomb=%d", op, st, q, f, qb, fb, len(m.gone))
	}
	for r, n := range m.del {
		if st.Deleted[r] != n {
			t.Fatalf("op %d Deleted[%s] = %d, model %d", op, r, st.Deleted[r], n)
		}
	}
	for k, v := range m.meta {
		if got, err := s.Meta(k); err != nil || !bytes.Equal(got, v) {
			t.Fatalf("op %d Meta %s = %q %v, model %q", op, k, got, err, v)
		}
	}
}
