package flight

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/flight/store"
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
)

// ErrBackPressure is returned by Submit when the store is above its high
// watermark and refused some of the scene's detections: nothing was lost,
// the caller retries the scene later (re-submitting is idempotent).
var ErrBackPressure = errors.New("flight: store back-pressure, retry later")

// Triager turns a scene into detections: *triage.Triage, built from
// Config.Triage unless Config.Triager supplies one.
type Triager interface {
	Triage(ctx context.Context, sc *scene.Scene) (*triage.Result, error)
}

// BacklogTriager is a Triager that also triages several scenes back to
// back through one pipeline (*triage.Triage does); spool intake uses it
// for a backlog of up to Config.SpoolBacklog scenes.
type BacklogTriager interface {
	Triager
	TriageScenes(ctx context.Context, jobs []triage.SceneJob) ([]triage.SceneOutcome, error)
}

// maxSpoolBacklog bounds Config.SpoolBacklog: the scenes of a backlog are
// all in memory at once.
const maxSpoolBacklog = 64

// Submit triages a scene and stores its detections durably before it
// returns (the simulator's camera hand-off). A scene submitted twice, or
// re-triaged after a crash, stores nothing twice: detection ids are stable.
// Under store back-pressure it returns an error wrapping ErrBackPressure
// after storing what the store admitted (urgent classes still go in).
func (s *Service) Submit(ctx context.Context, sc *scene.Scene) error {
	out := s.triageScenes(ctx, []*scene.Scene{sc})
	if out[0].Err != nil {
		return out[0].Err
	}
	return s.storeDetections(ctx, sc.ID, out[0].Result.Detections)
}

// triageScenes triages scenes, through one pipeline when the triager can,
// and counts the work; each failed outcome's error names its scene.
func (s *Service) triageScenes(ctx context.Context, scs []*scene.Scene) []triage.SceneOutcome {
	start := time.Now() // triage cost is real CPU time, whatever the clock
	out := make([]triage.SceneOutcome, len(scs))
	if bt, ok := s.triager.(BacklogTriager); ok && len(scs) > 1 {
		jobs := make([]triage.SceneJob, len(scs))
		for i, sc := range scs {
			jobs[i].Scene = sc
		}
		got, err := bt.TriageScenes(ctx, jobs)
		for i := range out {
			if err != nil {
				out[i].Err = err // the pipeline failed: no scene has a result
			} else {
				out[i] = got[i]
			}
		}
	} else {
		for i, sc := range scs {
			out[i].Result, out[i].Err = s.triager.Triage(ctx, sc)
		}
	}
	s.stats.triageNanos.Add(uint64(time.Since(start)))
	for i := range out {
		if out[i].Err != nil {
			out[i].Err = fmt.Errorf("flight: triage scene %s: %w", scs[i].ID, out[i].Err)
			continue
		}
		s.stats.scenesTriaged.Add(1)
	}
	return out
}

// storeDetections puts each detection as one store item (record and chip
// together, sharing the detection id).
func (s *Service) storeDetections(ctx context.Context, sceneID string, dets []triage.Detection) error {
	items := make([]store.Item, 0, len(dets))
	for i := range dets {
		it, err := s.storeItem(&dets[i])
		if err != nil {
			return fmt.Errorf("flight: scene %s: %w", sceneID, err)
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil
	}
	errs := s.store.PutBatch(ctx, items)
	var pressured, urgent int
	for i, err := range errs {
		switch {
		case err == nil:
			s.stats.detectionsStored.Add(1)
			if items[i].PriorityClass == 0 {
				urgent++
			}
		case errors.Is(err, store.ErrBackPressure), errors.Is(err, store.ErrFull):
			pressured++
		case errors.Is(err, store.ErrExpired):
			s.log.Info("detection expired before it was stored", "scene", sceneID, "id", items[i].ID)
		default:
			return fmt.Errorf("flight: store detection %s of scene %s: %w", items[i].ID, sceneID, err)
		}
	}
	if urgent > 0 {
		s.preempt()
	}
	s.wakeRadio()
	if pressured > 0 {
		return fmt.Errorf("%w: %d of %d detections of scene %s refused", ErrBackPressure, pressured, len(items), sceneID)
	}
	return nil
}

func (s *Service) storeItem(d *triage.Detection) (store.Item, error) {
	rec, err := record.Marshal(&d.Record)
	if err != nil {
		return store.Item{}, err
	}
	region := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range d.Record.Footprint {
		region[0], region[1] = min(region[0], p[0]), min(region[1], p[1])
		region[2], region[3] = max(region[2], p[0]), max(region[3], p[1])
	}
	return store.Item{
		ID:            d.Record.ID,
		Class:         d.Record.Class,
		PriorityClass: s.priorityClass(d.Record.Class),
		Value:         d.Record.Priority,
		Record:        rec,
		Chip:          d.Chip,
		Region:        region,
	}, nil
}

// priorityClass maps a detection class to the store's and the link's
// priority class (0 most urgent).
func (s *Service) priorityClass(class string) int {
	if p, ok := s.cfg.PriorityClasses[class]; ok {
		return p
	}
	return s.cfg.DefaultPriorityClass
}

// intakeLoop scans the spool until ctx ends.
func (s *Service) intakeLoop(ctx context.Context) error {
	attempts := map[string]int{}
	for {
		s.scanSpool(ctx, attempts)
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(s.cfg.SpoolPoll):
		}
	}
}

