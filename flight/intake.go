package flight

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	_, err := s.storeDetections(ctx, sc.ID, out[0].Result.Detections)
	return err
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

// errStoreFailed marks a store write that failed as a whole (a full disk,
// an I/O error): the scene is fine and must stay in the spool.
var errStoreFailed = errors.New("store write failed")

// storeDetections puts each detection as one store item (record and chip
// together, sharing the detection id). Under back-pressure it returns an
// error wrapping ErrBackPressure and the most urgent priority class among
// the refused detections; a failed store write wraps errStoreFailed.
func (s *Service) storeDetections(ctx context.Context, sceneID string, dets []triage.Detection) (int, error) {
	items := make([]store.Item, 0, len(dets))
	for i := range dets {
		it, err := s.storeItem(&dets[i])
		if err != nil {
			return 0, fmt.Errorf("flight: scene %s: %w", sceneID, err)
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return 0, nil
	}
	errs := s.putBatch(ctx, items)
	var pressured, urgent int
	refusedClass := store.MaxPriorityClass
	for i, err := range errs {
		switch {
		case err == nil:
			s.stats.detectionsStored.Add(1)
			if items[i].PriorityClass == 0 {
				urgent++
			}
		case errors.Is(err, store.ErrBackPressure), errors.Is(err, store.ErrFull):
			pressured++
			refusedClass = min(refusedClass, items[i].PriorityClass)
		case errors.Is(err, store.ErrExpired):
			s.log.Info("detection expired before it was stored", "scene", sceneID, "id", items[i].ID)
		case ctx.Err() != nil:
			return 0, ctx.Err()
		default:
			return 0, fmt.Errorf("flight: %w: detection %s of scene %s: %w", errStoreFailed, items[i].ID, sceneID, err)
		}
	}
	if urgent > 0 {
		s.preempt()
	}
	s.wakeRadio()
	if pressured > 0 {
		return refusedClass, fmt.Errorf("%w: %d of %d detections of scene %s refused", ErrBackPressure, pressured, len(items), sceneID)
	}
	return 0, nil
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
