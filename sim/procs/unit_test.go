package procs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/flight/store"
	bolt "go.etcd.io/bbolt"
)

func TestWindowsAndPlan(t *testing.T) {
	first := time.Date(2026, 11, 22, 1, 0, 0, 123456789, time.UTC)
	ws := Windows(first, 3, 8*time.Second, 3*time.Second)
	if len(ws) != 3 {
		t.Fatalf("%d windows", len(ws))
	}
	for i, w := range ws {
		if w.LOS.Sub(w.AOS) != 8*time.Second || w.AOS.Nanosecond()%int(time.Millisecond) != 0 {
			t.Errorf("window %d: %v..%v", i, w.AOS, w.LOS)
		}
		if i > 0 && w.AOS.Sub(ws[i-1].LOS) != 3*time.Second {
			t.Errorf("window %d starts %v after the previous one ends", i, w.AOS.Sub(ws[i-1].LOS))
		}
	}
	const rate, loss = 80_000.0, 0.05
	cs := Contacts(ws, rate, loss)
	var buf bytes.Buffer
	if err := contact.WritePlan(&buf, cs); err != nil {
		t.Fatalf("WritePlan: %v", err)
	}
	back, err := contact.ReadPlan(&buf)
	if err != nil {
		t.Fatalf("ReadPlan: %v", err)
	}
	pl := Passes(ws, rate, loss)
	for i, c := range back {
		if !c.AOS.Equal(ws[i].AOS) || !c.LOS.Equal(ws[i].LOS) {
			t.Errorf("contact %d read back as %v..%v", i, c.AOS, c.LOS)
		}
		mid := c.AOS.Add(4 * time.Second)
		if got := c.RateBitsPerSecAt(mid); got != rate {
			t.Errorf("contact %d rate %v", i, got)
		}
		if got := c.CapacityBytes; got != int64(rate*8/8) {
			t.Errorf("contact %d capacity %d, want %d", i, got, int64(rate))
		}
		p, ok := pl.Active(Satellite, mid)
		if !ok || p.Station != Station || !p.AOS.Equal(c.AOS) {
			t.Errorf("pass %d not active at %v", i, mid)
		}
		s, _ := p.At(mid)
		if s.RateBitsPerSec != rate || s.Loss != loss {
			t.Errorf("pass %d sample %+v", i, s)
		}
	}
	if _, ok := pl.Active(Satellite, ws[0].LOS.Add(time.Second)); ok {
		t.Error("a pass is active in the gap between windows")
	}
}

