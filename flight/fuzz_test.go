package flight

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/plan"
	"github.com/skysieve/skysieve/downlink/report"
	"github.com/skysieve/skysieve/downlink/sdls"
	"github.com/skysieve/skysieve/flight/store"
)

// FuzzUplinkReport feeds arbitrary uplink report bytes, as they come off
// the radio after authentication, to the custody logic with a real store
// holding one detection in flight: no input may panic, and a report can
// only release the detection by naming both its parts complete.
func FuzzUplinkReport(f *testing.F) {
	const id = "00112233445566778899aabbccddeeff"
	ref, _ := link.ParseDetectionID(id)
	seed, _ := (&report.Report{Seq: 1, Parts: 1, Time: time.Unix(0, 0),
		Complete: []link.ItemRef{{Kind: link.KindRecord, ID: ref}},
		Need:     []report.NeedRef{{Ref: link.ItemRef{Kind: link.KindChip, ID: ref}, Symbols: 3}}}).AppendBinary(nil)
	f.Add(seed)
	f.Add([]byte{1, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := report.Parse(b)
		if err != nil {
			return
		}
		clk := clock.NewVirtual(time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC))
		st, _, err := store.Open(filepath.Join(t.TempDir(), "f.db"), store.Options{Clock: clk, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.Put(context.Background(), store.Item{ID: id, Class: "fire", Record: []byte("{}"), Chip: []byte("chip")}); err != nil {
			t.Fatal(err)
		}
		keys, _ := sdls.DevelopmentKeys()
		sender, err := link.NewSender(link.DefaultConfig(), keys, 0)
		if err != nil {
			t.Fatal(err)
		}
		s := &Service{log: testLogger(t), clock: clk, store: st, sender: sender, needs: map[link.ItemRef]int{}, doneRefs: map[link.ItemRef]struct{}{}}
		s.cfg.Link = link.DefaultConfig()
		s.cfg.MaxPlanItems = 10
		p := &pass{name: "p1", items: map[link.ItemRef]*linkItem{},
			contact: plan.Contact{Start: clk.Now(), End: clk.Now().Add(time.Minute)}}
		entries, err := st.Next(10, 0)
		if err != nil || len(entries) != 1 {
			t.Fatalf("queue: %v %v", entries, err)
		}
		for _, li := range s.loadItem(p, &entries[0]) {
			li.next, li.unreported = 2, 2 // two symbols of each part went out
		}
		s.handleReport(p, rep)
		both := map[link.Kind]bool{}
		for _, c := range rep.Complete {
			if c.ID == ref {
				both[c.Kind] = true
			}
		}
		_, err = st.Get(id)
		released := err != nil
		if released != (both[link.KindRecord] && both[link.KindChip]) {
			t.Fatalf("released %v after a report completing %v", released, both)
		}
	})
}
