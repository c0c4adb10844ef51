package link

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/reassembly"
	"github.com/skysieve/skysieve/downlink/report"
)

// TestOneFrameOneSymbol: whichever single frame of an item is lost or
// corrupted, ground needs exactly one more symbol, and the first repair
// symbol completes the item.
func TestOneFrameOneSymbol(t *testing.T) {
	cfg := DefaultConfig()
	keys := testKeys(t)
	data := randomItem(rand.New(rand.NewPCG(12, 12)), 30_000)
	s, err := NewSender(cfg, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := s.Item(KindChip, ItemID{4}, data, 0)
	if err != nil {
		t.Fatal(err)
	}
	for bad := 0; bad < enc.K(); bad++ {
		r, err := NewReceiver(cfg, keys, reassembly.Config{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < enc.K(); i++ {
			f, err := enc.AppendFrame(nil, i)
			if err != nil {
				t.Fatal(err)
			}
			if i == bad {
				f[len(f)/2] ^= 0x04 // corrupted on the way: CRC rejects it
				if _, err := r.Receive(f, "a"); err == nil {
					t.Fatal("corrupt frame accepted")
				}
				continue
			}
			if _, err := r.Receive(f, "a"); err != nil {
				t.Fatal(err)
			}
		}
		needs := r.Reassembler().Needs()
		if len(needs) != 1 || needs[0].Symbols != 1 {
			t.Fatalf("frame %d lost: needs %+v, want exactly one symbol", bad, needs)
		}
		f, err := enc.AppendFrame(nil, enc.K()+bad)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Receive(f, "a")
		if err != nil || len(res.Completed) != 1 || !bytes.Equal(res.Completed[0].Data, data) {
			t.Fatalf("frame %d lost: repair did not complete the item: %+v %v", bad, res.Completed, err)
		}
	}
}

// TestNAKLoopSoak runs passes over a lossy channel: flight sends each item's
// source symbols, ground reports what it needs over the authenticated
// uplink, flight sends that many new repair symbols next pass, until every
// item is complete. Items of every kind and many sizes (some split into
// blocks) all arrive intact, in a bounded number of passes. With
// SKYSIEVE_SOAK=1 it runs far more items and passes.
func TestNAKLoopSoak(t *testing.T) {
	items, loss := 30, 0.3
	if os.Getenv("SKYSIEVE_SOAK") == "1" {
		items = 400
	}
	cfg := DefaultConfig()
	cfg.FrameBytes = 512 // more frames per item, more blocks
	keys := testKeys(t)
	s, err := NewSender(cfg, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReceiver(cfg, keys, reassembly.Config{})
	if err != nil {
		t.Fatal(err)
	}
	up, err := NewReportEncoder(cfg, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(13, 13))
	type flightItem struct {
		enc  *ItemEncoder
		data []byte
		next int // next new symbol index
		need int // symbols to send this pass
	}
	pending := map[ItemRef]*flightItem{}
	kinds := []Kind{KindRecord, KindChip, KindHousekeeping}
	for i := 0; i < items; i++ {
		data := randomItem(rng, 1+rng.IntN(200_000))
		id := ItemID{byte(i), byte(i >> 8), 0xEE}
		enc, err := s.Item(kinds[i%3], id, data, i%len(cfg.ClassVC))
		if err != nil {
			t.Fatal(err)
		}
		pending[enc.Ref()] = &flightItem{enc: enc, data: data, need: enc.K()}
	}
	got := map[ItemRef][]byte{}
	var buf []byte
	for pass := 0; len(pending) > 0; pass++ {
		if pass > 40 {
			t.Fatalf("%d items still pending after %d passes", len(pending), pass)
		}
		for _, it := range pending {
			for ; it.need > 0; it.need-- {
				if buf, err = it.enc.AppendFrame(buf[:0], it.next); err != nil {
					t.Fatal(err)
				}
				it.next++
				if rng.Float64() < loss {
					continue
				}
				res, err := r.Receive(buf, []string{"north", "south"}[pass%2])
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range res.Completed {
					got[c.Ref] = c.Data
				}
			}
		}
		rep := report.Report{Seq: uint32(pass), Time: time.Unix(int64(pass), 0), Need: r.Reassembler().Needs()}
		for ref := range got {
			rep.Complete = append(rep.Complete, ref)
		}
		tcs, err := up.EncodeReport(rep)
		if err != nil {
			t.Fatal(err)
		}
		heard := map[ItemRef]bool{}
		for _, tc := range tcs {
			part, err := s.DecodeReport(tc)
			if err != nil {
				t.Fatal(err)
			}
			for _, ref := range part.Complete {
				if it := pending[ref]; it != nil {
					if !bytes.Equal(got[ref], it.data) {
						t.Fatalf("%v completed with wrong bytes", ref)
					}
					delete(pending, ref)
				}
			}
			for _, n := range part.Need {
				if it := pending[n.Ref]; it != nil {
					it.need = n.Symbols + 1 // one spare against this pass's loss
					heard[n.Ref] = true
				}
			}
		}
		// Items ground has never heard of (every frame lost) go again whole.
		for ref, it := range pending {
			if !heard[ref] {
				it.need = it.enc.K()
			}
		}
	}
	if len(got) != items {
		t.Fatalf("%d of %d items arrived", len(got), items)
	}
}

// TestIndexWraps: counting past MaxSymbols resends earlier symbols.
func TestIndexWraps(t *testing.T) {
	s, r := pair(t, DefaultConfig())
	enc, err := s.Item(KindRecord, ItemID{6}, []byte("small record"), 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := enc.AppendFrame(nil, enc.MaxSymbols()+3)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Receive(f, "a")
	if err != nil || len(res.Symbols) != 1 || res.Symbols[0].Index != 3 {
		t.Fatalf("wrapped index: %+v %v", res.Symbols, err)
	}
	if _, err := enc.AppendFrame(nil, -1); err == nil {
		t.Fatal("negative index accepted")
	}
}

// TestNoPerFrameAllocations: making a frame into a caller's buffer and
// receiving a source symbol of a known item allocate nothing.
func TestNoPerFrameAllocations(t *testing.T) {
	s, r := pair(t, DefaultConfig())
	enc, err := s.Item(KindChip, ItemID{1}, make([]byte, 1<<20), 0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, s.FrameBytes())
	i := 0
	if a := testing.AllocsPerRun(100, func() {
		buf, err = enc.AppendFrame(buf[:0], i)
		i++
	}); a != 0 || err != nil {
		t.Fatalf("AppendFrame: %v allocations per frame, %v", a, err)
	}
	frames := make([][]byte, 120)
	for j := range frames {
		if frames[j], err = enc.AppendFrame(nil, 200+j); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Receive(frames[0], "a"); err != nil { // the item's first symbol allocates its slab
		t.Fatal(err)
	}
	j := 1
	if a := testing.AllocsPerRun(100, func() {
		_, err = r.Receive(frames[j], "a")
		j++
	}); a != 0 || err != nil {
		t.Fatalf("Receive: %v allocations per frame, %v", a, err)
	}
}