func TestSizeRate(t *testing.T) {
	cfg := link.DefaultConfig()
	sym := int64(cfg.SymbolBytes())
	for _, tc := range []struct {
		name    string
		items   int
		bytes   int64
		loss    float64
		windows float64
		want    float64
	}{
		// 10 items of one symbol each: 10 + 10 frames (the last frame of
		// each item counted whole), 2048 bytes, no loss, over 1 window of 8 s.
		{"one symbol each", 10, 10 * sym, 0, 1, 20 * 2048 * 8 / 8.0},
		{"loss scales up", 10, 10 * sym, 0.5, 1, 2 * 20 * 2048 * 8 / 8.0},
		{"more windows, lower rate", 10, 10 * sym, 0, 2, 20 * 2048 * 8 / 16.0},
		{"empty queue takes the floor", 0, 0, 0, 1, 16_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := SizeRate(cfg, tc.items, tc.bytes, tc.loss, 8*time.Second, tc.windows, 16_000)
			if got != tc.want {
				t.Errorf("SizeRate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	stored := map[string]bool{"a": true, "b": true, "c": true}
	for _, tc := range []struct {
		name     string
		subjects map[string]uint64
		want     Tally
		err      error
	}{
		{"exactly once", map[string]uint64{"detections.fire.a": 1, "detections.vessel.b": 1, "detections.fire.c": 1},
			Tally{Stored: 3, Published: 3, Messages: 3}, nil},
		{"lost and duplicated", map[string]uint64{"detections.fire.a": 2, "detections.vessel.b": 1},
			Tally{Stored: 3, Published: 2, Messages: 3, Duplicates: 1, Lost: []string{"c"}, DuplicateIDs: []string{"a"}}, nil},
		{"unexpected", map[string]uint64{"detections.fire.a": 1, "detections.fire.b": 1, "detections.fire.c": 1, "detections.flood.z": 1},
			Tally{Stored: 3, Published: 4, Messages: 4, Unexpected: []string{"z"}}, nil},
		{"same id under two classes", map[string]uint64{"detections.fire.a": 1, "detections.flood.a": 1, "detections.fire.b": 1, "detections.fire.c": 1},
			Tally{Stored: 3, Published: 3, Messages: 4, Duplicates: 1, DuplicateIDs: []string{"a"}}, nil},
		{"foreign subject", map[string]uint64{"detections.a": 1}, Tally{}, ErrSubject},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Compare(stored, tc.subjects)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				return
			}
			if got.Stored != tc.want.Stored || got.Published != tc.want.Published || got.Messages != tc.want.Messages ||
				got.Duplicates != tc.want.Duplicates || !slices.Equal(got.Lost, tc.want.Lost) || got.LostItems != len(tc.want.Lost) ||
				!slices.Equal(got.Unexpected, tc.want.Unexpected) || !slices.Equal(got.DuplicateIDs, tc.want.DuplicateIDs) {
				t.Errorf("Compare = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSumMetric(t *testing.T) {
	page := `# HELP skysieve_flight_queue_items Detections stored.
# TYPE skysieve_flight_queue_items gauge
skysieve_flight_queue_items{class="fire",state="queued"} 3
skysieve_flight_queue_items{class="vessel",state="in_flight"} 4 1700000000000
skysieve_flight_queue_items_extra 100
skysieve_flight_queue_bytes 2.5e3
`
	for _, tc := range []struct {
		page, name string
		want       float64
		found      bool
		err        error
	}{
		{page, "skysieve_flight_queue_items", 7, true, nil},
		{page, "skysieve_flight_queue_bytes", 2500, true, nil},
		{page, "skysieve_flight_absent", 0, false, nil},
		{"m{a=\"1\" 3\n", "m", 0, false, ErrMetrics},
		{"m NaN\n", "m", 0, false, ErrMetrics},
		{"m 1 2 3\n", "m", 0, false, ErrMetrics},
		{"m x\n", "m", 0, false, ErrMetrics},
	} {
		got, found, err := sumMetric(tc.page, tc.name)
		if !errors.Is(err, tc.err) || got != tc.want || found != tc.found {
			t.Errorf("sumMetric(%q, %s) = %v, %v, %v; want %v, %v, %v", tc.page, tc.name, got, found, err, tc.want, tc.found, tc.err)
		}
	}
	q, err := metricLabel("s{outcome=\"triaged\"} 4\ns{outcome=\"quarantined\"} 2\n", "s", `outcome="quarantined"`)
	if err != nil || q != 2 {
		t.Errorf("metricLabel = %v, %v; want 2", q, err)
	}
}

// TestReadInventory builds a real store file with flight/store, with items
// queued, acknowledged and released, and reads its ids back.
func TestReadInventory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flight.db")
	st, _, err := store.Open(path, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []string{"held", "acked", "expired"} {
		if err := st.Put(ctx, store.Item{ID: id, Class: "fire", Value: 1, Record: []byte("record " + id)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Ack("acked"); err != nil {
		t.Fatal(err)
	}
	if err := st.Release("expired", store.ReasonExpired); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	inv, err := ReadInventory(path)
	if err != nil {
		t.Fatalf("ReadInventory: %v", err)
	}
	if len(inv.Held) != 1 || !inv.Held["held"] {
		t.Errorf("held %v", inv.Held)
	}
	if len(inv.Released) != 2 || inv.Released["acked"] != "acknowledged" || inv.Released["expired"] != "expired" {
		t.Errorf("released %v", inv.Released)
	}
	if all := inv.All(); len(all) != 3 {
		t.Errorf("All = %v", all)
	}
}

func TestReadInventoryRefuses(t *testing.T) {
	dir := t.TempDir()
	notBolt := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(notBolt, bytes.Repeat([]byte{0xA5}, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	badTomb := filepath.Join(dir, "badtomb.db")
	db, err = bolt.Open(badTomb, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucket(bucketItems); err != nil {
			return err
		}
		g, err := tx.CreateBucket(bucketGone)
		if err != nil {
			return err
		}
		return g.Put([]byte("x"), []byte{99, 0, 0, 0, 0, 0, 0, 0, 0})
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.db"), "missing"},
		{notBolt, "garbage"},
		{foreign, "not a flight store"},
		{badTomb, "unknown deletion reason 99"},
	} {
		_, err := ReadInventory(tc.path)
		if !errors.Is(err, ErrInventory) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadInventory(%s) = %v, want ErrInventory naming %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ok := Options{FlightBin: exe, GroundBin: exe, Dir: t.TempDir()}
	if err := ok.withDefaults().validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		field string
		mod   func(o *Options)
	}{
		{"FlightBin", func(o *Options) { o.FlightBin = "" }},
		{"GroundBin", func(o *Options) { o.GroundBin = filepath.Dir(exe) }},
		{"Dir", func(o *Options) { o.Dir = "" }},
		{"Contacts", func(o *Options) { o.Contacts = -1 }},
		{"ContactDuration", func(o *Options) { o.ContactDuration = time.Millisecond }},
		{"ExpectedLoss", func(o *Options) { o.ExpectedLoss = 0.95 }},
		{"RateBitsPerSec", func(o *Options) { o.RateBitsPerSec = -1 }},
		{"Kills[0].Target", func(o *Options) { o.Kills = []Kill{{Target: "nats"}} }},
		{"Kills[0].Contact", func(o *Options) { o.Contacts = 2; o.Kills = []Kill{{Target: Flight, Contact: 2}} }},
		{"Kills[0].After", func(o *Options) { o.Kills = []Kill{{Target: Ground, After: time.Minute}} }},
	} {
		o := ok
		tc.mod(&o)
		_, err := Run(context.Background(), o)
		if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: Run = %v, want ErrOptions naming it", tc.field, err)
		}
	}
}

func TestQuantile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 3}, {0.99, 5}, {1, 5}, {0, 1}} {
		if got := quantile(ds, tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("quantile of nothing")
	}
}

func FuzzSumMetric(f *testing.F) {
	f.Add("m{a=\"b\"} 1\nm 2 3\n", "m")
	f.Add("m{ 1", "m")
	f.Fuzz(func(t *testing.T, page, name string) {
		v, found, err := sumMetric(page, name)
		if err != nil && !errors.Is(err, ErrMetrics) {
			t.Fatalf("error %v does not wrap ErrMetrics", err)
		}
		if err == nil && !found && v != 0 {
			t.Fatalf("sum %v of an absent family", v)
		}
	})
}

func FuzzParseSubject(f *testing.F) {
	f.Add("detections.fire.0123456789abcdef0123456789abcdef")
	f.Add("detections..x")
	f.Fuzz(func(t *testing.T, subject string) {
		class, id, err := parseSubject(subject)
		if err != nil {
			if !errors.Is(err, ErrSubject) {
				t.Fatalf("error %v does not wrap ErrSubject", err)
			}
			return
		}
		if "detections."+class+"."+id != subject || class == "" || id == "" || strings.Contains(class+id, ".") {
			t.Fatalf("parseSubject(%q) = %q, %q", subject, class, id)
		}
	})
}

func FuzzTombstoneReason(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, v []byte) {
		r, err := tombstoneReason(v)
		if err != nil {
			if !errors.Is(err, ErrInventory) {
				t.Fatalf("error %v does not wrap ErrInventory", err)
			}
			return
		}
		if len(v) != tombstoneBytes || r == "" || strings.HasPrefix(r, "reason(") {
			t.Fatalf("tombstoneReason(%x) = %q", v, r)
		}
	})
}
