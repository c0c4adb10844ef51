package flight

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/frame"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/plan"
	"github.com/skysieve/skysieve/downlink/report"
	"github.com/skysieve/skysieve/downlink/sdls"
	"github.com/skysieve/skysieve/flight/store"
)

// custodyFixture is a Service with a real store holding detections, the
// real link sender and no loops running: handleReport runs as the radio
// loop would run it.
type custodyFixture struct {
	s   *Service
	clk *clock.Virtual
	dir string
}

func newCustodyFixture(t *testing.T, dir string, ids ...string) *custodyFixture {
	t.Helper()
	clk := clock.NewVirtual(time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC))
	st, _, err := store.Open(filepath.Join(dir, "flight.db"), store.Options{Clock: clk, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	for _, id := range ids {
		if err := st.Put(context.Background(), store.Item{ID: id, Class: "fire", Record: []byte("{}"), Chip: []byte("chip")}); err != nil {
			t.Fatal(err)
		}
	}
	s := &Service{log: testLogger(t), clock: clk, store: st, needs: map[link.ItemRef]int{}, doneRefs: map[link.ItemRef]struct{}{}}
	s.cfg.Link = link.DefaultConfig()
	s.cfg.InsecureDevKeys = true // a unit fixture: the public development keys, said so
	keys, log, err := loadKeys(Config{InsecureDevKeys: true, Logger: s.log})
	if err != nil {
		t.Fatal(err)
	}
	s.keys, s.log = keys, log
	if err := s.setupLink(); err != nil {
		t.Fatal(err)
	}
	return &custodyFixture{s: s, clk: clk, dir: dir}
}

func (f *custodyFixture) newPass(t *testing.T) *pass {
	t.Helper()
	now := f.clk.Now()
	p := &pass{name: "p1", items: map[link.ItemRef]*linkItem{}, bundled: map[string]*linkItem{},
		contact: plan.Contact{Start: now, End: now.Add(time.Minute)}}
	entries, err := f.s.store.Next(100, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range entries {
		f.s.loadItem(p, &entries[i])
	}
	return p
}

func bothParts(t *testing.T, id string) []link.ItemRef {
	t.Helper()
	iid, err := link.ParseDetectionID(id)
	if err != nil {
		t.Fatal(err)
	}
	return []link.ItemRef{{Kind: link.KindRecord, ID: iid}, {Kind: link.KindChip, ID: iid}}
}

func stored(s *Service, id string) bool {
	_, err := s.store.Get(id)
	return err == nil
}

// An ACK of a part flight never sent a symbol of is refused and counted:
// the detection stays queued. Sent in this pass, sent in an earlier pass
// (custody), or sent inside a bundle, the ACK is taken and the detection
// released.
func TestAckForUnsentItemRefused(t *testing.T) {
	const (
		unsent   = "00000000000000000000000000000001"
		thisPass = "00000000000000000000000000000002"
		earlier  = "00000000000000000000000000000003"
		bundled  = "00000000000000000000000000000004"
	)
	f := newCustodyFixture(t, t.TempDir(), unsent, thisPass, earlier, bundled)
	s := f.s
	if err := s.store.MarkSent(earlier, custodyPass("p0", link.KindRecord), []int{0}); err != nil {
		t.Fatal(err)
	}
	if err := s.store.MarkSent(earlier, custodyPass("p0", link.KindChip), []int{0, 1}); err != nil {
		t.Fatal(err)
	}
	bid := link.ItemID{0xb}
	if err := s.store.MarkSent(bundled, bundleCustodyPass("p0", bid, 0, 1), []int{0}); err != nil {
		t.Fatal(err)
	}
	p := f.newPass(t)
	for _, ref := range bothParts(t, thisPass) {
		p.items[ref].next = 1 // sendSymbols sent symbol 0
	}

	var complete []link.ItemRef
	for _, id := range []string{unsent, thisPass, earlier, bundled} {
		complete = append(complete, bothParts(t, id)...)
	}
	s.handleReport(p, report.Report{Seq: 1, Parts: 1, Time: f.clk.Now(), Complete: complete})

	if !stored(s, unsent) {
		t.Fatal("a detection never sent was released by an ACK")
	}
	if got := s.Stats().AcksRefused; got != 2 {
		t.Fatalf("AcksRefused = %d, want 2 (record and chip)", got)
	}
	for _, id := range []string{thisPass, earlier, bundled} {
		if stored(s, id) {
			t.Fatalf("%s: sent and acknowledged, still stored", id)
		}
	}
	if got := s.Stats().Acked; got != 3 {
		t.Fatalf("Acked = %d, want 3", got)
	}
	// Once a symbol has gone out, the ground's ACK, repeated in its next
	// report, is taken.
	for _, ref := range bothParts(t, unsent) {
		p.items[ref].next = 1
	}
	s.handleReport(p, report.Report{Seq: 2, Parts: 1, Time: f.clk.Now(), Complete: bothParts(t, unsent)})
	if stored(s, unsent) {
		t.Fatal("ACK after sending not taken")
	}
	if got := s.Stats().AcksRefused; got != 2 {
		t.Fatalf("AcksRefused = %d after a genuine ACK, want still 2", got)
	}
}

// A forged ACK arriving through the uplink under real keys is refused at
// the MAC; one under the right key for a part never sent is refused by
// custody (above). Here: the uplink anti-replay top flight persists moves
// only on reports whose MAC verifies, a forged report with sequence 2^40
// does not block genuine reports, also after a restart, and a report
// recorded before a restart is a replay after it.
func TestUplinkReplayStatePersistedOnlyOnVerified(t *testing.T) {
	dir := t.TempDir()
	f := newCustodyFixture(t, dir)
	up, err := link.NewReportEncoder(f.s.cfg.Link, f.s.keys, 100)
	if err != nil {
		t.Fatal(err)
	}
	encode := func(seq uint32) []byte {
		fs, err := up.EncodeReport(report.Report{Seq: seq})
		if err != nil || len(fs) != 1 {
			t.Fatalf("encode: %v", err)
		}
		return fs[0]
	}
	radio := &queueRadio{}
	f.s.radio = radio
	f.s.reports = make(chan report.Report, 16)
	recorded := encode(1)
	forged := bytes.Clone(encode(2))
	sdls.PutHeader(forged[frame.TCHeaderBytes:], f.s.cfg.Link.UplinkSPI, 1<<40)
	frame.PutFECF(forged)
	radio.frames = [][]byte{recorded, forged, encode(3)}
	if err := f.s.uplinkLoop(context.Background()); !errors.Is(err, errRadioDrained) {
		t.Fatalf("uplinkLoop: %v", err)
	}
	if got := len(f.s.reports); got != 2 {
		t.Fatalf("%d reports accepted, want 2 (the forged one refused)", got)
	}
	top, err := f.s.store.Meta(metaUplinkTop)
	if err != nil || binary.BigEndian.Uint64(top) != 102 {
		t.Fatalf("persisted uplink top %x, %v; want 102 (the forged 2^40 never persisted)", top, err)
	}
	_ = f.s.store.Close()

	// Restart on the same store.
	g := newCustodyFixture(t, dir)
	radio = &queueRadio{frames: [][]byte{recorded, forged, encode(4)}}
	g.s.radio = radio
	g.s.reports = make(chan report.Report, 16)
	if err := g.s.uplinkLoop(context.Background()); !errors.Is(err, errRadioDrained) {
		t.Fatalf("uplinkLoop: %v", err)
	}
	if got := len(g.s.reports); got != 1 {
		t.Fatalf("after restart %d reports accepted, want 1 (replay and forgery refused)", got)
	}
	if rep := <-g.s.reports; rep.Seq != 4 {
		t.Fatalf("accepted report %d, want 4", rep.Seq)
	}
	if got := g.s.Stats().ReportsRejected; got != 2 {
		t.Fatalf("ReportsRejected = %d, want 2", got)
	}
}

// errRadioDrained ends a queueRadio.
var errRadioDrained = errors.New("radio drained")

// queueRadio hands out queued uplink frames, then fails.
type queueRadio struct{ frames [][]byte }

func (r *queueRadio) WriteFrame(context.Context, []byte) error { return nil }
func (r *queueRadio) Close() error                             { return nil }
func (r *queueRadio) ReadFrame(_ context.Context, buf []byte) (int, error) {
	if len(r.frames) == 0 {
		return 0, errRadioDrained
	}
	f := r.frames[0]
	r.frames = r.frames[1:]
	return copy(buf, f), nil
}