// spoolName reports whether a spool entry is a finished scene: the camera
// writes under a temporary or hidden name and renames when done.
func spoolName(name string) bool {
	return !strings.HasPrefix(name, ".") && !strings.HasSuffix(name, ".tmp") && !strings.HasSuffix(name, ".part")
}

// scanSpool takes every finished scene in the spool, oldest name first,
// in groups of up to SpoolBacklog triaged together. A scene leaves the
// spool only once its detections are durable; one that cannot be read goes
// to quarantine; under back-pressure the scan stops and the scene (and any
// after it, triaged or not) stays for a later scan.
func (s *Service) scanSpool(ctx context.Context, attempts map[string]int) {
	entries, err := os.ReadDir(s.cfg.SpoolDir)
	if err != nil {
		s.log.Error("spool unreadable", "dir", s.cfg.SpoolDir, "err", err)
		return
	}
	slices.SortFunc(entries, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	var group []spooled
	for _, e := range entries {
		if ctx.Err() != nil {
			return
		}
		if !e.Type().IsRegular() || !spoolName(e.Name()) {
			continue
		}
		if s.intakePaused.Load() {
			st := s.store.Stats()
			if st.StoredBytes >= st.HighWaterBytes {
				return
			}
			s.setPaused(false, st)
		}
		path := filepath.Join(s.cfg.SpoolDir, e.Name())
		sc, err := scene.Open(path)
		if err != nil {
			s.quarantine(path, err)
			delete(attempts, e.Name())
			continue
		}
		group = append(group, spooled{name: e.Name(), path: path, sc: sc})
		if len(group) < s.cfg.SpoolBacklog {
			continue
		}
		if !s.intakeGroup(ctx, group, attempts) {
			return
		}
		group = group[:0]
	}
	if len(group) > 0 {
		s.intakeGroup(ctx, group, attempts)
	}
}

// spooled is one spool scene read and waiting for triage.
type spooled struct {
	name, path string
	sc         *scene.Scene
}

// intakeGroup triages group's scenes together and stores each one's
// detections in spool order. It reports false when the scan must stop:
// back-pressure or ctx ended.
func (s *Service) intakeGroup(ctx context.Context, group []spooled, attempts map[string]int) bool {
	scs := make([]*scene.Scene, len(group))
	for i, g := range group {
		scs[i] = g.sc
	}
	out := s.triageScenes(ctx, scs)
	for i, g := range group {
		err := out[i].Err
		if err == nil {
			err = s.storeDetections(ctx, g.sc.ID, out[i].Result.Detections)
		}
		switch {
		case err == nil:
			delete(attempts, g.name)
			if err := os.Remove(g.path); err != nil {
				s.log.Error("spool: cannot remove stored scene", "file", g.path, "err", err)
			}
			s.stats.scenesIn.Add(1)
		case errors.Is(err, ErrBackPressure):
			s.setPaused(true, s.store.Stats())
			return false
		case ctx.Err() != nil:
			return false
		case errors.Is(err, triage.ErrScene), errors.Is(err, triage.ErrBands):
			s.quarantine(g.path, err)
			delete(attempts, g.name)
		default:
			attempts[g.name]++
			s.log.Warn("spool: scene failed", "file", g.path, "attempt", attempts[g.name], "err", err)
			if attempts[g.name] >= s.cfg.MaxSceneAttempts {
				s.quarantine(g.path, err)
				delete(attempts, g.name)
			}
		}
	}
	return true
}

func (s *Service) setPaused(paused bool, st store.Stats) {
	if s.intakePaused.Swap(paused) == paused {
		return
	}
	if paused {
		s.log.Warn("intake paused: store above its high watermark", "stored_bytes", st.StoredBytes, "high_water_bytes", st.HighWaterBytes)
		return
	}
	s.log.Info("intake resumed: store below its high watermark", "stored_bytes", st.StoredBytes, "high_water_bytes", st.HighWaterBytes)
}

// quarantine moves a scene out of the spool, with a note of why beside it.
func (s *Service) quarantine(path string, cause error) {
	s.stats.scenesQuarantined.Add(1)
	dst := filepath.Join(s.cfg.QuarantineDir, filepath.Base(path))
	err := os.MkdirAll(s.cfg.QuarantineDir, 0o755)
	if err == nil {
		err = os.Rename(path, dst)
	}
	if err != nil {
		// Never leave it to be retried forever: delete it if it cannot move.
		s.log.Error("quarantine failed; scene deleted", "file", path, "reason", cause.Error(), "err", err)
		_ = os.Remove(path)
		return
	}
	_ = os.WriteFile(dst+".reason", []byte(cause.Error()+"\n"), 0o644)
	s.log.Warn("scene quarantined", "file", path, "to", dst, "reason", cause.Error())
}
