package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/skysieve/skysieve/downlink/clock"
)

var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func testOpts(clk clock.Clock) Options {
	return Options{Clock: clk, Logger: quiet}
}

func openT(t testing.TB, path string, opts Options) (*Store, RecoveryReport) {
	t.Helper()
	s, rep, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s, rep
}

func mkItem(id string, prio int, value float64, size int) Item {
	chip := bytes.Repeat([]byte{byte(len(id))}, size)
	return Item{ID: id, Class: "fire", PriorityClass: prio, Value: value,
		Record: []byte(`{"id":"` + id + `"}`), Chip: chip, Region: [4]float64{10, 40, 11, 41}}
}

func ids(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Item.ID
	}
	return out
}

func TestPutGetRoundTripAndReopen(t *testing.T) {
	clk := clock.NewVirtual(t0)
	path := filepath.Join(t.TempDir(), "s.db")
	s, rep := openT(t, path, testOpts(clk))
	if !rep.Created {
		t.Fatalf("new file: Created=false")
	}
	ctx := context.Background()
	sizes := []int{0, 1, 1999, 2000, 2001, 8192, 100_000}
	for i, n := range sizes {
		it := mkItem(fmt.Sprintf("id%02d", i), 1, float64(i), n)
		if err := s.Put(ctx, it); err != nil {
			t.Fatalf("Put %d bytes: %v", n, err)
		}
	}
	check := func(s *Store) {
		t.Helper()
		for i, n := range sizes {
			id := fmt.Sprintf("id%02d", i)
			e, err := s.Get(id)
			if err != nil {
				t.Fatalf("Get %s: %v", id, err)
			}
			want := mkItem(id, 1, float64(i), n)
			if !bytes.Equal(e.Item.Record, want.Record) || !bytes.Equal(e.Item.Chip, want.Chip) {
				t.Fatalf("%s: payload differs (chip %d bytes, want %d)", id, len(e.Item.Chip), n)
			}
			if e.State != StateQueued || e.Item.Class != "fire" || e.Item.Region != want.Region || !e.Item.Arrival.Equal(t0) {
				t.Fatalf("%s: got %+v", id, e)
			}
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, rep = openT(t, path, testOpts(clk))
	defer s.Close()
	if rep.Created || rep.Queued != int64(len(sizes)) || len(rep.Problems) != 0 {
		t.Fatalf("reopen report %+v", rep)
	}
	check(s)
	if _, err := s.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get unknown: %v, want ErrNotFound", err)
	}
}

func TestPutIdempotent(t *testing.T) {
	clk := clock.NewVirtual(t0)
	s, _ := openT(t, filepath.Join(t.TempDir(), "s.db"), testOpts(clk))
	defer s.Close()
	ctx := context.Background()
	a := mkItem("a", 1, 1, 100)
	for range 3 {
		if err := s.Put(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	errs := s.PutBatch(ctx, []Item{a, mkItem("b", 1, 1, 10), mkItem("b", 0, 9, 10)})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Queued != 2 || st.Duplicates != 4 {
		t.Fatalf("stats %+v, want 2 queued, 4 duplicates", st)
	}
	e, _ := s.Get("b")
	if e.Item.PriorityClass != 1 {
		t.Fatalf("second put of b replaced the first")
	}
	if err := s.Ack("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, a); err != nil {
		t.Fatalf("re-put of acknowledged id: %v", err)
	}
	if _, err := s.Get("a"); !errors.Is(err, ErrReleased) {
		t.Fatalf("re-put of acknowledged id stored it again: %v", err)
	}
}

func TestPutRejects(t *testing.T) {
	clk := clock.NewVirtual(t0)
	opts := testOpts(clk)
	opts.MaxItemBytes = 1000
	opts.ExpiryByClass = map[string]time.Duration{"flood": time.Hour}
	s, _ := openT(t, filepath.Join(t.TempDir(), "s.db"), opts)
	defer s.Close()
	mod := func(f func(*Item)) Item { it := mkItem("x", 1, 1, 10); f(&it); return it }
	cases := []struct {
		name string
		it   Item
		want error
	}{
		{"empty id", mod(func(it *Item) { it.ID = "" }), ErrInvalidItem},
		{"long id", mod(func(it *Item) { it.ID = string(bytes.Repeat([]byte("a"), 200)) }), ErrInvalidItem},
		{"nul id", mod(func(it *Item) { it.ID = "a\x00b" }), ErrInvalidItem},
		{"no class", mod(func(it *Item) { it.Class = "" }), ErrInvalidItem},
		{"prio", mod(func(it *Item) { it.PriorityClass = 256 }), ErrInvalidItem},
		{"neg prio", mod(func(it *Item) { it.PriorityClass = -1 }), ErrInvalidItem},
		{"nan", mod(func(it *Item) { it.Value = nanValue() }), ErrInvalidItem},
		{"empty", mod(func(it *Item) { it.Record, it.Chip = nil, nil }), ErrInvalidItem},
		{"large", mod(func(it *Item) { it.Chip = make([]byte, 1000) }), ErrTooLarge},
		{"expired", mod(func(it *Item) { it.Expiry = t0 }), ErrExpired},
		{"class expiry", mod(func(it *Item) { it.Class = "flood"; it.Arrival = t0.Add(-time.Hour) }), ErrExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := s.Put(context.Background(), c.it); !errors.Is(err, c.want) {
				t.Fatalf("Put: %v, want %v", err, c.want)
			}
		})
	}
	if st := s.Stats(); st.Queued != 0 {
		t.Fatalf("rejected items stored: %+v", st)
	}
}

func nanValue() float64 { var z float64; return z / z }

func TestNextOrderAndBudget(t *testing.T) {
	clk := clock.NewVirtual(t0)
	s, _ := openT(t, filepath.Join(t.TempDir(), "s.db"), testOpts(clk))
	defer s.Close()
	ctx := context.Background()
	put := func(id string, prio int, value float64, expiry time.Duration, arrival time.Duration, size int) {
		it := mkItem(id, prio, value, size)
		if expiry != 0 {
			it.Expiry = t0.Add(expiry)
		}
		it.Arrival = t0.Add(arrival)
		if err := s.Put(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	put("p1-low", 1, 0.2, 0, 0, 100)
	put("p0", 0, -5, 0, 0, 100)
	put("p1-high", 1, 0.9, 0, 0, 100)
	put("p1-mid-late", 1, 0.5, 3*time.Hour, 0, 100)
	put("p1-mid-soon", 1, 0.5, 2*time.Hour, 0, 100)
	put("p1-mid-soon-later", 1, 0.5, 2*time.Hour, time.Second, 100)
	put("p1-mid-never", 1, 0.5, 0, -time.Hour, 100)
	put("p2-big", 2, 1, 0, 0, 5000)
	put("p2-small", 2, 0.5, 0, 0, 100)
	all := []string{"p0", "p1-high", "p1-mid-soon", "p1-mid-soon-later", "p1-mid-late", "p1-mid-never", "p1-low", "p2-big", "p2-small"}
	rec := int64(len(`{"id":""}`))
	cases := []struct {
		n      int
		budget int64
		want   []string
	}{
		{100, 0, all},
		{3, 0, all[:3]},
		{100, 8*(100+rec) + 16 + 100 + rec, append(append([]string{}, all[:7]...), "p2-small")},
		{100, 50, nil},
		{0, 0, nil},
	}
	for _, c := range cases {
		got, err := s.Next(c.n, c.budget)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids(got)) != fmt.Sprint(c.want) {
			t.Errorf("Next(%d, %d) = %v, want %v", c.n, c.budget, ids(got), c.want)
		}
	}
	clk.Set(t0.Add(2 * time.Hour))
	got, _ := s.Next(100, 0)
	if len(got) != len(all)-2 {
		t.Fatalf("after expiry Next returned %v", ids(got))
	}
	res, err := s.Sweep(clk.Now(), 1)
	if err != nil || res.Expired != 1 {
		t.Fatalf("Sweep max 1: %+v %v", res, err)
	}
	res, _ = s.Sweep(clk.Now(), 10)
	if res.Expired != 1 {
		t.Fatalf("second Sweep: %+v", res)
	}
	if d := s.Stats().Deleted[ReasonExpired]; d != 2 {
		t.Fatalf("expired count %d", d)
	}
	if c, _ := s.Custody("p1-mid-soon"); c.State != StateReleased || c.Reason != ReasonExpired {
		t.Fatalf("custody of swept item %+v", c)
	}
}

func TestCustodyLifecycle(t *testing.T) {
	clk := clock.NewVirtual(t0)
	path := filepath.Join(t.TempDir(), "s.db")
	s, _ := openT(t, path, testOpts(clk))
	ctx := context.Background()
	if err := s.Put(ctx, mkItem("a", 1, 1, 5000)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent("a", "pass-1", []int{3, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent("a", "pass-1", []int{2, 7}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent("a", "pass-2", []int{0}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		pass string
		syms []int
	}{{"", nil}, {"p", []int{-1}}, {"p", []int{MaxSymbolIndex + 1}}} {
		if err := s.MarkSent("a", bad.pass, bad.syms); !errors.Is(err, ErrBadArgument) {
			t.Fatalf("MarkSent(%q, %v): %v", bad.pass, bad.syms, err)
		}
	}
	if err := s.MarkSent("zz", "p", nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("MarkSent unknown: %v", err)
	}
	s.Close()
	s, rep := openT(t, path, testOpts(clk))
	defer s.Close()
	if rep.InFlight != 1 || rep.Queued != 0 {
		t.Fatalf("report %+v", rep)
	}
	c, err := s.Custody("a")
	want := "[{pass-1 [1 2 3 7]} {pass-2 [0]}]"
	if err != nil || c.State != StateInFlight || fmt.Sprint(c.Sent) != want {
		t.Fatalf("custody %+v %v, want in flight %s", c, err, want)
	}
	es, _ := s.Next(10, 0)
	if len(es) != 1 || es[0].State != StateInFlight || fmt.Sprint(es[0].Sent) != want {
		t.Fatalf("Next %+v", es)
	}
	if err := s.Ack("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack("a"); err != nil {
		t.Fatalf("second Ack: %v", err)
	}
	c, _ = s.Custody("a")
	if c.State != StateAcknowledged || c.Reason != ReasonAcknowledged || !c.At.Equal(t0) {
		t.Fatalf("custody after Ack %+v", c)
	}
	if err := s.MarkSent("a", "p", nil); !errors.Is(err, ErrReleased) {
		t.Fatalf("MarkSent after Ack: %v", err)
	}
	st := s.Stats()
	if st.InFlight != 0 || st.StoredBytes != 0 || st.Deleted[ReasonAcknowledged] != 1 || st.Tombstones != 1 {
		t.Fatalf("stats %+v", st)
	}
	if err := s.Release("zz", ReasonOperator); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Release unknown: %v", err)
	}
	if err := s.Release("a", ReasonCorrupt); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("Release with reason corrupt: %v", err)
	}
}

func TestQuotas(t *testing.T) {
	clk := clock.NewVirtual(t0)
	opts := testOpts(clk)
	opts.HighWaterBytes = 10_000
	opts.HardLimitBytes = 15_000
	s, _ := openT(t, filepath.Join(t.TempDir(), "s.db"), opts)
	defer s.Close()
	ctx := context.Background()
	item := func(id string, prio int, value float64) Item {
		it := mkItem(id, prio, value, 1000)
		it.Record = nil
		return it
	}
	for i := range 10 {
		if err := s.Put(ctx, item(fmt.Sprintf("low%d", i), 2, float64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, item("more", 1, 100)); !errors.Is(err, ErrBackPressure) {
		t.Fatalf("above high water: %v, want ErrBackPressure", err)
	}
	for i := range 5 {
		if err := s.Put(ctx, item(fmt.Sprintf("urgent%d", i), 0, 1)); err != nil {
			t.Fatalf("urgent %d: %v", i, err)
		}
	}
	if st := s.Stats(); st.StoredBytes != 15_000 || st.Deleted[ReasonEvicted] != 0 {
		t.Fatalf("at hard limit: %+v", st)
	}
	if err := s.Put(ctx, item("urgent5", 0, 1)); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.StoredBytes != 15_000 || st.Deleted[ReasonEvicted] != 1 || st.BackPressured != 1 {
		t.Fatalf("after eviction: %+v", st)
	}
	if c, _ := s.Custody("low0"); c.Reason != ReasonEvicted {
		t.Fatalf("lowest value not evicted first: %+v", c)
	}
	for i := 6; i < 15; i++ {
		if err := s.Put(ctx, item(fmt.Sprintf("urgent%d", i), 0, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, item("urgent-lower", 0, 0.5)); !errors.Is(err, ErrFull) {
		t.Fatalf("all stored items outrank: %v, want ErrFull", err)
	}
	if err := s.Put(ctx, item("urgent-higher", 0, 2)); err != nil {
		t.Fatalf("higher urgent item: %v", err)
	}
}

func TestReleaseWhere(t *testing.T) {
	clk := clock.NewVirtual(t0)
	s, _ := openT(t, filepath.Join(t.TempDir(), "s.db"), testOpts(clk))
	defer s.Close()
	ctx := context.Background()
	mk := func(id, class string, lon float64, age time.Duration) Item {
		it := mkItem(id, 1, 1, 10)
		it.Class, it.Region, it.Arrival = class, [4]float64{lon, 0, lon + 1, 1}, t0.Add(-age)
		return it
	}
	for _, it := range []Item{
		mk("f-eu-old", "fire", 10, 5*time.Hour), mk("f-eu-new", "fire", 10, 0),
		mk("f-us-old", "fire", -100, 5*time.Hour), mk("v-eu-old", "vessel", 10.5, 5*time.Hour),
	} {
		if err := s.Put(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ReleaseWhere(Filter{}); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("empty filter: %v", err)
	}
	n, err := s.ReleaseWhere(Filter{Classes: []string{"fire"}, Region: &[4]float64{9, -1, 12, 2}, ArrivedBefore: t0.Add(-time.Hour)})
	if err != nil || n != 1 {
		t.Fatalf("ReleaseWhere: %d %v", n, err)
	}
	if c, _ := s.Custody("f-eu-old"); c.Reason != ReasonOperator {
		t.Fatalf("f-eu-old not released: %+v", c)
	}
	n, _ = s.ReleaseWhere(Filter{ArrivedBefore: t0.Add(-time.Hour)})
	if n != 2 {
		t.Fatalf("release by age: %d, want 2", n)
	}
	es, _ := s.Next(10, 0)
	if fmt.Sprint(ids(es)) != "[f-eu-new]" {
		t.Fatalf("left %v", ids(es))
	}
}

func TestMeta(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, _ := openT(t, path, testOpts(clock.Real{}))
	if _, err := s.Meta("seq"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Meta unset: %v", err)
	}
	if err := s.SetMeta("seq", []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta("empty", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta("", nil); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("empty key: %v", err)
	}
	s.Close()
	s, _ = openT(t, path, testOpts(clock.Real{}))
	defer s.Close()
	if v, err := s.Meta("seq"); err != nil || !bytes.Equal(v, []byte{1, 2}) {
		t.Fatalf("Meta after reopen: %v %v", v, err)
	}
	if v, err := s.Meta("empty"); err != nil || len(v) != 0 {
		t.Fatalf("empty value: %v %v", v, err)
	}
}

func TestOpenRefusesForeignAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	foreign := filepath.Join(dir, "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("widgets"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	otherFormat := filepath.Join(dir, "v9.db")
	db, _ = bolt.Open(otherFormat, 0o600, nil)
	_ = db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucket(bktFormat)
		return b.Put(keyFormat, []byte("skysieve-store/9"))
	})
	db.Close()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 2000), 0o600); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.db")
	s, _ := openT(t, truncated, testOpts(clock.Real{}))
	for i := range 50 {
		if err := s.Put(context.Background(), mkItem(fmt.Sprint(i), 1, 1, 8000)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	full, _ := os.ReadFile(truncated)
	if err := os.WriteFile(truncated, full[:4096*3], 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		want error
	}{
		{foreign, ErrForeign}, {otherFormat, ErrForeign}, {garbage, ErrCorrupt}, {truncated, ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			before, _ := os.ReadFile(c.path)
			_, _, err := Open(c.path, testOpts(clock.Real{}))
			if !errors.Is(err, c.want) {
				t.Fatalf("Open: %v, want %v", err, c.want)
			}
			after, _ := os.ReadFile(c.path)
			if !bytes.Equal(before, after) {
				t.Fatalf("Open modified the refused file")
			}
		})
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, _ := openT(t, path, testOpts(clock.Real{}))
	defer s.Close()
	opts := testOpts(clock.Real{})
	opts.LockTimeout = 50 * time.Millisecond
	// bbolt's flock is per open file description, so a second Open in
	// the same process sees the lock as another process would.
	if _, _, err := Open(path, opts); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}

func TestConcurrentPutsCoalesce(t *testing.T) {
	s, _ := openT(t, filepath.Join(t.TempDir(), "s.db"), testOpts(clock.Real{}))
	defer s.Close()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		// Readers run beside the committer.
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Next(16, 64<<10); err != nil {
				t.Error(err)
				return
			}
			_ = s.Stats()
		}
	}()
	const workers, each = 16, 50
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := s.Put(context.Background(), mkItem(fmt.Sprintf("w%d-%d", w, i), 1, 1, 500)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-readerDone
	if st := s.Stats(); st.Queued != workers*each {
		t.Fatalf("queued %d", st.Queued)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Put(context.Background(), mkItem("late", 1, 1, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close: %v", err)
	}
}

// Every eviction is logged, after its commit, with the item and the
// reason: the hard limit and the item it made room for.
func TestEvictionsLogged(t *testing.T) {
	clk := clock.NewVirtual(t0)
	opts := testOpts(clk)
	var logs bytes.Buffer
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	opts.HighWaterBytes = 2_000
	opts.HardLimitBytes = 3_000
	s, _ := openT(t, filepath.Join(t.TempDir(), "s.db"), opts)
	defer s.Close()
	ctx := context.Background()
	for i, id := range []string{"vessel-a", "vessel-b", "fire-a", "fire-b"} {
		it := mkItem(id, 2, float64(i), 1000)
		it.Record = nil
		if i >= 2 {
			it.PriorityClass = 0
		}
		if err := s.Put(ctx, it); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	if st := s.Stats(); st.Deleted[ReasonEvicted] != 1 {
		t.Fatalf("evicted %d, want 1", st.Deleted[ReasonEvicted])
	}
	out := logs.String()
	for _, want := range []string{`msg="store: item evicted"`, "id=vessel-a", "priority_class=2", "hard limit 3000 bytes: making room for fire-b (priority class 0)"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
