package flight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/viper"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/flight/store"
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/scene/scenetest"
	"github.com/skysieve/skysieve/triage/synth"
)

// logBuffer is a concurrency-safe log sink tests read back.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// count is how many log lines contain s.
func (l *logBuffer) count(s string) int { return strings.Count(l.String(), s) }

// manualIntake builds a service that is never Run, on a virtual clock,
// and its spool intake, so a test drives scans one at a time.
func manualIntake(t *testing.T, edit func(*Config)) (*Service, *spoolIntake, *clock.Virtual, *logBuffer) {
	t.Helper()
	requireTriage(t)
	cfg, _ := intakeConfig(t)
	clk := clock.NewVirtual(time.Now())
	cfg.Clock = clk
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	in := newSpoolIntake(s)
	t.Cleanup(in.close)
	return s, in, clk, logs
}

// settle advances the clock past the settle time and scans twice: the
// first scan notes the files, the second takes them.
func settle(in *spoolIntake, clk *clock.Virtual) {
	in.scan(context.Background())
	clk.Advance(in.s.cfg.SpoolSettle)
	in.scan(context.Background())
}

func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// Decompression bombs are quarantined from their headers with a reason
// naming the budget key (or the tile size); a good scene beside them is
// stored.
func TestSpoolBombsQuarantinedBeforeDecoding(t *testing.T) {
	s, in, clk, _ := manualIntake(t, nil)
	spool := s.cfg.SpoolDir
	files := map[string][]byte{
		"deflate.tif": scenetest.Bomb(16384, true, scenetest.Deflate, 256),
		"lzw.tif":     scenetest.Bomb(16384, true, scenetest.LZW, 256),
		"tile.tif":    scenetest.TileBomb(8192),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(spool, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spoolScene(t, spool, synthScene(3, 128, time.Now()))
	settle(in, clk)
	if left := spoolFiles(t, spool); len(left) != 0 {
		t.Fatalf("spool still holds %v", left)
	}
	for name, want := range map[string]string{
		"deflate.tif": "over the memory budget of 48.0 MiB (WithMaxBytes) (flight key spool_max_scene_bytes = 50331648)",
		"lzw.tif":     "spool_max_scene_bytes",
		"tile.tif":    "tile size 8192x8192 for a 1x1 image",
	} {
		reason, err := os.ReadFile(filepath.Join(s.cfg.QuarantineDir, name+".reason"))
		if err != nil || !strings.Contains(string(reason), want) {
			t.Errorf("%s: reason %q (%v), want it to say %q", name, reason, err, want)
		}
	}
	if st := s.Stats(); st.ScenesIn != 1 || st.ScenesQuarantined != 3 {
		t.Errorf("scenes in %d (want 1), quarantined %d (want 3)", st.ScenesIn, st.ScenesQuarantined)
	}
}

// A scene written in place under its final name is not taken while it
// grows, and is stored, not quarantined as truncated, once it has settled.
func TestSpoolWaitsForInPlaceWrites(t *testing.T) {
	s, in, clk, _ := manualIntake(t, nil)
	var buf bytes.Buffer
	if err := scene.Write(&buf, synthScene(4, 128, time.Now())); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	path := filepath.Join(s.cfg.SpoolDir, "inplace.skyscene")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	step := len(full) / 4
	for i := range 4 {
		if _, err := f.Write(full[i*step : (i+1)*step]); err != nil {
			t.Fatal(err)
		}
		in.scan(context.Background())
		clk.Advance(s.cfg.SpoolSettle / 2)
		in.scan(context.Background())
		if st := s.Stats(); st.ScenesQuarantined != 0 || st.ScenesIn != 0 {
			t.Fatalf("after %d of %d bytes: taken (quarantined %d, in %d)", (i+1)*step, len(full), st.ScenesQuarantined, st.ScenesIn)
		}
	}
	if _, err := f.Write(full[4*step:]); err != nil {
		t.Fatal(err)
	}
	f.Close()
	settle(in, clk)
	if st := s.Stats(); st.ScenesIn != 1 || st.ScenesQuarantined != 0 {
		t.Fatalf("complete scene: in %d (want 1), quarantined %d (want 0)", st.ScenesIn, st.ScenesQuarantined)
	}
}

// A file renamed into the spool (the recommended hand-off) is taken at the
// next scan, without waiting for spool_settle.
func TestSpoolTakesRenamedFilesAtOnce(t *testing.T) {
	s, in, _, _ := manualIntake(t, nil)
	if in.watch == nil {
		t.Skip("no inotify")
	}
	spoolScene(t, s.cfg.SpoolDir, synthScene(8, 128, time.Now()))
	waitFor(t, 10*time.Second, "the rename event", func() bool { return in.watch.renamed("it-008.skyscene") })
	in.scan(context.Background())
	if st := s.Stats(); st.ScenesIn != 1 {
		t.Fatalf("renamed scene not taken at once: %d scenes in", st.ScenesIn)
	}
}

// The journal names the scenes being read or triaged, durably, before the
// first byte is read; a scene in hand alone when flight stops is charged
// an attempt at the next start and quarantined when out of attempts, so
// a scene that crashes flight is not retried forever.
func TestCrashedSceneQuarantinedOnRestart(t *testing.T) {
	requireTriage(t)
	cfg, spool := intakeConfig(t)
	block := &blockingTriager{entered: make(chan struct{}), release: make(chan struct{})}
	cfg.Triager = block
	sc := synthScene(5, 128, time.Now())
	spoolScene(t, spool, sc)
	// The scene has failed before, so it goes alone.
	journal := filepath.Join(cfg.DataDir, journalName)
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(journal, []byte(`{"attempts":{"it-005.skyscene":1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	rs := startService(t, cfg)
	select {
	case <-block.entered:
	case <-time.After(time.Minute):
		t.Fatal("triage never started")
	}
	// What a crash now would leave on disk.
	crashed, err := os.ReadFile(journal)
	close(block.release)
	rs.stop(t)
	if err != nil {
		t.Fatal(err)
	}
	var j intakeJournal
	if err := json.Unmarshal(crashed, &j); err != nil {
		t.Fatal(err)
	}
	if len(j.InProgress) != 1 || j.InProgress[0] != "it-005.skyscene" || !j.Solo {
		t.Fatalf("journal during triage: %s", crashed)
	}

	// Restart on that journal with max_scene_attempts 2: the crash is the
	// second attempt.
	cfg2, spool2 := intakeConfig(t)
	cfg2.MaxSceneAttempts = 2
	spoolScene(t, spool2, sc)
	if err := os.WriteFile(filepath.Join(cfg2.DataDir, journalName), crashed, 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := New(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	newSpoolIntake(s2)
	if left := spoolFiles(t, spool2); len(left) != 0 {
		t.Fatalf("spool still holds %v", left)
	}
	reason, err := os.ReadFile(filepath.Join(cfg2.DataDir, "quarantine", "it-005.skyscene.reason"))
	if err != nil || !strings.Contains(string(reason), "crashed 2 times") {
		t.Fatalf("reason %q, %v", reason, err)
	}
}

// blockingTriager holds the first Triage call until released.
type blockingTriager struct {
	once             sync.Once
	entered, release chan struct{}
}

func (b *blockingTriager) Triage(ctx context.Context, sc *scene.Scene) (*triage.Result, error) {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	return &triage.Result{}, nil
}

// A quarantine on another filesystem copies, syncs, then removes: nothing
// is deleted. Both with a rename that fails with EXDEV and, as root, with
// a real tmpfs.
func TestQuarantineAcrossFilesystems(t *testing.T) {
	body := []byte("SKYSCENE but not really")
	check := func(t *testing.T, s *Service, in *spoolIntake, clk *clock.Virtual) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(s.cfg.SpoolDir, "broken.skyscene"), body, 0o644); err != nil {
			t.Fatal(err)
		}
		settle(in, clk)
		got, err := os.ReadFile(filepath.Join(s.cfg.QuarantineDir, "broken.skyscene"))
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("quarantined copy %q, %v", got, err)
		}
		if left := spoolFiles(t, s.cfg.SpoolDir); len(left) != 0 {
			t.Fatalf("spool still holds %v", left)
		}
		if q := spoolFiles(t, s.cfg.QuarantineDir); len(q) != 2 {
			t.Fatalf("quarantine holds %v, want the scene and its reason", q)
		}
	}
	t.Run("injected EXDEV", func(t *testing.T) {
		s, in, clk, _ := manualIntake(t, nil)
		s.rename = func(oldpath, newpath string) error {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EXDEV}
		}
		check(t, s, in, clk)
	})
	t.Run("tmpfs", func(t *testing.T) {
		dir := mountTmpfs(t, "4m")
		s, in, clk, _ := manualIntake(t, func(c *Config) { c.QuarantineDir = filepath.Join(dir, "q") })
		check(t, s, in, clk)
	})
	t.Run("quarantine impossible", func(t *testing.T) {
		s, in, clk, logs := manualIntake(t, func(c *Config) { c.QuarantineDir = "/proc/version/q" })
		if err := os.WriteFile(filepath.Join(s.cfg.SpoolDir, "broken.skyscene"), body, 0o644); err != nil {
			t.Fatal(err)
		}
		settle(in, clk)
		for range 5 {
			clk.Advance(s.cfg.SpoolPoll)
			in.scan(context.Background())
		}
		if got, err := os.ReadFile(filepath.Join(s.cfg.SpoolDir, "broken.skyscene")); err != nil || !bytes.Equal(got, body) {
			t.Fatalf("scene not left in the spool: %q, %v", got, err)
		}
		if n := logs.count("quarantine failed"); n != 1 {
			t.Fatalf("%d quarantine failures logged, want 1 (the scene is skipped after)", n)
		}
	})
}

// mountTmpfs mounts a tmpfs of the given size on a fresh directory, or
// skips the test when that is not allowed (not root).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// A store that cannot write pauses intake (logged once, a metric) and
// never quarantines the scene; intake resumes once writes succeed again.
func TestStoreErrorPausesIntake(t *testing.T) {
	s, in, clk, logs := manualIntake(t, nil)
	var failing sync.Mutex
	fail := true
	real := s.putBatch
	s.putBatch = func(ctx context.Context, items []store.Item) []error {
		failing.Lock()
		defer failing.Unlock()
		if !fail {
			return real(ctx, items)
		}
		errs := make([]error, len(items))
		for i := range errs {
			errs[i] = fmt.Errorf("store: commit 1 puts: write flight.db: %w", syscall.ENOSPC)
		}
		return errs
	}
	spoolScene(t, s.cfg.SpoolDir, synthScene(6, 128, time.Now()))
	spoolScene(t, s.cfg.SpoolDir, synthScene(7, 128, time.Now()))
	settle(in, clk)
	for range 10 {
		clk.Advance(s.cfg.SpoolPoll)
		in.scan(context.Background())
	}
	st := s.Stats()
	if !st.StoreFailing || st.StoreErrors == 0 || st.ScenesQuarantined != 0 || len(spoolFiles(t, s.cfg.SpoolDir)) != 2 {
		t.Fatalf("store failing %v, errors %d, quarantined %d, spool %v", st.StoreFailing, st.StoreErrors, st.ScenesQuarantined, spoolFiles(t, s.cfg.SpoolDir))
	}
	if n := logs.count("intake paused: the store cannot write"); n != 1 {
		t.Errorf("pause logged %d times, want 1", n)
	}
	failing.Lock()
	fail = false
	failing.Unlock()
	clk.Advance(maxStoreBackoff)
	in.scan(context.Background())
	if st := s.Stats(); st.StoreFailing || st.ScenesIn != 2 || len(spoolFiles(t, s.cfg.SpoolDir)) != 0 {
		t.Fatalf("after recovery: failing %v, scenes in %d, spool %v", st.StoreFailing, st.ScenesIn, spoolFiles(t, s.cfg.SpoolDir))
	}
}

// A real full disk: the store on a small tmpfs runs out of space; no scene
// is quarantined or lost, and all are stored once space is freed.
func TestStoreENOSPCOnTmpfs(t *testing.T) {
	dir := mountTmpfs(t, "2m")
	s, in, clk, _ := manualIntake(t, func(c *Config) { c.DataDir = dir })
	// Leave the store little room to grow.
	filler := filepath.Join(dir, "filler")
	fi, err := os.Stat(filepath.Join(dir, "flight.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filler, make([]byte, 2<<20-fi.Size()-96<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		spoolScene(t, s.cfg.SpoolDir, synthScene(40+i, 256, time.Now()))
	}
	settle(in, clk)
	for range 5 {
		clk.Advance(maxStoreBackoff)
		in.scan(context.Background())
	}
	st := s.Stats()
	t.Logf("full disk: %d scenes in, %d store errors, %d in the spool", st.ScenesIn, st.StoreErrors, len(spoolFiles(t, s.cfg.SpoolDir)))
	if st.StoreErrors == 0 || !st.StoreFailing {
		t.Fatalf("the store never failed (%d scenes in): the test proves nothing", st.ScenesIn)
	}
	if st.ScenesQuarantined != 0 || int(st.ScenesIn)+len(spoolFiles(t, s.cfg.SpoolDir)) != 12 {
		t.Fatalf("quarantined %d, in %d, spool %v: a scene was lost", st.ScenesQuarantined, st.ScenesIn, spoolFiles(t, s.cfg.SpoolDir))
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		clk.Advance(maxStoreBackoff)
		in.scan(context.Background())
	}
	if st := s.Stats(); st.ScenesIn != 12 || st.StoreFailing {
		t.Fatalf("after freeing space: %d scenes in (want 12), failing %v", st.ScenesIn, st.StoreFailing)
	}
}

// Back-pressure hysteresis: a refused scene is triaged once and waits
// until the store is below spool_resume_bytes; a fire-only scene that
// arrives meanwhile is still triaged and stored (evicting vessels at the
// hard limit, each eviction logged); once the store drains the deferred
// scene goes in.
func TestBackPressureHysteresis(t *testing.T) {
	s, in, clk, logs := manualIntake(t, func(c *Config) {
		c.Store.HardLimitBytes = 152 << 10
		c.Store.HighWaterBytes = 150 << 10
		c.SpoolResumeBytes = 100 << 10
	})
	ctx := context.Background()
	now := time.Now()
	sea := func(i int) *scene.Scene {
		sc, _ := synth.Generate(synth.Spec{Seed: uint64(300 + i), SceneID: fmt.Sprintf("sea-%02d", i), Satellite: "SKY-1",
			CaptureTime: now, Width: 256, Height: 256, OceanFraction: 0.9, RandomVessels: 6})
		return sc
	}
	for i := 0; ; i++ {
		err := s.Submit(ctx, sea(i))
		if errors.Is(err, ErrBackPressure) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i > 200 {
			t.Fatal("the store never pushed back")
		}
	}
	spoolScene(t, s.cfg.SpoolDir, sea(99))
	settle(in, clk)
	st := s.Stats()
	if !st.IntakePaused || st.ScenesDeferred != 1 || len(spoolFiles(t, s.cfg.SpoolDir)) != 1 {
		t.Fatalf("paused %v, deferred %d, spool %v", st.IntakePaused, st.ScenesDeferred, spoolFiles(t, s.cfg.SpoolDir))
	}
	triaged := st.ScenesTriaged
	for range 30 {
		clk.Advance(s.cfg.SpoolPoll)
		in.scan(ctx)
	}
	if st := s.Stats(); st.ScenesTriaged != triaged {
		t.Fatalf("the deferred scene was triaged %d more times while the store stayed full", st.ScenesTriaged-triaged)
	}
	if n := logs.count("intake paused"); n != 1 {
		t.Errorf("pause logged %d times, want 1", n)
	}

	fire, _ := synth.Generate(synth.Spec{Seed: 501, SceneID: "fire-only", Satellite: "SKY-1", CaptureTime: now,
		Width: 256, Height: 256, OceanFraction: 0, RandomFires: 4})
	spoolScene(t, s.cfg.SpoolDir, fire)
	settle(in, clk)
	if left := spoolFiles(t, s.cfg.SpoolDir); len(left) != 1 || left[0] != "sea-99.skyscene" {
		t.Fatalf("spool holds %v, want only the deferred sea scene", left)
	}
	st = s.Stats()
	if st.ByClass["fire"].Queued == 0 {
		t.Fatal("no fire stored")
	}
	evicted := st.Deleted[store.ReasonEvicted.String()]
	if evicted == 0 || logs.count("store: item evicted") != int(evicted) {
		t.Errorf("%d evictions, %d logged", evicted, logs.count("store: item evicted"))
	}
	t.Logf("fires queued %d, vessels evicted %d", st.ByClass["fire"].Queued, evicted)

	// Drain below the low watermark: the deferred scene goes in.
	if _, err := s.store.ReleaseWhere(store.Filter{Classes: []string{"vessel"}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(s.cfg.SpoolPoll)
	in.scan(ctx)
	if st := s.Stats(); st.IntakePaused || len(spoolFiles(t, s.cfg.SpoolDir)) != 0 {
		t.Fatalf("after draining: paused %v, spool %v", st.IntakePaused, spoolFiles(t, s.cfg.SpoolDir))
	}
}

// The spool keys load, and bad values are refused naming the key.
func TestSpoolConfigKeys(t *testing.T) {
	v := viper.New()
	v.Set("spool_settle", "5s")
	v.Set("spool_max_scene_bytes", 32<<20)
	v.Set("spool_resume_bytes", 1000)
	c, err := LoadConfig(v)
	if err != nil {
		t.Fatal(err)
	}
	if c.SpoolSettle != 5*time.Second || c.SpoolMaxSceneBytes != 32<<20 || c.SpoolResumeBytes != 1000 {
		t.Fatalf("loaded %v, %d, %d", c.SpoolSettle, c.SpoolMaxSceneBytes, c.SpoolResumeBytes)
	}
	for _, tc := range []struct {
		set  map[string]any
		want string
	}{
		{map[string]any{"spool_settle": "-1s"}, "spool_settle = -1s: must not be negative"},
		{map[string]any{"spool_max_scene_bytes": 1000}, "spool_max_scene_bytes = 1000: must be at least"},
		{map[string]any{"spool_resume_bytes": -1}, "spool_resume_bytes = -1"},
		{map[string]any{"spool_resume_bytes": 2000, "store.high_water_bytes": 1000}, "spool_resume_bytes = 2000: must not pass store.high_water_bytes"},
	} {
		v := viper.New()
		for k, val := range tc.set {
			v.Set(k, val)
		}
		_, err := LoadConfig(v)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.set, err, tc.want)
		}
	}
}

// The spool is served in priority order: scenes never triaged first, then
// deferred scenes by the most urgent class refused, and none of those
// while paused; unsettled and stuck files wait.
func TestSpoolQueueOrder(t *testing.T) {
	now := time.Now()
	cfg := DefaultConfig()
	in := &spoolIntake{s: &Service{cfg: cfg}, files: map[string]*spoolFile{
		"b-fresh":       {since: now.Add(-time.Minute)},
		"a-fresh":       {since: now.Add(-time.Minute)},
		"c-vessel":      {since: now.Add(-time.Minute), deferred: true, refusedClass: 2},
		"d-flood":       {since: now.Add(-time.Minute), deferred: true, refusedClass: 1},
		"e-writing":     {since: now},
		"f-renamed":     {since: now, renamed: true},
		"g-stuck":       {since: now.Add(-time.Minute), stuck: true},
		"h-flood-later": {since: now.Add(-time.Minute), deferred: true, refusedClass: 1},
	}}
	for _, tc := range []struct {
		paused bool
		want   []string
	}{
		{false, []string{"a-fresh", "b-fresh", "f-renamed", "d-flood", "h-flood-later", "c-vessel"}},
		{true, []string{"a-fresh", "b-fresh", "f-renamed"}},
	} {
		if got := in.queue(now, tc.paused); !slices.Equal(got, tc.want) {
			t.Errorf("paused %v: %v, want %v", tc.paused, got, tc.want)
		}
	}
}
